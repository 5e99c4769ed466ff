/**
 * @file Class-conditional generation: start at `[ξx, m]` at t = 0 and integrate the velocity field to
 * t = 1; the image channels are the samples.
 *
 * {@link generate} (synchronous networks) and {@link generateAsync} (networks that answer with a promise,
 * e.g. onnxruntime-web) run the same field program: same conditioning, same noise in the same order, same
 * solver arithmetic.
 *
 * @module flow/generate
 */
import { normalArray, type RandomSource, uniformSampler } from '../ops/random.js';
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
  type SolverConfig,
} from './solvers.js';

/** Options of {@link generate}. Give exactly one of `labels` and `masks`. */
export interface GenerateOptions<T = unknown> extends SolverConfig {
  /** The model. */
  model: FlowNetwork<T>;
  /** Class of each image to generate; masks are encoded with the model's mask plugin. */
  labels?: ArrayLike<number>;
  /** Ready conditioning masks, NHWC `[n, H, W, maskChannels]`. */
  masks?: Float32Array;
  /**
   * Uniform [0, 1) source (or `createRandom(seed)`) for the mask noise and ξx; seed it for reproducible output.
   * @defaultValue Math.random
   */
  random?: RandomSource;
  /** Images per network call. @defaultValue 32 */
  batchSize?: number;
  /** Called after each batch, and after each solver step with `step` set (for progress bars). */
  onProgress?: (event: FlowProgressEvent) => void;
}

/** Options of {@link generateAsync}: as {@link GenerateOptions}, with a synchronous or an async network. */
export interface GenerateAsyncOptions<T = unknown> extends Omit<GenerateOptions<T>, 'model'> {
  /** The model: a `FlowNetwork` or an {@link AsyncFlowNetwork}. */
  model: FlowNetwork<T> | AsyncFlowNetwork<T>;
}

/** Output of {@link generate}. */
export interface GenerateResult {
  /** Generated images, NHWC `[n, H, W, imageChannels]`, in the model's range (nominally [-1, 1]); not clipped. */
  readonly images: Float32Array;
  /** `[n, H, W, imageChannels]`. */
  readonly shape: readonly [number, number, number, number];
  /** The conditioning masks used, NHWC. */
  readonly masks: Float32Array;
  /** Solver steps taken (the maximum over batches for dopri5). */
  readonly steps: number;
  /** Velocity evaluations over all batches. */
  readonly evaluations: number;
}

/** The whole generation as a field program (validation runs on the first `next()`). */
function* generateProgram<T>(options: GenerateAsyncOptions<T>): FieldProgram<T, GenerateResult> {
  const { model } = options;
  const { size, imageChannels, maskChannels } = networkSizes(model as FlowNetwork<unknown>);
  const solver = resolveSolverConfig(options);
  const batchSize = checkBatchSize(options.batchSize ?? 32);
  const random = options.random ?? Math.random;
  const pixels = size * size;
  let masks: Float32Array;
  if ((options.labels === undefined) === (options.masks === undefined)) {
    throw new TypeError(
      "generate() needs exactly one of 'labels' (class per image) and 'masks' (NHWC masks).",
    );
  }
  if (options.labels !== undefined) {
    masks = model.maskPlugin.encode(options.labels, {
      height: size,
      width: size,
      random: uniformSampler(random),
    });
  } else {
    masks = options.masks!;
    if (
      !(masks instanceof Float32Array) ||
      masks.length === 0 ||
      masks.length % (pixels * maskChannels) !== 0
    ) {
      throw new RangeError(
        `'masks' must be a non-empty NHWC Float32Array of n × ${size} × ${size} × ${maskChannels} values; got length ${masks?.length}.`,
      );
    }
  }
  const n = masks.length / (pixels * maskChannels);
  const noise = normalArray(n * pixels * imageChannels, random);
  const images = new Float32Array(n * pixels * imageChannels);
  const { ops } = model;
  const { onProgress } = options;
  let steps = 0;
  let evaluations = 0;
  for (let start = 0; start < n; start += batchSize) {
    const count = Math.min(batchSize, n - start);
    const x0 = ops.tidy(() =>
      ops.concatChannels([
        ops.fromNHWC(
          noise.subarray(start * pixels * imageChannels, (start + count) * pixels * imageChannels),
          [count, size, size, imageChannels],
        ),
        ops.fromNHWC(masks.subarray(start * pixels * maskChannels, (start + count) * pixels * maskChannels), [
          count,
          size,
          size,
          maskChannels,
        ]),
      ]),
    );
    const result = yield* integrateProgram(ops, x0, 0, 1, {
      ...solver,
      onStep: onProgress
        ? (e) =>
            onProgress({
              phase: 'generate',
              done: start,
              total: n,
              step: e.step,
              batch: count,
              ...(e.steps === undefined ? {} : { steps: e.steps }),
            })
        : undefined,
    });
    ops.dispose(x0);
    const out = ops.tidy(() => ops.sliceChannels(result.x, 0, imageChannels));
    ops.dispose(result.x);
    images.set(ops.toNHWC(out), start * pixels * imageChannels);
    ops.dispose(out);
    steps = Math.max(steps, result.steps);
    evaluations += result.evaluations;
    onProgress?.({ phase: 'generate', done: start + count, total: n });
  }
  return { images, shape: [n, size, size, imageChannels], masks, steps, evaluations };
}

/**
 * Generates images of given classes.
 *
 * Randomness is drawn up front in a fixed order (mask noise for all images, then ξx for all images), so
 * the output for a seeded `random` does not depend on `batchSize`.
 *
 * @example
 * ```ts
 * const { images, shape } = generate({ model, labels: [0, 1], steps: 25, random: createRandom(0) });
 * console.log(shape); // [2, 28, 28, 1]
 * ```
 */
export function generate<T>(options: GenerateOptions<T>): GenerateResult {
  const model = options?.model;
  networkSizes(model as FlowNetwork<unknown>);
  assertSyncNetwork(model, 'generate');
  return runFieldProgram(model.ops, generateProgram(options), networkVelocityField(model));
}

/**
 * {@link generate} for networks that answer asynchronously (an {@link AsyncFlowNetwork}, e.g. onnxruntime-web
 * in a browser); a synchronous `FlowNetwork` works too. For the same network values, seed and options the
 * images equal {@link generate}'s. `onProgress` reports every solver step, so a page can draw a progress bar.
 *
 * @example
 * ```ts
 * const { images } = await generateAsync({
 *   model: webModel.network, labels: [1, 1, 1, 1], steps: 25, random: createRandom(0),
 *   onProgress: (e) => e.step !== undefined && bar.set(e.step / (e.steps ?? 1)),
 * });
 * ```
 */
export async function generateAsync<T>(options: GenerateAsyncOptions<T>): Promise<GenerateResult> {
  const model = options?.model;
  networkSizes(model as FlowNetwork<unknown>);
  return runFieldProgramAsync(generateProgram(options), asyncVelocityField(model));
}
