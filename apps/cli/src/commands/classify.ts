/**
 * @file `medsymmflow classify`: classify PNG/JPEG files of any size with a saved model or a zoo id. Images are
 * decoded with sharp (libvips), resized to the model's size (shrunk by libvips; enlarged bilinearly as training
 * and `evaluate` resize), converted to the model's channels, scaled to the model's range and
 * classified with the reverse flow (ONNX Runtime by default, `--runtime tfjs` for core-flow's engine).
 * Per image: the label, the distance to each class colour, the uncertainty (distance to the predicted class),
 * the calibrated probability and whether to abstain. The last two need calibration stored with the model in
 * `config.metadata.calibration` (`{ temperature, rejectionThresholds: [{ targetAccuracy, threshold }], evidence }`;
 * a `--target-acc` without a stored threshold is fitted on the stored validation evidence); without it they are
 * `null` and a note says why.
 * @module commands/classify
 */

import { resolve } from 'node:path';
import type { ResolvedFlowModelConfig, SolverName } from '@medsymmflow/core-flow';
import { createRandom, resizeImages } from '@medsymmflow/datasets-medmnist';
import type { OrtFlowModel } from '@medsymmflow/exporters';
import {
  calibrationMismatch,
  describeUnreachableTarget,
  distanceProbabilities,
  floorSupported,
  readStoredCalibration,
  rejectionThresholdFor,
  resolveClassificationSettings,
  type StoredCalibration,
  supportedAccuracy,
} from '@medsymmflow/uncertainty';
import { type Command, Option } from 'commander';
import sharp, { type OutputInfo } from 'sharp';
import { addClassificationOptions } from '../lib/classification-options';
import type { CliContext } from '../lib/context';
import { CliError } from '../lib/errors';
import { formatTable } from '../lib/format';
import { openModel, toOrtModel } from '../lib/model-source';
import { RUNTIMES, type Runtime } from './evaluate';
import { parseCount, parseNumber } from './train';
import type { CommandGroup } from './types';

/** Options of `medsymmflow classify` as commander parses them. */
export interface ClassifyCommandOptions {
  model: string;
  runtime: Runtime;
  targetAcc: number;
  /** Unset: the model's calibrated setting, else 1. */
  steps?: number;
  /** Unset: the model's calibrated setting, else euler. */
  solver?: SolverName;
  /** Unset: the model's calibrated setting, else 1. */
  samples?: number;
  seed: number;
  engine?: string;
  zooUrl?: string;
  cacheDir?: string;
  json?: boolean;
  quiet?: boolean;
}

/** What `classify` takes from the calibration stored with the model, with notes on what is missing. */
export interface ClassifyCalibration {
  temperature: number | null;
  threshold: number | null;
  notes: string[];
}

/**
 * Reads the temperature and the rejection threshold for `targetAccuracy` from the model's metadata
 * (`readStoredCalibration` of @medsymmflow/uncertainty) and says why either is `null`.
 */
export function readCalibration(calibration: StoredCalibration, targetAccuracy: number): ClassifyCalibration {
  const notes: string[] = [];
  const { temperature } = calibration;
  if (temperature === null) {
    notes.push(
      'the model stores no calibration temperature (metadata.calibration.temperature): probability is null',
    );
  }
  const entry = rejectionThresholdFor(calibration, targetAccuracy);
  if (entry?.threshold === null) {
    const supported = supportedAccuracy(calibration);
    const advice =
      supported && supported.accuracy > 0
        ? `pick --target-acc ${floorSupported(supported.accuracy)} or lower`
        : 'pick a lower --target-acc';
    notes.push(
      `${describeUnreachableTarget(entry, calibration, supported)}, so no threshold decides for it: abstain is null (${advice})`,
    );
  } else if (!entry) {
    const available = calibration.thresholds.map((e) => e.targetAccuracy);
    notes.push(
      `the model stores no rejection threshold for --target-acc ${targetAccuracy}` +
        (available.length
          ? ` (stored: ${available.join(', ')}; recalibrate with evaluate --split val --calibrate to use any target)`
          : ' (metadata.calibration.rejectionThresholds)') +
        ': abstain is null',
    );
  }
  return { temperature, threshold: entry?.threshold ?? null, notes };
}

/** Decodes an image file and converts it to the model's size, channels and pixel range (NHWC). */
export async function readImageForModel(
  path: string,
  config: ResolvedFlowModelConfig,
): Promise<Float32Array> {
  const size = config.imageSize;
  const channels = config.imageChannels;
  let data: Uint8Array;
  let info: OutputInfo;
  try {
    // Shrinking uses libvips' antialiased resize; the header says whether it is needed, so the image is decoded once.
    const { width = 0, height = 0 } = await sharp(path).metadata();
    let pipeline = sharp(path).flatten({ background: '#000000' });
    if (width > size || height > size) pipeline = pipeline.resize(size, size, { fit: 'fill' });
    pipeline = channels === 1 ? pipeline.greyscale() : pipeline.toColourspace('srgb');
    ({ data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true }));
    if (info.width !== size || info.height !== size) {
      // Enlarging (a 28 px MedMNIST image for a 32 px model): the bilinear resize that `train --image-size` and
      // `evaluate` apply, so a test image gives the same distances here as there.
      data = resizeImages({ data, shape: [1, info.height, info.width, info.channels] }, size).data;
      info = { ...info, width: size, height: size };
    }
  } catch (error) {
    throw new CliError(`Cannot read image ${path}: ${(error as Error).message}`, {
      hint: 'Pass PNG or JPEG files (any size; they are resized to the model input).',
      cause: error,
    });
  }
  const [inLo, inHi] = config.normalization.inputRange;
  const [lo, hi] = config.normalization.modelRange;
  const out = new Float32Array(size * size * channels);
  for (let p = 0; p < size * size; p++) {
    for (let k = 0; k < channels; k++) {
      const source = data[p * info.channels + Math.min(k, info.channels - 1)];
      out[p * channels + k] = lo + ((source - inLo) / (inHi - inLo)) * (hi - lo);
    }
  }
  return out;
}

