/**
 * @file `medsymmflow train`: train a MedSymmFlow model on a MedMNIST dataset. A thin layer over `train()`
 * of `@medsymmflow/core-flow`: options map one to one, progress is drawn with cli-progress, Ctrl-C stops
 * after the current step and writes a checkpoint (resume with `--resume`).
 * @module commands/train
 */

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BUILTIN_MASK_PLUGINS, type MaskPluginConfig } from '@medsymmflow/conditioning-masks';
import {
  type ArchitectureConfig,
  loadFlowModel,
  SFM_LOSS_DEFAULTS,
  subsetTrainingData,
  TRAIN_DEFAULTS,
  TRAIN_OUTPUT_DIRS,
  TRAIN_SAMPLINGS,
  TRAIN_VALIDATION_METRICS,
  type TrainConfig,
  type TrainInit,
  type TrainingData,
  type TrainProgressEvent,
  type TrainSampling,
  type TrainValidationMetric,
  train,
  trainingDataFromMedmnist,
  UNET_DEFAULTS,
  type ValidationRecord,
} from '@medsymmflow/core-flow';
import {
  closestPublishedSize,
  DATASET_FLAGS,
  getDatasetInfo,
  loadMedMnistSplits,
  resolveMedMnistRoot,
  writeFileAtomic,
} from '@medsymmflow/datasets-medmnist';
import { createOrtGradientEngine, ortExecutionProviderStatus } from '@medsymmflow/exporters';
import { learningCurveSvg } from '@medsymmflow/uncertainty';
import cliProgress from 'cli-progress';
import { type Command, Option } from 'commander';
import type { CliContext } from '../lib/context';
import { ensureDatasetFile } from '../lib/ensure-dataset';
import { CliError, UsageError } from '../lib/errors';
import { resolveModelDir } from '../lib/model-source';
import { parsePositiveInteger } from './datasets';
import type { CommandGroup } from './types';

/** Options of `medsymmflow train` as commander parses them. */
export interface TrainCommandOptions {
  dataset: string;
  root?: string;
  /** Unset: `imageSize` when published, else the closest published size (the official loaders' rule). */
  size?: number;
  /** Model input size; the dataset images are resized to it. Unset: the dataset file's size. */
  imageSize?: number;
  /** `false` with `--no-download`. */
  download: boolean;
  /** `false` with `--no-strict`. */
  strict: boolean;
  /** Undefined = rgb-palette, or the conditioning of the `--init` model. */
  conditioning?: string;
  /** `--conditioning-options`: the plugin's options as a JSON object, e.g. `{"beta":2}`. */
  conditioningOptions?: Record<string, unknown>;
  init?: string;
  sampling?: TrainSampling;
  validationMetric?: TrainValidationMetric;
  epochs?: number;
  maxSteps?: number;
  batchSize?: number;
  microBatchSize?: number;
  lr?: number;
  warmup?: number;
  weightDecay?: number;
  emaDecay?: number;
  /** Weight w of the image velocity loss; the mask loss gets 1 − w. */
  imageWeight?: number;
  clipGradNorm?: number;
  hflip?: number;
  vflip?: number;
  rot90?: number;
  baseChannels?: number;
  channelMults?: number[];
  resBlocks?: number;
  attention?: number[];
  headChannels?: number;
  out: string;
  resume?: boolean;
  overwrite?: boolean;
  seed?: number;
  workers?: number;
  engine?: string;
  limit?: number;
  validateEvery?: number;
  checkpointEvery?: number;
  validationSize?: number;
  validationSamples?: number;
  json?: boolean;
  quiet?: boolean;
}

/** Parses a number option (commander argument parser). */
export function parseNumber(
  name: string,
  check: (v: number) => boolean,
  expected: string,
): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (value.trim() === '' || !Number.isFinite(number) || !check(number)) {
      throw new UsageError(`Invalid ${name} ${JSON.stringify(value)}: expected ${expected}.`);
    }
    return number;
  };
}

/** Parses a non-negative integer option. */
export function parseCount(name: string): (value: string) => number {
  return parseNumber(name, (v) => Number.isInteger(v) && v >= 0, 'an integer ≥ 0');
}

