/**
 * @file Selective prediction from an uncertainty score: accuracy after rejecting the most uncertain
 * samples, the risk–coverage curve with AURC / E-AURC, and rejection thresholds for a target accuracy.
 *
 * The uncertainty is any per-sample score where larger means less certain — for MedSymmFlow the distance
 * to the predicted class (`distanceUncertainty`).
 */
import { assertFiniteArray, assertUnit, quote, toBinary } from './checks';

/** Options of {@link selectivePrediction}. */
export interface SelectivePredictionConfig {
  /**
   * Fractions of samples to reject, each in [0, 1).
   * @defaultValue `[0, 0.05, 0.10, …, 0.95]`
   */
  rejectionRates?: readonly number[];
}

/** Resolved {@link SelectivePredictionConfig}. */
export type ResolvedSelectivePredictionConfig = Required<SelectivePredictionConfig>;

/** Defaults of {@link selectivePrediction}: 0 % to 95 % in steps of 5 %. */
export const SELECTIVE_PREDICTION_DEFAULTS: Readonly<ResolvedSelectivePredictionConfig> = Object.freeze({
  rejectionRates: Object.freeze(Array.from({ length: 20 }, (_, k) => k / 20)),
});

/** One point of the selective-prediction curve. */
export interface SelectivePredictionPoint {
  /** Requested fraction of rejected samples. */
  rejectionRate: number;
  /** Samples rejected: `floor(rejectionRate · n)`. */
  rejected: number;
  /** Samples kept: `n − rejected`. */
  kept: number;
  /** `kept / n`. */
  coverage: number;
  /** Accuracy of the kept samples. */
  accuracy: number;
  /** Largest uncertainty among the kept samples. */
  threshold: number;
}

/** Result of {@link selectivePrediction}. */
export interface SelectivePredictionCurve {
  /** Number of samples. */
  n: number;
  /** One point per rejection rate, in the order requested. */
  points: SelectivePredictionPoint[];
}

/** One point of the risk–coverage curve: keep every sample with uncertainty ≤ `threshold`. */
export interface RiskCoveragePoint {
  /** Fraction of samples kept. */
  coverage: number;
  /** Error rate of the kept samples. */
  risk: number;
  /** Uncertainty of the least certain kept sample. */
  threshold: number;
  /** Samples kept. */
  kept: number;
}

/** Area under the risk–coverage curve. */
export interface AurcResult {
  /** AURC: mean over k = 1…n of the risk of the k most certain samples (lower is better). */
  aurc: number;
  /** AURC of an oracle that ranks every correct sample before every wrong one. */
  optimalAurc: number;
  /** Excess AURC: `aurc − optimalAurc` (0 for a perfect ranking). */
  eAurc: number;
}

/** Result of {@link riskCoverageCurve}. */
export interface RiskCoverageCurve extends AurcResult {
  /** Number of samples. */
  n: number;
  /** One point per distinct uncertainty value, by increasing coverage; the last has coverage 1. */
  points: RiskCoveragePoint[];
}

/** A rejection rule `reject when uncertainty > threshold` and how it performs. */
export interface RejectionThreshold {
  /** Reject samples whose uncertainty is strictly greater; `-Infinity` when the target cannot be reached. */
  threshold: number;
  /** Requested accuracy. */
  targetAccuracy: number;
  /** Whether some threshold reaches the target accuracy. */
  attained: boolean;
  /** Accuracy of the kept samples (NaN when none are kept). */
  accuracy: number;
  /** Fraction of samples kept. */
  coverage: number;
  /** Samples kept. */
  kept: number;
  /** With {@link fitRejectionThreshold}: how sure the fit is that the kept samples reach the target. */
  confidence?: number;
}

/** Options of {@link fitRejectionThreshold}. */
export interface FitRejectionOptions {
  /**
   * How sure the fit must be that the kept samples' true accuracy reaches the target: a rule counts only when
   * its validation hits make an accuracy below the target unlikely (one-sided exact binomial test at level
   * 1 − confidence, i.e. the Clopper–Pearson lower bound reaches the target). Without it a rule that keeps a
   * single right sample "reaches" 99 %. 0 takes the validation accuracy at face value.
   * @defaultValue 0.95
   */
  confidence?: number;
}

