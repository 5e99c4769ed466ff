/**
 * @file Symmetrical flow matching (SFM): interpolants, velocity targets and the weighted loss, written
 * against {@link TensorOps}.
 *
 * With σ = `sigmaMin`, t ~ U(0, 1) per sample and ξx, ξm ~ N(0, I):
 * - image path (noise → image): `x_t = (1 − (1 − σ)t)·ξx + t·x`, target `x − (1 − σ)·ξx`;
 * - mask path (mask → noise):   `m_t = (1 − (1 − σ)t)·m + t·ξm`, target `ξm − (1 − σ)·m`;
 * - one network predicts both velocities from `[x_t, m_t]` (channel concatenation) and t;
 * - `loss = w·MSE(v_img) + (1 − w)·MSE(v_mask)`, each MSE the mean over all its elements.
 *
 * @module flow/sfm
 */
import type { UNet, UNetForwardOptions } from '../model/unet.js';
import type { Params, TensorOps } from '../ops/ops.js';
import { normalArray, type RandomSource, uniformSampler } from '../ops/random.js';

/** Loss options. */
export interface SfmLossConfig {
  /** Weight w of the image term (the mask term gets 1 − w). @defaultValue 0.7 */
  imageWeight?: number;
  /** σ_min of the probability paths. @defaultValue 1e-4 */
  sigmaMin?: number;
}

/** Resolved {@link SfmLossConfig}. */
export type ResolvedSfmLossConfig = Required<SfmLossConfig>;

/** Defaults of {@link SfmLossConfig} (the paper's values). */
export const SFM_LOSS_DEFAULTS: ResolvedSfmLossConfig = Object.freeze({ imageWeight: 0.7, sigmaMin: 1e-4 });

/** Copies, fills and validates loss options. */
export function resolveSfmLossConfig(config: SfmLossConfig = {}): ResolvedSfmLossConfig {
  const imageWeight = config.imageWeight ?? SFM_LOSS_DEFAULTS.imageWeight;
  const sigmaMin = config.sigmaMin ?? SFM_LOSS_DEFAULTS.sigmaMin;
  if (typeof imageWeight !== 'number' || !(imageWeight >= 0 && imageWeight <= 1)) {
    throw new RangeError(`'imageWeight' must be in [0, 1]; got ${JSON.stringify(imageWeight)}.`);
  }
  if (typeof sigmaMin !== 'number' || !(sigmaMin >= 0 && sigmaMin < 1)) {
    throw new RangeError(`'sigmaMin' must be in [0, 1); got ${JSON.stringify(sigmaMin)}.`);
  }
  return { imageWeight, sigmaMin };
}

/** A training batch as engine tensors in the engine's spatial layout. */
export interface SfmBatch<T> {
  /** Images in [-1, 1], `[n, H, W, imageChannels]` (logical). */
  readonly images: T;
  /** Conditioning masks from a mask plugin, `[n, H, W, maskChannels]` (logical). */
  readonly masks: T;
}

/** The random draws of one loss evaluation. */
export interface SfmNoise<T> {
  /** Image noise ξx, same shape as the images. */
  readonly xiX: T;
  /** Mask noise ξm, same shape as the masks. */
  readonly xiM: T;
  /** Times `[n]` in [0, 1]. */
  readonly t: T;
}

/** Loss value and its two parts (scalars). */
export interface SfmLossResult<T> {
  /** `w · imageLoss + (1 − w) · maskLoss`. */
  readonly loss: T;
  /** MSE of the image velocity. */
  readonly imageLoss: T;
  /** MSE of the mask velocity. */
  readonly maskLoss: T;
}

/** `t` of shape `[n]` as a tensor that broadcasts over any rank-4 layout. */
function perSample<T>(ops: TensorOps<T>, t: T): T {
  return ops.reshape(t, [-1, 1, 1, 1]);
}

/** The interpolants `x_t` (noise → image) and `m_t` (mask → noise). */
export function sfmInterpolants<T>(
  ops: TensorOps<T>,
  batch: SfmBatch<T>,
  noise: SfmNoise<T>,
  sigmaMin: number = SFM_LOSS_DEFAULTS.sigmaMin,
): { xt: T; mt: T } {
  const t = perSample(ops, noise.t);
  const keep = ops.addScalar(ops.mulScalar(t, -(1 - sigmaMin)), 1); // 1 − (1 − σ)t
  return {
    xt: ops.add(ops.mul(keep, noise.xiX), ops.mul(t, batch.images)),
    mt: ops.add(ops.mul(keep, batch.masks), ops.mul(t, noise.xiM)),
  };
}

