/**
 * @file Options of {@link train}: the user form {@link TrainConfig}, the defaults {@link TRAIN_DEFAULTS} and
 * the validated {@link ResolvedTrainConfig}.
 *
 * @module train/config
 */
import { availableParallelism, cpus } from 'node:os';
import type { MaskPluginConfig } from '@medsymmflow/conditioning-masks';
import type { SfmLossConfig } from '../flow/sfm.js';
import type { ArchitectureConfig } from '../io/flow-model.js';
import { type AdamWConfig, resolveAdamWConfig, stripUndefined } from './adamw.js';
import type { GradientEngine } from './gradients.js';
import type { ValidationRecord } from './trainer-state.js';
import type { TrainingData } from './training-data.js';

/** Progress reported through {@link TrainConfig.onProgress}. Libraries never print; the CLI renders these. */
export type TrainProgressEvent =
  | {
      readonly type: 'start';
      /** Optimizer steps of the whole run. */
      readonly totalSteps: number;
      /** Steps per epoch (`ceil(data.size / batchSize)`). */
      readonly stepsPerEpoch: number;
      readonly epochs: number;
      /** First step of this session (> 0 when resumed). */
      readonly startStep: number;
      readonly resumed: boolean;
      /** Engine name, e.g. `wasm`. */
      readonly engine: string;
      /** Worker threads computing gradients (0 = the calling thread). */
      readonly workers: number;
      readonly numParameters: number;
      /** Validations of earlier sessions of this run (empty unless resumed), e.g. to draw the whole curve. */
      readonly validations: readonly ValidationRecord[];
      /** Step of the weights in `best/` so far (`null` before the first validation). */
      readonly bestStep: number | null;
    }
  | {
      readonly type: 'step';
      /** Steps completed (1-based). */
      readonly step: number;
      readonly totalSteps: number;
      /** Epoch in progress (0-based). */
      readonly epoch: number;
      readonly epochs: number;
      /** `w·imageLoss + (1 − w)·maskLoss` of this step's batch. */
      readonly loss: number;
      readonly imageLoss: number;
      readonly maskLoss: number;
      /** Learning rate used for this step. */
      readonly learningRate: number;
      /** Global gradient norm before clipping. */
      readonly gradNorm: number;
      /** Training images per second over this session. */
      readonly imagesPerSecond: number;
      /** Estimated seconds left (training steps only; validation and checkpoints come on top). */
      readonly etaSeconds: number;
      /** Seconds since this session started. */
      readonly elapsedSeconds: number;
    }
  | {
      readonly type: 'validation';
      readonly step: number;
      readonly epoch: number;
      /** Accuracy of the EMA weights on the validation subset, in [0, 1]. */
      readonly accuracy: number;
      /** Mean per-class recall on the same images (the classes present there), in [0, 1]. */
      readonly balancedAccuracy: number;
      /**
       * Quadratic weighted kappa of the same predictions, class k taken as grade k (meaningful for graded
       * classes; `null` when the validation images are all one grade and so are the predictions).
       */
      readonly quadraticWeightedKappa: number | null;
      /**
       * Accuracy on a fixed subset of the training images (as many as validated, no augmentation): low on both
       * splits means the model underfits; high here while validation falls means it overfits.
       */
      readonly trainingAccuracy: number;
      /** Balanced accuracy on the same training images. */
      readonly trainingBalancedAccuracy: number;
      /** Best value so far of the metric that selects `best/` (`validationMetric`). */
      readonly bestAccuracy: number;
      /** Whether this validation produced a new best checkpoint. */
      readonly improved: boolean;
      readonly seconds: number;
    }
  | { readonly type: 'checkpoint'; readonly step: number; readonly path: string; readonly seconds: number }
  | {
      readonly type: 'end';
      readonly step: number;
      readonly reason: 'completed' | 'aborted';
      readonly elapsedSeconds: number;
    };

