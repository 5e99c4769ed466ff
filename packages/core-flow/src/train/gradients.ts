/**
 * @file Gradients of the SFM loss for one shard of a batch, on one engine.
 *
 * Every random draw of a step (mask noise, ξx, ξm, t) is made by the trainer on the main thread and
 * shipped with the shard, so where the gradients are computed (this thread or a worker) does not change
 * the numbers. A shard is processed in micro-batches; the returned gradient is the *sum over samples* of
 * the per-sample-mean gradient (`Σ nᵢ·∇Lᵢ`), which the trainer divides by the batch size.
 *
 * @module train/gradients
 * @internal
 */
import { createRandom } from '@medsymmflow/datasets-medmnist';
import type { Engine } from '../engines/engine.js';
import { type SfmLossConfig, sfmLoss } from '../flow/sfm.js';
import { createUNet, type UNet, type UNetConfig } from '../model/unet.js';
import type { ParamSpec, Params, TensorOps } from '../ops/ops.js';
import { paramsFromData } from '../ops/params.js';

/** One shard of a step's batch, as plain NHWC data with all its random draws. */
export interface ShardInput {
  /** Samples in the shard. */
  n: number;
  /** Images in [-1, 1], `n·H·W·imageChannels`. */
  images: Float32Array;
  /** Noisy conditioning masks, `n·H·W·maskChannels`. */
  masks: Float32Array;
  /** ξx, like `images`. */
  xiX: Float32Array;
  /** ξm, like `masks`. */
  xiM: Float32Array;
  /** t per sample. */
  t: Float32Array;
  /** Seed for dropout (only used when the UNet has dropout). */
  dropoutSeed?: number;
}

/** Loss sums of a shard (Σ over samples of the per-sample loss). */
export interface ShardSums {
  n: number;
  loss: number;
  imageLoss: number;
  maskLoss: number;
}

/** What a gradient computer needs to rebuild the network anywhere (it crosses thread boundaries). */
export interface GradientSetup {
  /** Resolved UNet config. */
  unet: UNetConfig;
  /** Loss options. */
  loss: SfmLossConfig;
  /** `[height, width, imageChannels]`. */
  imageShape: readonly [number, number, number];
  /** Mask channels of the conditioning plugin. */
  maskChannels: number;
  /** Largest forward/backward pass. */
  microBatchSize: number;
}

/** Computes shard gradients on one engine. */
export interface ShardGradientComputer {
  readonly unet: UNet;
  readonly specs: readonly ParamSpec[];
  /**
   * Adds `Σ nᵢ·∇Lᵢ` of the shard into `gradSums` (one array per parameter spec, not cleared here)
   * and returns the loss sums.
   */
  compute(
    params: readonly Float32Array[],
    input: ShardInput,
    gradSums: readonly Float32Array[],
  ): ShardSums | Promise<ShardSums>;
  /**
   * Worker threads the computer spreads a shard over (reported in the trainer's events); omitted or 0 = it
   * computes on the calling thread.
   */
  readonly workers?: number;
  /** Frees what the computer holds (sessions, graphs); called once when training ends. */
  dispose?(): void;
}

/**
 * A pluggable source of gradients for {@link train} (e.g. the ONNX Runtime engine of
 * `@medsymmflow/exporters`): it builds a {@link ShardGradientComputer} for the network and loss, and the
 * trainer keeps doing everything else (random draws, AdamW, EMA, schedule, validation, checkpoints).
 */
export interface GradientEngine {
  /** Name reported as the training engine, e.g. `ort`. */
  readonly name: string;
  /** Builds the computer (may compile graphs or load a runtime). */
  createComputer(setup: GradientSetup): Promise<ShardGradientComputer>;
}

