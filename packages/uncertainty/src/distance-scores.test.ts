import { describe, expect, it } from 'vitest';
import {
  correctness,
  distanceAuc,
  distanceProbabilities,
  distanceUncertainty,
  getACC,
  getAUC,
  rocAuc,
  scoresFromDistances,
} from './index';

describe('scores from distances', () => {
  it("'negative' (default) negates the distances", () => {
    expect(Array.from(scoresFromDistances([0.2, 0.9, 0.5, 0.4], 2))).toEqual([-0.2, -0.9, -0.5, -0.4]);
  });

  it("'softmax' gives softmax(-d / T)", () => {
    const p = scoresFromDistances([0.2, 0.9], 2, { method: 'softmax' });
    expect(p[0]).toBeCloseTo(1 / (1 + Math.exp(-0.7)), 12);
    expect(p[0] + p[1]).toBeCloseTo(1, 12);
    const sharp = scoresFromDistances([0.2, 0.9], 2, { method: 'softmax', temperature: 0.1 });
    expect(sharp[0]).toBeCloseTo(1 / (1 + Math.exp(-7)), 12);
    expect(Array.from(distanceProbabilities([0, Math.log(3)], 2)).map((v) => Number(v.toFixed(12)))).toEqual([
      0.75, 0.25,
    ]);
    // Large distances stay finite (the row minimum is subtracted first).
    expect(Array.from(distanceProbabilities([1000, 1001], 2, 0.001))).toEqual([1, 0]);
  });

  it('rejects bad input', () => {
    expect(() => scoresFromDistances([0.1, Number.NaN], 2)).toThrow(/distances contains NaN at index 1/);
    expect(() => scoresFromDistances([0.1, 0.2, 0.3], 2)).toThrow(/not a multiple of numClasses = 2/);
    expect(() => scoresFromDistances([0.1, 0.2], 2, { method: 'rank' as never })).toThrow(
      /'negative', 'softmax'/,
    );
    expect(() => distanceProbabilities([0.1, 0.2], 2, 0)).toThrow(
      /temperature must be a finite number > 0, got 0/,
    );
    expect(() => scoresFromDistances([], 2)).toThrow(/empty/);
  });
});

describe('distance-based uncertainty and AUC', () => {
  it('uncertainty is the distance to the nearest (predicted) class', () => {
    expect(Array.from(distanceUncertainty([0.2, 0.9, 0.5, 0.4, 0.3, 0.3], 2))).toEqual([0.2, 0.4, 0.3]);
  });

  // labels [0, 0, 1, 1]; class-0 AUC by −d0 = 1, class-1 AUC by −d1 = 3/4.
  const labels = [0, 0, 1, 1];
  const d = [0.1, 0.9, 0.5, 0.4, 0.6, 0.8, 0.7, 0.2];

  it('distanceAuc averages every class, like the official roc_auc_score(gt != i, distances[:, i])', () => {
    expect(distanceAuc(labels, d, 2)).toBe(0.875);
    let official = 0;
    for (let k = 0; k < 2; k++) {
      official += rocAuc(
        labels.map((l) => (l !== k ? 1 : 0)),
        labels.map((_, i) => d[i * 2 + k]),
      );
    }
    expect(distanceAuc(labels, d, 2)).toBe(official / 2);
  });

  it('differs from the MedMNIST binary AUC, which uses the positive column only', () => {
    expect(getAUC(labels, scoresFromDistances(d, 2), 'binary-class', 2)).toBe(0.75);
  });

  it('softmax scores make MedMNIST binary ACC equal the argmin accuracy', () => {
    // argmin predictions [0, 1, 0, 1] vs labels [0, 0, 1, 1] → 0.5
    const probabilities = scoresFromDistances(d, 2, { method: 'softmax' });
    expect(getACC(labels, probabilities, 'binary-class', 2)).toBe(0.5);
  });

  it('distanceAuc needs every class present', () => {
    expect(() => distanceAuc([0, 0, 0, 0], d, 2)).toThrow(/AUC of class 0 is undefined/);
  });

  it('correctness flags', () => {
    expect(Array.from(correctness([0, 1, 2], [0, 2, 2]))).toEqual([1, 0, 1]);
    expect(() => correctness([0, 1], [0])).toThrow(/2 entries but predictions has 1/);
  });
});
