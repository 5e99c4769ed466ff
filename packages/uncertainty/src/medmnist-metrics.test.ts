import { describe, expect, it } from 'vitest';
import { evaluateMedmnist, getACC, getAUC, MEDMNIST_TASKS } from './index';

// 3 classes, 6 samples. Column AUCs (one-vs-rest): class 0 → 1, class 1 → 7.5 / 8 (one tie), class 2 → 1.
const labels = [0, 0, 1, 1, 2, 2];
const scores = [0.6, 0.3, 0.1, 0.5, 0.2, 0.3, 0.3, 0.4, 0.3, 0.2, 0.5, 0.3, 0.1, 0.4, 0.5, 0.4, 0.1, 0.5];

describe('getAUC (MedMNIST evaluator)', () => {
  it('lists the MedMNIST task types', () => {
    expect(MEDMNIST_TASKS).toEqual([
      'binary-class',
      'multi-class',
      'ordinal-regression',
      'multi-label, binary-class',
    ]);
  });

  it('multi-class: macro one-vs-rest AUC', () => {
    expect(getAUC(labels, scores, 'multi-class', 3)).toBeCloseTo((1 + 0.9375 + 1) / 3, 12);
  });

  it('ordinal-regression is treated as multi-class', () => {
    expect(getAUC(labels, scores, 'ordinal-regression', 3)).toBe(getAUC(labels, scores, 'multi-class', 3));
  });

  it('binary-class: the last (positive) column only', () => {
    // Last column [0.1, 0.6, 0.5, 0.7] for labels [0, 1, 1, 0]: (0.6 > 0.1) + (0.5 > 0.1) = 2 of 4 pairs.
    const binary = [0.9, 0.1, 0.4, 0.6, 0.5, 0.5, 0.3, 0.7];
    expect(getAUC([0, 1, 1, 0], binary, 'binary-class', 2)).toBe(0.5);
    expect(getAUC([0, 1, 1, 0], [0.1, 0.6, 0.5, 0.7], 'binary-class', 1)).toBe(0.5);
  });

  it('multi-label: per-label AUC, averaged', () => {
    // label 0: truth [1, 0, 1], scores [0.8, 0.3, 0.5] → 1; label 1: truth [0, 1, 1], scores [0.2, 0.6, 0.1] → 0.5.
    const auc = getAUC([1, 0, 0, 1, 1, 1], [0.8, 0.2, 0.3, 0.6, 0.5, 0.1], 'multi-label, binary-class', 2);
    expect(auc).toBe(0.75);
  });

  it('explains undefined AUCs and bad inputs', () => {
    expect(() => getAUC([0, 0, 1, 1, 0, 1], scores, 'multi-class', 3)).toThrow(
      /AUC of class 2 is undefined: .*only one class/,
    );
    expect(() => getAUC(labels, scores, 'multiclass' as never, 3)).toThrow(
      /Unknown MedMNIST task "multiclass". Should be one of: 'binary-class', 'multi-class'/,
    );
    expect(() => getAUC([0, 1], [0.1, 0.2, 0.3], 'binary-class', 2)).toThrow(
      /not a multiple of numClasses = 2/,
    );
    expect(() => getAUC(labels, scores.slice(0, 15), 'multi-class', 3)).toThrow(
      /has 6 entries but .* 5 rows/,
    );
    expect(() => getAUC([0, 1, 3], [0, 1, 0, 1, 0, 0, 1, 0, 0], 'multi-class', 3)).toThrow(
      /labels must be integers in \[0, 2\]/,
    );
    expect(() => getAUC([1, 0], [0.5, 0.5, 0.5, 0.5], 'multi-label, binary-class', 2)).toThrow(
      /shape \[n, numClasses\] = \[2, 2\]/,
    );
    const nan = [...scores];
    nan[4] = Number.NaN;
    expect(() => getAUC(labels, nan, 'multi-class', 3)).toThrow(/yScore contains NaN at index 4/);
    expect(() => getAUC([], [], 'multi-class', 3)).toThrow(/empty/);
  });
});

describe('getACC (MedMNIST evaluator)', () => {
  it('multi-class: argmax, first index on ties', () => {
    expect(getACC(labels, scores, 'multi-class', 3)).toBe(1);
    expect(getACC([1, 0], [0.5, 0.5, 0, 0.2, 0.2, 0.2], 'multi-class', 3)).toBe(0.5);
  });

  it('binary-class: last column strictly above the threshold', () => {
    const binary = [0.9, 0.1, 0.4, 0.6, 0.5, 0.5, 0.3, 0.7];
    // Predictions [0, 1, 0 (0.5 is not > 0.5), 1] vs [0, 1, 1, 0].
    expect(getACC([0, 1, 1, 0], binary, 'binary-class', 2)).toBe(0.5);
    expect(getACC([0, 1, 1, 0], binary, 'binary-class', 2, 0.45)).toBe(0.75);
  });

  it('multi-label: per-label accuracy with score >= threshold, averaged', () => {
    // Predictions [[1, 0], [0, 1], [1, 0]] vs truth [[1, 0], [0, 1], [1, 1]] → (1 + 2/3) / 2.
    const acc = getACC([1, 0, 0, 1, 1, 1], [0.8, 0.2, 0.3, 0.6, 0.5, 0.4], 'multi-label, binary-class', 2);
    expect(acc).toBeCloseTo(5 / 6, 12);
  });

  it('evaluateMedmnist returns both', () => {
    expect(evaluateMedmnist(labels, scores, 'multi-class', 3)).toEqual({
      acc: 1,
      auc: getAUC(labels, scores, 'multi-class', 3),
    });
  });
});
