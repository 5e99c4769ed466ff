/**
 * @file Per-class results of a classifier: the confusion matrix, each class's recall (sensitivity) and the
 * balanced accuracy (mean recall over the classes present). On imbalanced medical datasets these show what
 * overall accuracy hides, e.g. a model that never predicts a rare grade.
 */
import { assertInteger, toLabels } from './checks';

/** Per-class results of one evaluation. */
export interface PerClassReport {
  /** `confusion[truth][predicted]`: how many images of class `truth` were predicted as `predicted`. */
  confusion: number[][];
  /** Images per true class (the confusion matrix's row sums). */
  support: number[];
  /** Recall of each class (right / support); `null` for a class with no images. */
  recall: (number | null)[];
  /** Mean recall over the classes that have images. */
  balancedAccuracy: number;
}

/**
 * Confusion matrix, per-class recall and balanced accuracy of predicted labels.
 *
 * @param labels - true class indices, one per image.
 * @param predictions - predicted class indices, one per image.
 * @param numClasses - number of classes.
 * @throws RangeError on empty or mismatched inputs, or labels outside [0, numClasses).
 *
 * @example
 * ```ts
 * const { confusion, recall, balancedAccuracy } = perClassReport([0, 0, 1, 2], [0, 2, 1, 2], 3);
 * // confusion = [[1, 0, 1], [0, 1, 0], [0, 0, 1]]; recall = [0.5, 1, 1]; balancedAccuracy ≈ 0.833
 * ```
 */
export function perClassReport(
  labels: ArrayLike<number>,
  predictions: ArrayLike<number>,
  numClasses: number,
): PerClassReport {
  assertInteger('numClasses', numClasses, 1);
  const truth = toLabels('labels', labels, numClasses);
  const predicted = toLabels('predictions', predictions, numClasses, truth.length);
  const confusion = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < truth.length; i++) confusion[truth[i]][predicted[i]] += 1;
  const support = confusion.map((row) => row.reduce((a, b) => a + b, 0));
  const recall = confusion.map((row, k) => (support[k] > 0 ? row[k] / support[k] : null));
  const present = recall.filter((r): r is number => r !== null);
  return {
    confusion,
    support,
    recall,
    balancedAccuracy: present.reduce((a, b) => a + b, 0) / present.length,
  };
}