/** Performance of a rejection rule on a set of samples. */
export interface RejectionEvaluation {
  /** Accuracy of the kept samples (NaN when none are kept). */
  accuracy: number;
  /** Fraction kept. */
  coverage: number;
  /** Samples kept. */
  kept: number;
  /** Samples rejected. */
  rejected: number;
}

interface Sorted {
  n: number;
  order: Int32Array;
  u: ArrayLike<number>;
  correct: Uint8Array;
}

function sortByUncertainty(uncertainty: ArrayLike<number>, correct: ArrayLike<number | boolean>): Sorted {
  const n = assertFiniteArray('uncertainty', uncertainty);
  const flags = toBinary('correct', correct, n);
  // Most certain first; equal uncertainties keep index order (so later indices are rejected first).
  const order = Int32Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => uncertainty[a] - uncertainty[b] || a - b,
  );
  return { n, order, u: uncertainty, correct: flags };
}

/** Groups of equal uncertainty in sorted order: [start, end) index ranges and their correct counts. */
function tieGroups({ n, order, u, correct }: Sorted): { end: number; correct: number; value: number }[] {
  const groups: { end: number; correct: number; value: number }[] = [];
  for (let start = 0; start < n; ) {
    let end = start;
    let hits = 0;
    while (end < n && u[order[end]] === u[order[start]]) hits += correct[order[end++]];
    groups.push({ end, correct: hits, value: u[order[start]] });
    start = end;
  }
  return groups;
}

/**
 * Accuracy after rejecting the most uncertain samples, at each rejection rate.
 *
 * Samples are ranked by uncertainty; the `floor(rate · n)` most uncertain are rejected (so coverage is
 * never below `1 − rate`). Ties are broken deterministically: among equal uncertainties the sample with
 * the higher index is rejected first.
 *
 * @param uncertainty - one finite value per sample; larger means less certain.
 * @param correct - one 0/1 (or boolean) flag per sample: was the prediction right?
 * @example
 * ```ts
 * const curve = selectivePrediction([0.1, 0.9, 0.2, 0.8], [1, 0, 1, 1], { rejectionRates: [0, 0.25, 0.5] });
 * curve.points.map((p) => p.accuracy); // [0.75, 1, 1]
 * ```
 */
export function selectivePrediction(
  uncertainty: ArrayLike<number>,
  correct: ArrayLike<number | boolean>,
  config: SelectivePredictionConfig = {},
): SelectivePredictionCurve {
  const rates = config.rejectionRates ?? SELECTIVE_PREDICTION_DEFAULTS.rejectionRates;
  if (!Array.isArray(rates) || rates.length === 0) {
    throw new TypeError(
      `rejectionRates must be a non-empty array of numbers in [0, 1), got ${quote(rates)}.`,
    );
  }
  rates.forEach((rate, i) => {
    assertUnit(`rejectionRates[${i}]`, rate, { open: true });
  });
  const sorted = sortByUncertainty(uncertainty, correct);
  const { n, order } = sorted;
  const prefix = new Int32Array(n + 1);
  for (let j = 0; j < n; j++) prefix[j + 1] = prefix[j] + sorted.correct[order[j]];
  const points = rates.map((rejectionRate) => {
    const rejected = Math.floor(rejectionRate * n + 1e-9);
    const kept = n - rejected;
    return {
      rejectionRate,
      rejected,
      kept,
      coverage: kept / n,
      accuracy: prefix[kept] / kept,
      threshold: sorted.u[order[kept - 1]],
    };
  });
  return { n, points };
}

/**
 * Risk–coverage curve and its area (AURC, E-AURC).
 *
 * The curve has one point per distinct uncertainty value (a threshold rule cannot split ties). AURC is the
 * mean over k = 1…n of the error rate of the k most certain samples; inside a group of tied uncertainties
 * the errors are spread evenly, i.e. the expected value over all orders of the tied samples, so the result
 * does not depend on sample order. E-AURC subtracts the AURC of the oracle ranking.
 *
 * @param uncertainty - one finite value per sample; larger means less certain.
 * @param correct - one 0/1 (or boolean) flag per sample.
 * @example
 * ```ts
 * const rc = riskCoverageCurve([0.1, 0.2, 0.3, 0.4], [1, 0, 1, 0]);
 * rc.aurc;  // (0 + 1/2 + 1/3 + 1/2) / 4 = 0.3333
 * rc.eAurc; // 0.3333 − (1/3 + 1/2) / 4 = 0.125
 * ```
 */