/** Parses a JSON object option, e.g. `--conditioning-options '{"beta":2}'`. */
export function parseJsonObject(name: string): (value: string) => Record<string, unknown> {
  return (value) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch (error) {
      throw new UsageError(
        `Invalid ${name} ${JSON.stringify(value)}: not JSON (${(error as Error).message}).`,
        `Pass a JSON object, e.g. ${name} '{"beta":2}' (single quotes keep the shell off the braces).`,
      );
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new UsageError(
        `Invalid ${name} ${JSON.stringify(value)}: expected a JSON object.`,
        `E.g. ${name} '{"beta":2}'.`,
      );
    }
    return parsed as Record<string, unknown>;
  };
}

/** Parses a comma-separated list of positive integers, e.g. `1,2,2`. */
export function parseIntegerList(name: string, allowEmpty = false): (value: string) => number[] {
  return (value) => {
    const trimmed = value.trim();
    if (allowEmpty && (trimmed === '' || trimmed === 'none')) return [];
    const parts = trimmed.split(',').map((p) => p.trim());
    if (parts.some((p) => !/^\d+$/.test(p) || Number(p) < 1)) {
      throw new UsageError(
        `Invalid ${name} ${JSON.stringify(value)}: expected comma-separated positive integers such as 1,2,2` +
          `${allowEmpty ? " (or 'none')" : ''}.`,
      );
    }
    return parts.map(Number);
  };
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  return h > 0
    ? `${h}h${String(m).padStart(2, '0')}m`
    : m > 0
      ? `${m}m${String(rest).padStart(2, '0')}s`
      : `${rest}s`;
}

/**
 * Keeps `<out>/learning-curve.svg` current: drawn when a resumed run starts (its earlier sessions) and after every
 * validation, so a long run can be watched. The last drawing is the whole run.
 */
function createLearningCurveWriter(
  path: string,
  title: string,
  warn: (line: string) => void,
): {
  onProgress(event: TrainProgressEvent): void;
  /** Waits for the writes; resolves to the path, or `undefined` when nothing was validated or written. */
  finish(): Promise<string | undefined>;
} {
  const points: ValidationRecord[] = [];
  let selectedStep: number | undefined; // the step of best/, as the trainer reports it
  let writes: Promise<void> = Promise.resolve();
  let failure: Error | undefined;
  const draw = () => {
    const svg = learningCurveSvg(points, { title, ...(selectedStep === undefined ? {} : { selectedStep }) });
    // A picture that cannot be written must not stop training: finish() warns instead.
    writes = writes
      .then(() => writeFileAtomic(path, svg))
      .catch((error: Error) => {
        failure ??= error;
      });
  };
  return {
    onProgress(event) {
      if (event.type === 'start') {
        points.push(...event.validations);
        selectedStep = event.bestStep ?? undefined;
        if (points.length > 0) draw();
      }
      if (event.type !== 'validation') return;
      const { step, accuracy, balancedAccuracy, trainingAccuracy, trainingBalancedAccuracy } = event;
      points.push({ step, accuracy, balancedAccuracy, trainingAccuracy, trainingBalancedAccuracy });
      if (event.improved) selectedStep = step;
      draw();
    },
    async finish() {
      await writes;
      if (points.length === 0) return undefined;
      if (!failure) return path;
      warn(`medsymmflow: warning: could not write the learning curve ${path}: ${failure.message}`);
      return undefined;
    },
  };
}

