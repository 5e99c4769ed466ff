/**
 * @file `medsymmflow evaluate`: classify a MedMNIST split with a saved model and report ACC, AUC, AURC and
 * the selective-prediction curve; optionally write per-image predictions (CSV) and the curve (SVG).
 * A thin layer over `loadFlowModel`/`classify` of `@medsymmflow/core-flow` (`--runtime tfjs`) or
 * `exportModel`/`loadOrtModel` of `@medsymmflow/exporters` (`--runtime ort`, the default: the model is
 * exported to ONNX in a temporary folder and run on ONNX Runtime) and the metrics of `@medsymmflow/uncertainty`.
 * @module commands/evaluate
 */

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type SolverName, trainingSourceImageSize, writeFileAtomic } from '@medsymmflow/core-flow';
import {
  closestPublishedSize,
  createRandom,
  getDatasetInfo,
  loadMedMnist,
  resolveMedMnistRoot,
  SPLITS,
  type Split,
} from '@medsymmflow/datasets-medmnist';
import type { OrtFlowModel } from '@medsymmflow/exporters';
import {
  aurc,
  type ClassificationSettings,
  calibrationMismatch,
  correctness,
  distanceAuc,
  distanceProbabilities,
  expectedCalibrationError,
  fitRejectionThreshold,
  fitTemperature,
  ordinalReport,
  perClassReport,
  readStoredCalibration,
  rejectionEvidenceJson,
  resolveClassificationSettings,
  selectivePrediction,
  selectivePredictionSvg,
} from '@medsymmflow/uncertainty';
import cliProgress from 'cli-progress';
import { type Command, Option } from 'commander';
import { addClassificationOptions } from '../lib/classification-options';
import type { CliContext } from '../lib/context';
import { ensureDatasetFile } from '../lib/ensure-dataset';
import { UsageError } from '../lib/errors';
import { csvField } from '../lib/format';
import { openModel, toOrtModel } from '../lib/model-source';
import { parsePositiveInteger } from './datasets';
import { parseCount } from './train';
import type { CommandGroup } from './types';

/** Options of `medsymmflow evaluate` as commander parses them. */
export interface EvaluateCommandOptions {
  model: string;
  dataset?: string;
  split: string;
  root?: string;
  /**
   * Dataset file size. Unset: the file the model was trained from when it was resized from one of this
   * dataset's files, else the model's size when published, else the closest published size.
   */
  size?: number;
  /** `false` with `--no-download`. */
  download: boolean;
  /** `false` with `--no-strict`. */
  strict: boolean;
  /** Unset: the model's calibrated setting, else 1. */
  steps?: number;
  /** Unset: the model's calibrated setting, else euler. */
  solver?: SolverName;
  /** Unset: the model's calibrated setting, else 1. */
  samples?: number;
  batchSize: number;
  seed: number;
  limit?: number;
  engine?: string;
  runtime: Runtime;
  json?: boolean;
  predictions?: string;
  plot?: string;
  calibrate?: boolean;
  zooUrl?: string;
  cacheDir?: string;
  quiet?: boolean;
}

/**
 * Target accuracies whose rejection thresholds `--calibrate` stores (the playground's slider; `classify
 * --target-acc` fits any other on the stored evidence). The low ones are for weak models: a 52 %-accurate
 * RetinaMNIST model reaches no 90 % rule but may serve 60 %.
 */
export const CALIBRATION_TARGET_ACCURACIES = Object.freeze([0.6, 0.7, 0.8, 0.9, 0.95, 0.99]);

/** Confidence of the stored thresholds' binomial test (`fitRejectionThreshold`'s default). */
const CALIBRATION_CONFIDENCE = 0.95;

/**
 * Fits the temperature of the distance softmax and the rejection thresholds on this split's results and stores
 * them in the model's `model.json` as `config.metadata.calibration` (written atomically), with the
 * classification settings they were fitted with, where `classify`, `evaluate` and the playground read them
 * (and classify with those settings by default). Thresholds a target cannot reach with 95 % confidence on this
 * split (`fitRejectionThreshold`'s default) are stored as null. The per-image uncertainty and correctness are
 * stored as `evidence`, so thresholds for other targets can be fitted later without the data.
 */