export function riskCoverageCurve(
  uncertainty: ArrayLike<number>,
  correct: ArrayLike<number | boolean>,
): RiskCoverageCurve {
  const sorted = sortByUncertainty(uncertainty, correct);
  const { n } = sorted;
  const points: RiskCoveragePoint[] = [];
  let area = 0;
  let start = 0;
  let errorsBefore = 0;
  for (const group of tieGroups(sorted)) {
    const size = group.end - start;
    const groupErrors = size - group.correct;
    for (let k = start + 1; k <= group.end; k++) {
      area += (errorsBefore + ((k - start) * groupErrors) / size) / k;
    }
    errorsBefore += groupErrors;
    points.push({
      coverage: group.end / n,
      risk: errorsBefore / group.end,
      threshold: group.value,
      kept: group.end,
    });
    start = group.end;
  }
  const totalCorrect = n - errorsBefore;
  let optimal = 0;
  for (let k = totalCorrect + 1; k <= n; k++) optimal += (k - totalCorrect) / k;
  const aurc = area / n;
  const optimalAurc = optimal / n;
  return { n, points, aurc, optimalAurc, eAurc: Math.max(0, aurc - optimalAurc) };
}

/**
 * AURC and E-AURC only (see {@link riskCoverageCurve}).
 */
export function aurc(uncertainty: ArrayLike<number>, correct: ArrayLike<number | boolean>): AurcResult {
  const { aurc: area, optimalAurc, eAurc } = riskCoverageCurve(uncertainty, correct);
  return { aurc: area, optimalAurc, eAurc };
}

/**
 * The largest coverage whose kept samples reach `targetAccuracy`, over all rules
 * `keep when uncertainty ≤ threshold` (thresholds at the samples' own uncertainty values).
 *
 * @param targetAccuracy - in (0, 1].
 * @returns the threshold and the accuracy/coverage it reaches; `attained: false` (threshold −Infinity,
 *   coverage 0, accuracy NaN) when even the single most certain group misses the target.
 * @example
 * ```ts
 * coverageAtAccuracy([0.1, 0.2, 0.3, 0.4, 0.5], [1, 1, 0, 1, 0], 0.75);
 * // { threshold: 0.4, accuracy: 0.75, coverage: 0.8, kept: 4, attained: true, targetAccuracy: 0.75 }
 * ```
 */
export function coverageAtAccuracy(
  uncertainty: ArrayLike<number>,
  correct: ArrayLike<number | boolean>,
  targetAccuracy: number,
): RejectionThreshold {
  return largestCoverage(uncertainty, correct, targetAccuracy, () => true);
}

/**
 * The largest coverage whose kept samples reach `targetAccuracy` and pass `accept(hits, kept)`, over all rules
 * `keep when uncertainty ≤ threshold`.
 */
function largestCoverage(
  uncertainty: ArrayLike<number>,
  correct: ArrayLike<number | boolean>,
  targetAccuracy: number,
  accept: (hits: number, kept: number) => boolean,
): RejectionThreshold {
  if (typeof targetAccuracy !== 'number' || !(targetAccuracy > 0 && targetAccuracy <= 1)) {
    throw new RangeError(`targetAccuracy must be a number in (0, 1], got ${quote(targetAccuracy)}.`);
  }
  const sorted = sortByUncertainty(uncertainty, correct);
  let best: RejectionThreshold = {
    threshold: Number.NEGATIVE_INFINITY,
    targetAccuracy,
    attained: false,
    accuracy: Number.NaN,
    coverage: 0,
    kept: 0,
  };
  let hits = 0;
  for (const group of tieGroups(sorted)) {
    hits += group.correct;
    const accuracy = hits / group.end;
    if (accuracy >= targetAccuracy - 1e-12 && accept(hits, group.end)) {
      best = {
        threshold: group.value,
        targetAccuracy,
        attained: true,
        accuracy,
        coverage: group.end / sorted.n,
        kept: group.end,
      };
    }
  }
  return best;
}

