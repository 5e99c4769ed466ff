/**
 * @file ACC and AUC computed as the official MedMNIST evaluator (`medmnist/evaluator.py`, `getAUC`/`getACC`).
 *
 * - `binary-class`: AUC and ACC use the last score column (the positive class); ACC predicts positive when
 *   that score is strictly greater than the threshold (0.5).
 * - `multi-class` and `ordinal-regression`: AUC is the one-vs-rest AUC of every class column, averaged
 *   (macro); ACC is the accuracy of the argmax (first index on ties).
 * - `multi-label, binary-class`: AUC and ACC are computed per label column and averaged; a label is
 *   predicted positive when its score is ≥ the threshold.
 */
import { assertArrayLike, assertInteger, assertMatrix, quote, toBinary, toLabels } from './checks';
import { rocAucUnchecked } from './roc-auc';

/** The MedMNIST task types, spelled as in the dataset's `INFO[...].task`. */
export const MEDMNIST_TASKS = Object.freeze([
  'binary-class',
  'multi-class',
  'ordinal-regression',
  'multi-label, binary-class',
] as const);

/** A MedMNIST task type. */
export type MedmnistTask = (typeof MEDMNIST_TASKS)[number];

/** ACC and AUC of one evaluation. */
export interface MedmnistScores {
  /** Accuracy in [0, 1]. */
  acc: number;
  /** ROC AUC in [0, 1]. */
  auc: number;
}

function assertTask(task: unknown): asserts task is MedmnistTask {
  if (!(MEDMNIST_TASKS as readonly unknown[]).includes(task)) {
    throw new RangeError(
      `Unknown MedMNIST task ${quote(task)}. Should be one of: ${MEDMNIST_TASKS.map((t) => `'${t}'`).join(', ')}.`,
    );
  }
}

function column(scores: ArrayLike<number>, n: number, numClasses: number, k: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = scores[i * numClasses + k];
  return out;
}

function oneVsRest(labels: Int32Array, k: number): Uint8Array {
  return Uint8Array.from(labels, (label) => (label === k ? 1 : 0));
}

function prepare(yTrue: unknown, yScore: unknown, task: unknown, numClasses: number) {
  assertTask(task);
  const n = assertMatrix('yScore', yScore, numClasses);
  const scores = yScore as ArrayLike<number>;
  assertArrayLike('yTrue', yTrue);
  if (task === 'multi-label, binary-class') {
    const flags = toBinary('yTrue', yTrue);
    if (flags.length !== n * numClasses) {
      throw new RangeError(
        `For multi-label tasks yTrue must have shape [n, numClasses] = [${n}, ${numClasses}] ` +
          `(${n * numClasses} values), got ${flags.length}.`,
      );
    }
    return { task, n, scores, labels: null, flags };
  }
  if (task === 'binary-class') {
    return { task, n, scores, labels: toLabels('yTrue', yTrue, 2, n), flags: null };
  }
  assertInteger(`numClasses for task '${task}'`, numClasses, 2);
  return { task, n, scores, labels: toLabels('yTrue', yTrue, numClasses, n), flags: null };
}

/**
 * ROC AUC as MedMNIST's `getAUC(y_true, y_score, task)`.
 *
 * @param yTrue - labels: `n` class indices, or for multi-label tasks an `[n, numClasses]` 0/1 matrix.
 * @param yScore - scores `[n, numClasses]`, row-major; higher means "more likely this class".
 * @param task - one of {@link MEDMNIST_TASKS}.
 * @param numClasses - number of score columns (binary tasks may pass 1 or 2; the last column is used).
 * @throws RangeError on bad shapes, NaN, unknown tasks, or a class/label column with only one class in yTrue.
 * @example
 * ```ts
 * getAUC([0, 1, 2, 2], [0.8, 0.1, 0.1, 0.2, 0.7, 0.1, 0.1, 0.3, 0.6, 0.3, 0.3, 0.4], 'multi-class', 3); // 1
 * ```
 */
export function getAUC(
  yTrue: ArrayLike<number | boolean>,
  yScore: ArrayLike<number>,
  task: MedmnistTask,
  numClasses: number,
): number {
  const p = prepare(yTrue, yScore, task, numClasses);
  if (p.task === 'binary-class') {
    return rocAucUnchecked(p.labels as Int32Array, column(p.scores, p.n, numClasses, numClasses - 1));
  }
  let sum = 0;
  for (let k = 0; k < numClasses; k++) {
    const truth = p.flags ? column(p.flags, p.n, numClasses, k) : oneVsRest(p.labels as Int32Array, k);
    try {
      sum += rocAucUnchecked(truth, column(p.scores, p.n, numClasses, k));
    } catch (error) {
      throw new RangeError(
        `AUC of ${p.flags ? 'label' : 'class'} ${k} is undefined: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }
  return sum / numClasses;
}

/**
 * Accuracy as MedMNIST's `getACC(y_true, y_score, task, threshold)`.
 *
 * @param yTrue - labels: `n` class indices, or for multi-label tasks an `[n, numClasses]` 0/1 matrix.
 * @param yScore - scores `[n, numClasses]`, row-major.
 * @param task - one of {@link MEDMNIST_TASKS}.
 * @param numClasses - number of score columns.
 * @param threshold - decision threshold of binary and multi-label tasks.
 *   Binary: positive when the last column is `> threshold`; multi-label: positive when `>= threshold`.
 * @example
 * ```ts
 * getACC([0, 1], [0.7, 0.3, 0.4, 0.6], 'binary-class', 2); // 1
 * ```
 */
export function getACC(
  yTrue: ArrayLike<number | boolean>,
  yScore: ArrayLike<number>,
  task: MedmnistTask,
  numClasses: number,
  threshold = 0.5,
): number {
  if (typeof threshold !== 'number' || Number.isNaN(threshold)) {
    throw new RangeError(`threshold must be a number, got ${quote(threshold)}.`);
  }
  const p = prepare(yTrue, yScore, task, numClasses);
  const { n, scores } = p;
  if (p.flags) {
    let correct = 0;
    for (let i = 0; i < n * numClasses; i++)
      correct += (scores[i] < threshold ? 0 : 1) === p.flags[i] ? 1 : 0;
    return correct / (n * numClasses);
  }
  const labels = p.labels as Int32Array;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    let predicted: number;
    if (p.task === 'binary-class') {
      predicted = scores[i * numClasses + numClasses - 1] > threshold ? 1 : 0;
    } else {
      predicted = 0;
      for (let k = 1; k < numClasses; k++) {
        if (scores[i * numClasses + k] > scores[i * numClasses + predicted]) predicted = k;
      }
    }
    if (predicted === labels[i]) correct++;
  }
  return correct / n;
}

/**
 * Both MedMNIST metrics at once.
 * @returns `{ acc, auc }`.
 */
export function evaluateMedmnist(
  yTrue: ArrayLike<number | boolean>,
  yScore: ArrayLike<number>,
  task: MedmnistTask,
  numClasses: number,
  threshold = 0.5,
): MedmnistScores {
  return {
    acc: getACC(yTrue, yScore, task, numClasses, threshold),
    auc: getAUC(yTrue, yScore, task, numClasses),
  };
}