async function storeCalibration(
  modelDir: string,
  fit: {
    dataset: string;
    n: number;
    labels: ArrayLike<number>;
    distances: Float32Array;
    uncertainty: ArrayLike<number>;
    correct: Uint8Array;
    numClasses: number;
    classification: ClassificationSettings;
  },
) {
  const temperature = fitTemperature(fit.distances, fit.labels, fit.numClasses);
  const rejectionThresholds = CALIBRATION_TARGET_ACCURACIES.map((targetAccuracy) => {
    const rule = fitRejectionThreshold(fit.uncertainty, fit.correct, targetAccuracy, {
      confidence: CALIBRATION_CONFIDENCE,
    });
    return {
      targetAccuracy,
      threshold: rule.attained ? rule.threshold : null,
      coverage: rule.attained ? rule.coverage : 0,
      accuracy: rule.attained ? rule.accuracy : null,
      confidence: rule.confidence,
    };
  });
  const calibration = {
    temperature: temperature.temperature,
    fittedOn: { dataset: fit.dataset, split: 'val', n: fit.n },
    classification: fit.classification,
    rejectionThresholds,
    // So a reader can fit a threshold for any other target the same way (`rejectionThresholdFor`).
    evidence: rejectionEvidenceJson(fit.uncertainty, fit.correct, CALIBRATION_CONFIDENCE),
  };
  const path = join(modelDir, 'model.json');
  const saved = JSON.parse(await readFile(path, 'utf8'));
  saved.config.metadata = { ...(saved.config.metadata ?? {}), calibration };
  await writeFileAtomic(path, `${JSON.stringify(saved, null, 2)}\n`);
  return calibration;
}

/** Runtimes of `evaluate`: ONNX Runtime (default) or core-flow's tfjs engine. */
export const RUNTIMES = Object.freeze(['ort', 'tfjs'] as const);
/** A runtime of `evaluate`. */
export type Runtime = (typeof RUNTIMES)[number];

