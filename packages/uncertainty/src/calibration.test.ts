import { describe, expect, it } from 'vitest';
import {
  CALIBRATION_DEFAULTS,
  distanceProbabilities,
  expectedCalibrationError,
  fitTemperature,
  negativeLogLikelihood,
  reliabilityDiagram,
} from './index';

// Every sample is nearer class 0 by exactly 1; three of four are class 0.
const distances = [0, 1, 0, 1, 0, 1, 0, 1];
const labels = [0, 0, 0, 1];

describe('temperature scaling', () => {
  it('NLL at T = 1 (hand-computed)', () => {
    const expected = (3 * Math.log(1 + Math.exp(-1)) + Math.log(1 + Math.E)) / 4;
    expect(negativeLogLikelihood(distances, labels, 2)).toBeCloseTo(expected, 12);
  });

  it('fits T with sigmoid(1 / T) = 3/4, i.e. T = 1 / ln 3', () => {
    const fit = fitTemperature(distances, labels, 2);
    expect(fit.temperature).toBeCloseTo(1 / Math.log(3), 5);
    expect(fit.atBoundary).toBe(false);
    expect(fit.nll).toBeLessThan(fit.initialNll);
    const p = distanceProbabilities(distances, 2, fit.temperature);
    expect(p[0]).toBeCloseTo(0.75, 5);
  });

  it('lands on the boundary for perfectly separated data', () => {
    const fit = fitTemperature([0, 1, 1, 0], [0, 1], 2, { minTemperature: 0.01, maxTemperature: 100 });
    expect(fit.atBoundary).toBe(true);
    expect(fit.temperature).toBeCloseTo(0.01, 6);
  });

  it('rejects bad input', () => {
    expect(() => fitTemperature([0, 1], [2], 2)).toThrow(/labels must be integers in \[0, 1\]/);
    expect(() => fitTemperature([0, Number.NaN], [0], 2)).toThrow(/NaN/);
    expect(() => fitTemperature(distances, labels, 2, { minTemperature: 2, maxTemperature: 1 })).toThrow(
      /0 < minTemperature < maxTemperature/,
    );
    expect(() => negativeLogLikelihood(distances, labels, 2, -1)).toThrow(/temperature/);
  });
});

describe('reliability diagram and ECE', () => {
  // Confidences 0.9 ✓, 0.8 ✗, 0.7 ✓, 0.6 ✓ in 5 bins: (0.4, 0.6] gap 0.4, (0.6, 0.8] acc ½ conf 0.75, (0.8, 1] gap 0.1.
  const probabilities = [0.9, 0.1, 0.8, 0.2, 0.3, 0.7, 0.4, 0.6];
  const y = [0, 1, 1, 1];

  it('matches hand-computed ECE, MCE and bins', () => {
    const diagram = reliabilityDiagram(probabilities, y, 2, { bins: 5 });
    expect(diagram.ece).toBeCloseTo(0.25, 12);
    expect(diagram.mce).toBeCloseTo(0.4, 12);
    expect(diagram.accuracy).toBe(0.75);
    expect(diagram.confidence).toBeCloseTo(0.75, 12);
    expect(diagram.bins.map((b) => b.count)).toEqual([0, 0, 1, 2, 1]);
    expect(diagram.bins[3].accuracy).toBe(0.5);
    expect(diagram.bins[3].confidence).toBeCloseTo(0.75, 12);
    expect(diagram.bins[0].accuracy).toBeNaN();
    expect(diagram.bins[4]).toMatchObject({ lower: 0.8, upper: 1 });
  });

  it('uses 15 bins by default', () => {
    expect(CALIBRATION_DEFAULTS.bins).toBe(15);
    expect(reliabilityDiagram(probabilities, y, 2).bins).toHaveLength(15);
    expect(expectedCalibrationError(probabilities, y, 2, { bins: 5 })).toBeCloseTo(0.25, 12);
  });

  it('is zero for a perfectly calibrated bin', () => {
    // Two samples with confidence 0.5 (tie → class 0), one right and one wrong.
    expect(expectedCalibrationError([0.5, 0.5, 0.5, 0.5], [0, 1], 2)).toBe(0);
  });

  it('rejects distances passed as probabilities', () => {
    expect(() => reliabilityDiagram([1.5, 0.2], [0], 2)).toThrow(/not in \[0, 1\].*distanceProbabilities/);
    expect(() => reliabilityDiagram(probabilities, y, 2, { bins: 0 })).toThrow(
      /bins must be an integer >= 1/,
    );
  });
});
