/**
 * @file `medsymmflow export`: write a saved model in another format — ONNX (for onnxruntime in Node, the
 * browser, Python, C++) or core-flow's tfjs saved model. A thin layer over `exportModel` of
 * `@medsymmflow/exporters`, which writes atomically (a temporary sibling folder renamed into place).
 * @module commands/export
 */

import { resolve } from 'node:path';
import { loadFlowModel } from '@medsymmflow/core-flow';
import { exportModel, listExporters } from '@medsymmflow/exporters';
import type { Command } from 'commander';
import type { CliContext } from '../lib/context';
import { CliError, UsageError } from '../lib/errors';
import { formatBytes } from '../lib/format';
import type { CommandGroup } from './types';

/** Options of `medsymmflow export` as commander parses them. */
export interface ExportCommandOptions {
  model: string;
  format: string;
  out: string;
  overwrite?: boolean;
  opset?: string;
  json?: boolean;
}

/** Loads a saved model folder for the CLI, turning load failures into a `CliError` with a hint. */
export async function loadModelForCli(dir: string): Promise<Awaited<ReturnType<typeof loadFlowModel>>> {
  try {
    return await loadFlowModel(dir);
  } catch (error) {
    if (error instanceof RangeError || error instanceof TypeError) throw error;
    throw new CliError((error as Error).message, {
      hint: 'Pass --model a folder written by "medsymmflow train" (e.g. runs/<name>/best) or model.save().',
      cause: error,
    });
  }
}

async function exportCommand(context: CliContext, options: ExportCommandOptions): Promise<void> {
  const formats = listExporters();
  if (!formats.includes(options.format)) {
    throw new UsageError(
      `Unknown export format ${JSON.stringify(options.format)}.`,
      `Use --format ${formats.join(' or --format ')}.`,
    );
  }
  let opset: number | undefined;
  if (options.opset !== undefined) {
    if (options.format !== 'onnx') throw new UsageError('--opset applies to --format onnx only.');
    opset = Number(options.opset);
    if (!Number.isInteger(opset)) {
      throw new UsageError(`Invalid --opset ${JSON.stringify(options.opset)}.`, 'Pass an integer, e.g. 17.');
    }
  }
  const model = await loadModelForCli(options.model);
  try {
    let result: Awaited<ReturnType<typeof exportModel>>;
    try {
      result = await exportModel(model, {
        format: options.format,
        outDir: options.out,
        overwrite: options.overwrite === true,
        ...(opset !== undefined ? { options: { opset } } : {}),
      });
    } catch (error) {
      if (error instanceof RangeError || error instanceof TypeError) throw error;
      const message = (error as Error).message;
      throw new CliError(`Export to ${options.format} failed: ${message}`, {
        hint: /exist/i.test(message)
          ? 'Add --overwrite to replace it, or choose another --out.'
          : 'Run again with --verbose for details.',
        cause: error,
      });
    }
    if (options.json) {
      context.stdout.write(`${JSON.stringify({ model: resolve(options.model), ...result }, null, 2)}\n`);
      return;
    }
    const total = result.files.reduce((sum, f) => sum + f.bytes, 0);
    const lines = [
      `Exported ${resolve(options.model)} as ${result.format} to ${result.outDir} (${formatBytes(total)}):`,
      ...result.files.map((f) => `  ${f.path}  ${formatBytes(f.bytes)}`),
    ];
    context.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    model.dispose();
  }
}

/** The `export` command. */
export const exportCommands: CommandGroup = {
  name: 'export',
  register(program: Command, context: CliContext): void {
    program
      .command('export')
      .description('write a saved model as ONNX (onnxruntime) or as a tfjs saved model')
      .requiredOption('--model <dir>', 'model folder (model.json + weights), e.g. runs/pneumonia/best')
      .requiredOption('--format <format>', `output format: ${listExporters().join(', ')}`)
      .requiredOption('--out <dir>', 'output folder (written atomically)')
      .option('--overwrite', 'replace --out when it exists')
      .option('--opset <n>', 'ONNX opset (--format onnx only; default: the exporter default)')
      .option('--json', 'print {"model","format","outDir","files":[{"path","bytes"}]} as JSON')
      .addHelpText(
        'after',
        '\nExample:\n  medsymmflow export --model runs/pneumonia/best --format onnx --out exported/pneumonia-onnx\n',
      )
      .action((options: ExportCommandOptions) => exportCommand(context, options));
  },
};