async function evaluateCommand(context: CliContext, options: EvaluateCommandOptions): Promise<void> {
  if (!SPLITS.includes(options.split as Split)) {
    throw new UsageError(
      `Invalid split ${JSON.stringify(options.split)}.`,
      `Use --split ${SPLITS.join(', --split ')}.`,
    );
  }
  const split = options.split as Split;
  if (options.calibrate && split !== 'val') {
    throw new UsageError(
      `--calibrate fits the temperature and rejection thresholds on the validation split, not ${JSON.stringify(split)}.`,
      'Use --split val --calibrate.',
    );
  }
  if (!RUNTIMES.includes(options.runtime)) {
    throw new UsageError(
      `Invalid runtime ${JSON.stringify(options.runtime)}.`,
      `Use --runtime ${RUNTIMES.join(' or --runtime ')}.`,
    );
  }
  if (options.calibrate && !existsSync(options.model)) {
    throw new UsageError(
      `--calibrate writes into the model folder, but ${JSON.stringify(options.model)} is not a folder here.`,
      'Calibrate your own model folder (zoo models ship calibrated).',
    );
  }
  const { dir, zooId, model } = await openModel(context, options);
  let ortModel: OrtFlowModel | undefined;
  try {
    const stored = readStoredCalibration(model.config.metadata);
    const settings = resolveClassificationSettings(options, stored);
    const mismatch = options.calibrate ? null : calibrationMismatch(stored, settings);
    if (mismatch && !options.quiet && !options.json) context.stderr.write(`note: ${mismatch}\n`);
    const flag = options.dataset ?? model.config.dataset;
    if (!flag) {
      throw new UsageError(
        `The model in ${options.model} does not record its dataset.`,
        'Pass --dataset <flag>, e.g. --dataset pneumoniamnist.',
      );
    }
    const info = getDatasetInfo(flag);
    if (info.numClasses !== model.config.numClasses || info.multiLabel) {
      throw new UsageError(
        `${info.flag} has ${info.numClasses} ${info.multiLabel ? 'labels (multi-label)' : 'classes'} but the model ` +
          `was trained for ${model.config.numClasses} classes${model.config.dataset ? ` (${model.config.dataset})` : ''}.`,
        model.config.dataset
          ? `Use --dataset ${model.config.dataset}.`
          : 'Pick a dataset with as many classes.',
      );
    }
    if (!options.quiet && !options.json && model.config.dataset && model.config.dataset !== info.flag) {
      context.stderr.write(
        `warning: the model was trained on ${model.config.dataset}; evaluating it on ${info.flag}.\n`,
      );
    }
    const root = resolveMedMnistRoot(options.root ?? (context.env.MEDMNIST_ROOT || undefined));
    // A model whose size is not published (the official code's 32 px) reads the file its training read and
    // resizes it the same way (train --size --image-size); models from before that was recorded, the closest file.
    const modelSize = model.config.imageSize;
    const recorded = model.config.dataset === info.flag ? trainingSourceImageSize(model.config) : undefined;
    const trainedFrom = info.sizes.includes(recorded as never) ? recorded : undefined;
    const size = options.size ?? trainedFrom ?? closestPublishedSize(info.flag, modelSize);
    if (!info.sizes.includes(size as never)) {
      throw new UsageError(
        `--size ${size}: ${info.flag} is published at ${info.sizes.join(', ')} px only.`,
        `Drop --size to read the closest file to the model's ${modelSize} px.`,
      );
    }
    const { path } = await ensureDatasetFile(context, {
      flag: info.flag,
      size,
      root,
      download: options.download,
      quiet: options.quiet === true || options.json === true,
    });
    const dataset = await loadMedMnist({
      flag: info.flag,
      split,
      size,
      ...(size !== modelSize ? { resize: modelSize } : {}),
      path,
      strict: options.strict,
      ...(info.nChannels !== model.config.imageChannels
        ? { channels: model.config.imageChannels as 1 | 3 }
        : {}),
    });
    const n = Math.min(options.limit ?? dataset.length, dataset.length);
    const pixels = dataset.height * dataset.width * dataset.channels;
    const images = dataset.getNormalised().subarray(0, n * pixels);
    const labels = dataset.labels.subarray(0, n);

    const showBar = !options.quiet && !options.json && context.stderr.isTTY === true;
    const bar = showBar
      ? new cliProgress.SingleBar(
          {
            stream: context.stderr as NodeJS.WritableStream,
            format: `classify ${info.flag}/${split} [{bar}] {value}/{total} images | ETA {eta_formatted}`,
            hideCursor: true,
            barsize: 24,
          },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
    if (options.runtime === 'ort') {
      ortModel = await toOrtModel(model, dir);
    }
    bar?.start(n, 0);
    const started = performance.now();
    let result: Awaited<ReturnType<OrtFlowModel['classify']>>;
    try {
      result = await (ortModel ?? model).classify({
        images,
        steps: settings.steps,
        solver: settings.solver as SolverName,
        numSamples: settings.samples,
        batchSize: options.batchSize,
        random: createRandom(options.seed),
        onProgress: (event) => bar?.update(event.done),
      });
    } finally {
      bar?.stop();
    }
    const seconds = (performance.now() - started) / 1000;
    const numClasses = result.numClasses;
    const correct = correctness(labels, result.labels);
    const acc = correct.reduce((a, b) => a + b, 0) / n;
    let auc: number | null = null;
    try {
      auc = distanceAuc(labels, result.distances, numClasses);
    } catch {
      // a class absent from a --limit slice: AUC is undefined
    }
    const perClass = perClassReport(labels, result.labels, numClasses);
    // Graded datasets (RetinaMNIST): how far off the wrong grades are, beside plain accuracy.
    const ordinal =
      info.task === 'ordinal-regression' ? ordinalReport(labels, result.labels, numClasses) : undefined;
    const risk = aurc(result.uncertainty, correct);
    const curve = selectivePrediction(result.uncertainty, correct);
    // ECE of the distance softmax at the temperature fitted on validation (1 before calibration).
    const temperature = stored.temperature ?? 1;
    const ece = expectedCalibrationError(
      distanceProbabilities(result.distances, numClasses, temperature),
      labels,
      numClasses,
    );
    const report = {
      dataset: info.flag,
      split,
      n,
      // The published file size the images were resized from, when they were (the model's own size otherwise).
      ...(size !== modelSize ? { resizedFrom: size } : {}),
      acc,
      auc,
      balancedAccuracy: perClass.balancedAccuracy,
      // Per class: recall (null for a class without images) and the confusion matrix, rows = true class.
      recall: perClass.recall,
      confusion: perClass.confusion,
      ...(ordinal ? { ordinal } : {}),
      aurc: risk.aurc,
      eAurc: risk.eAurc,
      ece,
      temperature,
      selective: curve.points.map((p) => ({
        reject: p.rejectionRate,
        acc: p.accuracy,
        threshold: p.threshold,
      })),
      model: zooId ?? resolve(dir),
      runtime: options.runtime,
      solver: settings.solver,
      steps: settings.steps,
      samples: settings.samples,
      seed: options.seed,
      seconds,
    };

    if (options.predictions) {
      const names = model.config.labels;
      const header = ['index', 'label', 'prediction', ...names.map((name, k) => `distance_${k}_${name}`)];
      const rows = [header.map(csvField).join(',')];
      for (let i = 0; i < n; i++) {
        const distances = Array.from(
          result.distances.subarray(i * numClasses, (i + 1) * numClasses),
          (d) => d.toPrecision(9), // float32 round-trips exactly: metrics recomputed from the file match
        );
        rows.push([i, labels[i], result.labels[i], ...distances].join(','));
      }
      await writeFileAtomic(options.predictions, `${rows.join('\n')}\n`);
    }
    if (options.plot) {
      const svg = selectivePredictionSvg([{ label: `${info.flag} ${split} (n = ${n})`, curve }], {
        title: `Selective prediction: ${info.flag} ${split}`,
      });
      await writeFileAtomic(options.plot, svg);
    }

    const calibration = options.calibrate
      ? await storeCalibration(dir, {
          dataset: info.flag,
          n,
          labels,
          distances: result.distances,
          uncertainty: result.uncertainty,
          correct,
          numClasses,
          classification: settings,
        })
      : undefined;

    if (options.json) {
      context.stdout.write(`${JSON.stringify(calibration ? { ...report, calibration } : report, null, 2)}\n`);
      return;
    }
    const pct = (v: number | null) => (v === null ? 'n/a' : `${(v * 100).toFixed(2)}%`);
    const at = (rate: number) =>
      curve.points.find((p) => Math.abs(p.rejectionRate - rate) < 1e-9)?.accuracy ?? null;
    const lines = [
      `${info.flag} ${split}: ${n} images${size !== modelSize ? ` (${size} px resized to ${modelSize})` : ''}, ${settings.solver} ${settings.steps} step${settings.steps === 1 ? '' : 's'}` +
        `${settings.samples > 1 ? ` × ${settings.samples} samples` : ''}, ` +
        `${seconds.toFixed(1)} s on ${options.runtime === 'ort' ? 'ONNX Runtime' : 'tfjs'}`,
      `  ACC   ${pct(acc)}`,
      `  AUC   ${pct(auc)}`,
      `  balanced ACC ${pct(perClass.balancedAccuracy)}; recall per class: ${perClass.recall
        .map((r, k) => `${model.config.labels[k]} ${pct(r)}`)
        .join(', ')}`,
      ...(ordinal
        ? [
            `  ordinal: quadratic weighted kappa ${ordinal.quadraticWeightedKappa?.toFixed(4) ?? 'n/a'}, ` +
              `mean absolute error ${ordinal.meanAbsoluteError.toFixed(3)} grades, ` +
              `within one grade ${pct(ordinal.withinOneAccuracy)}`,
          ]
        : []),
      `  AURC  ${risk.aurc.toFixed(4)}  (E-AURC ${risk.eAurc.toFixed(4)})`,
      `  selective ACC: reject 10% → ${pct(at(0.1))}, 20% → ${pct(at(0.2))}, 50% → ${pct(at(0.5))}`,
    ];
    if (options.predictions) lines.push(`Predictions: ${resolve(options.predictions)}`);
    if (options.plot) lines.push(`Plot: ${resolve(options.plot)}`);
    if (calibration) {
      const thresholds = calibration.rejectionThresholds
        .map(
          (r) => `${r.targetAccuracy} → ${r.threshold === null ? 'not reachable' : r.threshold.toFixed(4)}`,
        )
        .join(', ');
      lines.push(
        `Calibration stored in ${resolve(dir, 'model.json')}: temperature ${calibration.temperature.toFixed(4)}; ` +
          `rejection thresholds ${thresholds}`,
      );
    }
    context.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    ortModel?.dispose();
    model.dispose();
  }
}

/** The `evaluate` command. */
export const evaluateCommands: CommandGroup = {
  name: 'evaluate',
  register(program: Command, context: CliContext): void {
    const command = program
      .command('evaluate')
      .description('classify a MedMNIST split with a saved model: ACC, AUC, AURC, selective prediction')
      .requiredOption(
        '--model <id|dir>',
        'model folder (model.json + weights, e.g. runs/pneumonia/best) or zoo id (e.g. pneumoniamnist-rgb-28)',
      )
      .option('--dataset <flag>', "dataset flag (default: the model's training dataset)")
      .option('--split <split>', `split to evaluate: ${SPLITS.join(', ')}`, 'test')
      .option('--root <dir>', 'dataset folder (default: $MEDMNIST_ROOT or ~/.medmnist)')
      .option(
        '--size <pixels>',
        "image size of the dataset file, resized to the model's (default: the file the model was trained from, else the model's size when published, else the closest published size)",
        parsePositiveInteger('--size'),
      )
      .option('--no-download', 'fail instead of downloading a dataset file missing from the folder')
      .option('--no-strict', 'accept a dataset file whose split sizes differ from the official ones');
    addClassificationOptions(command)
      .option('--batch-size <n>', 'images per network call', parsePositiveInteger('--batch-size'), 32)
      .option('--seed <n>', 'seed of the mask noise', parseCount('--seed'), 0)
      .option('--limit <n>', 'evaluate only the first n images', parsePositiveInteger('--limit'))
      .addOption(
        new Option(
          '--runtime <name>',
          'ort: ONNX Runtime (the model is exported to ONNX first); tfjs: core-flow',
        )
          .choices(RUNTIMES)
          .default('ort'),
      )
      .option(
        '--engine <name>',
        'tfjs engine, e.g. wasm or tfjs-node (default: best available); with --runtime ort it only loads the weights',
      )
      .option('--json', 'print {"dataset","split","n","acc","auc","aurc","ece","selective":[…],…} as JSON')
      .option(
        '--predictions <file.csv>',
        'write one row per image in file order: index,label,prediction,distance to each class',
      )
      .option('--plot <file.svg>', 'write the selective-prediction curve as SVG')
      .option(
        '--calibrate',
        'with --split val: fit the probability temperature and the rejection thresholds and store them in the model',
      )
      .option('--zoo-url <url>', 'zoo to pull a model id from (default: the library resolution order)')
      .option('--cache-dir <dir>', 'model cache folder for zoo ids')
      .option('-q, --quiet', 'no progress output')
      .addHelpText(
        'after',
        '\nExample:\n  medsymmflow evaluate --model runs/pneumonia/best --dataset pneumoniamnist --split test --json\n',
      )
      .action((options: EvaluateCommandOptions) => evaluateCommand(context, options));
  },
};
