/**
 * @file `medsymmflow sample`: generate images of one class with the forward flow (noise at t = 0 to images at
 * t = 1, 25 Euler steps by default) and write them as one PNG grid. A thin layer over `FlowModel.generate`
 * of `@medsymmflow/core-flow`; `--model` is a saved model folder or a zoo id (pulled into the cache with
 * `pullModel`, SHA-256-checked).
 * @module commands/sample
 */

import { resolve } from 'node:path';
import { SOLVERS, type SolverName, writeFileAtomic } from '@medsymmflow/core-flow';
import { createRandom, getDatasetInfo, isDatasetFlag } from '@medsymmflow/datasets-medmnist';
import type { OrtFlowModel } from '@medsymmflow/exporters';
import {
  type ClassificationSettings,
  type OrdinalReport,
  ordinalReport,
  readStoredCalibration,
  resolveClassificationSettings,
} from '@medsymmflow/uncertainty';
import { type Command, Option } from 'commander';
import type { CliContext } from '../lib/context';
import { CliError, UsageError } from '../lib/errors';
import { encodePng } from '../lib/export-images';
import { openModel, toOrtModel } from '../lib/model-source';
import { createCountProgress } from '../lib/progress';
import { parsePositiveInteger } from './datasets';
import { RUNTIMES, type Runtime } from './evaluate';
import { parseCount } from './train';
import type { CommandGroup } from './types';

/** Options of `medsymmflow sample` as commander parses them. */
export interface SampleCommandOptions {
  model: string;
  class: string;
  n: number;
  steps: number;
  solver: SolverName;
  seed: number;
  batchSize: number;
  scale: number;
  columns?: number;
  engine?: string;
  runtime: Runtime;
  check?: boolean;
  zooUrl?: string;
  cacheDir?: string;
  out: string;
  json?: boolean;
  quiet?: boolean;
}

/** Reads `--class` as an index or a label name (case-insensitive). */
export function resolveClass(value: string, labels: readonly string[]): number {
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) {
    const index = Number(trimmed);
    if (index < labels.length) return index;
  }
  const byName = labels.findIndex((label) => label.toLowerCase() === trimmed.toLowerCase());
  if (byName >= 0) return byName;
  throw new UsageError(
    `Unknown class ${JSON.stringify(value)}: the model has ${labels.length} classes.`,
    `Use --class with an index 0-${labels.length - 1} or a name: ${labels.map((l, i) => `${i} ${l}`).join(', ')}.`,
  );
}

/**
 * Lays out `n` NHWC images in [lo, hi] as one uint8 grid (`columns` wide, 2-pixel black gaps, each image
 * scaled up `scale`× by pixel repetition).
 */
export function imageGrid(
  images: Float32Array,
  shape: readonly [number, number, number, number],
  range: readonly [number, number],
  options: { columns: number; scale: number },
): { pixels: Uint8Array; width: number; height: number; channels: number } {
  const [n, h, w, c] = shape;
  const { columns, scale } = options;
  const rows = Math.ceil(n / columns);
  const gap = 2;
  const cellW = w * scale;
  const cellH = h * scale;
  const width = columns * cellW + (columns - 1) * gap;
  const height = rows * cellH + (rows - 1) * gap;
  const pixels = new Uint8Array(width * height * c);
  const [lo, hi] = range;
  for (let i = 0; i < n; i++) {
    const x0 = (i % columns) * (cellW + gap);
    const y0 = Math.floor(i / columns) * (cellH + gap);
    for (let y = 0; y < cellH; y++) {
      for (let x = 0; x < cellW; x++) {
        const src = ((i * h + Math.floor(y / scale)) * w + Math.floor(x / scale)) * c;
        const dst = ((y0 + y) * width + x0 + x) * c;
        for (let k = 0; k < c; k++) {
          const v = ((images[src + k] - lo) / (hi - lo)) * 255;
          pixels[dst + k] = Math.round(Math.min(255, Math.max(0, v)));
        }
      }
    }
  }
  return { pixels, width, height, channels: c };
}

