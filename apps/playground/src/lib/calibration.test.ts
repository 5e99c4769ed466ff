import {
  distanceProbabilities,
  fitRejectionThreshold,
  readStoredCalibration,
} from '@medsymmflow/uncertainty';
import { describe, expect, it } from 'vitest';
import {
  abstainDecision,
  defaultSliderIndex,
  describeFittedOn,
  formatPercent,
  predictedProbability,
  sliderTargets,
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

  it('offers the stored targets, or every target from 50 to 99 % fitted on stored validation evidence', () => {
    const stored = readStoredCalibration(metadata);
    expect(sliderTargets(stored).map((t) => t.targetAccuracy)).toEqual([0.9, 0.95, 0.99]);
    expect(defaultSliderIndex(sliderTargets(stored))).toBe(1);
    expect(defaultSliderIndex([])).toBe(-1);
    // 40 validation images by increasing uncertainty: right, wrong, 8 right, then 30 wrong.
    const uncertainty = Array.from({ length: 40 }, (_, i) => i / 40);
    const correct = uncertainty.map((_, i) => (i === 0 || (i >= 2 && i < 10) ? 1 : 0));
    const withEvidence = readStoredCalibration({
      calibration: { ...metadata.calibration, evidence: { uncertainty, correct, confidence: 0.95 } },
    });
    const targets = sliderTargets(withEvidence);
    expect(targets).toHaveLength(50);
    expect(targets[0].targetAccuracy).toBe(0.5);
    expect(targets[49].targetAccuracy).toBe(0.99);
    const at60 = targets[10];
    expect(at60.targetAccuracy).toBe(0.6);
    expect(at60.threshold).toBe(fitRejectionThreshold(uncertainty, correct, 0.6).threshold); // as classify fits it
    expect(targets[20].threshold).toBeNull(); // 70 % is out of reach
    expect(targets[40]).toBe(withEvidence.thresholds[0]); // a stored target (90 %) stays as stored
    expect(targets[defaultSliderIndex(targets)].targetAccuracy).toBe(0.95);
  });

  it('abstains when the uncertainty exceeds the threshold, and explains missing thresholds', () => {
    const calibration = readStoredCalibration(metadata);
    const { thresholds } = calibration;
    expect(abstainDecision(1.95, thresholds[1], calibration)).toEqual({ kind: 'abstain', threshold: 1.9 });
    expect(abstainDecision(1.9, thresholds[1], calibration)).toEqual({ kind: 'predict', threshold: 1.9 });
    expect(abstainDecision(1, thresholds[2], calibration)).toEqual({
      kind: 'unknown',
      reason: 'The model did not reach 99% accuracy on its validation split at any coverage.',
    });
    expect(abstainDecision(1, { ...thresholds[2], confidence: 0.95 }, calibration)).toMatchObject({
      reason:
        'The model did not reach 99% accuracy on its validation split with 95% confidence at any coverage.',
    });
    // With the validation evidence stored, it names the highest target the model supports (as the CLI does).
    const withEvidence = readStoredCalibration({
      calibration: {
        ...metadata.calibration,
        evidence: { uncertainty: [0.1, 0.2, 0.3, 0.4], correct: [1, 1, 1, 0], confidence: 0.5 },
      },
    });
    // 3 right of 3: P(X >= 3 | p) = p^3 <= 0.5 up to p = 0.5^(1/3) = 0.7937.
    expect(abstainDecision(1, withEvidence.thresholds[2], withEvidence)).toMatchObject({
      reason:
        'The model did not reach 99% accuracy on its validation split at any coverage; the highest target it ' +
        'supports is 79.3% (keeping 75% of images).',
    });
    expect(abstainDecision(1, undefined, calibration)).toMatchObject({
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
