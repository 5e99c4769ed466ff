import { describe, expect, it } from 'vitest';
import {
  applyRejectionThreshold,
  aurc,
  coverageAtAccuracy,
  evaluateRejection,
  fitRejectionThreshold,
  highestSupportedAccuracy,
  rejectionRateAt,
  riskCoverageCurve,
  SELECTIVE_PREDICTION_DEFAULTS,
  selectivePrediction,
} from './index';
import { binomialTailAtLeast } from './selective-prediction';

describe('selectivePrediction', () => {
  it('defaults to 0 … 95 % in steps of 5 %', () => {
    const rates = SELECTIVE_PREDICTION_DEFAULTS.rejectionRates;
    expect(rates).toHaveLength(20);
    expect(rates[0]).toBe(0);
    expect(rates[19]).toBeCloseTo(0.95, 12);
    // 20 samples: each 5 % step rejects exactly one more sample.
    const u = Array.from({ length: 20 }, (_, i) => i);
    const curve = selectivePrediction(
      u,
      u.map(() => 1),
    );
    expect(curve.points.map((p) => p.rejected)).toEqual(u);
    expect(curve.points.map((p) => p.kept)).toEqual(u.map((i) => 20 - i));
  });

  it('rejects the most uncertain first (hand-computed)', () => {
    const curve = selectivePrediction([0.1, 0.9, 0.2, 0.8], [1, 0, 1, 1], {
      rejectionRates: [0, 0.25, 0.5, 0.75],
    });
    expect(curve.points.map((p) => p.accuracy)).toEqual([0.75, 1, 1, 1]);
    expect(curve.points.map((p) => p.coverage)).toEqual([1, 0.75, 0.5, 0.25]);
    expect(curve.points.map((p) => p.threshold)).toEqual([0.9, 0.8, 0.2, 0.1]);
  });

  it('rejects floor(rate · n) samples', () => {
    const curve = selectivePrediction([1, 2, 3], [1, 1, 0], { rejectionRates: [0.3, 0.34] });
    expect(curve.points.map((p) => p.rejected)).toEqual([0, 1]);
  });

  it('breaks ties deterministically: among equal uncertainties the higher index is rejected first', () => {
    const rates = { rejectionRates: [0.25, 0.5] };
    expect(
      selectivePrediction([0.5, 0.5, 0.5, 0.1], [1, 1, 0, 1], rates).points.map((p) => p.accuracy),
    ).toEqual([1, 1]);
    expect(
      selectivePrediction([0.5, 0.5, 0.5, 0.1], [0, 1, 1, 1], rates).points.map((p) => p.accuracy),
    ).toEqual([2 / 3, 1 / 2]);
  });

  it('accepts booleans and typed arrays', () => {
    const curve = selectivePrediction(new Float32Array([0.3, 0.1]), [false, true], {
      rejectionRates: [0, 0.5],
    });
    expect(curve.points.map((p) => p.accuracy)).toEqual([0.5, 1]);
  });

  it('rejects bad input', () => {
    expect(() => selectivePrediction([], [])).toThrow(/empty/);
    expect(() => selectivePrediction([0.1, Number.NaN], [1, 0])).toThrow(
      /uncertainty contains NaN at index 1/,
    );
    expect(() => selectivePrediction([0.1, 0.2], [1])).toThrow(/1 entries, expected 2/);
    expect(() => selectivePrediction([0.1], [2])).toThrow(/not binary/);
    expect(() => selectivePrediction([0.1], [1], { rejectionRates: [1] })).toThrow(/\[0, 1\), got 1/);
    expect(() => selectivePrediction([0.1], [1], { rejectionRates: [] })).toThrow(/non-empty array/);
  });
});

