import { describe, expect, it } from 'vitest';
import { ordinalReport } from './ordinal';

describe('ordinalReport', () => {
  it('scores a worked 3-grade example', () => {
    // Errors: one 0 → 1 (1 grade), one 2 → 0 (2 grades). Quadratic-weighted disagreement: observed 1 + 4 = 5;
    // expected from the marginals (truth 2/1/2, predicted 2/2/1, n = 5): 0.8 + 4·0.4 + 0.4 + 0.2 + 4·0.8 + 0.8 = 7.
    const report = ordinalReport([0, 0, 1, 2, 2], [0, 1, 1, 0, 2], 3);
    expect(report.meanAbsoluteError).toBeCloseTo(3 / 5, 12);
    expect(report.withinOneAccuracy).toBeCloseTo(4 / 5, 12);
    expect(report.quadraticWeightedKappa).toBeCloseTo(1 - 5 / 7, 12);
  });

  it('equals Cohen’s kappa for two classes, and is 1 for perfect and 0 for constant predictions', () => {
    // Two classes: po = 3/4, pe = (3·2 + 1·2) / 16 = 1/2, kappa = (po − pe) / (1 − pe) = 1/2.
    expect(ordinalReport([0, 0, 0, 1], [0, 0, 1, 1], 2).quadraticWeightedKappa).toBeCloseTo(0.5, 12);
    const perfect = ordinalReport([0, 1, 2, 3, 4], [0, 1, 2, 3, 4], 5);
    expect(perfect).toEqual({ meanAbsoluteError: 0, withinOneAccuracy: 1, quadraticWeightedKappa: 1 });
    // Always "grade 2" carries no information about the grade: kappa 0, however many are within one grade.
    const constant = ordinalReport([0, 1, 2, 3, 4], [2, 2, 2, 2, 2], 5);
    expect(constant.quadraticWeightedKappa).toBeCloseTo(0, 12);
    expect(constant.withinOneAccuracy).toBeCloseTo(3 / 5, 12);
    expect(constant.meanAbsoluteError).toBeCloseTo(6 / 5, 12);
  });

  it('ranks a near miss above a far miss, which plain accuracy cannot', () => {
    const truth = [0, 1, 2, 3, 4, 4];
    const near = ordinalReport(truth, [0, 1, 2, 3, 3, 3], 5);
    const far = ordinalReport(truth, [0, 1, 2, 3, 0, 0], 5);
    expect(near.quadraticWeightedKappa as number).toBeGreaterThan(far.quadraticWeightedKappa as number);
    expect(near.meanAbsoluteError).toBeLessThan(far.meanAbsoluteError);
  });

  it('gives null kappa when truth and predictions are one and the same grade, and checks its input', () => {
    expect(ordinalReport([1, 1], [1, 1], 3).quadraticWeightedKappa).toBeNull();
    expect(() => ordinalReport([0, 1], [0], 2)).toThrow(/predictions has 1 entries but .* 2 rows/);
    expect(() => ordinalReport([0, 5], [0, 1], 3)).toThrow(/labels\[1\] = 5 is not a class label/);
    expect(() => ordinalReport([], [], 3)).toThrow(/labels is empty/);
  });
});
