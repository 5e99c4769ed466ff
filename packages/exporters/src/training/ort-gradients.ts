/**
 * @file Gradients of the SFM loss on ONNX Runtime: one training-step graph per batch size (built and
 * loaded on first use, the two most recent kept), fed the weights, the batch and the trainer's random
 * draws, returning the loss parts and every parameter gradient from one session run.
 *
 * The computer has the shape of core-flow's shard gradient computer: `compute` adds `n · ∇L` of a shard
 * into the trainer's gradient sums and returns the loss sums, so the trainer's AdamW, EMA, schedule and
 * checkpoints are the same code whichever engine computes the gradients.
 *
 * By default the shard is split over worker threads, each running its own session on its share (data
 * parallel, gradients summed): on 2 cores two 1-thread sessions on 32 images each beat one 2-thread session
 * on 64 by ~10 % (fewer thread hand-offs inside the many small ops of a UNet step).
 *
 * @module training/ort-gradients
 */
import { availableParallelism } from 'node:os';
import {
  createUNet,
  type GradientEngine,
  type GradientSetup,
  type ParamSpec,
  resolveSfmLossConfig,
  type SfmLossConfig,
  type UNet,
  type UNetConfig,
} from '@medsymmflow/core-flow';
import { nhwcToNchw } from '../internal/float-kernels.js';
import { loadOrt, type OrtModule } from '../runtime/ort-binding.js';
import type { ConvWeightGradMode } from './grad-rules.js';
import { probeNchwcBlockSize } from './nchwc.js';
import { createOrtGradientPool } from './ort-gradient-pool.js';
import { buildSfmTrainingGraph, SFM_TRAINING_IO, type SfmTrainingGraph } from './sfm-training-graph.js';
import { createTrainingSessionSync, type TrainingSession } from './training-session.js';

/** What the gradient computer needs to build the network (core-flow's `GradientSetup`). */
export interface OrtGradientSetup {
  /** UNet config. */
  readonly unet: UNetConfig;
  /** Loss options. */
  readonly loss?: SfmLossConfig;
  /** `[height, width, imageChannels]`. */
  readonly imageShape: readonly [number, number, number];
  /** Mask channels of the conditioning plugin. */
  readonly maskChannels: number;
}

/** One shard of a step's batch as NHWC plain data with its random draws (core-flow's `ShardInput`). */
export interface OrtShardInput {
  readonly n: number;
  readonly images: Float32Array;
  readonly masks: Float32Array;
  readonly xiX: Float32Array;
  readonly xiM: Float32Array;
  readonly t: Float32Array;
  readonly dropoutSeed?: number;
}

/** Loss sums of a shard (Σ over samples). */
export interface OrtShardSums {
  n: number;
  loss: number;
  imageLoss: number;
  maskLoss: number;
}

/** Options of the ONNX Runtime training engine. */
export interface OrtTrainingConfig {
  /**
   * Worker threads, each running its own ONNX Runtime session on an equal share of every shard; 0 = one
   * session on the calling thread.
   * @defaultValue 2 on machines with 2 or more cores, else 0
   */
  workers?: number;
  /**
   * Intra-op threads of each ONNX Runtime session; 0 = the machine's cores divided among the sessions.
   * @defaultValue 0
   */
  threads?: number;
  /**
   * Weight gradient of k×k convolutions (see `ConvWeightGradMode`). The default follows the thread count:
   * single-threaded sessions run k² plain GEMMs fastest, multi-threaded ones the one-hot im2col conv (measured
   * on 2 cores, default UNet, batch 64: 2 × 1-thread sessions 826–864 vs 920–984 ms per step; one 2-thread
   * session 1140 ms with k² GEMMs, 926–971 ms with the im2col conv).
   * @defaultValue `'shifted-gemms'` when each session has 1 intra-op thread, else `'conv-im2col'`
   */
  convWeightGrad?: ConvWeightGradMode;
  /**
   * Run the convolutions where it pays off in ONNX Runtime's blocked-layout (NCHWc) kernels, with the
   * weights reordered inside the graph (used only when a probe finds the kernels on this CPU).
   * @defaultValue true
   */
  nchwc?: boolean;
  /** File prefix for ONNX Runtime's profiler (one Chrome-trace JSON per session); off when omitted. */
  profilePrefix?: string;
}

