import { describe, expect, it } from 'vitest';
import {
  calibrationMismatch,
  DEFAULT_CLASSIFICATION_SETTINGS,
  readStoredCalibration,
  resolveClassificationSettings,
  storedThresholdFor,
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
    expect(c).toEqual({ temperature: null, thresholds: [], fittedOn: null, classification: null });
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