/** @internal Creates a shard gradient computer over an initialised engine. */
export function createShardGradientComputer<T>(
  engine: Engine<T>,
  setup: GradientSetup,
): ShardGradientComputer {
  const valueAndGrads = engine.valueAndGrads?.bind(engine);
  if (!valueAndGrads) {
    throw new Error(
      `Engine "${engine.info().name}" cannot compute gradients, so it cannot train. Use a tfjs engine ` +
        "(engine: 'wasm', or 'tfjs-node' when installed).",
    );
  }
  const ops: TensorOps<T> = engine.ops;
  const unet = createUNet(setup.unet);
  const specs = unet.paramSpecs;
  const [height, width, imageChannels] = setup.imageShape;
  const { maskChannels, microBatchSize } = setup;
  const imageSize = height * width * imageChannels;
  const maskSize = height * width * maskChannels;

  return {
    unet,
    specs,
    compute(paramData, input, gradSums) {
      const record: Record<string, Float32Array> = {};
      specs.forEach((spec, i) => {
        record[spec.name] = paramData[i];
      });
      const params: Params<T> = paramsFromData(ops, specs, record);
      const sums: ShardSums = { n: input.n, loss: 0, imageLoss: 0, maskLoss: 0 };
      try {
        for (let start = 0, micro = 0; start < input.n; start += microBatchSize, micro++) {
          const n = Math.min(microBatchSize, input.n - start);
          const img = (a: Float32Array) => a.subarray(start * imageSize, (start + n) * imageSize);
          const msk = (a: Float32Array) => a.subarray(start * maskSize, (start + n) * maskSize);
          let imageLoss = 0;
          let maskLoss = 0;
          const { value, grads } = ops.tidy(() => {
            const batch = {
              images: ops.fromNHWC(img(input.images), [n, height, width, imageChannels]),
              masks: ops.fromNHWC(msk(input.masks), [n, height, width, maskChannels]),
            };
            const noise = {
              xiX: ops.fromNHWC(img(input.xiX), [n, height, width, imageChannels]),
              xiM: ops.fromNHWC(msk(input.xiM), [n, height, width, maskChannels]),
              t: ops.constant(input.t.subarray(start, start + n), [n]),
            };
            const dropoutRandom =
              input.dropoutSeed === undefined ? undefined : createRandom(input.dropoutSeed + micro);
            return valueAndGrads((p) => {
              const result = sfmLoss(ops, unet, p, batch, noise, {
                ...setup.loss,
                training: true,
                random: dropoutRandom,
              });
              imageLoss = ops.readScalar(result.imageLoss);
              maskLoss = ops.readScalar(result.maskLoss);
              return result.loss;
            }, params);
          });
          try {
            const loss = ops.readScalar(value);
            if (!Number.isFinite(loss)) {
              throw new RangeError(
                `The training loss became ${loss}. Lower 'learningRate' or set 'clipGradNorm' (e.g. 1), and check ` +
                  'that images are in [-1, 1].',
              );
            }
            sums.loss += n * loss;
            sums.imageLoss += n * imageLoss;
            sums.maskLoss += n * maskLoss;
            specs.forEach((spec, i) => {
              const g = ops.read(grads[spec.name]);
              const acc = gradSums[i];
              for (let j = 0; j < acc.length; j++) acc[j] += n * g[j];
            });
          } finally {
            ops.dispose(value);
            ops.dispose(grads);
          }
        }
      } finally {
        ops.dispose(params);
      }
      return sums;
    },
  };
}

/**
 * Splits `n` samples into at most `parts` contiguous ranges whose sizes differ by at most one (how a batch is
 * shared among gradient workers).
 */
export function shardRanges(n: number, parts: number): { start: number; count: number }[] {
  const k = Math.max(1, Math.min(parts, n));
  const base = Math.floor(n / k);
  const extra = n % k;
  const out: { start: number; count: number }[] = [];
  let start = 0;
  for (let i = 0; i < k; i++) {
    const count = base + (i < extra ? 1 : 0);
    out.push({ start, count });
    start += count;
  }
  return out;
}