/** Resolved {@link OrtTrainingConfig}. */
export interface ResolvedOrtTrainingConfig {
  readonly workers: number;
  readonly threads: number;
  readonly convWeightGrad: ConvWeightGradMode;
  readonly nchwc: boolean;
  readonly profilePrefix: string | undefined;
}

/** Defaults of {@link OrtTrainingConfig}. */
export const ORT_TRAINING_DEFAULTS = Object.freeze({
  /** Used when the machine has at least this many cores. */
  workers: 2,
  threads: 0,
  /** With more than one intra-op thread per session. */
  convWeightGrad: 'conv-im2col' as const,
  /** With one intra-op thread per session. */
  convWeightGradSingleThread: 'shifted-gemms' as const,
  nchwc: true,
});

const WEIGHT_GRAD_MODES: readonly ConvWeightGradMode[] = ['conv-im2col', 'im2col-gemm', 'shifted-gemms'];

/** Copies and validates {@link OrtTrainingConfig}. */
export function resolveOrtTrainingConfig(config: OrtTrainingConfig = {}): ResolvedOrtTrainingConfig {
  if (config === null || typeof config !== 'object') {
    throw new TypeError(`ONNX Runtime training options must be an object; got ${JSON.stringify(config)}.`);
  }
  const cores = availableParallelism();
  const workers =
    config.workers ?? (cores >= ORT_TRAINING_DEFAULTS.workers ? ORT_TRAINING_DEFAULTS.workers : 0);
  if (!Number.isInteger(workers) || workers < 0 || workers > 64) {
    throw new RangeError(
      `'workers' must be an integer in [0, 64] (0 = one session on the calling thread); got ${JSON.stringify(workers)}.`,
    );
  }
  const threads = config.threads ?? ORT_TRAINING_DEFAULTS.threads;
  if (!Number.isInteger(threads) || threads < 0) {
    throw new RangeError(
      `'threads' must be a non-negative integer (0 = the cores divided among the sessions); got ${JSON.stringify(threads)}.`,
    );
  }
  const sessionThreads = threads || Math.max(1, Math.floor(cores / Math.max(1, workers)));
  const convWeightGrad =
    config.convWeightGrad ??
    (sessionThreads === 1
      ? ORT_TRAINING_DEFAULTS.convWeightGradSingleThread
      : ORT_TRAINING_DEFAULTS.convWeightGrad);
  if (!WEIGHT_GRAD_MODES.includes(convWeightGrad)) {
    throw new RangeError(
      `Unknown convWeightGrad ${JSON.stringify(convWeightGrad)}. Should be one of: ${WEIGHT_GRAD_MODES.join(', ')}.`,
    );
  }
  const nchwc = config.nchwc ?? ORT_TRAINING_DEFAULTS.nchwc;
  if (typeof nchwc !== 'boolean')
    throw new TypeError(`'nchwc' must be a boolean; got ${JSON.stringify(nchwc)}.`);
  return {
    workers,
    threads: sessionThreads,
    convWeightGrad,
    nchwc,
    profilePrefix: config.profilePrefix,
  };
}

/** Computes shard gradients on ONNX Runtime. */
export interface OrtGradientComputer {
  readonly unet: UNet;
  readonly specs: readonly ParamSpec[];
  /** Resolved engine options (threads = the intra-op thread count of each session). */
  readonly config: ResolvedOrtTrainingConfig;
  /** Worker threads computing (0 = the calling thread). */
  readonly workers: number;
  /** Adds `n · ∇L` of the shard into `gradSums` (spec order) and returns the loss sums. */
  compute(
    params: readonly Float32Array[],
    input: OrtShardInput,
    gradSums: readonly Float32Array[],
  ): Promise<OrtShardSums>;
  /** The training graph for a batch size (built on first use). */
  graph(batch: number): SfmTrainingGraph;
  /** Ends profiling of every live session; returns every profile file written (also after `dispose`). */
  endProfiling(): Promise<string[]>;
  /** Frees the sessions. */
  dispose(): void;
}

