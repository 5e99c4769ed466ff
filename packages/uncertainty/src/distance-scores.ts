/**
 * @file From per-class mask distances to scores, probabilities, uncertainty and the official AUC.
 *
 * MedSymmFlow classifies by the argmin of the distances between the predicted mask and each class's mask.
 * The official implementation computes its AUC as the mean over classes of
 * `roc_auc_score(gt != i, distances[:, i])` — the distance itself scores "not class i". That is the same
 * number as the one-vs-rest AUC of class i scored by the *negative* distance, which is what
 * {@link scoresFromDistances} returns by default and {@link distanceAuc} averages.
 */
import { assertArrayLike, assertMatrix, quote, toLabels } from './checks';
import { rocAucUnchecked } from './roc-auc';

/** How {@link scoresFromDistances} turns distances into scores. */
export type DistanceScoreMethod = 'negative' | 'softmax';

/** Options of {@link scoresFromDistances}. */
export interface DistanceScoresConfig {
  /**
   * `'negative'`: score = −distance (the official MedSymmFlow AUC scores; any per-column decreasing map of
   * the distance gives the same AUC). `'softmax'`: softmax(−distance / temperature), probabilities that sum
   * to one — use these with MedMNIST's `getACC` on binary tasks, whose 0.5 threshold needs probabilities.
   * @defaultValue 'negative'
   */
  method?: DistanceScoreMethod;
  /**
   * Softmax temperature (`'softmax'` only); fit one with `fitTemperature`.
   * @defaultValue 1
   */
  temperature?: number;
}

/** Resolved {@link DistanceScoresConfig}. */
export type ResolvedDistanceScoresConfig = Required<DistanceScoresConfig>;

/** Defaults of {@link scoresFromDistances}. */
export const DISTANCE_SCORES_DEFAULTS: Readonly<ResolvedDistanceScoresConfig> = Object.freeze({
  method: 'negative',
  temperature: 1,
});

function checkTemperature(temperature: unknown): number {
  if (typeof temperature !== 'number' || !Number.isFinite(temperature) || temperature <= 0) {
    throw new RangeError(`temperature must be a finite number > 0, got ${quote(temperature)}.`);
  }
  return temperature;
}

/**
 * Softmax of negative distances over temperature: `p_k = exp(−d_k / T) / Σ_j exp(−d_j / T)`, computed
 * stably (shifted by the row minimum).
 * @param distances - `[n, numClasses]` row-major.
 * @returns `Float64Array` `[n, numClasses]` of class probabilities; the largest is the argmin class.
 * @example
 * ```ts
 * distanceProbabilities([0, Math.log(3)], 2); // Float64Array [0.75, 0.25]
 * ```
 */
export function distanceProbabilities(
  distances: ArrayLike<number>,
  numClasses: number,
  temperature = 1,
): Float64Array {
  const n = assertMatrix('distances', distances, numClasses);
  return softmaxUnchecked(distances, n, numClasses, checkTemperature(temperature));
}

/** Row-wise softmax of −d/T without checks. */
export function softmaxUnchecked(
  distances: ArrayLike<number>,
  n: number,
  numClasses: number,
  temperature: number,
): Float64Array {
  const out = new Float64Array(n * numClasses);
  for (let i = 0; i < n; i++) {
    const row = i * numClasses;
    let min = distances[row];
    for (let k = 1; k < numClasses; k++) min = Math.min(min, distances[row + k]);
    let sum = 0;
    for (let k = 0; k < numClasses; k++) {
      const e = Math.exp(-(distances[row + k] - min) / temperature);
      out[row + k] = e;
      sum += e;
    }
    for (let k = 0; k < numClasses; k++) out[row + k] /= sum;
  }
  return out;
}

/**
 * Class scores from distances, for `getAUC`/`getACC` (higher = more likely the class).
 * @param distances - `[n, numClasses]` row-major, e.g. `plugin.distances(...)` from
 *   `@medsymmflow/conditioning-masks`.
 * @returns `Float64Array` `[n, numClasses]`.
 * @example
 * ```ts
 * scoresFromDistances([0.2, 0.9], 2);                         // Float64Array [-0.2, -0.9]
 * scoresFromDistances([0.2, 0.9], 2, { method: 'softmax' });  // ≈ [0.668, 0.332]
 * ```
 */
export function scoresFromDistances(
  distances: ArrayLike<number>,
  numClasses: number,
  config: DistanceScoresConfig = {},
): Float64Array {
  const n = assertMatrix('distances', distances, numClasses);
  const method = config.method ?? DISTANCE_SCORES_DEFAULTS.method;
  const temperature = checkTemperature(config.temperature ?? DISTANCE_SCORES_DEFAULTS.temperature);
  if (method === 'negative') return Float64Array.from({ length: n * numClasses }, (_, i) => -distances[i]);
  if (method === 'softmax') return softmaxUnchecked(distances, n, numClasses, temperature);
  throw new RangeError(`Unknown score method ${quote(method)}. Should be one of: 'negative', 'softmax'.`);
}

/**
 * The MedSymmFlow uncertainty proxy: the distance to the predicted (nearest) class, one per row.
 * Larger means less certain.
 * @returns `Float64Array` of `n` values.
 * @example
 * ```ts
 * distanceUncertainty([0.2, 0.9, 0.5, 0.4], 2); // Float64Array [0.2, 0.4]
 * ```
 */
export function distanceUncertainty(distances: ArrayLike<number>, numClasses: number): Float64Array {
  const n = assertMatrix('distances', distances, numClasses);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let min = distances[i * numClasses];
    for (let k = 1; k < numClasses; k++) min = Math.min(min, distances[i * numClasses + k]);
    out[i] = min;
  }
  return out;
}

/**
 * The AUC as the official MedSymmFlow code reports it: the one-vs-rest AUC of every class, scored by the
 * negative distance, averaged over all classes (also for binary tasks, where MedMNIST's `getAUC` would use
 * the positive column only).
 * @param labels - `n` class indices.
 * @param distances - `[n, numClasses]` row-major.
 * @throws RangeError when a class never (or always) occurs in `labels`.
 */
export function distanceAuc(
  labels: ArrayLike<number>,
  distances: ArrayLike<number>,
  numClasses: number,
): number {
  const n = assertMatrix('distances', distances, numClasses);
  const truth = toLabels('labels', labels, numClasses, n);
  let sum = 0;
  const scores = new Float64Array(n);
  for (let k = 0; k < numClasses; k++) {
    for (let i = 0; i < n; i++) scores[i] = -distances[i * numClasses + k];
    try {
      sum += rocAucUnchecked(
        Uint8Array.from(truth, (label) => (label === k ? 1 : 0)),
        scores,
      );
    } catch (error) {
      throw new RangeError(`AUC of class ${k} is undefined: ${(error as Error).message}`, { cause: error });
    }
  }
  return sum / numClasses;
}

/**
 * Per-sample correctness flags, for the selective-prediction functions.
 * @returns `Uint8Array` with 1 where `predictions[i] === labels[i]`.
 */
export function correctness(labels: ArrayLike<number>, predictions: ArrayLike<number>): Uint8Array {
  assertArrayLike('labels', labels);
  assertArrayLike('predictions', predictions);
  if (labels.length !== predictions.length) {
    throw new RangeError(`labels has ${labels.length} entries but predictions has ${predictions.length}.`);
  }
  if (labels.length === 0) throw new RangeError('labels is empty. Metrics need at least one sample.');
  return Uint8Array.from({ length: labels.length }, (_, i) => (labels[i] === predictions[i] ? 1 : 0));
}