/** Renders trainer progress: a bar on a terminal, occasional lines otherwise. */
function createTrainProgress(
  context: CliContext,
  quiet: boolean,
  notes: readonly string[] = [],
  metric: TrainValidationMetric = 'accuracy',
): {
  onProgress(event: TrainProgressEvent): void;
  stop(): void;
} {
  const log = (line: string) => {
    if (!quiet) context.stderr.write(`${line}\n`);
  };
  let bar: cliProgress.SingleBar | undefined;
  let payload: Record<string, string> = { epoch: '-', loss: '-', ips: '-', eta_text: '?' };
  let lastLogged = 0;
  const stop = () => {
    bar?.stop();
    bar = undefined;
  };
  return {
    stop,
    onProgress(event) {
      switch (event.type) {
        case 'start':
          log(
            `Training ${event.numParameters.toLocaleString('en-US')} parameters on engine "${event.engine}" ` +
              `(${event.workers === 0 ? 'main thread' : `${event.workers} worker thread${event.workers > 1 ? 's' : ''}`}): ` +
              `${event.totalSteps} steps, ${event.stepsPerEpoch} per epoch` +
              (event.resumed ? `, resuming at step ${event.startStep}` : '') +
              (notes.length > 0 ? ` (${notes.join('; ')})` : ''),
          );
          if (!quiet && context.stderr.isTTY) {
            bar = new cliProgress.SingleBar(
              {
                stream: context.stderr as NodeJS.WritableStream,
                format:
                  'train [{bar}] {value}/{total} | epoch {epoch} | loss {loss} | {ips} img/s | ETA {eta_text}',
                hideCursor: true,
                barsize: 24,
              },
              cliProgress.Presets.shades_classic,
            );
            bar.start(event.totalSteps, event.startStep, payload);
          }
          break;
        case 'step': {
          payload = {
            epoch: `${event.epoch + 1}/${event.epochs}`,
            loss: event.loss.toFixed(4),
            ips: event.imagesPerSecond.toFixed(1),
            eta_text: formatDuration(event.etaSeconds),
          };
          if (bar) {
            bar.update(event.step, payload);
          } else if (
            event.step === event.totalSteps ||
            event.step - lastLogged >= Math.max(1, event.totalSteps / 20)
          ) {
            lastLogged = event.step;
            log(
              `step ${event.step}/${event.totalSteps}  epoch ${payload.epoch}  loss ${payload.loss}  ` +
                `${payload.ips} img/s  ETA ${payload.eta_text}`,
            );
          }
          break;
        }
        case 'validation':
          bar?.stop();
          log(
            `validation at step ${event.step}: accuracy ${(event.accuracy * 100).toFixed(2)}%, ` +
              `balanced ${(event.balancedAccuracy * 100).toFixed(2)}%` +
              (metric === 'quadratic-weighted-kappa'
                ? `, kappa ${formatKappa(event.quadraticWeightedKappa)}`
                : '') +
              (event.improved
                ? ' (best so far, saved)'
                : ` (best ${formatMetric(metric, event.bestAccuracy)})`) +
              `; training images: accuracy ${(event.trainingAccuracy * 100).toFixed(2)}%, ` +
              `balanced ${(event.trainingBalancedAccuracy * 100).toFixed(2)}%`,
          );
          if (bar) bar.start(bar.getTotal(), event.step, payload);
          break;
        case 'checkpoint':
          if (!bar) log(`checkpoint at step ${event.step}: ${event.path}`);
          break;
        case 'end':
          stop();
          break;
      }
    },
  };
}

/**
 * `--init`: the weights, architecture and conditioning of a saved model or zoo id to fine-tune from. Checks that
 * the model fits the data (classes, image size and channels) and that no flag asks for another architecture.
 */
async function initialModel(
  context: CliContext,
  options: TrainCommandOptions,
  architectureFlags: ArchitectureConfig,
  data: TrainingData,
): Promise<{ architecture: ArchitectureConfig; conditioning: MaskPluginConfig; init: TrainInit }> {
  const source = options.init as string;
  const given = Object.keys(architectureFlags);
  if (given.length > 0) {
    throw new UsageError(
      `--init takes the architecture of ${source}; it cannot be combined with architecture flags (${given.join(', ')}).`,
      'Drop the architecture flags to fine-tune the model as it is, or drop --init to train a new one.',
    );
  }
  const { dir, zooId, zooVersion } = await resolveModelDir(context, {
    model: source,
    quiet: options.quiet === true || options.json === true,
  });
  let model: Awaited<ReturnType<typeof loadFlowModel>>;
  try {
    model = await loadFlowModel(dir);
  } catch (error) {
    throw new CliError(`Cannot load the --init model ${source}: ${(error as Error).message}`, {
      hint: 'Pass --init a folder written by "medsymmflow train" (e.g. runs/<name>/best) or a zoo id with weights.',
      cause: error,
    });
  }
  try {
    const { config } = model;
    const [height, , channels] = data.imageShape;
    const problems = [
      config.numClasses !== data.numClasses &&
        `${config.numClasses} classes (the data has ${data.numClasses})`,
      config.imageSize !== height && `${config.imageSize} px images (the data has ${height} px)`,
      config.imageChannels !== channels &&
        `${config.imageChannels} image channels (the data has ${channels})`,
    ].filter(Boolean);
    if (problems.length > 0) {
      throw new UsageError(
        `The --init model ${source} has ${problems.join(', ')}.`,
        'Fine-tune a model trained on data of the same shape and number of classes (--image-size resizes the data).',
      );
    }
    if (options.conditioningOptions !== undefined) {
      throw new UsageError(
        `--init takes the conditioning of ${source} as it was trained; it cannot be combined with --conditioning-options.`,
        'Drop --conditioning-options to fine-tune the model as it is, or drop --init to train a new one.',
      );
    }
    if (options.conditioning !== undefined && options.conditioning !== config.conditioning.name) {
      throw new UsageError(
        `The --init model ${source} uses the ${config.conditioning.name} conditioning, not ${options.conditioning}.`,
        "Drop --conditioning to keep the model's, or drop --init to train a new model.",
      );
    }
    const { type: _type, ...architecture } = config.architecture;
    return {
      architecture,
      conditioning: config.conditioning,
      // A zoo id is recorded with its version: the id may later name newer weights.
      init: {
        weights: model.getWeights(),
        source: zooId ? `${zooId}${zooVersion ? `@${zooVersion}` : ''}` : dir,
      },
    };
  } finally {
    model.dispose();
  }
}