/** Options of {@link train}. Only `data` is required. */
export interface TrainConfig {
  /** Training images and labels (see `trainingDataFromMedmnist` / `trainingDataFromArrays`). */
  data: TrainingData;
  /**
   * Validation images; the EMA weights are scored on them every `validateEvery` steps and the best
   * weights are kept in `<outDir>/best`. Without it, no validation runs and `best` is not written.
   */
  validation?: TrainingData;
  /**
   * UNet architecture (`imageSize` and the channel counts follow from the data and the mask plugin).
   * @defaultValue the UNet defaults (base 32, mults [1, 2, 2], attention at 7 px)
   */
  architecture?: ArchitectureConfig;
  /**
   * Conditioning-mask plugin, by name or as a config.
   * @defaultValue 'rgb-palette'
   */
  conditioning?: string | MaskPluginConfig;
  /**
   * Passes over the training data.
   * @defaultValue 1
   */
  epochs?: number;
  /** Stop after this many optimizer steps in total (the schedule spans exactly these steps). */
  maxSteps?: number;
  /**
   * Images per optimizer step.
   * @defaultValue 64
   */
  batchSize?: number;
  /**
   * Images per forward/backward pass; gradients are accumulated over the micro-batches of a step. The
   * wasm heap caps at 4 GiB, so keep it ≤ 32 for the default UNet.
   * @defaultValue 32
   */
  microBatchSize?: number;
  /**
   * Peak learning rate of the one-cycle schedule.
   * @defaultValue 4e-4
   */
  learningRate?: number;
  /**
   * Share of the steps spent warming up.
   * @defaultValue 0.1
   */
  warmupFraction?: number;
  /** AdamW hyper-parameters (β1, β2, ε, decoupled weight decay). @defaultValue `ADAMW_DEFAULTS` */
  optimizer?: AdamWConfig;
  /**
   * Maximum EMA decay; the decay used at step s is `min(emaDecay, (1 + s)/(10 + s))`.
   * @defaultValue 0.999
   */
  emaDecay?: number;
  /** Clip gradients to this global L2 norm. @defaultValue no clipping */
  clipGradNorm?: number;
  /** Loss options (`imageWeight` w = 0.7, `sigmaMin` = 1e-4). */
  loss?: SfmLossConfig;
  /**
   * Random flips and quarter turns of the training images (the official recipe flips both ways with
   * probability 0.5).
   * Drawn from the run's seeded generator, so runs stay reproducible and resumable.
   * @defaultValue no augmentation
   */
  augment?: TrainAugmentConfig;
  /**
   * Sample order of an epoch. `'shuffle'`: every training image once, in a fresh random order.
   * `'class-balanced'`: as many draws (with replacement) as there are images, each class equally likely —
   * the model then learns a class-balanced prior, so its decisions do not follow the training split's class
   * mix (useful when deployment or test data are mixed differently).
   * @defaultValue 'shuffle'
   */
  sampling?: TrainSampling;
  /**
   * Weights to start from instead of a random initialisation (fine-tuning), e.g. the `getWeights()` of a
   * loaded model with the same architecture; `source` names them (a zoo id or folder) in the checkpoint and
   * the saved model's training metadata. The EMA starts from them too. A resumed run takes its weights from
   * the checkpoint but must name the same `source` (it is one of the run's options).
   */
  init?: TrainInit;
  /**
   * Seed of every random draw (weights, shuffling, t, ξx, ξm, mask noise).
   * @defaultValue 0
   */
  seed?: number;
  /**
   * Worker threads computing gradients, each with its own engine instance; `0` computes on the calling
   * thread. With n ≥ 1 workers each step's batch is split into n shards whose gradients are averaged.
   * @defaultValue min(2, CPU cores)
   */
  workers?: number;
  /**
   * Engine name or hint list for `resolveEngine` (workers use the engine the hints resolve to).
   * @defaultValue `env.backends.engines` or the registry order
   */
  engine?: string | readonly string[];
  /**
   * Computes the gradients instead of `engine`, which then only validates and saves (e.g.
   * `createOrtGradientEngine()` of `@medsymmflow/exporters`). The whole batch goes to it in one piece, so
   * `workers` and `microBatchSize` do not apply. Checkpoints do not depend on it: a run can resume on
   * another gradient engine.
   * @defaultValue gradients from `engine`
   */
  gradientEngine?: GradientEngine;
  /** Where checkpoints, `best/` and `final/` are written. Without it nothing is written. */
  outDir?: string;
  /**
   * Continue from `<outDir>/checkpoint`: the same step, optimizer, EMA and PRNG state, so the loss
   * sequence continues exactly (with the same options and worker count). Fails with a clear error when
   * there is no checkpoint, it is corrupt, or the options differ from the run that wrote it.
   * @defaultValue false
   */
  resume?: boolean;
  /**
   * Start a new run in an `outDir` that already holds a checkpoint (it is replaced at the first save).
   * Without it, that is an error, so a forgotten `resume` never discards a run.
   * @defaultValue false
   */
  overwrite?: boolean;
  /**
   * Write a checkpoint every this many steps (and always at the end of the run).
   * @defaultValue 50
   */
  checkpointEvery?: number;
  /**
   * Validate every this many steps (and at the end of the run).
   * @defaultValue once per epoch
   */
  validateEvery?: number;
  /**
   * Validation images used (a fixed random subset when the validation set is larger).
   * @defaultValue 512
   */
  validationSize?: number;
  /**
   * Noise masks per validation image, their class distances averaged (as `classify({ numSamples })`). One mask is
   * the paper's setting; more make the choice of `best/` less noisy on a small validation split (RetinaMNIST
   * has 120 images) and match a model classified with several masks. Each validation costs this many times more.
   * @defaultValue 1
   */
  validationSamples?: number;
  /**
   * What selects `best/`: `'accuracy'`, `'balanced-accuracy'` (mean per-class recall — the consistent
   * choice with class-balanced sampling, or when validation classes are imbalanced), or
   * `'quadratic-weighted-kappa'` (for graded classes such as RetinaMNIST's: a one-grade miss costs less than a
   * four-grade miss; an undefined kappa counts as 0, chance agreement).
   * @defaultValue 'accuracy'
   */
  validationMetric?: TrainValidationMetric;
  /** Progress callback. */
  onProgress?: (event: TrainProgressEvent) => void;
  /** Stops training after the current step; a checkpoint is written before `train` resolves. */
  signal?: AbortSignal;
}