/**
 * Chooses a rejection threshold on the validation split: the rule with the largest validation coverage whose
 * validation accuracy reaches `targetAccuracy` with the given confidence (see {@link FitRejectionOptions}), so a
 * handful of lucky validation samples does not make a threshold. Apply it to test data with
 * {@link evaluateRejection} / {@link applyRejectionThreshold}.
 *
 * @param valUncertainty - validation uncertainties.
 * @param valCorrect - validation correctness flags.
 * @param targetAccuracy - in (0, 1].
 * @example
 * ```ts
 * const rule = fitRejectionThreshold(valU, valCorrect, 0.95); // rule.attained: false when no rule is sure enough
 * const test = evaluateRejection(testU, testCorrect, rule.threshold); // { accuracy, coverage, … }
 * ```
 */
export function fitRejectionThreshold(
  valUncertainty: ArrayLike<number>,
  valCorrect: ArrayLike<number | boolean>,
  targetAccuracy: number,
  options: FitRejectionOptions = {},
): RejectionThreshold {
  const confidence = checkConfidence(options.confidence);
  const logFactorial = logFactorials(valUncertainty.length); // once per fit, not once per candidate rule
  const rule = largestCoverage(
    valUncertainty,
    valCorrect,
    targetAccuracy,
    (hits, kept) =>
      confidence === 0 || binomialTailAtLeast(hits, kept, targetAccuracy, logFactorial) <= 1 - confidence,
  );
  return { ...rule, confidence };
}

/** The highest target accuracy some rejection rule supports, and the rule that supports it. */
export interface SupportedAccuracy {
  /**
   * The largest target `fitRejectionThreshold` can reach at this confidence: the best one-sided Clopper–Pearson
   * lower bound of the kept samples' accuracy over all rules (0 when no rule keeps a right sample).
   */
  accuracy: number;
  /** Threshold of that rule (`-Infinity` when `accuracy` is 0). */
  threshold: number;
  /** Fraction of samples that rule keeps. */
  coverage: number;
  /** The confidence of the bound. */
  confidence: number;
}

/**
 * How high a target accuracy the validation results can back: for every rule `keep when uncertainty ≤
 * threshold`, the lower confidence bound of its accuracy, maximised over rules. Any target at or below it gets a
 * threshold from {@link fitRejectionThreshold} with the same confidence; any target above it does not. Use it
 * to tell a user which `--target-acc` a weak model can serve.
 *
 * @example
 * ```ts
 * highestSupportedAccuracy(valU, valCorrect).accuracy; // e.g. 0.63 for a 52 %-accurate model
 * ```
 */
export function highestSupportedAccuracy(
  valUncertainty: ArrayLike<number>,
  valCorrect: ArrayLike<number | boolean>,
  options: FitRejectionOptions = {},
): SupportedAccuracy {
  const confidence = checkConfidence(options.confidence);
  const sorted = sortByUncertainty(valUncertainty, valCorrect);
  const logFactorial = logFactorials(sorted.n);
  let best: SupportedAccuracy = { accuracy: 0, threshold: Number.NEGATIVE_INFINITY, coverage: 0, confidence };
  let hits = 0;
  for (const group of tieGroups(sorted)) {
    hits += group.correct;
    if (hits / group.end < best.accuracy) continue; // the bound never exceeds the accuracy itself
    const bound = accuracyLowerBound(hits, group.end, confidence, logFactorial);
    // Ties go to the larger coverage, as fitRejectionThreshold prefers it.
    if (bound > 0 && bound >= best.accuracy) {
      best = { accuracy: bound, threshold: group.value, coverage: group.end / sorted.n, confidence };
    }
  }
  return best;
}

/**
 * The largest p the test of {@link fitRejectionThreshold} accepts for k hits in n: P(X ≥ k | p) ≤ 1 − confidence
 * (the tail grows with p), found by bisection to 1e-12. With confidence 0 it is k / n.
 */