/**
 * The default attention for another image size: the feature maps at a quarter of it (7 at 28 px, 8 at the official
 * 32 px), the official downsample rate 4. At 28 px this is the UNet default, so nothing is set.
 */
function attentionAtQuarter(imageSize: number): Pick<ArchitectureConfig, 'attentionResolutions'> {
  return imageSize !== 28 && imageSize % 4 === 0 ? { attentionResolutions: [imageSize / 4] } : {};
}

async function trainCommand(context: CliContext, options: TrainCommandOptions): Promise<void> {
  const info = getDatasetInfo(options.dataset);
  if (info.dimensions === 3) {
    throw new UsageError(`${info.flag} is a 3D dataset; MedSymmFlow trains on 2D datasets.`);
  }
  if (info.multiLabel) {
    throw new UsageError(
      `${info.flag} is multi-label; MedSymmFlow conditions on one class per image.`,
      'Pick a multi-class or binary dataset (see "medsymmflow datasets list").',
    );
  }
  if (options.validationMetric === 'quadratic-weighted-kappa' && info.task !== 'ordinal-regression') {
    throw new UsageError(
      `--validation-metric quadratic-weighted-kappa scores classes as grades; ${info.flag} is ${info.task}.`,
      'Use it with graded datasets such as retinamnist; for the others choose accuracy or balanced-accuracy.',
    );
  }
  if (options.resume && options.overwrite) {
    throw new UsageError('--resume and --overwrite exclude each other.', 'Pass one of them.');
  }
  const hasCheckpoint = ['checkpoint', '.checkpoint.old'].some((name) => existsSync(join(options.out, name)));
  if (options.resume && !hasCheckpoint) {
    throw new UsageError(
      `There is no checkpoint to resume in ${join(options.out, TRAIN_OUTPUT_DIRS.checkpoint)}.`,
      'Drop --resume to start a new run there, or point --out at the folder of the run to continue.',
    );
  }
  if (!options.resume && !options.overwrite && hasCheckpoint) {
    throw new UsageError(
      `${options.out} already holds a training checkpoint.`,
      'Add --resume to continue that run, --overwrite to start over there, or choose another --out.',
    );
  }
  const choice = await chooseTrainEngine(options);
  const root = resolveMedMnistRoot(options.root ?? (context.env.MEDMNIST_ROOT || undefined));
  const fileSize = options.size ?? closestPublishedSize(info.flag, options.imageSize ?? 28);
  const { path } = await ensureDatasetFile(context, {
    flag: info.flag,
    size: fileSize,
    root,
    download: options.download,
    quiet: options.quiet === true || options.json === true,
  });
  const splits = await loadMedMnistSplits({
    flag: info.flag,
    splits: ['train', 'val'],
    size: fileSize,
    // Bilinear, as the official loaders' Resize (they train "28 px" models on 28 px files upsampled to 32).
    ...(options.imageSize !== undefined ? { resize: options.imageSize } : {}),
    path,
    strict: options.strict,
  });
  let data = trainingDataFromMedmnist(splits.train);
  let validation = trainingDataFromMedmnist(splits.val);
  if (options.limit !== undefined) {
    data = subsetTrainingData(data, range(Math.min(options.limit, data.size)));
    validation = subsetTrainingData(validation, range(Math.min(options.limit, validation.size)));
  }
  let architecture: ArchitectureConfig = {
    ...(options.baseChannels !== undefined ? { baseChannels: options.baseChannels } : {}),
    ...(options.channelMults !== undefined ? { channelMults: options.channelMults } : {}),
    ...(options.resBlocks !== undefined ? { numResBlocks: options.resBlocks } : {}),
    ...(options.attention !== undefined
      ? { attentionResolutions: options.attention }
      : options.init === undefined
        ? attentionAtQuarter(data.imageShape[0])
        : {}), // a fine-tuned model keeps its own
    ...(options.headChannels !== undefined ? { numHeadChannels: options.headChannels } : {}),
  };
  let conditioning: string | MaskPluginConfig =
    options.conditioningOptions === undefined
      ? (options.conditioning ?? 'rgb-palette')
      : { name: options.conditioning ?? 'rgb-palette', options: options.conditioningOptions };
  let init: TrainInit | undefined;
  if (options.init !== undefined) {
    ({ architecture, conditioning, init } = await initialModel(context, options, architecture, data));
  }
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) {
      context.stderr.write('\nmedsymmflow: interrupted again; exiting without a new checkpoint.\n');
      process.exit(130);
    }
    context.stderr.write(
      '\nmedsymmflow: stopping after this step and writing a checkpoint (Ctrl-C again to quit now).\n',
    );
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  const progress = createTrainProgress(
    context,
    options.quiet === true || options.json === true,
    choice.notes,
    options.validationMetric,
  );
  const curve = createLearningCurveWriter(
    join(options.out, 'learning-curve.svg'),
    `Learning curve: ${info.flag}`,
    (line) => context.stderr.write(`${line}\n`),
  );
  const config: TrainConfig = {
    data,
    validation,
    architecture,
    conditioning,
    ...(init ? { init } : {}),
    ...(options.sampling ? { sampling: options.sampling } : {}),
    ...(options.validationMetric ? { validationMetric: options.validationMetric } : {}),
    epochs: options.epochs,
    maxSteps: options.maxSteps,
    batchSize: options.batchSize,
    microBatchSize: options.microBatchSize,
    learningRate: options.lr,
    warmupFraction: options.warmup,
    optimizer: options.weightDecay !== undefined ? { weightDecay: options.weightDecay } : undefined,
    emaDecay: options.emaDecay,
    ...(options.imageWeight !== undefined ? { loss: { imageWeight: options.imageWeight } } : {}),
    clipGradNorm: options.clipGradNorm,
    augment: {
      horizontalFlip: options.hflip ?? 0,
      verticalFlip: options.vflip ?? 0,
      rotate90: options.rot90 ?? 0,
    },
    seed: options.seed,
    workers: choice.workers,
    ...(choice.ort
      ? {
          engine: ORT_TFJS_ENGINE,
          gradientEngine: createOrtGradientEngine(
            choice.workers === undefined ? {} : { workers: choice.workers },
          ),
        }
      : { engine: choice.engine }),
    outDir: options.out,
    resume: options.resume,
    overwrite: options.overwrite,
    validateEvery: options.validateEvery,
    checkpointEvery: options.checkpointEvery,
    validationSize: options.validationSize,
    validationSamples: options.validationSamples,
    onProgress: (event) => {
      progress.onProgress(event);
      curve.onProgress(event);
    },
    signal: controller.signal,
  };
  let result: Awaited<ReturnType<typeof train>>;
  try {
    result = await train(config);
  } catch (error) {
    if (error instanceof RangeError || error instanceof TypeError) throw error;
    throw new CliError((error as Error).message, {
      hint: options.resume
        ? 'Resume with the options of the original run, or start over with --overwrite.'
        : 'Run again with --verbose for the stack trace.',
      cause: error,
    });
  } finally {
    progress.stop();
    process.off('SIGINT', onSigint);
  }
  result.model.dispose();
  const learningCurve = await curve.finish();
  const summary = {
    dataset: info.flag,
    steps: result.steps,
    totalSteps: result.totalSteps,
    aborted: result.aborted,
    finalLoss: result.losses.at(-1) ?? null,
    bestValidationAccuracy: result.bestAccuracy,
    validationMetric: result.validationMetric,
    validationSamples: result.validationSamples,
    bestStep: result.bestStep,
    imagesPerSecond: result.imagesPerSecond,
    seconds: result.elapsedSeconds,
    engine: result.engine,
    ...result.paths,
    ...(learningCurve ? { learningCurve } : {}),
  };
  if (options.json) {
    context.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  } else {
    context.stdout.write(`${summaryText(info.flag, result)}\n`);
    if (learningCurve) context.stdout.write(`Learning curve: ${learningCurve}\n`);
  }
  if (result.aborted) {
    throw new CliError(
      `Interrupted at step ${result.steps} of ${result.totalSteps}; the checkpoint is saved.`,
      {
        hint: 'Continue with the same command plus --resume.',
        exitCode: 130,
      },
    );
  }
}

