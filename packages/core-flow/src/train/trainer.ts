/**
 * @file The MedSymmFlow trainer: symmetrical flow matching with AdamW, a one-cycle cosine schedule, a
 * ramped EMA, gradient accumulation, optional clipping, data-parallel worker threads, validation with
 * best-checkpoint selection, and exact resume.
 *
 * Reproducibility: every random draw (initial weights, epoch order, mask noise, ξx, ξm, t) comes from one
 * `createRandom(seed)` generator of `@medsymmflow/datasets-medmnist`, drawn on the calling thread in a
 * fixed order, and its state is part of each checkpoint. The same seed, options and worker count give the
 * same loss sequence, and a run resumed from a checkpoint continues it exactly.
 *
 * Output folder (`outDir`):
 * - `checkpoint/` — resumable state: the raw weights in the saved-model format plus `trainer-state.json`
 *   / `trainer-state.bin` (step, epoch position, AdamW moments, EMA weights, PRNG state, best metric);
 * - `best/` — the EMA weights with the best validation metric (`validationMetric`) (a loadable model);
 * - `final/` — the EMA weights at the end of the run (a loadable model).
 * Each folder is replaced atomically (temporary sibling + rename).
 *
 * @module train/trainer
 */
import { join } from 'node:path';
import {
  createRandom,
  flipImageHorizontalInPlace,
  flipImageVerticalInPlace,
  type Random,
  type RandomState,
  rotateImage90InPlace,
} from '@medsymmflow/datasets-medmnist';
import { ordinalReport, perClassReport } from '@medsymmflow/uncertainty';
import { resolveEngine } from '../engines/registry.js';
import {
  type ResolvedSfmLossConfig,
  resolveSfmLossConfig,
  SFM_LOSS_DEFAULTS,
  sampleSfmNoise,
} from '../flow/sfm.js';
import { resolveAtomicDir, writeDirAtomic } from '../io/atomic-dir.js';
import { resolveFlowModelConfig } from '../io/config.js';
import type { FlowModel, ResolvedFlowModelConfig } from '../io/flow-model.js';
import { createFlowModel, loadFlowModel } from '../io/flow-model-impl.js';
import { createUNet, type UNet } from '../model/unet.js';
import { initParamData } from '../ops/params.js';
import { version } from '../version.js';
import { createAdamW } from './adamw.js';
import {
  type ResolvedTrainConfig,
  resolveTrainConfig,
  type TrainConfig,
  type TrainProgressEvent,
  type TrainValidationMetric,
} from './config.js';
import { emaDecayAt, updateEma } from './ema.js';
import { clipGlobalNorm, cloneArrays, globalNorm, scaleArrays } from './flat.js';
import {
  createShardGradientComputer,
  type GradientSetup,
  type ShardGradientComputer,
  type ShardInput,
  type ShardSums,
  shardRanges,
} from './gradients.js';
import { oneCycleLr } from './lr-schedule.js';
import {
  readTrainerState,
  type TrainerState,
  type ValidationRecord,
  writeTrainerState,
} from './trainer-state.js';
import type { TrainingData } from './training-data.js';
import { createGradientPool, type GradientPool, sharedArrays } from './worker-pool.js';

/** Names of the folders {@link train} writes inside `outDir`. */
export const TRAIN_OUTPUT_DIRS = Object.freeze({ checkpoint: 'checkpoint', best: 'best', final: 'final' });

