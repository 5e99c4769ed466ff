/**
 * @file Classification by integrating backwards: start at `[x, ξm]` at t = 1, integrate to t = 0, read
 * the mask channels and measure their distance to every class target with the model's mask plugin.
 *
 * {@link classify} (synchronous networks: tfjs, onnxruntime-node) and {@link classifyAsync} (networks that
 * answer with a promise: onnxruntime-web) run the same field program: same validation, same noise drawn in
 * the same order, same solver arithmetic and the same mask readout.
 *
 * @module flow/classify
 */
import { normalArray, type RandomSource } from '../ops/random.js';
import {
  type AsyncFlowNetwork,
  assertSyncNetwork,
  asyncVelocityField,
  checkBatchSize,
  type FlowNetwork,
  type FlowProgressEvent,
  networkSizes,
  networkVelocityField,
} from './network.js';
import {
  type FieldProgram,
  integrateProgram,
  resolveSolverConfig,
  runFieldProgram,
  runFieldProgramAsync,
  SOLVER_DEFAULTS,
  type SolverConfig,
} from './solvers.js';

/** Options of {@link classify}. */
export interface ClassifyOptions<T = unknown> extends SolverConfig {
  /** The model. */
  model: FlowNetwork<T>;
  /** Images in the model's range ([-1, 1]), NHWC `[n, H, W, imageChannels]`. */
  images: Float32Array;
  /**
   * Noise samples ξm per image; their distances are averaged (a Monte-Carlo estimate that lowers variance).
   * @defaultValue 1
   */
  numSamples?: number;
  /** Normal-noise source; seed it (`createRandom(seed)`) for reproducible output. @defaultValue Math.random */
  random?: RandomSource;
  /** Images per network call. @defaultValue 32 */
  batchSize?: number;
  /** Also return the predicted masks (mean over samples). @defaultValue false */
  returnMasks?: boolean;
  /** Called after each batch, and after each solver step with `step` set. */
  onProgress?: (event: FlowProgressEvent) => void;
}

/** Options of {@link classifyAsync}: as {@link ClassifyOptions}, with a synchronous or an async network. */
export interface ClassifyAsyncOptions<T = unknown> extends Omit<ClassifyOptions<T>, 'model'> {
  /** The model: a `FlowNetwork` or an {@link AsyncFlowNetwork}. */
  model: FlowNetwork<T> | AsyncFlowNetwork<T>;
}

/** Output of {@link classify}. */
export interface ClassifyResult {
  /** Predicted class per image (argmin of the distances). */
  readonly labels: Int32Array;
  /** Mean per-pixel distance of the predicted mask to each class target, `[n, numClasses]` row-major. */
  readonly distances: Float32Array;
  /** Distance to the predicted class (larger = less sure); use it for selective prediction. */
  readonly uncertainty: Float32Array;
  /** Number of classes (row length of `distances`). */
  readonly numClasses: number;
  /** Predicted masks, NHWC `[n, H, W, maskChannels]`, averaged over samples (only with `returnMasks`). */
  readonly masks?: Float32Array;
  /** Solver steps taken (the maximum over batches for dopri5). */
  readonly steps: number;
  /** Velocity evaluations over all batches and samples. */
  readonly evaluations: number;
}

