/**
 * @file Class-conditional generation: start at `[ξx, m]` at t = 0 and integrate the velocity field to
 * t = 1; the image channels are the samples.
 *
 * @module flow/generate
 */
import { normalArray, type RandomSource, uniformSampler } from '../ops/random.js';
import {
  checkBatchSize,
  type FlowNetwork,
  type FlowProgressEvent,
  networkSizes,
  networkVelocityField,
} from './network.js';
import { integrate, resolveSolverConfig, type SolverConfig } from './solvers.js';

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
  /** Called after each batch. */
  onProgress?: (event: FlowProgressEvent) => void;
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
  const field = networkVelocityField(model);
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
    const result = integrate(ops, field, x0, 0, 1, solver);
    ops.dispose(x0);
    const out = ops.tidy(() => ops.sliceChannels(result.x, 0, imageChannels));
    ops.dispose(result.x);
    images.set(ops.toNHWC(out), start * pixels * imageChannels);
    ops.dispose(out);
    steps = Math.max(steps, result.steps);
    evaluations += result.evaluations;
    options.onProgress?.({ phase: 'generate', done: start + count, total: n });
  }
  return { images, shape: [n, size, size, imageChannels], masks, steps, evaluations };
}