/** What {@link train} returns. */
export interface TrainResult {
  /** Steps completed in total (over all sessions of a resumed run). */
  readonly steps: number;
  /** Steps of the whole schedule. */
  readonly totalSteps: number;
  /** Loss of every step so far, index = step − 1 (includes steps of earlier sessions when resumed). */
  readonly losses: readonly number[];
  /** Validation accuracy (and balanced accuracy) of the EMA weights over time. */
  readonly validations: readonly ValidationRecord[];
  /** Best value of the selecting metric, or `null` without validation data. */
  readonly bestAccuracy: number | null;
  /** The metric that selected `best/`. */
  readonly validationMetric: TrainValidationMetric;
  /** Noise masks per image it was measured with. */
  readonly validationSamples: number;
  /** Step of {@link bestAccuracy}. */
  readonly bestStep: number | null;
  /** Training images per second of this session (steps only). */
  readonly imagesPerSecond: number;
  /** Wall time of this session, in seconds. */
  readonly elapsedSeconds: number;
  /** Whether `signal` stopped the run early. */
  readonly aborted: boolean;
  /** Engine the gradients were computed on. */
  readonly engine: string;
  /** Config of the trained model (as stored in `model.json`). */
  readonly config: ResolvedFlowModelConfig;
  /**
   * The trained model with the final EMA weights, on the trainer's engine, ready to classify or
   * generate. Call `dispose()` when done.
   */
  readonly model: FlowModel;
  /** Final raw (non-averaged) weights by parameter name. */
  readonly weights: Readonly<Record<string, Float32Array>>;
  /** Folders written (when `outDir` was given). */
  readonly paths?: { readonly checkpoint: string; readonly best?: string; readonly final: string };
}

/** Options that must not change between the sessions of one run. */
function fingerprintOf(
  config: ResolvedTrainConfig,
  modelConfig: ResolvedFlowModelConfig,
  totalSteps: number,
): Record<string, unknown> {
  return {
    seed: config.seed,
    dataSize: config.data.size,
    numClasses: config.data.numClasses,
    imageShape: [...config.data.imageShape],
    architecture: { ...modelConfig.architecture },
    conditioning: modelConfig.conditioning,
    epochs: config.epochs,
    maxSteps: config.maxSteps ?? null,
    totalSteps,
    batchSize: config.batchSize,
    learningRate: config.learningRate,
    warmupFraction: config.warmupFraction,
    optimizer: { ...config.optimizer },
    emaDecay: config.emaDecay,
    clipGradNorm: config.clipGradNorm ?? null,
    loss: resolveSfmLossConfig(config.loss),
    // Only what is used, so checkpoints of runs without (or from before) an augmentation keep resuming.
    ...(config.augment.horizontalFlip > 0 || config.augment.verticalFlip > 0 || config.augment.rotate90 > 0
      ? { augment: usedAugmentations(config.augment) }
      : {}),
    ...(config.sampling !== 'shuffle' ? { sampling: config.sampling } : {}),
    ...(config.validationMetric !== 'accuracy' ? { validationMetric: config.validationMetric } : {}),
    // Selection scores with other mask counts are not comparable, so the count is part of a run.
    ...(config.validationSamples !== 1 ? { validationSamples: config.validationSamples } : {}),
    ...(config.init ? { init: config.init.source } : {}),
  };
}

function lossIsDefault({ imageWeight, sigmaMin }: ResolvedSfmLossConfig): boolean {
  return imageWeight === SFM_LOSS_DEFAULTS.imageWeight && sigmaMin === SFM_LOSS_DEFAULTS.sigmaMin;
}

/** The augmentation fingerprint: flips as before, `rotate90` only when on (older runs did not have it). */
function usedAugmentations(augment: ResolvedTrainConfig['augment']): Record<string, number> {
  const { rotate90, ...flips } = augment;
  return rotate90 > 0 ? { ...flips, rotate90 } : flips;
}

/** Flips and turns images of a batch in place with the configured probabilities (no draws when disabled). */
function augmentInPlace(
  images: Float32Array,
  shape: [number, number, number, number],
  augment: ResolvedTrainConfig['augment'],
  random: Random,
): void {
  const { horizontalFlip, verticalFlip, rotate90 } = augment;
  if (horizontalFlip === 0 && verticalFlip === 0 && rotate90 === 0) return;
  for (let i = 0; i < shape[0]; i++) {
    if (horizontalFlip > 0 && random.uniform() < horizontalFlip) flipImageHorizontalInPlace(images, shape, i);
    if (verticalFlip > 0 && random.uniform() < verticalFlip) flipImageVerticalInPlace(images, shape, i);
    if (rotate90 > 0 && random.uniform() < rotate90) {
      rotateImage90InPlace(images, shape, i, 1 + Math.floor(random.uniform() * 3));
    }
  }
}