const METRIC_NAMES: Record<TrainValidationMetric, string> = {
  accuracy: 'accuracy',
  'balanced-accuracy': 'balanced accuracy',
  'quadratic-weighted-kappa': 'quadratic weighted kappa',
};

/** Accuracies as percentages, kappa as the plain number it is reported as. */
function formatMetric(metric: TrainValidationMetric, value: number): string {
  return metric === 'quadratic-weighted-kappa' ? formatKappa(value) : `${(value * 100).toFixed(2)}%`;
}

function formatKappa(kappa: number | null): string {
  return kappa === null ? 'undefined (one grade only)' : kappa.toFixed(3);
}

function summaryText(flag: string, result: Awaited<ReturnType<typeof train>>): string {
  const finalLoss = result.losses.at(-1);
  const lines = [
    `${result.aborted ? 'Stopped' : 'Trained'} ${flag}: step ${result.steps}/${result.totalSteps} in ` +
      `${formatDuration(result.elapsedSeconds)} on engine "${result.engine}" ` +
      `(${result.imagesPerSecond.toFixed(1)} img/s), ` +
      `last loss ${finalLoss?.toFixed(4) ?? '-'}`,
  ];
  if (result.bestAccuracy !== null) {
    lines.push(
      `Best validation ${METRIC_NAMES[result.validationMetric]} ` +
        `${formatMetric(result.validationMetric, result.bestAccuracy)} at step ${result.bestStep}` +
        ` (${result.validations.length} validation${result.validations.length === 1 ? '' : 's'}` +
        `${result.validationSamples > 1 ? `, ${result.validationSamples} noise masks per image` : ''})`,
    );
  }
  if (result.paths?.best) lines.push(`Best model (EMA weights):  ${result.paths.best}`);
  if (!result.aborted && result.paths) lines.push(`Final model (EMA weights): ${result.paths.final}`);
  if (result.paths) lines.push(`Checkpoint: ${result.paths.checkpoint}`);
  if (!result.aborted && result.paths?.best) {
    lines.push(`Evaluate: medsymmflow evaluate --model ${result.paths.best} --dataset ${flag} --split test`);
  }
  return lines.join('\n');
}