/** Metrics of {@link TrainConfig.validationMetric}. */
export const TRAIN_VALIDATION_METRICS = [
  'accuracy',
  'balanced-accuracy',
  'quadratic-weighted-kappa',
] as const;
/** A metric of {@link TrainConfig.validationMetric}. */
export type TrainValidationMetric = (typeof TRAIN_VALIDATION_METRICS)[number];

/** Sample orders of {@link TrainConfig.sampling}. */
export const TRAIN_SAMPLINGS = ['shuffle', 'class-balanced'] as const;
/** A sample order of {@link TrainConfig.sampling}. */
export type TrainSampling = (typeof TRAIN_SAMPLINGS)[number];

/** Starting weights of {@link TrainConfig.init}. */
export interface TrainInit {
  /** Every parameter of the UNet by name (as `FlowModel.getWeights()` returns them). */
  weights: Readonly<Record<string, Float32Array>>;
  /** Where they come from, e.g. `pneumoniamnist-rgb-28@2.0.0` or a folder. */
  source: string;
}

/** Data augmentation of {@link TrainConfig}: per-image probabilities in [0, 1]. */
export interface TrainAugmentConfig {
  /** Probability of mirroring an image left↔right. @defaultValue 0 */
  horizontalFlip?: number;
  /** Probability of mirroring an image top↔bottom. @defaultValue 0 */
  verticalFlip?: number;
  /**
   * Probability of turning an image by 90°, 180° or 270° (equally likely); square images only. For images
   * without a preferred orientation (fundus, dermoscopy, blood smears): `0.75` with `horizontalFlip: 0.5`
   * draws each of the 8 symmetries of the square equally often.
   * @defaultValue 0
   */
  rotate90?: number;
}

/** {@link TrainConfig} with defaults filled in and every value checked. */
export interface ResolvedTrainConfig {
  readonly data: TrainingData;
  readonly validation: TrainingData | undefined;
  readonly architecture: ArchitectureConfig;
  readonly conditioning: string | MaskPluginConfig;
  readonly epochs: number;
  readonly maxSteps: number | undefined;
  readonly batchSize: number;
  readonly microBatchSize: number;
  readonly learningRate: number;
  readonly warmupFraction: number;
  readonly optimizer: Required<AdamWConfig>;
  readonly emaDecay: number;
  readonly clipGradNorm: number | undefined;
  readonly loss: SfmLossConfig;
  readonly augment: Required<TrainAugmentConfig>;
  readonly sampling: TrainSampling;
  readonly init: TrainInit | undefined;
  readonly seed: number;
  readonly workers: number;
  readonly engine: string | readonly string[] | undefined;
  readonly gradientEngine: GradientEngine | undefined;
  readonly outDir: string | undefined;
  readonly resume: boolean;
  readonly overwrite: boolean;
  readonly checkpointEvery: number;
  readonly validateEvery: number | undefined;
  readonly validationSize: number;
  readonly validationSamples: number;
  readonly validationMetric: TrainValidationMetric;
  readonly onProgress: ((event: TrainProgressEvent) => void) | undefined;
  readonly signal: AbortSignal | undefined;
}

function oneOf<T extends string>(name: string, value: T, allowed: readonly T[]): T {
  if (!allowed.includes(value)) {
    throw new RangeError(
      `train: '${name}' must be one of ${allowed.map((v) => `'${v}'`).join(', ')}; got ${JSON.stringify(value)}.`,
    );
  }
  return value;
}

