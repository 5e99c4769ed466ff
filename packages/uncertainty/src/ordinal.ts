/**
 * @file Results of a classifier on ordered classes (disease grades, e.g. RetinaMNIST's diabetic-retinopathy
 * grades 0–4), where calling grade 3 "grade 2" is a smaller error than calling it "grade 0". Plain accuracy
 * counts both the same; the quadratic weighted kappa (the usual score of retinopathy grading) and the mean
 * absolute grade error do not.
 */
import { perClassReport } from './per-class';

/** Ordinal results of one evaluation. */
export interface OrdinalReport {
  /** Mean of |predicted grade − true grade|, in grades. */
  meanAbsoluteError: number;
  /** Share of images whose predicted grade is at most one grade from the true one. */
  withinOneAccuracy: number;
  /**
   * Cohen's kappa with quadratic weights (i − j)²: 1 is perfect agreement, 0 is what predictions drawn
   * independently of the truth with the same class frequencies would get. `null` when undefined (truth and
   * predictions are all one and the same grade).
   */
  quadraticWeightedKappa: number | null;
}

/**
 * Mean absolute grade error, within-one-grade accuracy and quadratic weighted kappa of predicted grades.
 * Class indices are taken as the grades (class k is grade k).
 *
 * @param labels - true class indices, one per image.
 * @param predictions - predicted class indices, one per image.
 * @param numClasses - number of grades.
 * @throws RangeError on empty or mismatched inputs, or labels outside [0, numClasses).
 *
 * @example
 * ```ts
 * const { meanAbsoluteError, withinOneAccuracy, quadraticWeightedKappa } = ordinalReport([0, 0, 1, 2, 2], [0, 1, 1, 0, 2], 3);
 * // meanAbsoluteError = 0.6; withinOneAccuracy = 0.8; quadraticWeightedKappa = 2 / 7
 * ```
 */
export function ordinalReport(
  labels: ArrayLike<number>,
  predictions: ArrayLike<number>,
  numClasses: number,
): OrdinalReport {
  const { confusion, support } = perClassReport(labels, predictions, numClasses);
  const predictedCounts = confusion[0].map((_, j) => confusion.reduce((sum, row) => sum + row[j], 0));
  const n = support.reduce((a, b) => a + b, 0);
  let absoluteError = 0;
  let withinOne = 0;
  let observed = 0; // Σ w_ij · O_ij
  let expected = 0; // Σ w_ij · E_ij, E = outer(support, predictedCounts) / n: same marginals, independent
  for (let i = 0; i < numClasses; i++) {
    for (let j = 0; j < numClasses; j++) {
      const distance = Math.abs(i - j);
      absoluteError += distance * confusion[i][j];
      if (distance <= 1) withinOne += confusion[i][j];
      observed += distance * distance * confusion[i][j];
      expected += (distance * distance * support[i] * predictedCounts[j]) / n;
    }
  }
  return {
    meanAbsoluteError: absoluteError / n,
    withinOneAccuracy: withinOne / n,
    quadraticWeightedKappa: expected > 0 ? 1 - observed / expected : null,
  };
}