/** Engines `--engine` accepts: `ort` computes gradients on ONNX Runtime, the others are tfjs engines. */
export const TRAIN_ENGINE_CHOICES = Object.freeze([
  'ort',
  'wasm',
  'cpu',
  'tfjs-node',
  'tfjs-node-gpu',
] as const);

/** tfjs engine that validates and saves when ONNX Runtime computes the gradients. */
const ORT_TFJS_ENGINE = 'wasm';

/** How a run computes gradients, as chosen from `--engine`/`--workers` and what loads here. */
export interface TrainEngineChoice {
  /** `ort`, a tfjs engine name, or `undefined` for the tfjs default (best available). */
  engine: string | undefined;
  /** True when ONNX Runtime computes the gradients. */
  ort: boolean;
  /** Gradient worker threads (`train()`'s for tfjs engines, the ONNX Runtime engine's sessions for ort). */
  workers: number | undefined;
  /** Notes for the start line (fallbacks, ignored options). */
  notes: string[];
}

/** Whether onnxruntime-node loads here (the reason when it does not). */
async function ortAvailability(): Promise<{ ok: true } | { ok: false; reason: string }> {
  try {
    await ortExecutionProviderStatus();
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: (error as Error).message.split('\n')[0] ?? String(error) };
  }
}

/**
 * Picks the gradient engine: `--engine ort` requires ONNX Runtime; without `--engine` ONNX Runtime is used
 * when it loads, else the tfjs default. `--workers` applies to either: worker threads each computing a share
 * of the batch (ONNX Runtime: one session per worker; 0 = one session on the main thread).
 */
