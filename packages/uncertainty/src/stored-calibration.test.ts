import { describe, expect, it } from 'vitest';
import { fitRejectionThreshold, highestSupportedAccuracy } from './selective-prediction';
import {
  calibrationMismatch,
  DEFAULT_CLASSIFICATION_SETTINGS,
  describeUnreachableTarget,
  floorSupported,
  readStoredCalibration,
  rejectionEvidenceJson,
  rejectionThresholdFor,
  resolveClassificationSettings,
  storedThresholdFor,
  supportedAccuracy,
} from './stored-calibration';

const metadata = {
  calibration: {
    temperature: 0.8,
    fittedOn: { dataset: 'pneumoniamnist', split: 'val', n: 524 },
    classification: { solver: 'euler', steps: 1, samples: 8 },
    rejectionThresholds: [
      { targetAccuracy: 0.99, threshold: null, coverage: 0, accuracy: null, confidence: 0.95 },
      { targetAccuracy: 0.9, threshold: 1.5, coverage: 1, accuracy: 0.91 },
      { targetAccuracy: 0.95, threshold: 0.8, coverage: 0.9, accuracy: 0.951 },
    ],
  },
};

describe('readStoredCalibration', () => {
  it('reads temperature, sorted thresholds, where they were fitted and with which settings', () => {
    const c = readStoredCalibration(metadata);
    expect(c.temperature).toBe(0.8);
    expect(c.thresholds.map((t) => t.targetAccuracy)).toEqual([0.9, 0.95, 0.99]);
    expect(c.thresholds[2]).toEqual({ targetAccuracy: 0.99, threshold: null, coverage: 0, confidence: 0.95 });
    expect(c.thresholds[0]).toEqual({ targetAccuracy: 0.9, threshold: 1.5, coverage: 1 }); // fitted before confidence
    expect(c.fittedOn).toEqual({ dataset: 'pneumoniamnist', split: 'val', n: 524 });
    expect(c.classification).toEqual({ solver: 'euler', steps: 1, samples: 8 });
    expect(storedThresholdFor(c, 0.95)?.threshold).toBe(0.8);
    expect(storedThresholdFor(c, 0.97)).toBeUndefined();
  });

  it('reads missing or malformed parts as absent instead of throwing', () => {
    for (const bad of [undefined, null, {}, { calibration: null }, { calibration: 'x' }]) {
      expect(readStoredCalibration(bad)).toEqual({
        temperature: null,
        thresholds: [],
        fittedOn: null,
        classification: null,
        evidence: null,
      });
    }
    const c = readStoredCalibration({
      calibration: {
        temperature: -1,
        rejectionThresholds: [
          { targetAccuracy: '0.9', threshold: 1 },
          { targetAccuracy: 0.9, threshold: 'x' },
        ],
        classification: { solver: 'euler', steps: 0, samples: 1 },
      },
    });
    expect(c).toEqual({
      temperature: null,
      thresholds: [],
      fittedOn: null,
      classification: null,
      evidence: null,
    });
  });
});

// 40 validation images by increasing uncertainty: right, wrong, 8 right, then 30 wrong.
const valUncertainty = Array.from({ length: 40 }, (_, i) => i / 40);
const valCorrect = valUncertainty.map((_, i) => (i === 0 || (i >= 2 && i < 10) ? 1 : 0));
const withEvidence = (evidence: unknown) =>
  readStoredCalibration({ calibration: { ...metadata.calibration, evidence } });

