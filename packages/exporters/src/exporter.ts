/**
 * @file The exporter plugin interface, the frozen registry of built-in exporters, third-party registration
 * and `exportModel()`, which writes any format atomically.
 *
 * @module exporter
 */
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeDirAtomic } from '@medsymmflow/core-flow';
import type { ExportableModel } from './model-data.js';
import { onnxExporter } from './onnx/onnx-exporter.js';
import { tfjsExporter } from './tfjs/tfjs-exporter.js';

/** One file an exporter wrote. */
export interface ExportedFile {
  /** Path relative to the output folder. */
  readonly path: string;
  /** Size in bytes. */
  readonly bytes: number;
}

/**
 * An exporter: writes a model in one format into a folder.
 *
 * `export` receives an existing, empty folder (a temporary one when called through {@link exportModel},
 * which renames it into place afterwards) and writes its files there.
 */
export interface Exporter<Name extends string = string, Options extends object = Record<string, unknown>> {
  /** Format name, lower-case kebab-case (`'onnx'`, `'tfjs'`). */
  readonly name: Name;
  /** One line that says what the format is for. */
  readonly description: string;
  /** Main files it writes, relative to the output folder. */
  readonly files: readonly string[];
  /** Writes `model` into the existing folder `outDir`. */
  export(model: ExportableModel, outDir: string, options?: Options): Promise<void>;
}

const NAME = /^[a-z][a-z0-9-]*$/;

/**
 * Checks an exporter definition and returns it unchanged (typed), for third-party formats.
 * @throws TypeError when a field is missing or of the wrong type.
 * @example
 * ```ts
 * const npzExporter = defineExporter({
 *   name: 'npz',
 *   description: 'Weights as a NumPy .npz archive',
 *   files: ['weights.npz'],
 *   async export(model, outDir) { … },
 * });
 * registerExporter(npzExporter);
 * ```
 */
export function defineExporter<Name extends string, Options extends object>(
  exporter: Exporter<Name, Options>,
): Exporter<Name, Options> {
  const e = exporter as Partial<Exporter<Name, Options>> | null;
  if (!e || typeof e !== 'object')
    throw new TypeError(`An exporter must be an object; got ${JSON.stringify(e)}.`);
  if (typeof e.name !== 'string' || !NAME.test(e.name)) {
    throw new TypeError(
      `Exporter name must be lower-case kebab-case such as 'onnx'; got ${JSON.stringify(e.name)}.`,
    );
  }
  if (typeof e.description !== 'string')
    throw new TypeError(`Exporter '${e.name}' needs a description string.`);
  if (!Array.isArray(e.files) || e.files.some((f) => typeof f !== 'string')) {
    throw new TypeError(`Exporter '${e.name}' needs 'files': an array of the file names it writes.`);
  }
  if (typeof e.export !== 'function') {
    throw new TypeError(`Exporter '${e.name}' needs an export(model, outDir, options) function.`);
  }
  return exporter;
}

/** The built-in exporters, keyed by format. Frozen. */
export const BUILTIN_EXPORTERS = Object.freeze({
  onnx: onnxExporter,
  tfjs: tfjsExporter,
});

/** A built-in format name. */
export type BuiltinExportFormat = keyof typeof BUILTIN_EXPORTERS;

// biome-ignore lint/suspicious/noExplicitAny: exporters of any option type share one registry.
type AnyExporter = Exporter<string, any>;

const registered = new Map<string, AnyExporter>();

function isBuiltin(name: string): name is BuiltinExportFormat {
  return Object.hasOwn(BUILTIN_EXPORTERS, name);
}

/**
 * Registers a third-party exporter so `exportModel(model, { format: name })` can use it.
 * @throws Error when the name is taken (built-in or registered).
 */
export function registerExporter<Name extends string, Options extends object>(
  exporter: Exporter<Name, Options>,
): Exporter<Name, Options> {
  defineExporter(exporter);
  if (isBuiltin(exporter.name) || registered.has(exporter.name)) {
    throw new Error(
      `Exporter '${exporter.name}' is already registered${isBuiltin(exporter.name) ? ' (built-in)' : ''}. ` +
        'Give yours another name, or unregisterExporter() the third-party one first.',
    );
  }
  registered.set(exporter.name, exporter);
  return exporter;
}