export async function chooseTrainEngine(
  options: Pick<TrainCommandOptions, 'engine' | 'workers'>,
  available: () => Promise<{ ok: true } | { ok: false; reason: string }> = ortAvailability,
): Promise<TrainEngineChoice> {
  if (options.engine !== undefined && options.engine !== 'ort') {
    return { engine: options.engine, ort: false, workers: options.workers, notes: [] };
  }
  const status = await available();
  if (status.ok) return { engine: 'ort', ort: true, workers: options.workers, notes: [] };
  if (options.engine === 'ort') {
    throw new UsageError(
      `--engine ort needs onnxruntime-node, which did not load: ${status.reason}`,
      `Pick a tfjs engine instead: --engine ${TRAIN_ENGINE_CHOICES.filter((e) => e !== 'ort').join('|')}.`,
    );
  }
  return {
    engine: undefined,
    ort: false,
    workers: options.workers,
    notes: [`onnxruntime-node did not load (${status.reason}); using the tfjs default`],
  };
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** The `train` command. */
export const trainCommands: CommandGroup = {
  name: 'train',
  register(program: Command, context: CliContext): void {
    const positiveNumber = (name: string) => parseNumber(name, (v) => v > 0, 'a positive number');
    const unitInterval = (name: string) => parseNumber(name, (v) => v >= 0 && v < 1, 'a number in [0, 1)');
    program
      .command('train')
      .description('train a MedSymmFlow model on a MedMNIST dataset (checkpoints, validation, resume)')
      .requiredOption(
        '--dataset <flag>',
        `MedMNIST dataset flag, e.g. pneumoniamnist (${DATASET_FLAGS.length} known)`,
      )
      .option('--root <dir>', 'dataset folder (default: $MEDMNIST_ROOT or ~/.medmnist)')
      .option(
        '--size <pixels>',
        'image size of the dataset file (default: --image-size when published, else the closest published size; 28 without --image-size)',
        parsePositiveInteger('--size'),
      )
      .option(
        '--image-size <pixels>',
        "model input size: images are resized to it, bilinear (the official code trains its 28 px models at 32) (default: the file's size)",
        parsePositiveInteger('--image-size'),
      )
      .option('--no-download', 'fail instead of downloading a dataset file missing from the folder')
      .option('--no-strict', 'accept a dataset file whose split sizes differ from the official ones')
      .addOption(
        new Option(
          '--conditioning <plugin>',
          'class-conditioning mask (default: rgb-palette, or that of the --init model)',
        ).choices(Object.keys(BUILTIN_MASK_PLUGINS)),
      )
      .option(
        '--conditioning-options <json>',
        "options of the conditioning plugin as a JSON object, e.g. '{\"beta\":2}' (default: the plugin's)",
        parseJsonObject('--conditioning-options'),
      )
      .option(
        '--init <id|dir>',
        'start from the weights of a saved model or zoo id (fine-tuning); its architecture and conditioning are used',
      )
      .addOption(
        new Option(
          '--sampling <order>',
          'sample order of an epoch: shuffle (each image once) or class-balanced (classes drawn equally often, ' +
            'with replacement) (default: shuffle)',
        ).choices([...TRAIN_SAMPLINGS]),
      )
      .option(
        '--epochs <n>',
        `passes over the training split (default ${TRAIN_DEFAULTS.epochs})`,
        parsePositiveInteger('--epochs'),
      )
      .option(
        '--max-steps <n>',
        'stop after n optimizer steps (the schedule spans them)',
        parsePositiveInteger('--max-steps'),
      )
      .option(
        '--batch-size <n>',
        `images per step (default ${TRAIN_DEFAULTS.batchSize})`,
        parsePositiveInteger('--batch-size'),
      )
      .option(
        '--micro-batch-size <n>',
        `images per forward/backward pass (default ${TRAIN_DEFAULTS.microBatchSize})`,
        parsePositiveInteger('--micro-batch-size'),
      )
      .option(
        '--lr <rate>',
        `peak learning rate (default ${TRAIN_DEFAULTS.learningRate})`,
        positiveNumber('--lr'),
      )
      .option(
        '--warmup <fraction>',
        `share of steps spent warming up (default ${TRAIN_DEFAULTS.warmupFraction})`,
        unitInterval('--warmup'),
      )
      .option(
        '--weight-decay <w>',
        'AdamW decoupled weight decay (default 0)',
        parseNumber('--weight-decay', (v) => v >= 0, 'a number ≥ 0'),
      )
      .option(
        '--ema-decay <d>',
        `maximum EMA decay (default ${TRAIN_DEFAULTS.emaDecay})`,
        unitInterval('--ema-decay'),
      )
      .option(
        '--image-weight <w>',
        `weight w of the image velocity loss; the mask loss gets 1 − w (default ${SFM_LOSS_DEFAULTS.imageWeight}, the paper's)`,
        parseNumber('--image-weight', (v) => v >= 0 && v <= 1, 'a number in [0, 1]'),
      )
      .option(
        '--clip-grad-norm <n>',
        'clip gradients to this global norm',
        positiveNumber('--clip-grad-norm'),
      )
      .option(
        '--hflip <p>',
        'mirror each training image left↔right with probability p (default 0; the official recipe uses 0.5)',
        parseNumber('--hflip', (v) => v >= 0 && v <= 1, 'a probability in [0, 1]'),
      )
      .option(
        '--vflip <p>',
        'mirror each training image top↔bottom with probability p (default 0; the official recipe uses 0.5)',
        parseNumber('--vflip', (v) => v >= 0 && v <= 1, 'a probability in [0, 1]'),
      )
      .option(
        '--rot90 <p>',
        'turn each training image by 90°, 180° or 270° with probability p (square images; default 0; ' +
          '0.75 with --hflip 0.5 draws all 8 symmetries of the square equally)',
        parseNumber('--rot90', (v) => v >= 0 && v <= 1, 'a probability in [0, 1]'),
      )
      .option(
        '--base-channels <n>',
        `UNet channels of the first level (default ${UNET_DEFAULTS.baseChannels})`,
        parsePositiveInteger('--base-channels'),
      )
      .option(
        '--channel-mults <list>',
        `UNet channel multipliers per level (default ${UNET_DEFAULTS.channelMults.join(',')})`,
        parseIntegerList('--channel-mults'),
      )
      .option(
        '--res-blocks <n>',
        `residual blocks per level (default ${UNET_DEFAULTS.numResBlocks})`,
        parsePositiveInteger('--res-blocks'),
      )
      .option(
        '--attention <list>',
        `feature-map sizes with self-attention, or 'none' (default ${UNET_DEFAULTS.attentionResolutions.join(',')}: a quarter of the image size)`,
        parseIntegerList('--attention', true),
      )
      .option(
        '--head-channels <n>',
        `channels per attention head; must divide the channels at attention (default ${UNET_DEFAULTS.numHeadChannels})`,
        parsePositiveInteger('--head-channels'),
      )
      .requiredOption('--out <dir>', `output folder: ${Object.values(TRAIN_OUTPUT_DIRS).join('/, ')}/`)
      .option('--resume', 'continue the run whose checkpoint is in --out')
      .option('--overwrite', 'start a new run in an --out folder that holds a checkpoint')
      .option(
        '--seed <n>',
        `seed of every random draw (default ${TRAIN_DEFAULTS.seed})`,
        parseCount('--seed'),
      )
      .option(
        '--workers <n>',
        'gradient worker threads, each on a share of the batch (ort: one ONNX Runtime session each); 0 = main ' +
          'thread (default min(2, cores))',
        parseCount('--workers'),
      )
      .addOption(
        new Option(
          '--engine <name>',
          'gradient engine: ort = ONNX Runtime (validation and saving on wasm), or a tfjs engine ' +
            '(default: ort when onnxruntime-node loads, else the best tfjs engine)',
        ).choices(TRAIN_ENGINE_CHOICES),
      )
      .option(
        '--limit <n>',
        'use only the first n training and validation images (quick runs)',
        parsePositiveInteger('--limit'),
      )
      .option(
        '--validate-every <n>',
        'validate every n steps (default: once per epoch)',
        parsePositiveInteger('--validate-every'),
      )
      .option(
        '--checkpoint-every <n>',
        `write a checkpoint every n steps (default ${TRAIN_DEFAULTS.checkpointEvery})`,
        parsePositiveInteger('--checkpoint-every'),
      )
      .option(
        '--validation-size <n>',
        `validation images scored, and as many training images (default ${TRAIN_DEFAULTS.validationSize})`,
        parsePositiveInteger('--validation-size'),
      )
      .option(
        '--validation-samples <n>',
        'noise masks per validation image, distances averaged: less noisy selection of best/ on small ' +
          `validation splits, each validation n times slower (default ${TRAIN_DEFAULTS.validationSamples})`,
        parsePositiveInteger('--validation-samples'),
      )
      .addOption(
        new Option(
          '--validation-metric <metric>',
          'what selects best/: accuracy, balanced-accuracy (mean per-class recall; use it with ' +
            '--sampling class-balanced or imbalanced classes), or quadratic-weighted-kappa (graded datasets ' +
            'such as retinamnist: near misses cost less) (default: accuracy)',
        ).choices([...TRAIN_VALIDATION_METRICS]),
      )
      .option('--json', 'print the summary as JSON (no progress output)')
      .option('-q, --quiet', 'no progress output')
      .addHelpText(
        'after',
        '\nCtrl-C stops after the current step and writes a checkpoint; add --resume to continue.\n' +
          'Example:\n  medsymmflow train --dataset pneumoniamnist --epochs 10 --out runs/pneumonia\n',
      )
      .action((options: TrainCommandOptions) => trainCommand(context, options));
  },
};
