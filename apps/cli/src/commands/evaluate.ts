/**
 * @file `medsymmflow evaluate`: classify a MedMNIST split with a saved model and report ACC, AUC, AURC and
 * the selective-prediction curve; optionally write per-image predictions (CSV) and the curve (SVG).
 * A thin layer over `loadFlowModel`/`classify` of `@medsymmflow/core-flow` and the metrics of
 * `@medsymmflow/uncertainty`.
 * @module commands/evaluate
 */

import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { loadFlowModel, SOLVERS, type SolverName } from '@medsymmflow/core-flow';
import {
  createRandom,
  getDatasetInfo,
  loadMedMnist,
  resolveMedMnistRoot,
  SPLITS,
  type Split,
} from '@medsymmflow/datasets-medmnist';
import {
  aurc,
  correctness,
  distanceAuc,
  selectivePrediction,
  selectivePredictionSvg,
} from '@medsymmflow/uncertainty';
import cliProgress from 'cli-progress';
import { type Command, Option } from 'commander';
import type { CliContext } from '../lib/context';
import { CliError, UsageError } from '../lib/errors';
import { csvField } from '../lib/format';
import { parsePositiveInteger } from './datasets';
import { parseCount } from './train';
import type { CommandGroup } from './types';

/** Options of `medsymmflow evaluate` as commander parses them. */
export interface EvaluateCommandOptions {
  model: string;
  dataset?: string;
  split: string;
  root?: string;
  steps: number;
  solver: SolverName;
  samples: number;
  batchSize: number;
  seed: number;
  limit?: number;
  engine?: string;
  json?: boolean;
  predictions?: string;
  plot?: string;
  quiet?: boolean;
}

/** Writes a file atomically (temp file in the same folder, then rename). */
async function writeFileAtomic(path: string, data: string): Promise<void> {
  const target = resolve(path);
  await mkdir(dirname(target), { recursive: true });
  const temp = join(dirname(target), `.${basename(target)}.tmp-${randomUUID().slice(0, 8)}`);
  try {
    await writeFile(temp, data);
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

async function evaluateCommand(context: CliContext, options: EvaluateCommandOptions): Promise<void> {
  if (!SPLITS.includes(options.split as Split)) {
    throw new UsageError(
      `Invalid split ${JSON.stringify(options.split)}.`,
      `Use --split ${SPLITS.join(', --split ')}.`,
    );
  }
  const split = options.split as Split;
  let model: Awaited<ReturnType<typeof loadFlowModel>>;
  try {
    model = await loadFlowModel(options.model, options.engine ? { engine: options.engine } : {});
  } catch (error) {
    if (error instanceof RangeError || error instanceof TypeError) throw error;
    throw new CliError((error as Error).message, {
      hint: 'Pass --model a folder written by "medsymmflow train" (e.g. runs/<name>/best) or model.save().',
      cause: error,
    });
  }
  try {
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
    const size = model.config.imageSize;
    if (!info.sizes.includes(size as never)) {
      throw new UsageError(
        `The model takes ${size}px images, but ${info.flag} is published at ${info.sizes.join(', ')}px only.`,
      );
    }
    const dataset = await loadMedMnist({
      flag: info.flag,
      split,
      size,
      root,
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
    bar?.start(n, 0);
    const started = performance.now();
    let result: ReturnType<typeof model.classify>;
    try {
      result = model.classify({
        images,
        steps: options.steps,
        solver: options.solver,
        numSamples: options.samples,
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
    const risk = aurc(result.uncertainty, correct);
    const curve = selectivePrediction(result.uncertainty, correct);
    const report = {
      dataset: info.flag,
      split,
      n,
      acc,
      auc,
      aurc: risk.aurc,
      eAurc: risk.eAurc,
      selective: curve.points.map((p) => ({ reject: p.rejectionRate, acc: p.accuracy })),
      model: resolve(options.model),
      solver: options.solver,
      steps: options.steps,
      samples: options.samples,
      seconds,
    };

    if (options.predictions) {
      const names = model.config.labels;
      const header = ['index', 'label', 'prediction', ...names.map((name, k) => `distance_${k}_${name}`)];
      const rows = [header.map(csvField).join(',')];
      for (let i = 0; i < n; i++) {
        const distances = Array.from(result.distances.subarray(i * numClasses, (i + 1) * numClasses), (d) =>
          d.toPrecision(7),
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

    if (options.json) {
      context.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return;
    }
    const pct = (v: number | null) => (v === null ? 'n/a' : `${(v * 100).toFixed(2)}%`);
    const at = (rate: number) =>
      curve.points.find((p) => Math.abs(p.rejectionRate - rate) < 1e-9)?.accuracy ?? null;
    const lines = [
      `${info.flag} ${split}: ${n} images, ${options.solver} ${options.steps} step${options.steps === 1 ? '' : 's'}, ` +
        `${seconds.toFixed(1)} s`,
      `  ACC   ${pct(acc)}`,
      `  AUC   ${pct(auc)}`,
      `  AURC  ${risk.aurc.toFixed(4)}  (E-AURC ${risk.eAurc.toFixed(4)})`,
      `  selective ACC: reject 10% → ${pct(at(0.1))}, 20% → ${pct(at(0.2))}, 50% → ${pct(at(0.5))}`,
    ];
    if (options.predictions) lines.push(`Predictions: ${resolve(options.predictions)}`);
    if (options.plot) lines.push(`Plot: ${resolve(options.plot)}`);
    context.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    model.dispose();
  }
}

/** The `evaluate` command. */
export const evaluateCommands: CommandGroup = {
  name: 'evaluate',
  register(program: Command, context: CliContext): void {
    program
      .command('evaluate')
      .description('classify a MedMNIST split with a saved model: ACC, AUC, AURC, selective prediction')
      .requiredOption('--model <dir>', 'model folder (model.json + weights), e.g. runs/pneumonia/best')
      .option('--dataset <flag>', "dataset flag (default: the model's training dataset)")
      .option('--split <split>', `split to evaluate: ${SPLITS.join(', ')}`, 'test')
      .option('--root <dir>', 'dataset folder (default: $MEDMNIST_ROOT or ~/.medmnist)')
      .option('--steps <n>', 'solver steps from t = 1 to t = 0', parsePositiveInteger('--steps'), 1)
      .addOption(new Option('--solver <name>', 'ODE solver').choices(Object.keys(SOLVERS)).default('euler'))
      .option(
        '--samples <n>',
        'mask-noise samples per image (distances are averaged)',
        parsePositiveInteger('--samples'),
        1,
      )
      .option('--batch-size <n>', 'images per network call', parsePositiveInteger('--batch-size'), 32)
      .option('--seed <n>', 'seed of the mask noise', parseCount('--seed'), 0)
      .option('--limit <n>', 'evaluate only the first n images', parsePositiveInteger('--limit'))
      .option('--engine <name>', 'engine, e.g. wasm or tfjs-node (default: best available)')
      .option('--json', 'print {"dataset","split","n","acc","auc","aurc","selective":[…],…} as JSON')
      .option(
        '--predictions <file.csv>',
        'write one row per image in file order: index,label,prediction,distance to each class',
      )
      .option('--plot <file.svg>', 'write the selective-prediction curve as SVG')
      .option('-q, --quiet', 'no progress output')
      .addHelpText(
        'after',
        '\nExample:\n  medsymmflow evaluate --model runs/pneumonia/best --dataset pneumoniamnist --split test --json\n',
      )
      .action((options: EvaluateCommandOptions) => evaluateCommand(context, options));
  },
};
