/**
 * @file Binary ROC AUC with tied scores handled like scikit-learn's `roc_auc_score`.
 */
import { assertFiniteArray, toBinary } from './checks';

/**
 * Area under the ROC curve of a binary problem.
 *
 * Equal to the Mann–Whitney U statistic with average ranks for tied scores, which is what scikit-learn's
 * `roc_auc_score` (trapezoidal area over tied thresholds) returns: a positive/negative pair with equal
 * scores counts one half.
 *
 * @param yTrue - 0/1 (or boolean) ground truth, one per sample.
 * @param yScore - score of the positive class, one per sample; higher means "more positive".
 * @throws RangeError on empty input, length mismatch, non-binary labels, NaN/±Infinity scores, or when
 *   `yTrue` has only one class (the AUC is undefined then).
 * @example
 * ```ts
 * rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]); // 0.75
 * rocAuc([0, 1, 0, 1], [0.5, 0.5, 0.2, 0.9]);  // 0.875 (the tie counts one half)
 * ```
 */
export function rocAuc(yTrue: ArrayLike<number | boolean>, yScore: ArrayLike<number>): number {
  const n = assertFiniteArray('yScore', yScore);
  const labels = toBinary('yTrue', yTrue, n);
  return rocAucUnchecked(labels, yScore);
}

/** `rocAuc` without argument checks (inputs already validated). */
export function rocAucUnchecked(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const n = labels.length;
  let positives = 0;
  for (let i = 0; i < n; i++) positives += labels[i];
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) {
    throw new RangeError(
      `ROC AUC is undefined when yTrue contains only one class (all ${positives === 0 ? 0 : 1}, n = ${n}). ` +
        'Fix: evaluate on a split that contains both classes (for one-vs-rest AUC: every class must appear).',
    );
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let positiveRankSum = 0;
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && scores[order[end]] === scores[order[start]]) end++;
    // Ranks start + 1 … end share their average.
    const averageRank = (start + 1 + end) / 2;
    for (let j = start; j < end; j++) if (labels[order[j]] === 1) positiveRankSum += averageRank;
    start = end;
  }
  return (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}