/** The velocity targets `x − (1 − σ)ξx` and `ξm − (1 − σ)m`. */
export function sfmTargets<T>(
  ops: TensorOps<T>,
  batch: SfmBatch<T>,
  noise: SfmNoise<T>,
  sigmaMin: number = SFM_LOSS_DEFAULTS.sigmaMin,
): { vx: T; vm: T } {
  return {
    vx: ops.sub(batch.images, ops.mulScalar(noise.xiX, 1 - sigmaMin)),
    vm: ops.sub(noise.xiM, ops.mulScalar(batch.masks, 1 - sigmaMin)),
  };
}

/**
 * The SFM loss of `net` on one batch with given noise. Differentiable with respect to `params`
 * (wrap it in the engine's `valueAndGrads`).
 *
 * @example
 * ```ts
 * const { value, grads } = engine.valueAndGrads(
 *   (p) => sfmLoss(ops, unet, p, { images, masks }, noise).loss,
 *   params,
 * );
 * ```
 */
export function sfmLoss<T>(
  ops: TensorOps<T>,
  net: UNet,
  params: Params<T>,
  batch: SfmBatch<T>,
  noise: SfmNoise<T>,
  options: SfmLossConfig & UNetForwardOptions = {},
): SfmLossResult<T> {
  const { imageWeight, sigmaMin } = resolveSfmLossConfig(options);
  const imageChannels = ops.spatialShape(batch.images).channels;
  const maskChannels = ops.spatialShape(batch.masks).channels;
  const { xt, mt } = sfmInterpolants(ops, batch, noise, sigmaMin);
  const { vx, vm } = sfmTargets(ops, batch, noise, sigmaMin);
  const predicted = net.forward(ops, params, ops.concatChannels([xt, mt]), noise.t, {
    training: options.training,
    random: options.random,
  });
  const imageLoss = ops.mean(ops.square(ops.sub(ops.sliceChannels(predicted, 0, imageChannels), vx)));
  const maskLoss = ops.mean(
    ops.square(ops.sub(ops.sliceChannels(predicted, imageChannels, maskChannels), vm)),
  );
  const loss = ops.add(ops.mulScalar(imageLoss, imageWeight), ops.mulScalar(maskLoss, 1 - imageWeight));
  return { loss, imageLoss, maskLoss };
}

/** Plain-data noise for {@link sfmLoss}: ξx, ξm (NHWC) and t, drawn in that order. */
export interface SfmNoiseData {
  readonly xiX: Float32Array;
  readonly xiM: Float32Array;
  readonly t: Float32Array;
}

/**
 * Draws ξx ~ N(0, I) (`n·H·W·imageChannels`), ξm ~ N(0, I) (`n·H·W·maskChannels`) and t ~ U(0, 1) (`n`)
 * from `random`, in that order, so a seeded source reproduces them.
 */
export function sampleSfmNoise(
  shape: { n: number; height: number; width: number; imageChannels: number; maskChannels: number },
  random: RandomSource,
): SfmNoiseData {
  const { n, height, width, imageChannels, maskChannels } = shape;
  const xiX = normalArray(n * height * width * imageChannels, random);
  const xiM = normalArray(n * height * width * maskChannels, random);
  const uniform = uniformSampler(random);
  const t = new Float32Array(n);
  for (let i = 0; i < n; i++) t[i] = uniform();
  return { xiX, xiM, t };
}

/** Engine tensors from {@link SfmNoiseData}. */
export function sfmNoiseTensors<T>(
  ops: TensorOps<T>,
  data: SfmNoiseData,
  shape: { n: number; height: number; width: number; imageChannels: number; maskChannels: number },
): SfmNoise<T> {
  const { n, height, width, imageChannels, maskChannels } = shape;
  return {
    xiX: ops.fromNHWC(data.xiX, [n, height, width, imageChannels]),
    xiM: ops.fromNHWC(data.xiM, [n, height, width, maskChannels]),
    t: ops.constant(data.t, [n]),
  };
}