describe('riskCoverageCurve and AURC', () => {
  it('matches hand-computed AURC and E-AURC', () => {
    const rc = riskCoverageCurve([0.1, 0.2, 0.3, 0.4], [1, 0, 1, 0]);
    expect(rc.aurc).toBeCloseTo((0 + 1 / 2 + 1 / 3 + 1 / 2) / 4, 12);
    expect(rc.optimalAurc).toBeCloseTo((1 / 3 + 1 / 2) / 4, 12);
    expect(rc.eAurc).toBeCloseTo(0.125, 12);
    expect(rc.points.map((p) => [p.coverage, p.risk])).toEqual([
      [0.25, 0],
      [0.5, 0.5],
      [0.75, 1 / 3],
      [1, 0.5],
    ]);
  });

  it('spreads errors evenly over tied uncertainties (order-independent)', () => {
    // k = 1: 0; k = 2: 0.5 expected errors / 2; k = 3: 1 / 3.
    const expected = (0 + 0.25 + 1 / 3) / 3;
    expect(aurc([0.1, 0.5, 0.5], [1, 1, 0]).aurc).toBeCloseTo(expected, 12);
    expect(aurc([0.1, 0.5, 0.5], [1, 0, 1]).aurc).toBeCloseTo(expected, 12);
    const rc = riskCoverageCurve([0.1, 0.5, 0.5], [1, 0, 1]);
    expect(rc.points).toHaveLength(2);
    expect(rc.points[1]).toEqual({ coverage: 1, risk: 1 / 3, threshold: 0.5, kept: 3 });
  });

  it('all correct → 0; all wrong → AURC 1 and E-AURC 0; perfect ranking → E-AURC 0', () => {
    expect(aurc([0.3, 0.1, 0.2], [1, 1, 1])).toEqual({ aurc: 0, optimalAurc: 0, eAurc: 0 });
    expect(aurc([0.3, 0.1, 0.2], [0, 0, 0])).toEqual({ aurc: 1, optimalAurc: 1, eAurc: 0 });
    expect(aurc([0.1, 0.2, 0.8, 0.9], [1, 1, 0, 0]).eAurc).toBeCloseTo(0, 12);
    expect(aurc([0.9, 0.8, 0.1, 0.2], [1, 1, 0, 0]).eAurc).toBeGreaterThan(0.4);
  });
});

