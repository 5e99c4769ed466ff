import { describe, expect, it } from 'vitest';
import { perClassReport } from './per-class';

describe('perClassReport', () => {
  it('counts truth × prediction and averages recall over the classes present', () => {
    const report = perClassReport([0, 0, 1, 2, 2, 2], Int32Array.from([0, 2, 1, 2, 2, 0]), 4);
    expect(report.confusion).toEqual([
      [1, 0, 1, 0],
      [0, 1, 0, 0],
      [1, 0, 2, 0],
      [0, 0, 0, 0],
    ]);
    expect(report.support).toEqual([2, 1, 3, 0]);
    expect(report.recall).toEqual([0.5, 1, 2 / 3, null]); // class 3 has no images: no recall, not 0
    expect(report.balancedAccuracy).toBeCloseTo((0.5 + 1 + 2 / 3) / 3, 12);
  });

  it('shows a classifier that never predicts a class: its recall is 0 while accuracy stays high', () => {
    const labels = [...new Array(9).fill(0), 1];
    const report = perClassReport(labels, new Array(10).fill(0), 2);
    expect(report.recall).toEqual([1, 0]);
    expect(report.balancedAccuracy).toBe(0.5);
  });

  it('rejects mismatched lengths and labels outside the classes, naming the input', () => {
    expect(() => perClassReport([0, 1], [0], 2)).toThrow(/predictions has 1 entries but .* 2 rows/);
    expect(() => perClassReport([0, 3], [0, 1], 2)).toThrow(/labels\[1\] = 3 is not a class label/);
    expect(() => perClassReport([0, 1], [0, Number.NaN], 2)).toThrow(/predictions\[1\] = NaN/);
    expect(() => perClassReport([], [], 2)).toThrow(/labels is empty/);
    expect(() => perClassReport([0], [0], 0)).toThrow(/numClasses must be an integer >= 1/);
  });
});
