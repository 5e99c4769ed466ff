/**
 * @file Where a command's `--model` comes from and how it is opened: a folder or a zoo id (pulled into the
 * cache), loaded with core-flow, and — for `--runtime ort` — run on ONNX Runtime from the folder's
 * `model.onnx` when it ships one (zoo models do), else from a fresh export.
 * @module lib/model-source
 */

import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FlowModel, loadFlowModel, pullModel } from '@medsymmflow/core-flow';
import { exportModel, loadOrtModel, type OrtFlowModel } from '@medsymmflow/exporters';
import type { CliContext } from './context';
import { CliError } from './errors';
import { createByteProgress } from './progress';

/**
 * `--model` as a folder: an existing path (or one that looks like a path) is used as is; anything else is a zoo
 * id, pulled into the cache (SHA-256-checked, with a byte progress bar unless `quiet`).
 */
export async function resolveModelDir(
  context: CliContext,
  options: { model: string; zooUrl?: string; cacheDir?: string; quiet?: boolean; json?: boolean },
): Promise<{ dir: string; zooId?: string; zooVersion?: string }> {
  const looksLikePath = /[/\\]/.test(options.model) || options.model.startsWith('.');
  if (existsSync(options.model) || looksLikePath) return { dir: options.model };
  const progress = createByteProgress(context, options.model, !options.quiet && !options.json);
  try {
    const pulled = await pullModel(options.model, {
      zooUrl: options.zooUrl,
      cacheDir: options.cacheDir,
      onProgress: progress.onProgress,
    });
    return { dir: pulled.dir, zooId: pulled.id, zooVersion: pulled.entry.version ?? undefined };
  } finally {
    progress.stop();
  }
}

/**
 * Resolves `--model` (folder or zoo id) and loads it with core-flow on `--engine` (default: best available).
 * Argument errors stay as they are; a model that cannot be read becomes a CLI error with the fix.
 */
export async function openModel(
  context: CliContext,
  options: {
    model: string;
    engine?: string;
    zooUrl?: string;
    cacheDir?: string;
    quiet?: boolean;
    json?: boolean;
  },
): Promise<{ dir: string; zooId?: string; model: FlowModel }> {
  const { dir, zooId } = await resolveModelDir(context, options);
  try {
    const model = await loadFlowModel(dir, options.engine ? { engine: options.engine } : {});
    return { dir, ...(zooId !== undefined ? { zooId } : {}), model };
  } catch (error) {
    if (error instanceof RangeError || error instanceof TypeError) throw error;
    throw new CliError((error as Error).message, {
      hint: 'Pass --model a folder written by "medsymmflow train" (e.g. runs/<name>/best) or a zoo id with weights.',
      cause: error,
    });
  }
}

/** File name of the ONNX export a model folder may ship next to `model.json`. */
export const MODEL_ONNX_FILE = 'model.onnx';

/**
 * Opens `model` on ONNX Runtime: `<dir>/model.onnx` when the folder ships one (the zoo's published export —
 * no export on every call), else exports `model` to ONNX in a temporary folder, removed once the session
 * holds the bytes.
 */
export async function toOrtModel(
  model: Parameters<typeof exportModel>[0],
  dir?: string,
): Promise<OrtFlowModel> {
  const shipped = dir === undefined ? undefined : join(dir, MODEL_ONNX_FILE);
  if (shipped !== undefined && existsSync(shipped)) {
    try {
      return await loadOrtModel(shipped);
    } catch (error) {
      throw new CliError(`Cannot open ${shipped} on ONNX Runtime: ${(error as Error).message}`, {
        hint: 'Re-pull the model (zoo pull --force), delete the file to export again, or use --runtime tfjs.',
        cause: error,
      });
    }
  }
  const temp = await mkdtemp(join(tmpdir(), 'medsymmflow-ort-'));
  try {
    const { outDir } = await exportModel(model, { format: 'onnx', outDir: join(temp, 'onnx') });
    return await loadOrtModel(outDir);
  } catch (error) {
    throw new CliError(`Cannot run the model on ONNX Runtime: ${(error as Error).message}`, {
      hint: 'Use --runtime tfjs to run it on the tfjs engine instead.',
      cause: error,
    });
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}