describe('stored validation evidence', () => {
  it('reads the evidence evaluate --calibrate stores, and drops it when malformed', () => {
    const c = withEvidence(rejectionEvidenceJson(valUncertainty, valCorrect, 0.95));
    expect(Array.from(c.evidence?.uncertainty ?? [])).toEqual(valUncertainty);
    expect(Array.from(c.evidence?.correct ?? [])).toEqual(valCorrect);
    expect(c.evidence?.confidence).toBe(0.95);
    for (const bad of [
      { uncertainty: [0.1, 0.2], correct: [1], confidence: 0.95 }, // lengths differ
      { uncertainty: [0.1, Number.NaN], correct: [1, 0], confidence: 0.95 },
      { uncertainty: [0.1, 0.2], correct: [1, 2], confidence: 0.95 },
      { uncertainty: [0.1, 0.2], correct: [1, 0] }, // no confidence
      { uncertainty: [], correct: [], confidence: 0.95 },
      'x',
    ]) {
      expect(withEvidence(bad).evidence).toBeNull();
    }
  });

  it('rejectionThresholdFor: stored targets as stored, any other fitted on the evidence as evaluate fits', () => {
    const c = withEvidence(rejectionEvidenceJson(valUncertainty, valCorrect, 0.95));
    expect(rejectionThresholdFor(c, 0.95)).toBe(storedThresholdFor(c, 0.95));
    const fit = fitRejectionThreshold(valUncertainty, valCorrect, 0.6);
    expect(rejectionThresholdFor(c, 0.6)).toEqual({
      targetAccuracy: 0.6,
      threshold: fit.threshold,
      coverage: fit.coverage,
      confidence: 0.95,
    });
    expect(rejectionThresholdFor(c, 0.6)?.coverage).toBe(0.25); // the 10 most certain, 9 right
    expect(rejectionThresholdFor(c, 0.7)).toEqual({
      targetAccuracy: 0.7,
      threshold: null,
      coverage: 0,
      confidence: 0.95,
    });
    expect(rejectionThresholdFor(readStoredCalibration(metadata), 0.6)).toBeUndefined(); // no evidence
    expect(() => rejectionThresholdFor(c, 1.2)).toThrow(
      /targetAccuracy must be a number in \(0, 1\], got 1.2/,
    );
  });

  it('says which target a model supports when the asked one is out of reach', () => {
    const c = withEvidence(rejectionEvidenceJson(valUncertainty, valCorrect, 0.95));
    const best = highestSupportedAccuracy(valUncertainty, valCorrect);
    expect(supportedAccuracy(c)).toEqual(best);
    expect(best.accuracy).toBeGreaterThan(0.6);
    expect(best.accuracy).toBeLessThan(0.7);
    const floor = floorSupported(best.accuracy);
    expect(rejectionThresholdFor(c, floor)?.threshold).not.toBeNull(); // the named target is reachable
    const entry = storedThresholdFor(c, 0.99);
    if (!entry) throw new Error('fixture has a 0.99 entry');
    expect(describeUnreachableTarget(entry, c)).toBe(
      'the model did not reach 99% accuracy on its validation split with 95% confidence at any coverage; ' +
        `the highest target it supports is ${Number((floor * 100).toPrecision(3))}% (keeping 25% of images)`,
    );
    expect(describeUnreachableTarget(entry, readStoredCalibration(metadata))).toBe(
      'the model did not reach 99% accuracy on its validation split with 95% confidence at any coverage',
    );
  });
});

describe('resolveClassificationSettings', () => {
  it('takes each given setting, else the calibration, else the method default', () => {
    const c = readStoredCalibration(metadata);
    expect(resolveClassificationSettings({}, c)).toEqual({ solver: 'euler', steps: 1, samples: 8 });
    expect(resolveClassificationSettings({ steps: 5 }, c)).toEqual({ solver: 'euler', steps: 5, samples: 8 });
    expect(resolveClassificationSettings({ samples: 2 }, readStoredCalibration({}))).toEqual({
      ...DEFAULT_CLASSIFICATION_SETTINGS,
      samples: 2,
    });
  });
});

describe('calibrationMismatch', () => {
  it('names the settings that differ from the fitted ones', () => {
    const c = readStoredCalibration(metadata);
    expect(calibrationMismatch(c, { solver: 'euler', steps: 1, samples: 8 })).toBeNull();
    const note = calibrationMismatch(c, { solver: 'euler', steps: 1, samples: 1 });
    expect(note).toMatch(/fitted with euler, 1 step\(s\), 8 sample\(s\)/);
    expect(note).toMatch(/--samples override/);
  });

  it('treats a calibration without recorded settings as fitted with the defaults, and no calibration as no mismatch', () => {
    const old = readStoredCalibration({ calibration: { temperature: 1 } });
    expect(calibrationMismatch(old, DEFAULT_CLASSIFICATION_SETTINGS)).toBeNull();
    expect(calibrationMismatch(old, { solver: 'rk4', steps: 1, samples: 1 })).toMatch(/--solver/);
    expect(
      calibrationMismatch(readStoredCalibration({}), { solver: 'rk4', steps: 9, samples: 9 }),
    ).toBeNull();
  });
});
