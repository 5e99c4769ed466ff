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