async function classifyCommand(
  context: CliContext,
  files: string[],
  options: ClassifyCommandOptions,
): Promise<void> {
  const { dir, zooId, model } = await openModel(context, options);
  let ortModel: OrtFlowModel | undefined;
  try {
    const per = model.config.imageSize * model.config.imageSize * model.config.imageChannels;
    const images = new Float32Array(files.length * per);
    for (const [i, file] of files.entries()) images.set(await readImageForModel(file, model.config), i * per);
    const stored = readStoredCalibration(model.config.metadata);
    const settings = resolveClassificationSettings(options, stored);
    if (options.runtime === 'ort') ortModel = await toOrtModel(model, dir);
    const result = await (ortModel ?? model).classify({
      images,
      steps: settings.steps,
      solver: settings.solver as SolverName,
      numSamples: settings.samples,
      random: createRandom(options.seed),
    });
    const labels = model.config.labels;
    const k = result.numClasses;
    const calibration = readCalibration(stored, options.targetAcc);
    const mismatch = calibrationMismatch(stored, settings);
    if (mismatch) calibration.notes.push(mismatch);
    const probabilities =
      calibration.temperature === null
        ? null
        : distanceProbabilities(result.distances, k, calibration.temperature);
    const rows = files.map((file, i) => {
      const label = result.labels[i];
      const distances = Object.fromEntries(
        labels.map((name, c) => [name, Number(result.distances[i * k + c].toPrecision(7))]),
      );
      return {
        file: resolve(file),
        label,
        name: labels[label],
        distances,
        uncertainty: Number(result.uncertainty[i].toPrecision(7)),
        probability: probabilities === null ? null : Number(probabilities[i * k + label].toPrecision(7)),
        abstain: calibration.threshold === null ? null : result.uncertainty[i] > calibration.threshold,
      };
    });
    if (options.json) {
      const report = {
        model: zooId ?? resolve(dir),
        runtime: options.runtime,
        ...settings,
        targetAccuracy: options.targetAcc,
        temperature: calibration.temperature,
        threshold: calibration.threshold,
        notes: calibration.notes,
        images: rows,
      };
      context.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return;
    }
    context.stdout.write(
      formatTable(rows, [
        { header: 'IMAGE', value: (r) => r.file },
        { header: 'LABEL', value: (r) => `${r.label} ${r.name}` },
        ...labels.map((name) => ({
          header: `D(${name})`,
          value: (r: (typeof rows)[number]) => r.distances[name].toFixed(4),
          right: true,
        })),
        { header: 'UNCERTAINTY', value: (r) => r.uncertainty.toFixed(4), right: true },
        {
          header: 'PROB',
          value: (r) => (r.probability === null ? 'null' : r.probability.toFixed(3)),
          right: true,
        },
        { header: 'ABSTAIN', value: (r) => (r.abstain === null ? 'null' : String(r.abstain)) },
      ]),
    );
    if (!options.quiet) for (const note of calibration.notes) context.stderr.write(`note: ${note}\n`);
  } finally {
    ortModel?.dispose();
    model.dispose();
  }
}

/** The `classify` command. */
export const classifyCommands: CommandGroup = {
  name: 'classify',
  register(program: Command, context: CliContext): void {
    const command = program
      .command('classify')
      .description('classify PNG/JPEG images: label, distances, uncertainty, probability, abstention')
      .argument('<image...>', 'PNG or JPEG files of any size (resized to the model input)')
      .requiredOption('--model <id|dir>', 'model folder (e.g. runs/pneumonia/best) or zoo id')
      .addOption(
        new Option('--runtime <name>', 'ort: ONNX Runtime (exported to ONNX first); tfjs: core-flow')
          .choices(RUNTIMES)
          .default('ort'),
      )
      .option(
        '--target-acc <a>',
        'accuracy whose rejection threshold decides "abstain" (stored, or fitted on the validation evidence the model stores)',
        parseNumber('--target-acc', (v) => v > 0 && v <= 1, 'an accuracy in (0, 1]'),
        0.95,
      );
    addClassificationOptions(command)
      .option('--seed <n>', 'seed of the mask noise', parseCount('--seed'), 0)
      .option('--engine <name>', 'tfjs engine (default: best available)')
      .option('--zoo-url <url>', 'zoo to pull a model id from (default: the library resolution order)')
      .option('--cache-dir <dir>', 'model cache folder for zoo ids')
      .option('--json', 'print {"model","temperature","threshold","notes","images":[…]} as JSON')
      .option('-q, --quiet', 'no notes on stderr')
      .addHelpText(
        'after',
        '\nExample:\n  medsymmflow classify --model runs/pneumonia/best chest1.png chest2.jpg --json\n',
      )
      .action((files: string[], options: ClassifyCommandOptions) => classifyCommand(context, files, options));
  },
};