/**
 * Creates an ONNX Runtime gradient computer for a UNet and loss: `config.workers` sessions in worker threads
 * (the default), or one on the calling thread with `workers: 0`.
 *
 * @throws Error when onnxruntime-node cannot load (the message says how to install it).
 * @example
 * ```ts
 * const computer = await createOrtGradientComputer({ unet: {}, imageShape: [28, 28, 1], maskChannels: 3 });
 * const sums = await computer.compute(weights, shard, gradSums); // gradSums[i] += n · ∂loss/∂param_i
 * ```
 */
export async function createOrtGradientComputer(
  setup: OrtGradientSetup,
  config: OrtTrainingConfig = {},
): Promise<OrtGradientComputer> {
  const resolved = resolveOrtTrainingConfig(config);
  const local = await createSessionGradientComputer(setup, { ...resolved, workers: 0 });
  if (resolved.workers === 0) {
    return {
      unet: local.unet,
      specs: local.specs,
      config: resolved,
      workers: 0,
      graph: local.graph,
      compute: async (params, input, gradSums) => local.compute(params, input, gradSums),
      endProfiling: async () => local.endProfiling(),
      dispose: () => local.dispose(),
    };
  }
  // The calling thread's computer only builds graphs on request (`graph()`); the workers run the sessions.
  const pool = await createOrtGradientPool(setup, resolved);
  return {
    unet: local.unet,
    specs: local.specs,
    config: resolved,
    workers: pool.size,
    graph: local.graph,
    compute: (params, input, gradSums) => pool.compute(params, input, gradSums),
    endProfiling: () => pool.endProfiling(),
    dispose: () => {
      local.dispose();
      pool.dispose();
    },
  };
}

/** {@link OrtGradientComputer} on the calling thread, synchronous (what each worker of the pool runs). */
export interface SessionGradientComputer {
  readonly unet: UNet;
  readonly specs: readonly ParamSpec[];
  graph(batch: number): SfmTrainingGraph;
  compute(
    params: readonly Float32Array[],
    input: OrtShardInput,
    gradSums: readonly Float32Array[],
  ): OrtShardSums;
  endProfiling(): string[];
  dispose(): void;
}

/**
 * One ONNX Runtime session per batch size on the calling thread (`resolved.threads` intra-op threads).
 * @internal
 */