/** Labels of every training sample, read in chunks (only class-balanced sampling needs them). */
function readAllLabels(data: TrainingData): Int32Array {
  const labels = new Int32Array(data.size);
  const chunk = 256;
  for (let start = 0; start < data.size; start += chunk) {
    const indices = Int32Array.from({ length: Math.min(chunk, data.size - start) }, (_, i) => start + i);
    labels.set(data.read(indices).labels, start);
  }
  return labels;
}

/**
 * One epoch's sample order: a permutation, or (class-balanced) `size` draws with replacement where a class
 * present in the data is picked uniformly, then a sample of it uniformly.
 */
function epochOrder(size: number, byClass: readonly Int32Array[] | undefined, random: Random): Int32Array {
  if (!byClass) return random.permutation(size);
  const order = new Int32Array(size);
  for (let i = 0; i < size; i++) {
    const members = byClass[Math.floor(random.uniform() * byClass.length)];
    order[i] = members[Math.floor(random.uniform() * members.length)];
  }
  return order;
}

/** Sample indices per class, for the classes present in `labels`. */
function indicesByClass(labels: Int32Array, numClasses: number): Int32Array[] {
  const lists: number[][] = Array.from({ length: numClasses }, () => []);
  for (const [index, label] of labels.entries()) lists[label].push(index);
  return lists.filter((list) => list.length > 0).map((list) => Int32Array.from(list));
}

/** Checks that `init` holds every parameter of `specs` with the right size; returns them in spec order. */
function initialWeights(
  init: NonNullable<ResolvedTrainConfig['init']>,
  specs: readonly { name: string; shape: readonly number[] }[],
): Float32Array[] {
  return specs.map((spec) => {
    const values = init.weights[spec.name];
    const size = spec.shape.reduce((a, b) => a * b, 1);
    if (!(values instanceof Float32Array) || values.length !== size) {
      throw new RangeError(
        `train: the initial weights from ${init.source} ${values instanceof Float32Array ? `have ${values.length} values for "${spec.name}", the UNet needs ${size}` : `lack the parameter "${spec.name}"`}. ` +
          'Start from a model with the same architecture, conditioning and image channels (or train without init).',
      );
    }
    return values;
  });
}

function diffFingerprint(saved: Record<string, unknown>, current: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(saved), ...Object.keys(current)]);
  const out: string[] = [];
  for (const key of keys) {
    const a = JSON.stringify(saved[key]);
    const b = JSON.stringify(current[key]);
    if (a !== b) out.push(`${key}: checkpoint ${a ?? 'unset'}, now ${b ?? 'unset'}`);
  }
  return out;
}

/** A fixed subset of the validation data (independent of the training PRNG). */
function validationSubset(
  data: TrainingData,
  size: number,
  seed: number,
): { images: Float32Array; labels: Int32Array } {
  const indices =
    data.size <= size
      ? Int32Array.from({ length: data.size }, (_, i) => i)
      : createRandom(seed).permutation(data.size).subarray(0, size).sort();
  return data.read(indices);
}

function recordOf(
  specNames: readonly string[],
  arrays: readonly Float32Array[],
): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  specNames.forEach((name, i) => {
    out[name] = arrays[i];
  });
  return out;
}

function throwIfAbortedEarly(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new Error('train: the signal was already aborted before training started.', {
      cause: signal.reason,
    });
  }
}

/**
 * Trains a MedSymmFlow UNet with symmetrical flow matching.
 *
 * @example
 * ```ts
 * import { loadMedMnistSplits } from '@medsymmflow/datasets-medmnist';
 * import { train, trainingDataFromMedmnist } from '@medsymmflow/core-flow';
 *
 * const { train: trainSplit, val } = await loadMedMnistSplits({ flag: 'pneumoniamnist', splits: ['train', 'val'] });
 * const result = await train({
 *   data: trainingDataFromMedmnist(trainSplit),
 *   validation: trainingDataFromMedmnist(val),
 *   epochs: 10,
 *   outDir: 'runs/pneumonia',
 *   onProgress: (e) => e.type === 'step' && console.log(e.step, e.loss.toFixed(4)),
 * });
 * console.log(result.bestAccuracy); // e.g. 0.83
 * // resume after a crash: the same call with resume: true
 * ```
 */