function checkInit(init: TrainInit | undefined): TrainInit | undefined {
  if (init === undefined) return undefined;
  if (
    init === null ||
    typeof init !== 'object' ||
    typeof init.weights !== 'object' ||
    init.weights === null
  ) {
    throw new TypeError("train: 'init' must be { weights: Record<string, Float32Array>, source: string }.");
  }
  if (typeof init.source !== 'string' || init.source.trim() === '') {
    throw new TypeError("train: 'init.source' must name where the weights come from (a zoo id or a folder).");
  }
  return init;
}

/** Number of CPU cores Node reports. */
function coreCount(): number {
  try {
    return availableParallelism();
  } catch {
    return cpus().length || 1;
  }
}

/** Defaults of {@link TrainConfig}. `workers` is computed from the machine when the config is resolved. */
export const TRAIN_DEFAULTS = Object.freeze({
  conditioning: 'rgb-palette',
  epochs: 1,
  batchSize: 64,
  microBatchSize: 32,
  learningRate: 4e-4,
  warmupFraction: 0.1,
  emaDecay: 0.999,
  seed: 0,
  maxWorkers: 2,
  resume: false,
  checkpointEvery: 50,
  validationSize: 512,
  validationSamples: 1,
});

function positiveInt(name: string, value: unknown, fix = ''): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new RangeError(`train: '${name}' must be a positive integer, got ${JSON.stringify(value)}.${fix}`);
  }
  return value;
}

function inRange(name: string, value: unknown, min: number, max: number, maxOpen: boolean): number {
  if (typeof value !== 'number' || !(value >= min && (maxOpen ? value < max : value <= max))) {
    const range = `[${min}, ${max}${maxOpen ? ')' : ']'}`;
    throw new RangeError(`train: '${name}' must be a number in ${range}, got ${JSON.stringify(value)}.`);
  }
  return value;
}

function checkData(name: string, data: unknown): TrainingData {
  const d = data as TrainingData;
  if (
    !d ||
    typeof d !== 'object' ||
    typeof d.read !== 'function' ||
    !Number.isInteger(d.size) ||
    !Number.isInteger(d.numClasses) ||
    !Array.isArray(d.imageShape)
  ) {
    throw new TypeError(
      `train: '${name}' must be a TrainingData ({ size, numClasses, imageShape, read(indices) }). ` +
        'Wrap a MedMNIST split with trainingDataFromMedmnist() or your arrays with trainingDataFromArrays().',
    );
  }
  if (d.size < 1) throw new RangeError(`train: '${name}' is empty; it needs at least one sample.`);
  return d;
}

function checkGradientEngine(engine: unknown): GradientEngine | undefined {
  if (engine === undefined) return undefined;
  const e = engine as GradientEngine;
  if (!e || typeof e !== 'object' || typeof e.name !== 'string' || typeof e.createComputer !== 'function') {
    throw new TypeError(
      "train: 'gradientEngine' must be a GradientEngine ({ name, createComputer(setup) }), such as " +
        'createOrtGradientEngine() from @medsymmflow/exporters.',
    );
  }
  return e;
}