async function sampleCommand(context: CliContext, options: SampleCommandOptions): Promise<void> {
  if (!options.out.toLowerCase().endsWith('.png')) {
    throw new UsageError(
      `--out must be a .png file; got ${JSON.stringify(options.out)}.`,
      'E.g. --out grid.png.',
    );
  }
  const { dir, zooId, model } = await openModel(context, options);
  let ortModel: OrtFlowModel | undefined;
  try {
    const names = model.config.labels;
    const all = options.class.trim().toLowerCase() === 'all';
    const classes = all ? names.map((_, k) => k) : [resolveClass(options.class, names)];
    // One row per class with --class all; the same seed gives the same grid on every runtime.
    const labels = classes.flatMap((k) => new Array<number>(options.n).fill(k));
    const columns = all ? options.n : (options.columns ?? Math.ceil(Math.sqrt(options.n)));
    if (options.runtime === 'ort') ortModel = await toOrtModel(model, dir);
    const progress = createCountProgress(
      context,
      `sample ${all ? 'all classes' : names[classes[0]]}`,
      !options.quiet && !options.json,
    );
    const started = performance.now();
    let result: Awaited<ReturnType<OrtFlowModel['generate']>>;
    try {
      result = await (ortModel ?? model).generate({
        labels,
        steps: options.steps,
        solver: options.solver,
        batchSize: options.batchSize,
        random: createRandom(options.seed),
        onProgress: progress.onProgress,
      });
    } finally {
      progress.stop();
    }
    const seconds = (performance.now() - started) / 1000;
    for (const v of result.images) {
      if (!Number.isFinite(v)) {
        throw new CliError('The model generated non-finite pixel values (NaN or Infinity).', {
          hint: 'The weights are probably corrupt or diverged; try another checkpoint.',
        });
      }
    }
    const grid = imageGrid(result.images, result.shape, model.config.normalization.modelRange, {
      columns,
      scale: options.scale,
    });
    await writeFileAtomic(options.out, encodePng(grid.pixels, grid.width, grid.height, grid.channels));
    // --check: the model classifies its own samples as `classify` would (its stored settings, seeded noise).
    const check = options.check
      ? await checkSamples(
          ortModel ?? model,
          result.images,
          labels,
          classes,
          resolveClassificationSettings({}, readStoredCalibration(model.config.metadata)),
          options.seed,
          isOrdinal(model.config.dataset) ? model.config.numClasses : undefined,
        )
      : undefined;
    const report = {
      model: zooId ?? resolve(dir),
      classes: classes.map((k) => ({ class: k, label: names[k] })),
      ...(all ? {} : { class: classes[0], label: names[classes[0]] }),
      n: options.n,
      runtime: options.runtime,
      solver: options.solver,
      steps: options.steps,
      seed: options.seed,
      out: resolve(options.out),
      width: grid.width,
      height: grid.height,
      ...(check ? { check } : {}),
      seconds,
    };
    if (options.json) {
      context.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return;
    }
    const what = all
      ? `${options.n} images of each of ${classes.length} classes`
      : `${options.n} ${names[classes[0]]} image${options.n === 1 ? '' : 's'}`;
    context.stdout.write(
      `Generated ${what} (${options.solver}, ${options.steps} step${options.steps === 1 ? '' : 's'}, ` +
        `${seconds.toFixed(1)} s): ${report.out} (${grid.width}×${grid.height})\n`,
    );
    if (check) {
      const perClass = check.perClass
        .map((p) => `${names[p.class]} ${(p.asRequested * 100).toFixed(1)}%`)
        .join(', ');
      const { solver, steps, samples } = check.settings;
      context.stdout.write(
        `Classified as the requested class by the same model: ${(check.asRequested * 100).toFixed(1)}% (${perClass}; ` +
          `${solver}, ${steps} step${steps === 1 ? '' : 's'}, ${samples} noise mask${samples === 1 ? '' : 's'})\n`,
      );
      if (check.ordinal) {
        const { withinOneAccuracy, meanAbsoluteError } = check.ordinal;
        context.stdout.write(
          `Within one grade of the requested one: ${(withinOneAccuracy * 100).toFixed(1)}% ` +
            `(mean absolute grade error ${meanAbsoluteError.toFixed(2)})\n`,
        );
      }
    }
  } finally {
    ortModel?.dispose();
    model.dispose();
  }
}