export async function train(config: TrainConfig): Promise<TrainResult> {
  const cfg = resolveTrainConfig(config);
  throwIfAbortedEarly(cfg.signal);
  const { data, batchSize } = cfg;
  const [height, width, imageChannels] = data.imageShape;
  if (height !== width) {
    throw new RangeError(
      `train: the UNet takes square images, but the data is ${height}×${width}. Resize or crop the images first.`,
    );
  }
  const lossConfig = resolveSfmLossConfig(cfg.loss);
  const { config: modelConfig, maskPlugin } = await resolveFlowModelConfig({
    numClasses: data.numClasses,
    ...(data.labelNames ? { labels: [...data.labelNames] } : {}),
    imageSize: height,
    imageChannels,
    conditioning: cfg.conditioning,
    architecture: cfg.architecture,
    dataset: data.dataset ?? null,
    metadata: {
      training: {
        trainer: `@medsymmflow/core-flow ${version}`,
        seed: cfg.seed,
        epochs: cfg.epochs,
        batchSize,
        learningRate: cfg.learningRate,
        emaDecay: cfg.emaDecay,
        trainSize: data.size,
        ...(data.sourceImageSize !== undefined ? { sourceImageSize: data.sourceImageSize } : {}),
        ...(cfg.sampling !== 'shuffle' ? { sampling: cfg.sampling } : {}),
        ...(cfg.init ? { initialWeights: cfg.init.source } : {}),
        // Only a non-default loss, so the metadata of models trained as the paper says stays as it was.
        ...(lossIsDefault(lossConfig) ? {} : { loss: lossConfig }),
      },
    },
  });
  const maskChannels = maskPlugin.channels;
  const { type: _type, ...unetConfig } = modelConfig.architecture;
  const unet: UNet = createUNet(unetConfig);
  const specs = unet.paramSpecs;
  const specNames = specs.map((s) => s.name);
  const sizes = specs.map((s) => s.shape.reduce((a, b) => a * b, 1));
  const stepsPerEpoch = Math.ceil(data.size / batchSize);
  const totalSteps = Math.min(cfg.epochs * stepsPerEpoch, cfg.maxSteps ?? Number.POSITIVE_INFINITY);
  const validateEvery = cfg.validateEvery ?? stepsPerEpoch;
  const fingerprint = fingerprintOf(cfg, modelConfig, totalSteps);
  const dirs = cfg.outDir
    ? {
        checkpoint: join(cfg.outDir, TRAIN_OUTPUT_DIRS.checkpoint),
        best: join(cfg.outDir, TRAIN_OUTPUT_DIRS.best),
        final: join(cfg.outDir, TRAIN_OUTPUT_DIRS.final),
      }
    : undefined;
  const checkpointDir = dirs && cfg.resume ? resolveAtomicDir(dirs.checkpoint) : undefined;
  if (dirs && cfg.resume && !checkpointDir) {
    throw new Error(
      `Cannot resume: there is no checkpoint in ${dirs.checkpoint}. Train without 'resume' to start a new run ` +
        'there, or point outDir at the folder of the run to continue.',
    );
  }
  if (dirs && !cfg.resume && !cfg.overwrite && resolveAtomicDir(dirs.checkpoint)) {
    throw new Error(
      `${cfg.outDir} already holds a training checkpoint. Pass resume: true to continue that run, ` +
        'overwrite: true to start over in the same folder, or choose another outDir.',
    );
  }

  // ---- engine and the model that validates and saves ----
  const resolved = await resolveEngine(cfg.engine);
  const flowModel = await createFlowModel(modelConfig, { engine: resolved });

  // ---- state: fresh or from the checkpoint ----
  const random = createRandom(cfg.seed);
  const byClass =
    cfg.sampling === 'class-balanced' ? indicesByClass(readAllLabels(data), data.numClasses) : undefined;
  const { buffer: paramBuffer, arrays: params } = sharedArrays(sizes);
  const optimizer = createAdamW(sizes, cfg.optimizer);
  let ema: Float32Array[];
  let step = 0;
  let epoch = 0;
  let batchInEpoch = 0;
  let order: Int32Array;
  let bestMetric: number | null = null;
  let bestStep: number | null = null;
  let losses: number[] = [];
  let validations: ValidationRecord[] = [];
  let elapsedBefore = 0;
  try {
    if (checkpointDir) {
      const state = await readTrainerState(checkpointDir);
      const mismatches = diffFingerprint(state.fingerprint, fingerprint);
      if (mismatches.length > 0) {
        throw new Error(
          `Cannot resume from ${checkpointDir}: these options differ from the run that wrote it — ` +
            `${mismatches.join('; ')}. Pass the same options to resume, or start a new run in another outDir ` +
            '(or without resume).',
        );
      }
      if (
        state.ema.length !== sizes.length ||
        state.m.length !== sizes.length ||
        state.v.length !== sizes.length
      ) {
        throw new Error(
          `The training checkpoint in ${checkpointDir} holds ${state.ema.length} EMA arrays for a model with ` +
            `${sizes.length} parameters. Delete it and train without resume to start over.`,
        );
      }
      let weights: Record<string, Float32Array>;
      try {
        const saved = await loadFlowModel(checkpointDir, { engine: resolved });
        weights = saved.getWeights();
        saved.dispose();
      } catch (error) {
        throw new Error(
          `Cannot resume from ${checkpointDir}: its weights do not load (${(error as Error).message}). Delete ` +
            'the folder and train without resume to start over.',
          { cause: error },
        );
      }
      for (const [i, spec] of specs.entries()) params[i].set(weights[spec.name]);
      optimizer.setState({ step: state.optimizerStep, m: state.m, v: state.v });
      ema = cloneArrays(state.ema);
      random.setState(state.random as RandomState);
      ({ step, epoch, batchInEpoch, order, bestMetric, bestStep, elapsedMs: elapsedBefore } = state);
      losses = [...state.losses];
      validations = [...state.validations];
    } else {
      if (cfg.init) {
        for (const [i, values] of initialWeights(cfg.init, specs).entries()) params[i].set(values);
      } else {
        const init = initParamData(specs, random);
        for (const [i, spec] of specs.entries()) params[i].set(init[spec.name]);
      }
      ema = cloneArrays(params);
      order = epochOrder(data.size, byClass, random);
    }
  } catch (error) {
    flowModel.dispose();
    throw error;
  }

  // ---- gradient computation: worker threads or this thread ----
  const setup: GradientSetup = {
    unet: unetConfig,
    loss: lossConfig,
    imageShape: [height, width, imageChannels],
    maskChannels,
    microBatchSize: cfg.microBatchSize,
  };
  let pool: GradientPool | undefined;
  let local: ShardGradientComputer | undefined;
  let workers = cfg.gradientEngine ? 0 : cfg.workers;
  const engineName = cfg.gradientEngine?.name ?? resolved.name;
  try {
    if (cfg.gradientEngine) {
      local = await cfg.gradientEngine.createComputer(setup);
      workers = local.workers ?? 0;
    } else if (workers > 0) {
      pool = await createGradientPool({
        size: cfg.workers,
        engine: resolved.name,
        setup,
        sizes,
        params: paramBuffer,
      });
    } else {
      local = createShardGradientComputer(resolved.engine, setup);
    }
  } catch (error) {
    flowModel.dispose();
    throw error;
  }

  const emit = (event: TrainProgressEvent) => cfg.onProgress?.(event);
  const validationData = cfg.validation
    ? validationSubset(cfg.validation, cfg.validationSize, cfg.seed + 1)
    : undefined;
  // The same measures on as many training images (unaugmented) tell underfitting (both low) from
  // overfitting (training high, validation falling).
  const trainingProbe = cfg.validation ? validationSubset(data, cfg.validationSize, cfg.seed + 3) : undefined;

  /**
   * Predictions, accuracy and balanced accuracy of the EMA weights on `subset` (same ξm noise every time,
   * `validationSamples` masks per image).
   */
  const measure = (subset: { images: Float32Array; labels: Int32Array }) => {
    const { labels } = flowModel.classify({
      images: subset.images,
      random: createRandom(cfg.seed + 2),
      numSamples: cfg.validationSamples,
      batchSize: cfg.microBatchSize,
    });
    const { confusion, balancedAccuracy } = perClassReport(subset.labels, labels, data.numClasses);
    const right = confusion.reduce((sum, row, k) => sum + row[k], 0);
    return { predictions: labels, accuracy: right / labels.length, balancedAccuracy };
  };

  /** The EMA weights measured on the validation subset (also its weighted kappa) and on the training probe. */
  const validate = () => {
    if (!validationData || !trainingProbe) throw new Error('no validation data');
    flowModel.setWeights(recordOf(specNames, ema));
    const { predictions, accuracy, balancedAccuracy } = measure(validationData);
    const { quadraticWeightedKappa } = ordinalReport(validationData.labels, predictions, data.numClasses);
    const training = measure(trainingProbe);
    return {
      accuracy,
      balancedAccuracy,
      quadraticWeightedKappa,
      trainingAccuracy: training.accuracy,
      trainingBalancedAccuracy: training.balancedAccuracy,
    };
  };

  /** The number `validationMetric` selects `best/` by; an undefined kappa (one grade only) counts as chance. */
  const selectionScore = (measured: ReturnType<typeof validate>): number => {
    if (cfg.validationMetric === 'balanced-accuracy') return measured.balancedAccuracy;
    if (cfg.validationMetric === 'quadratic-weighted-kappa') return measured.quadraticWeightedKappa ?? 0;
    return measured.accuracy;
  };

  /** Writes `arrays` as a loadable model folder. */
  const saveModel = async (dir: string, arrays: readonly Float32Array[]): Promise<void> => {
    flowModel.setWeights(recordOf(specNames, arrays as Float32Array[]));
    await flowModel.save(dir, { overwrite: true });
  };

  const saveCheckpoint = async (): Promise<number> => {
    if (!dirs) return 0;
    const started = performance.now();
    const state: TrainerState = {
      step,
      epoch,
      batchInEpoch,
      order,
      random: random.getState(),
      bestMetric,
      bestStep,
      fingerprint,
      losses,
      validations,
      optimizerStep: optimizer.step,
      m: optimizer.getState().m,
      v: optimizer.getState().v,
      ema,
      elapsedMs: elapsedBefore + (performance.now() - sessionStart),
    };
    await writeDirAtomic(dirs.checkpoint, async (tmp) => {
      await saveModel(tmp, params);
      await writeTrainerState(tmp, state);
    });
    return (performance.now() - started) / 1000;
  };

  // ---- loop ----
  const sessionStart = performance.now();
  const startStep = step;
  let trainMs = 0;
  let imagesSeen = 0;
  let aborted = false;
  const grads = sizes.map((n) => new Float32Array(n));
  emit({
    type: 'start',
    totalSteps,
    stepsPerEpoch,
    epochs: cfg.epochs,
    startStep,
    resumed: checkpointDir !== undefined,
    engine: engineName,
    workers,
    numParameters: unet.numParameters,
    validations: [...validations],
    bestStep,
  });
  try {
    while (step < totalSteps) {
      const stepStart = performance.now();
      if (batchInEpoch >= stepsPerEpoch) {
        epoch += 1;
        batchInEpoch = 0;
        order = epochOrder(data.size, byClass, random);
      }
      const indices = order.subarray(
        batchInEpoch * batchSize,
        Math.min(data.size, (batchInEpoch + 1) * batchSize),
      );
      const batch = data.read(indices);
      const n = indices.length;
      augmentInPlace(batch.images, [n, height, width, imageChannels], cfg.augment, random);
      const masks = maskPlugin.encode(batch.labels, { height, width, random: random.uniform });
      const noise = sampleSfmNoise({ n, height, width, imageChannels, maskChannels }, random);
      const dropoutSeed = unetConfig.dropout > 0 ? random.nextUint32() : undefined;

      for (const g of grads) g.fill(0);
      let sums: ShardSums[];
      const imageSize = height * width * imageChannels;
      const maskSize = height * width * maskChannels;
      const shards: ShardInput[] = shardRanges(n, pool ? pool.size : 1).map(({ start, count }) => ({
        n: count,
        images: batch.images.slice(start * imageSize, (start + count) * imageSize),
        masks: masks.slice(start * maskSize, (start + count) * maskSize),
        xiX: noise.xiX.slice(start * imageSize, (start + count) * imageSize),
        xiM: noise.xiM.slice(start * maskSize, (start + count) * maskSize),
        t: noise.t.slice(start, start + count),
        dropoutSeed: dropoutSeed === undefined ? undefined : (dropoutSeed + start) >>> 0,
      }));
      if (pool) {
        const out = await pool.compute(shards);
        sums = out.sums;
        for (const workerGrads of out.grads) {
          for (let i = 0; i < grads.length; i++) {
            const acc = grads[i];
            const g = workerGrads[i];
            for (let j = 0; j < acc.length; j++) acc[j] += g[j];
          }
        }
      } else {
        sums = [];
        for (const shard of shards) sums.push(await local!.compute(params, shard, grads));
      }
      scaleArrays(grads, 1 / n);
      const total = (key: keyof ShardSums) => sums.reduce((a, s) => a + s[key], 0) / n;
      const loss = total('loss');
      const gradNorm = cfg.clipGradNorm ? clipGlobalNorm(grads, cfg.clipGradNorm) : globalNorm(grads);
      if (!Number.isFinite(gradNorm)) {
        throw new RangeError(
          `Gradients became ${gradNorm} at step ${step + 1}. Lower 'learningRate' or set 'clipGradNorm' (e.g. 1).`,
        );
      }
      const learningRate = oneCycleLr(step, {
        maxLr: cfg.learningRate,
        totalSteps,
        warmupFraction: cfg.warmupFraction,
      });
      optimizer.update(params, grads, learningRate);
      updateEma(ema, params, emaDecayAt(step, cfg.emaDecay));
      step += 1;
      batchInEpoch += 1;
      losses.push(loss);
      imagesSeen += n;
      trainMs += performance.now() - stepStart;
      const imagesPerSecond = imagesSeen / (trainMs / 1000);
      const remainingImages = (totalSteps - step) * batchSize;
      emit({
        type: 'step',
        step,
        totalSteps,
        epoch,
        epochs: cfg.epochs,
        loss,
        imageLoss: total('imageLoss'),
        maskLoss: total('maskLoss'),
        learningRate,
        gradNorm,
        imagesPerSecond,
        etaSeconds: remainingImages / imagesPerSecond,
        elapsedSeconds: (performance.now() - sessionStart) / 1000,
      });

      aborted = cfg.signal?.aborted === true && step < totalSteps;
      const last = step === totalSteps || aborted;
      if (validationData && (step % validateEvery === 0 || step === totalSteps)) {
        const started = performance.now();
        const measured = validate();
        validations.push({ step, ...measured });
        const score = selectionScore(measured);
        const improved = bestMetric === null || score > bestMetric;
        if (improved) {
          bestMetric = score;
          bestStep = step;
          if (dirs) await saveModel(dirs.best, ema);
        }
        emit({
          type: 'validation',
          step,
          epoch,
          ...measured,
          bestAccuracy: bestMetric as number,
          improved,
          seconds: (performance.now() - started) / 1000,
        });
      }
      if (dirs && (step % cfg.checkpointEvery === 0 || last)) {
        const seconds = await saveCheckpoint();
        emit({ type: 'checkpoint', step, path: dirs.checkpoint, seconds });
      }
      if (aborted) break;
    }
    if (dirs && !aborted) await saveModel(dirs.final, ema);
    flowModel.setWeights(recordOf(specNames, ema));
  } catch (error) {
    flowModel.dispose();
    throw error;
  } finally {
    await pool?.close();
    local?.dispose?.();
  }
  const elapsedSeconds = (performance.now() - sessionStart) / 1000;
  emit({ type: 'end', step, reason: aborted ? 'aborted' : 'completed', elapsedSeconds });
  return {
    steps: step,
    totalSteps,
    losses,
    validations,
    bestAccuracy: bestMetric,
    validationMetric: cfg.validationMetric,
    validationSamples: cfg.validationSamples,
    bestStep,
    imagesPerSecond: trainMs > 0 ? imagesSeen / (trainMs / 1000) : 0,
    elapsedSeconds,
    aborted,
    engine: engineName,
    config: modelConfig,
    model: flowModel,
    weights: recordOf(
      specNames,
      params.map((p) => p.slice()),
    ),
    ...(dirs
      ? {
          paths: {
            checkpoint: dirs.checkpoint,
            ...(bestStep !== null ? { best: dirs.best } : {}),
            final: dirs.final,
          },
        }
      : {}),
  };
}