describe('rejection thresholds', () => {
  const u = [0.1, 0.2, 0.3, 0.4, 0.5];
  const correct = [1, 1, 0, 1, 0];

  it('coverage at a target accuracy (hand-computed)', () => {
    expect(coverageAtAccuracy(u, correct, 0.75)).toEqual({
      threshold: 0.4,
      targetAccuracy: 0.75,
      attained: true,
      accuracy: 0.75,
      coverage: 0.8,
      kept: 4,
    });
    expect(coverageAtAccuracy(u, correct, 0.9)).toMatchObject({ threshold: 0.2, accuracy: 1, coverage: 0.4 });
    expect(coverageAtAccuracy(u, correct, 0.6)).toMatchObject({ threshold: 0.5, coverage: 1 });
  });

  it('reports unattainable targets', () => {
    const result = coverageAtAccuracy([0.1, 0.2], [0, 1], 0.9);
    expect(result.attained).toBe(false);
    expect(result.threshold).toBe(Number.NEGATIVE_INFINITY);
    expect(result.coverage).toBe(0);
    expect(result.accuracy).toBeNaN();
  });

  it('never splits tied uncertainties', () => {
    // Keeping only the first tied sample would reach 100 %, but a threshold keeps both or neither.
    expect(coverageAtAccuracy([0.2, 0.2, 0.9], [1, 0, 1], 1).attained).toBe(false);
  });

  it('binomial tail P(X >= k): exact small cases, symmetry, large n without overflow', () => {
    expect(binomialTailAtLeast(0, 5, 0.3)).toBe(1);
    expect(binomialTailAtLeast(6, 5, 0.3)).toBe(0);
    expect(binomialTailAtLeast(5, 5, 0.9)).toBeCloseTo(0.9 ** 5, 12);
    expect(binomialTailAtLeast(2, 3, 0.5)).toBeCloseTo(0.5, 12); // (3 + 1) / 8
    expect(binomialTailAtLeast(1, 4, 0.2)).toBeCloseTo(1 - 0.8 ** 4, 12);
    // 431 right of 431 at p = 0.99: 0.99^431.
    expect(binomialTailAtLeast(431, 431, 0.99)).toBeCloseTo(0.99 ** 431, 12);
    const big = binomialTailAtLeast(5100, 10000, 0.5); // about 2.3 standard deviations above the mean
    expect(big).toBeGreaterThan(0.02);
    expect(big).toBeLessThan(0.03);
  });

  it('fits a threshold only where the validation hits make the target accuracy likely', () => {
    // By increasing uncertainty: right, wrong, 8 right, then 30 wrong.
    const uncertainty = Array.from({ length: 40 }, (_, i) => i / 40);
    const hits = uncertainty.map((_, i) => (i === 0 || (i >= 2 && i < 10) ? 1 : 0));
    // Keeping only the most certain sample has 100 % accuracy, but one hit is no evidence of 99 %.
    const face = fitRejectionThreshold(uncertainty, hits, 0.99, { confidence: 0 });
    expect(face).toMatchObject({ attained: true, kept: 1, accuracy: 1, confidence: 0 });
    const sure = fitRejectionThreshold(uncertainty, hits, 0.99);
    expect(sure).toMatchObject({ attained: false, threshold: Number.NEGATIVE_INFINITY, confidence: 0.95 });
    // 9 of the first 10 right: P(X >= 9 | 10, 0.6) = 0.046 passes a 60 % target at 95 %; for 70 % it is 0.149,
    // and no smaller set does better, so 70 % is not reached.
    expect(fitRejectionThreshold(uncertainty, hits, 0.6)).toMatchObject({ attained: true, kept: 10 });
    expect(fitRejectionThreshold(uncertainty, hits, 0.7).attained).toBe(false);
    expect(fitRejectionThreshold(uncertainty, hits, 0.7, { confidence: 0 })).toMatchObject({ kept: 12 }); // 9 of 12
    expect(() => fitRejectionThreshold(uncertainty, hits, 0.9, { confidence: 1 })).toThrow(
      /confidence must be a number in \[0, 1\), got 1/,
    );
  });

  it('highestSupportedAccuracy: the largest target fitRejectionThreshold reaches, at the same confidence', () => {
    // 10 right of 10: P(X >= 10 | p) = p^10 <= 0.05 up to p = 0.05^(1/10).
    const allRight = highestSupportedAccuracy(
      Array.from({ length: 10 }, (_, i) => i),
      new Array(10).fill(1),
    );
    expect(allRight.accuracy).toBeCloseTo(0.05 ** 0.1, 9);
    expect(allRight).toMatchObject({ threshold: 9, coverage: 1, confidence: 0.95 });
    // At confidence 0 it is the best accuracy of any rule; ties go to the larger coverage.
    expect(highestSupportedAccuracy([0.1, 0.2, 0.3, 0.4], [1, 0, 1, 1], { confidence: 0 })).toMatchObject({
      accuracy: 1,
      coverage: 0.25,
    });
    expect(highestSupportedAccuracy([0.1, 0.2], [0, 0])).toMatchObject({
      accuracy: 0,
      threshold: Number.NEGATIVE_INFINITY,
      coverage: 0,
    });
    // On noisy data: every target just below the bound is reached, none just above it.
    let seed = 7;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const u = Array.from({ length: 300 }, () => random());
    const right = u.map((x) => (random() > 0.3 + 0.5 * x ? 1 : 0)); // more errors where more uncertain
    for (const confidence of [0.95, 0.99, 0]) {
      const best = highestSupportedAccuracy(u, right, { confidence });
      const below = fitRejectionThreshold(u, right, best.accuracy - 1e-9, { confidence });
      expect(below).toMatchObject({ attained: true, coverage: best.coverage, threshold: best.threshold });
      if (best.accuracy < 1) {
        expect(fitRejectionThreshold(u, right, best.accuracy + 1e-6, { confidence }).attained).toBe(false);
      }
    }
    expect(() => highestSupportedAccuracy(u, right, { confidence: -0.1 })).toThrow(/confidence must be/);
  });

  it('fits on validation and evaluates on test', () => {
    const rule = fitRejectionThreshold(u, correct, 0.75, { confidence: 0 });
    expect(rule.threshold).toBe(0.4);
    expect(Array.from(applyRejectionThreshold([0.05, 0.4, 0.41, 0.9], rule.threshold))).toEqual([1, 1, 0, 0]);
    expect(evaluateRejection([0.05, 0.4, 0.41, 0.9], [1, 0, 1, 1], rule.threshold)).toEqual({
      accuracy: 0.5,
      coverage: 0.5,
      kept: 2,
      rejected: 2,
    });
    expect(evaluateRejection([0.5], [1], 0.1).accuracy).toBeNaN();
    expect(() => fitRejectionThreshold(u, correct, 0)).toThrow(/\(0, 1\], got 0/);
    expect(() => applyRejectionThreshold(u, Number.NaN)).toThrow(/threshold must be a number/);
  });

  it('rejectionRateAt: fraction of reference samples more uncertain', () => {
    expect(rejectionRateAt(u, 0.3)).toBe(0.4);
    expect(rejectionRateAt(u, 1)).toBe(0);
    expect(rejectionRateAt(u, 0)).toBe(1);
    expect(() => rejectionRateAt(u, Number.NaN)).toThrow(/finite/);
  });
});