/** Whether a model was trained on a MedMNIST dataset of ordered classes (grades). */
function isOrdinal(dataset: string | null | undefined): boolean {
  return isDatasetFlag(dataset) && getDatasetInfo(dataset).task === 'ordinal-regression';
}

/**
 * Share of generated images the model classifies as the class they were generated for, overall and per class;
 * with `ordinalClasses` (graded data) also how far off the other predictions are, in grades.
 */
async function checkSamples(
  model: {
    classify(options: {
      images: Float32Array;
      steps: number;
      solver: SolverName;
      numSamples: number;
      random: ReturnType<typeof createRandom>;
    }): Promise<{ labels: Int32Array }> | { labels: Int32Array };
  },
  images: Float32Array,
  labels: readonly number[],
  classes: readonly number[],
  settings: ClassificationSettings,
  seed: number,
  ordinalClasses?: number,
): Promise<{
  asRequested: number;
  perClass: { class: number; asRequested: number }[];
  ordinal?: OrdinalReport;
  settings: ClassificationSettings;
}> {
  const { labels: predicted } = await model.classify({
    images,
    steps: settings.steps,
    solver: settings.solver as SolverName,
    numSamples: settings.samples,
    random: createRandom(seed + 1),
  });
  let hits = 0;
  const perClass = classes.map((k) => {
    let n = 0;
    let ok = 0;
    for (let i = 0; i < labels.length; i++) {
      if (labels[i] !== k) continue;
      n += 1;
      if (predicted[i] === k) ok += 1;
    }
    hits += ok;
    return { class: k, asRequested: ok / n };
  });
  const ordinal = ordinalClasses ? ordinalReport(labels, predicted, ordinalClasses) : undefined;
  return { asRequested: hits / labels.length, perClass, ...(ordinal ? { ordinal } : {}), settings };
}

/** The `sample` command. */
export const sampleCommands: CommandGroup = {
  name: 'sample',
  register(program: Command, context: CliContext): void {
    program
      .command('sample')
      .description('generate images of one class and write them as a PNG grid')
      .requiredOption('--model <id|dir>', 'model folder (e.g. runs/pneumonia/best) or zoo id')
      .requiredOption(
        '--class <index|name|all>',
        'class to generate, by index or label name; "all" writes one row of n images per class',
      )
      .requiredOption('--out <file.png>', 'PNG grid to write (atomically)')
      .option('-n, --n <count>', 'number of images', parsePositiveInteger('-n'), 16)
      .option('--steps <n>', 'solver steps from t = 0 to t = 1', parsePositiveInteger('--steps'), 25)
      .addOption(new Option('--solver <name>', 'ODE solver').choices(Object.keys(SOLVERS)).default('euler'))
      .option('--seed <n>', 'seed of the noise', parseCount('--seed'), 0)
      .option('--batch-size <n>', 'images per network call', parsePositiveInteger('--batch-size'), 16)
      .option('--columns <n>', 'grid columns (default: ceil(sqrt(n)))', parsePositiveInteger('--columns'))
      .option('--scale <n>', 'upscale each image n× (nearest neighbour)', parsePositiveInteger('--scale'), 1)
      .addOption(
        new Option(
          '--runtime <name>',
          "ort: ONNX Runtime (the model's model.onnx, else exported first); tfjs: core-flow",
        )
          .choices([...RUNTIMES])
          .default('ort'),
      )
      .option('--engine <name>', 'tfjs engine, e.g. wasm or tfjs-node (default: best available)')
      .option(
        '--check',
        'classify the generated images with the same model (its stored classification settings, as ' +
          '`classify`) and report how many match the class',
      )
      .option('--zoo-url <url>', 'zoo to pull a model id from (default: the library resolution order)')
      .option('--cache-dir <dir>', 'model cache folder for zoo ids')
      .option('--json', 'print {"model","classes","n","out","width","height","check"?,…} as JSON')
      .option('-q, --quiet', 'no progress output')
      .addHelpText(
        'after',
        '\nExample:\n  medsymmflow sample --model runs/pneumonia/best --class pneumonia -n 16 --steps 25 --out grid.png\n',
      )
      .action((options: SampleCommandOptions) => sampleCommand(context, options));
  },
};