function accuracyLowerBound(k: number, n: number, confidence: number, logFactorial: Float64Array): number {
  if (k === 0) return 0;
  if (confidence === 0) return k / n;
  let [lo, hi] = [0, k / n];
  while (hi - lo > 1e-12) {
    const mid = (lo + hi) / 2;
    if (binomialTailAtLeast(k, n, mid, logFactorial) <= 1 - confidence) lo = mid;
    else hi = mid;
  }
  return lo;
}

function checkConfidence(value: unknown): number {
  const confidence = value ?? 0.95;
  if (typeof confidence !== 'number' || !(confidence >= 0 && confidence < 1)) {
    throw new RangeError(`confidence must be a number in [0, 1), got ${quote(confidence)}.`);
  }
  return confidence;
}

/** log(i!) for i = 0 … n. */
function logFactorials(n: number): Float64Array {
  const table = new Float64Array(n + 1);
  for (let i = 2; i <= n; i++) table[i] = table[i - 1] + Math.log(i);
  return table;
}

/**
 * P(X ≥ k) for X ~ Binomial(n, p): how likely k or more hits in n are when the true accuracy is only p.
 * Summed in log space (log-factorials, `logFactorial` covering at least 0 … n), so large n neither overflows
 * nor underflows.
 */
export function binomialTailAtLeast(
  k: number,
  n: number,
  p: number,
  logFactorial: Float64Array = logFactorials(n),
): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p >= 1) return 1;
  if (p <= 0) return 0;
  const [logP, logQ] = [Math.log(p), Math.log1p(-p)];
  const logTerm = (i: number) =>
    logFactorial[n] - logFactorial[i] - logFactorial[n - i] + i * logP + (n - i) * logQ;
  let top = Number.NEGATIVE_INFINITY;
  for (let i = k; i <= n; i++) top = Math.max(top, logTerm(i));
  let sum = 0;
  for (let i = k; i <= n; i++) sum += Math.exp(logTerm(i) - top);
  return Math.min(1, Math.exp(top) * sum);
}

function checkThreshold(threshold: unknown): number {
  if (typeof threshold !== 'number' || Number.isNaN(threshold)) {
    throw new RangeError(`threshold must be a number (±Infinity allowed), got ${quote(threshold)}.`);
  }
  return threshold;
}

/**
 * Which samples a rejection rule keeps.
 * @returns `Uint8Array`, 1 where `uncertainty ≤ threshold` (kept), 0 where rejected.
 */
export function applyRejectionThreshold(uncertainty: ArrayLike<number>, threshold: number): Uint8Array {
  const n = assertFiniteArray('uncertainty', uncertainty);
  checkThreshold(threshold);
  return Uint8Array.from({ length: n }, (_, i) => (uncertainty[i] <= threshold ? 1 : 0));
}

/**
 * Accuracy and coverage of the rule `keep when uncertainty ≤ threshold`.
 */
export function evaluateRejection(
  uncertainty: ArrayLike<number>,
  correct: ArrayLike<number | boolean>,
  threshold: number,
): RejectionEvaluation {
  const kept = applyRejectionThreshold(uncertainty, threshold);
  const flags = toBinary('correct', correct, kept.length);
  let keptCount = 0;
  let hits = 0;
  for (let i = 0; i < kept.length; i++) {
    if (kept[i]) {
      keptCount++;
      hits += flags[i];
    }
  }
  return {
    accuracy: keptCount > 0 ? hits / keptCount : Number.NaN,
    coverage: keptCount / kept.length,
    kept: keptCount,
    rejected: kept.length - keptCount,
  };
}

/**
 * Where one sample sits on a selective-prediction curve: the fraction of reference samples that are more
 * uncertain than `value`. The sample is rejected once the rejection rate exceeds this fraction — use it as
 * the marker position of `selectivePredictionSvg`.
 * @param referenceUncertainty - uncertainties of the reference set (e.g. validation).
 * @param value - the sample's uncertainty.
 */
export function rejectionRateAt(referenceUncertainty: ArrayLike<number>, value: number): number {
  const n = assertFiniteArray('referenceUncertainty', referenceUncertainty);
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new RangeError(`value must be a finite number, got ${quote(value)}.`);
  }
  let above = 0;
  for (let i = 0; i < n; i++) if (referenceUncertainty[i] > value) above++;
  return above / n;
}