/** Copies, fills and checks a {@link TrainConfig}; never mutates the input. */
export function resolveTrainConfig(config: TrainConfig): ResolvedTrainConfig {
  if (config === null || typeof config !== 'object') {
    throw new TypeError(
      `train: expected an options object with at least 'data', got ${JSON.stringify(config)}.`,
    );
  }
  const c = stripUndefined(config) as TrainConfig;
  const data = checkData('data', c.data);
  const validation = c.validation === undefined ? undefined : checkData('validation', c.validation);
  if (validation) {
    if (validation.numClasses !== data.numClasses) {
      throw new RangeError(
        `train: 'validation' has ${validation.numClasses} classes but 'data' has ${data.numClasses}; use splits of the same dataset.`,
      );
    }
    if (validation.imageShape.join('x') !== data.imageShape.join('x')) {
      throw new RangeError(
        `train: 'validation' images are ${validation.imageShape.join('×')} but training images are ` +
          `${data.imageShape.join('×')}; they must match.`,
      );
    }
  }
  const batchSize = positiveInt('batchSize', c.batchSize ?? TRAIN_DEFAULTS.batchSize);
  const microBatchSize = Math.min(
    batchSize,
    positiveInt('microBatchSize', c.microBatchSize ?? TRAIN_DEFAULTS.microBatchSize),
  );
  const workers = c.workers ?? Math.min(TRAIN_DEFAULTS.maxWorkers, coreCount());
  if (!Number.isInteger(workers) || workers < 0 || workers > 64) {
    throw new RangeError(
      `train: 'workers' must be an integer in [0, 64] (0 = compute on the calling thread), got ${JSON.stringify(workers)}.`,
    );
  }
  const learningRate = c.learningRate ?? TRAIN_DEFAULTS.learningRate;
  if (typeof learningRate !== 'number' || !(learningRate > 0) || !Number.isFinite(learningRate)) {
    throw new RangeError(
      `train: 'learningRate' must be a positive number, got ${JSON.stringify(learningRate)}.`,
    );
  }
  if (c.clipGradNorm !== undefined && !(typeof c.clipGradNorm === 'number' && c.clipGradNorm > 0)) {
    throw new RangeError(
      `train: 'clipGradNorm' must be a positive number, got ${JSON.stringify(c.clipGradNorm)}.`,
    );
  }
  if (c.resume && c.overwrite) {
    throw new TypeError("train: 'resume' and 'overwrite' exclude each other; pass one of them.");
  }
  if (c.resume && !c.outDir) {
    throw new TypeError(
      "train: 'resume: true' needs 'outDir' (the folder holding the checkpoint to continue).",
    );
  }
  if (c.onProgress !== undefined && typeof c.onProgress !== 'function') {
    throw new TypeError(`train: 'onProgress' must be a function, got ${typeof c.onProgress}.`);
  }
  const seed = c.seed ?? TRAIN_DEFAULTS.seed;
  if (!Number.isSafeInteger(seed)) {
    throw new TypeError(`train: 'seed' must be a safe integer, got ${JSON.stringify(seed)}.`);
  }
  const sampling = oneOf('sampling', c.sampling ?? 'shuffle', TRAIN_SAMPLINGS);
  const rotate90 = inRange('augment.rotate90', c.augment?.rotate90 ?? 0, 0, 1, false);
  if (rotate90 > 0 && data.imageShape[0] !== data.imageShape[1]) {
    throw new RangeError(
      `train: 'augment.rotate90' needs square images, the data's are ${data.imageShape[0]}×` +
        `${data.imageShape[1]}. Use flips only, or resize the images to a square.`,
    );
  }
  return {
    data,
    validation,
    architecture: structuredClone(c.architecture ?? {}),
    conditioning: c.conditioning ?? TRAIN_DEFAULTS.conditioning,
    epochs: positiveInt('epochs', c.epochs ?? TRAIN_DEFAULTS.epochs),
    maxSteps: c.maxSteps === undefined ? undefined : positiveInt('maxSteps', c.maxSteps),
    batchSize,
    microBatchSize,
    learningRate,
    warmupFraction: inRange('warmupFraction', c.warmupFraction ?? TRAIN_DEFAULTS.warmupFraction, 0, 1, true),
    optimizer: resolveAdamWConfig(c.optimizer),
    emaDecay: inRange('emaDecay', c.emaDecay ?? TRAIN_DEFAULTS.emaDecay, 0, 1, true),
    clipGradNorm: c.clipGradNorm,
    loss: { ...(c.loss ?? {}) },
    augment: {
      horizontalFlip: inRange('augment.horizontalFlip', c.augment?.horizontalFlip ?? 0, 0, 1, false),
      verticalFlip: inRange('augment.verticalFlip', c.augment?.verticalFlip ?? 0, 0, 1, false),
      rotate90,
    },
    sampling,
    init: checkInit(c.init),
    seed,
    workers,
    engine: c.engine,
    gradientEngine: checkGradientEngine(c.gradientEngine),
    outDir: c.outDir,
    resume: c.resume ?? TRAIN_DEFAULTS.resume,
    overwrite: c.overwrite ?? false,
    checkpointEvery: positiveInt('checkpointEvery', c.checkpointEvery ?? TRAIN_DEFAULTS.checkpointEvery),
    validateEvery: c.validateEvery === undefined ? undefined : positiveInt('validateEvery', c.validateEvery),
    validationSize: positiveInt('validationSize', c.validationSize ?? TRAIN_DEFAULTS.validationSize),
    validationSamples: positiveInt(
      'validationSamples',
      c.validationSamples ?? TRAIN_DEFAULTS.validationSamples,
    ),
    validationMetric: oneOf('validationMetric', c.validationMetric ?? 'accuracy', TRAIN_VALIDATION_METRICS),
    onProgress: c.onProgress,
    signal: c.signal,
  };
}