/** The whole classification as a field program (validation runs on the first `next()`). */
function* classifyProgram<T>(options: ClassifyAsyncOptions<T>): FieldProgram<T, ClassifyResult> {
  const { model, images } = options;
  const { size, imageChannels, maskChannels } = networkSizes(model as FlowNetwork<unknown>);
  const solver = resolveSolverConfig(
    { ...options, steps: options.steps ?? 1 },
    { ...SOLVER_DEFAULTS, steps: 1 },
  );
  const batchSize = checkBatchSize(options.batchSize ?? 32);
  const numSamples = options.numSamples ?? 1;
  if (!Number.isInteger(numSamples) || numSamples < 1) {
    throw new RangeError(`'numSamples' must be a positive integer; got ${JSON.stringify(numSamples)}.`);
  }
  const random = options.random ?? Math.random;
  const pixels = size * size;
  const imageSize = pixels * imageChannels;
  if (!(images instanceof Float32Array) || images.length === 0 || images.length % imageSize !== 0) {
    throw new RangeError(
      `'images' must be a non-empty NHWC Float32Array of n × ${size} × ${size} × ${imageChannels} values; got length ${(images as Float32Array | undefined)?.length}.`,
    );
  }
  for (let i = 0; i < images.length; i++) {
    if (!Number.isFinite(images[i])) {
      throw new RangeError(`'images' contains a non-finite value (${images[i]}) at index ${i}.`);
    }
  }
  const n = images.length / imageSize;
  const maskSize = pixels * maskChannels;
  const numClasses = model.maskPlugin.numClasses;
  const noise: Float32Array[] = [];
  for (let s = 0; s < numSamples; s++) noise.push(normalArray(n * maskSize, random));
  const distances = new Float32Array(n * numClasses);
  const meanMasks = options.returnMasks ? new Float32Array(n * maskSize) : undefined;
  const { ops } = model;
  const { onProgress } = options;
  let steps = 0;
  let evaluations = 0;
  for (let start = 0; start < n; start += batchSize) {
    const count = Math.min(batchSize, n - start);
    const imageBatch = ops.fromNHWC(images.subarray(start * imageSize, (start + count) * imageSize), [
      count,
      size,
      size,
      imageChannels,
    ]);
    for (let s = 0; s < numSamples; s++) {
      const x1 = ops.tidy(() =>
        ops.concatChannels([
          imageBatch,
          ops.fromNHWC(noise[s].subarray(start * maskSize, (start + count) * maskSize), [
            count,
            size,
            size,
            maskChannels,
          ]),
        ]),
      );
      const result = yield* integrateProgram(ops, x1, 1, 0, {
        ...solver,
        onStep: onProgress
          ? (e) =>
              onProgress({
                phase: 'classify',
                done: start,
                total: n,
                step: e.step,
                batch: count,
                ...(e.steps === undefined ? {} : { steps: e.steps }),
              })
          : undefined,
      });
      ops.dispose(x1);
      const maskTensor = ops.tidy(() => ops.sliceChannels(result.x, imageChannels, maskChannels));
      ops.dispose(result.x);
      const mask = ops.toNHWC(maskTensor);
      ops.dispose(maskTensor);
      const d = model.maskPlugin.distances(mask, [count, size, size, maskChannels]);
      const offset = start * numClasses;
      for (let i = 0; i < d.length; i++) distances[offset + i] += d[i] / numSamples;
      if (meanMasks) {
        const maskOffset = start * maskSize;
        for (let i = 0; i < mask.length; i++) meanMasks[maskOffset + i] += mask[i] / numSamples;
      }
      steps = Math.max(steps, result.steps);
      evaluations += result.evaluations;
    }
    ops.dispose(imageBatch);
    onProgress?.({ phase: 'classify', done: start + count, total: n });
  }
  const labels = model.maskPlugin.predict(distances);
  const uncertainty = new Float32Array(n);
  for (let i = 0; i < n; i++) uncertainty[i] = distances[i * numClasses + labels[i]];
  return {
    labels,
    distances,
    uncertainty,
    numClasses,
    ...(meanMasks ? { masks: meanMasks } : {}),
    steps,
    evaluations,
  };
}

/**
 * Classifies images with the reverse flow.
 *
 * Defaults follow the paper: one Euler step from t = 1 to t = 0, one noise sample. Noise for all images is
 * drawn up front, sample by sample, so results for a seeded `random` do not depend on `batchSize`.
 *
 * @example
 * ```ts
 * const { labels, uncertainty } = classify({ model, images, random: createRandom(0) });
 * ```
 */
export function classify<T>(options: ClassifyOptions<T>): ClassifyResult {
  const model = options?.model;
  networkSizes(model as FlowNetwork<unknown>);
  assertSyncNetwork(model, 'classify');
  return runFieldProgram(model.ops, classifyProgram(options), networkVelocityField(model));
}

/**
 * {@link classify} for networks that answer asynchronously (an {@link AsyncFlowNetwork}, e.g. onnxruntime-web
 * in a browser); a synchronous `FlowNetwork` works too. For the same network values, seed and options the
 * result equals {@link classify}'s.
 *
 * @example
 * ```ts
 * const { labels, distances, masks } = await classifyAsync({
 *   model: webModel.network, images, random: createRandom(0), returnMasks: true,
 * });
 * ```
 */
export async function classifyAsync<T>(options: ClassifyAsyncOptions<T>): Promise<ClassifyResult> {
  const model = options?.model;
  networkSizes(model as FlowNetwork<unknown>);
  return runFieldProgramAsync(classifyProgram(options), asyncVelocityField(model));
}