export async function createSessionGradientComputer(
  setup: OrtGradientSetup,
  resolved: ResolvedOrtTrainingConfig,
): Promise<SessionGradientComputer> {
  const ort: OrtModule = await loadOrt();
  const unet = createUNet(setup.unet);
  const loss = resolveSfmLossConfig(setup.loss ?? {});
  const [height, width, imageChannels] = setup.imageShape;
  const { maskChannels } = setup;
  if (
    height !== unet.config.imageSize ||
    width !== height ||
    imageChannels + maskChannels !== unet.config.inChannels
  ) {
    throw new RangeError(
      `The data (${height}×${width}, ${imageChannels} image + ${maskChannels} mask channels) does not fit the UNet ` +
        `(${unet.config.imageSize} px, ${unet.config.inChannels} input channels).`,
    );
  }
  if (unet.config.dropout > 0) {
    throw new RangeError(
      `The ONNX Runtime training engine does not support dropout (the UNet has dropout ${unet.config.dropout}). ` +
        "Train with a tfjs engine (no 'gradientEngine') or set dropout: 0.",
    );
  }
  const specs = unet.paramSpecs;
  const nchwcBlock = resolved.nchwc ? probeNchwcBlockSize(ort) : 0;
  const cache = new Map<number, { graph: SfmTrainingGraph; session?: TrainingSession }>();
  const profiles: string[] = [];
  const entry = (batch: number) => {
    let e = cache.get(batch);
    if (!e) {
      e = {
        graph: buildSfmTrainingGraph(unet, {
          batch,
          imageChannels,
          loss,
          convWeightGrad: resolved.convWeightGrad,
          nchwcBlock,
        }),
      };
      cache.set(batch, e);
    }
    return e;
  };
  const sessionFor = (batch: number): TrainingSession => {
    const e = entry(batch);
    if (!e.session) {
      // Keep the sessions of the two most recently built batch sizes (a full batch and an epoch's last one).
      const live = [...cache.entries()].filter(([b, x]) => b !== batch && x.session);
      while (live.length >= 2) {
        const [b, oldest] = live.shift()!;
        const file = oldest.session!.endProfiling();
        if (file) profiles.push(file);
        oldest.session!.dispose();
        cache.delete(b);
      }
      e.session = createTrainingSessionSync(ort, e.graph.bytes, {
        threads: resolved.threads,
        profilePrefix: resolved.profilePrefix,
      });
    }
    return e.session;
  };
  const io = SFM_TRAINING_IO;
  const staging: Float32Array[] = [];
  return {
    unet,
    specs,
    graph: (batch) => entry(batch).graph,
    compute(params, input, gradSums) {
      const n = input.n;
      if (params.length !== specs.length || gradSums.length !== specs.length) {
        throw new RangeError(
          `Expected ${specs.length} parameter and gradient arrays; got ${params.length} and ${gradSums.length}.`,
        );
      }
      const session = sessionFor(n);
      const feeds: Record<string, { data: Float32Array; dims: readonly number[] }> = {
        ...entry(n).graph.constantFeeds,
      };
      specs.forEach((spec, i) => {
        // onnxruntime-node rejects views of a SharedArrayBuffer (the trainer's weights live in one).
        let data = params[i];
        if (data.buffer instanceof SharedArrayBuffer) {
          staging[i] ??= new Float32Array(data.length);
          staging[i].set(data);
          data = staging[i];
        }
        feeds[spec.name] = { data, dims: spec.shape };
      });
      const nchw = (data: Float32Array, c: number) => ({
        data: nhwcToNchw(data, n, height, width, c),
        dims: [n, c, height, width],
      });
      feeds[io.images] = nchw(input.images, imageChannels);
      feeds[io.masks] = nchw(input.masks, maskChannels);
      feeds[io.xiX] = nchw(input.xiX, imageChannels);
      feeds[io.xiM] = nchw(input.xiM, maskChannels);
      feeds[io.t] = { data: input.t, dims: [n] };
      const out = session.run(feeds);
      const value = out[io.loss][0];
      if (!Number.isFinite(value)) {
        throw new RangeError(
          `The training loss became ${value}. Lower 'learningRate' or set 'clipGradNorm' (e.g. 1), and check ` +
            'that images are in [-1, 1].',
        );
      }
      specs.forEach((spec, i) => {
        const g = out[`${io.gradPrefix}${spec.name}`];
        const acc = gradSums[i];
        for (let j = 0; j < acc.length; j++) acc[j] += n * g[j];
      });
      return { n, loss: n * value, imageLoss: n * out[io.imageLoss][0], maskLoss: n * out[io.maskLoss][0] };
    },
    endProfiling() {
      for (const e of cache.values()) {
        const file = e.session?.endProfiling();
        if (file) profiles.push(file);
      }
      return [...profiles];
    },
    dispose() {
      for (const e of cache.values()) {
        const file = e.session?.endProfiling();
        if (file) profiles.push(file);
        e.session?.dispose();
      }
      cache.clear();
    },
  };
}

/**
 * The ONNX Runtime gradient engine for core-flow's `train()`: pass it as `gradientEngine` and the trainer's
 * AdamW, EMA, schedule, validation and checkpoints stay the same while each step's loss and gradients come
 * from ONNX Runtime (by default two sessions in worker threads, each on half of the batch, the machine's cores
 * divided between them; `{ workers: 0 }` runs one session on the calling thread). Checkpoints are
 * engine-independent, so a run can resume on the tfjs engine and vice versa.
 *
 * @example
 * ```ts
 * import { train } from '@medsymmflow/core-flow';
 * import { createOrtGradientEngine } from '@medsymmflow/exporters';
 *
 * const result = await train({ data, epochs: 5, gradientEngine: createOrtGradientEngine() });
 * console.log(result.engine, result.imagesPerSecond); // 'ort' …
 * ```
 */
export function createOrtGradientEngine(config: OrtTrainingConfig = {}): GradientEngine {
  const resolved = resolveOrtTrainingConfig(config);
  return Object.freeze({
    name: 'ort' as const,
    createComputer: (setup: GradientSetup) => createOrtGradientComputer(setup, resolved),
  });
}
