/**
 * @file `medsymmflow sample`: generate images of one class with the forward flow (noise at t = 0 to images at
 * t = 1, 25 Euler steps by default) and write them as one PNG grid. A thin layer over `FlowModel.generate`
 * of `@medsymmflow/core-flow`; `--model` is a saved model folder or a zoo id (pulled into the cache with
 * `pullModel`, SHA-256-checked).
 * @module commands/sample
 */

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadFlowModel, pullModel, SOLVERS, type SolverName, writeFileAtomic } from '@medsymmflow/core-flow';
import { createRandom } from '@medsymmflow/datasets-medmnist';
import { type Command, Option } from 'commander';
import type { CliContext } from '../lib/context';
import { CliError, UsageError } from '../lib/errors';
import { encodePng } from '../lib/export-images';
import { createByteProgress, createCountProgress } from '../lib/progress';
import { parsePositiveInteger } from './datasets';
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

/**
 * `--model` as a folder: an existing path (or one that looks like a path) is used as is; anything else is a zoo
 * id, pulled into the cache (SHA-256-checked, with a byte progress bar unless `quiet`).
 */
export async function resolveModelDir(
  context: CliContext,
  options: { model: string; zooUrl?: string; cacheDir?: string; quiet?: boolean; json?: boolean },
): Promise<{ dir: string; zooId?: string }> {
  const looksLikePath = /[/\\]/.test(options.model) || options.model.startsWith('.');
  if (existsSync(options.model) || looksLikePath) return { dir: options.model };
  const progress = createByteProgress(context, options.model, !options.quiet && !options.json);
  try {
    const pulled = await pullModel(options.model, {
      zooUrl: options.zooUrl,
      cacheDir: options.cacheDir,
      onProgress: progress.onProgress,
    });
    return { dir: pulled.dir, zooId: pulled.id };
  } finally {
    progress.stop();
  }
}

async function sampleCommand(context: CliContext, options: SampleCommandOptions): Promise<void> {
  if (!options.out.toLowerCase().endsWith('.png')) {
    throw new UsageError(
      `--out must be a .png file; got ${JSON.stringify(options.out)}.`,
      'E.g. --out grid.png.',
    );
  }
  const { dir, zooId } = await resolveModelDir(context, options);
  let model: Awaited<ReturnType<typeof loadFlowModel>>;
  try {
    model = await loadFlowModel(dir, options.engine ? { engine: options.engine } : {});
  } catch (error) {
    if (error instanceof RangeError || error instanceof TypeError) throw error;
    throw new CliError((error as Error).message, {
      hint: 'Pass --model a folder written by "medsymmflow train" (e.g. runs/<name>/best) or a zoo id with weights.',
      cause: error,
    });
  }
  try {
    const label = resolveClass(options.class, model.config.labels);
    const columns = options.columns ?? Math.ceil(Math.sqrt(options.n));
    const progress = createCountProgress(
      context,
      `sample ${model.config.labels[label]}`,
      !options.quiet && !options.json,
    );
    const started = performance.now();
    let result: ReturnType<typeof model.generate>;
    try {
      result = model.generate({
        labels: new Array(options.n).fill(label),
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
    const report = {
      model: zooId ?? resolve(dir),
      class: label,
      label: model.config.labels[label],
      n: options.n,
      solver: options.solver,
      steps: options.steps,
      seed: options.seed,
      out: resolve(options.out),
      width: grid.width,
      height: grid.height,
      seconds,
    };
    if (options.json) {
      context.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return;
    }
    context.stdout.write(
      `Generated ${options.n} ${report.label} image${options.n === 1 ? '' : 's'} (${options.solver}, ` +
        `${options.steps} step${options.steps === 1 ? '' : 's'}, ${seconds.toFixed(1)} s): ${report.out} ` +
        `(${grid.width}×${grid.height})\n`,
    );
  } finally {
    model.dispose();
  }
}

/** The `sample` command. */
export const sampleCommands: CommandGroup = {
  name: 'sample',
  register(program: Command, context: CliContext): void {
    program
      .command('sample')
      .description('generate images of one class and write them as a PNG grid')
      .requiredOption('--model <id|dir>', 'model folder (e.g. runs/pneumonia/best) or zoo id')
      .requiredOption('--class <index|name>', 'class to generate, by index or label name')
      .requiredOption('--out <file.png>', 'PNG grid to write (atomically)')
      .option('-n, --n <count>', 'number of images', parsePositiveInteger('-n'), 16)
      .option('--steps <n>', 'solver steps from t = 0 to t = 1', parsePositiveInteger('--steps'), 25)
      .addOption(new Option('--solver <name>', 'ODE solver').choices(Object.keys(SOLVERS)).default('euler'))
      .option('--seed <n>', 'seed of the noise', parseCount('--seed'), 0)
      .option('--batch-size <n>', 'images per network call', parsePositiveInteger('--batch-size'), 16)
      .option('--columns <n>', 'grid columns (default: ceil(sqrt(n)))', parsePositiveInteger('--columns'))
      .option('--scale <n>', 'upscale each image n× (nearest neighbour)', parsePositiveInteger('--scale'), 1)
      .option('--engine <name>', 'engine, e.g. wasm or tfjs-node (default: best available)')
      .option('--zoo-url <url>', 'zoo to pull a model id from (default: the library resolution order)')
      .option('--cache-dir <dir>', 'model cache folder for zoo ids')
      .option('--json', 'print {"model","class","label","n","out","width","height",…} as JSON')
      .option('-q, --quiet', 'no progress output')
      .addHelpText(
        'after',
        '\nExample:\n  medsymmflow sample --model runs/pneumonia/best --class pneumonia -n 16 --steps 25 --out grid.png\n',
      )
      .action((options: SampleCommandOptions) => sampleCommand(context, options));
  },
};
