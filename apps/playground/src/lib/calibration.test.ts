import { distanceProbabilities, readStoredCalibration } from '@medsymmflow/uncertainty';
import { describe, expect, it } from 'vitest';
import {
  abstainDecision,
  defaultSliderIndex,
  describeFittedOn,
  formatPercent,
  pickThreshold,
  predictedProbability,
} from './calibration';

const metadata = {
  training: { seed: 0 },
  calibration: {
    temperature: 0.27,
    fittedOn: { dataset: 'pneumoniamnist', split: 'val', n: 524 },
    rejectionThresholds: [
      { targetAccuracy: 0.99, threshold: null, coverage: 0 },
      { targetAccuracy: 0.9, threshold: 2.1, coverage: 0.8, accuracy: 0.91 },
      { targetAccuracy: 0.95, threshold: 1.9, coverage: 0.5 },
      { targetAccuracy: 'x', threshold: 3 },
    ],
  },
};

describe('stored calibration', () => {
  it('says where the calibration was fitted', () => {
    expect(describeFittedOn(readStoredCalibration(metadata))).toBe('pneumoniamnist val, n = 524');
    expect(describeFittedOn(readStoredCalibration({}))).toBeNull();
  });

  it('picks the slider threshold like classify --target-acc (exact target), defaulting to 95%', () => {
    const { thresholds } = readStoredCalibration(metadata);
    expect(defaultSliderIndex(thresholds)).toBe(1);
    expect(defaultSliderIndex([])).toBe(-1);
    expect(pickThreshold(thresholds, 0.95)?.threshold).toBe(1.9);
    expect(pickThreshold(thresholds, 0.9)?.threshold).toBe(2.1);
    expect(pickThreshold(thresholds, 0.92)?.targetAccuracy).toBe(0.95);
    expect(pickThreshold(thresholds, 0.995)).toBeUndefined();
  });

  it('abstains when the uncertainty exceeds the threshold, and explains missing thresholds', () => {
    const { thresholds } = readStoredCalibration(metadata);
    expect(abstainDecision(1.95, thresholds[1])).toEqual({ kind: 'abstain', threshold: 1.9 });
    expect(abstainDecision(1.9, thresholds[1])).toEqual({ kind: 'predict', threshold: 1.9 });
    expect(abstainDecision(1, thresholds[2])).toMatchObject({
      kind: 'unknown',
      reason: expect.stringContaining('99%'),
    });
    expect(abstainDecision(1, { ...thresholds[2], confidence: 0.95 })).toMatchObject({
      reason: 'The model did not reach 99% accuracy on validation with 95% confidence at any coverage.',
    });
    expect(abstainDecision(1, undefined)).toMatchObject({
      kind: 'unknown',
      reason: expect.stringContaining('calibrate'),
    });
  });

  it('computes the calibrated probability with the uncertainty package', () => {
    const distances = Float32Array.from([2.28, 2.03]);
    const p = predictedProbability(distances, 1, 0.27);
    expect(p).toBe(distanceProbabilities(distances, 2, 0.27)[1]);
    expect(p).toBeGreaterThan(0.5);
    expect(predictedProbability(distances, 1, null)).toBeNull();
    expect(formatPercent(0.95)).toBe('95%');
    expect(formatPercent(0.7127)).toBe('71.3%');
  });
});