/** Removes a third-party exporter; built-ins cannot be removed. Returns whether one was removed. */
export function unregisterExporter(name: string): boolean {
  if (isBuiltin(name)) throw new Error(`Exporter '${name}' is built in and cannot be unregistered.`);
  return registered.delete(name);
}

/** Format names: built-ins first, then registered ones. */
export function listExporters(): string[] {
  return [...Object.keys(BUILTIN_EXPORTERS), ...registered.keys()];
}

/**
 * The exporter for `format`.
 * @throws RangeError listing the available formats when `format` is unknown.
 */
export function resolveExporter<F extends BuiltinExportFormat>(format: F): (typeof BUILTIN_EXPORTERS)[F];
export function resolveExporter(format: string): AnyExporter;
export function resolveExporter(format: string): AnyExporter {
  const exporter =
    typeof format === 'string'
      ? isBuiltin(format)
        ? BUILTIN_EXPORTERS[format]
        : registered.get(format)
      : undefined;
  if (!exporter) {
    throw new RangeError(
      `Unknown export format ${JSON.stringify(format)}. Should be one of: ${listExporters()
        .map((n) => `'${n}'`)
        .join(', ')} (or register one with registerExporter()).`,
    );
  }
  return exporter;
}

/** Options of {@link exportModel}. */
export interface ExportModelConfig<Options extends object = Record<string, unknown>> {
  /** Format: `'onnx'`, `'tfjs'` or a registered third-party format. */
  format: string;
  /** Output folder; created with its parents. */
  outDir: string;
  /**
   * Replace `outDir` when it exists. The new folder is written completely first and swapped in with renames,
   * so readers see either the old or the new export, never a mix.
   * @defaultValue false
   */
  overwrite?: boolean;
  /** Format-specific options (e.g. `{ opset: 18 }` for ONNX). */
  options?: Options;
}

/** Result of {@link exportModel}. */
export interface ExportResult {
  /** The format written. */
  readonly format: string;
  /** Absolute path of the output folder. */
  readonly outDir: string;
  /** Every file written, sorted by path. */
  readonly files: readonly ExportedFile[];
}

async function listFiles(dir: string, prefix = ''): Promise<ExportedFile[]> {
  const out: ExportedFile[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listFiles(join(dir, entry.name), path)));
    else out.push({ path, bytes: (await stat(join(dir, entry.name))).size });
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

/**
 * Exports a model in a format, atomically: the files are written to a temporary sibling folder that is
 * renamed to `outDir` only when the exporter succeeded; nothing is left behind on failure.
 *
 * @throws RangeError for an unknown format (listing the formats) or bad model data (e.g. NaN weights);
 *   Error when `outDir` exists and `overwrite` is not set.
 * @example
 * ```ts
 * const { files } = await exportModel(model, { format: 'onnx', outDir: 'exported/pneumonia-onnx' });
 * console.log(files.map((f) => f.path)); // ['medsymmflow.json', 'model.onnx']
 * ```
 */
export async function exportModel<Options extends object = Record<string, unknown>>(
  model: ExportableModel,
  config: ExportModelConfig<Options>,
): Promise<ExportResult> {
  if (config === null || typeof config !== 'object') {
    throw new TypeError('exportModel() needs a config object: { format, outDir }.');
  }
  const exporter = resolveExporter(config.format);
  if (typeof config.outDir !== 'string' || config.outDir.length === 0) {
    throw new TypeError(`'outDir' must be a non-empty path; got ${JSON.stringify(config.outDir)}.`);
  }
  const overwrite = config.overwrite ?? false;
  if (typeof overwrite !== 'boolean') {
    throw new TypeError(`'overwrite' must be a boolean; got ${JSON.stringify(overwrite)}.`);
  }
  const target = resolve(config.outDir);
  if (existsSync(target)) {
    if (!(await stat(target)).isDirectory()) {
      throw new Error(`Output path ${target} exists and is not a folder. Choose another outDir.`);
    }
    if (!overwrite) {
      throw new Error(
        `Output folder ${target} already exists. Pass overwrite: true to replace it (the old folder is swapped ` +
          'out only after the new one is complete), or choose another outDir.',
      );
    }
  }
  let files: ExportedFile[] = [];
  const outDir = await writeDirAtomic(target, async (temp) => {
    await exporter.export(model, temp, config.options);
    files = await listFiles(temp);
  });
  return { format: exporter.name, outDir, files };
}
