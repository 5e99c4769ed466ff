/**
 * @file The local model cache: `<cache>/models/<id>/<file>`, plus a hidden record `.zoo-entry.json` per model
 * holding the manifest entry it was pulled from (so the cache can be re-checked offline). `verifyCache()`
 * re-hashes every cached file against that record.
 *
 * @example
 * ```ts
 * import { verifyCache } from '@medsymmflow/core-flow';
 *
 * const report = await verifyCache();
 * report.ok; // false when any cached file is missing, has another size or another SHA-256
 * report.models[0].files[0]; // { id, path: 'model.json', status: 'ok', expectedSha256, actualSha256, … }
 * ```
 * @module hub/cache
 */

import { lstat, readdir, readFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { hashFile } from '@medsymmflow/datasets-medmnist';
import {
  isValidModelId,
  validateModelId,
  validateZooManifest,
  ZOO_MANIFEST_FORMAT,
  ZOO_MANIFEST_VERSION,
  type ZooEntry,
  type ZooFile,
  type ZooFileRole,
} from './manifest.js';
import { resolveCacheDir } from './settings.js';

/** Name of the per-model record in `<cache>/models/<id>/`. Hidden, so no manifest file can collide with it. */
export const CACHE_RECORD_FILE = '.zoo-entry.json';
/** `format` of the per-model record. */
export const CACHE_RECORD_FORMAT = 'medsymmflow-zoo-cache-entry';

/** The per-model record written by `pullModel()`. */
export interface CacheRecord {
  readonly format: typeof CACHE_RECORD_FORMAT;
  readonly version: 1;
  /** Model id. */
  readonly id: string;
  /** When it was pulled (ISO 8601). */
  readonly pulledAt: string;
  /** The manifest it came from. */
  readonly manifestUrl: string;
  /** The manifest entry, as validated at pull time. */
  readonly entry: ZooEntry;
}

/** State of one cached file. */
export type CachedFileStatus = 'ok' | 'missing' | 'not-a-file' | 'size-mismatch' | 'hash-mismatch';

/** Check result of one cached file. */
export interface CachedFileReport {
  /** Model id. */
  readonly id: string;
  /** Path in the model folder (as in the manifest). */
  readonly path: string;
  /** Absolute path in the cache. */
  readonly localPath: string;
  /** Role from the manifest. */
  readonly role: ZooFileRole;
  /** `ok`, or what is wrong. */
  readonly status: CachedFileStatus;
  /** `status === 'ok'`. */
  readonly ok: boolean;
  /** Size the manifest lists. */
  readonly expectedBytes: number;
  /** Size on disk; `null` when missing. */
  readonly actualBytes: number | null;
  /** SHA-256 the manifest lists. */
  readonly expectedSha256: string;
  /** SHA-256 on disk; `null` when not computed (missing, not a file, or the size already differs). */
  readonly actualSha256: string | null;
}

/** Check result of one cached model. */
export interface CachedModelReport {
  /** Model id (the folder name). */
  readonly id: string;
  /** The model folder. */
  readonly dir: string;
  /** `true` when the record is readable and every file is `ok`. */
  readonly ok: boolean;
  /** The entry the model was pulled from; `null` when the record is missing or unreadable. */
  readonly entry: ZooEntry | null;
  /** When it was pulled; `null` without a record. */
  readonly pulledAt: string | null;
  /** The manifest it was pulled from; `null` without a record. */
  readonly manifestUrl: string | null;
  /** Per-file results. */
  readonly files: readonly CachedFileReport[];
  /** Problems that are not about one file (missing folder, missing or invalid record). */
  readonly problems: readonly string[];
}

/** Result of {@link verifyCache}. */
export interface CacheReport {
  /** The cache folder. */
  readonly cacheDir: string;
  /** `<cacheDir>/models`. */
  readonly modelsDir: string;
  /** `true` when every checked model is ok (also when the cache is empty). */
  readonly ok: boolean;
  /** Per-model results, sorted by id. */
  readonly models: readonly CachedModelReport[];
}

/** Options of {@link verifyCache} and {@link verifyCachedModel}. */
export interface VerifyCacheOptions {
  /** Cache folder. @defaultValue resolveCacheDir() (hubEnv.cacheDir, MEDSYMMFLOW_CACHE_DIR, ~/.cache/medsymmflow) */
  cacheDir?: string;
  /** Check only these model ids. @defaultValue every model in the cache */
  ids?: readonly string[];
}

/** `<cache>/models`. */
export function modelsCacheDir(cacheDir?: string): string {
  return join(resolveCacheDir(cacheDir), 'models');
}

/** `<cache>/models/<id>` (the folder may not exist). @throws {RangeError} for a malformed id. */
export function modelCacheDir(id: string, cacheDir?: string): string {
  return join(modelsCacheDir(cacheDir), validateModelId(id));
}

/** `resolve(dir, path)` when it stays inside `dir`; throws otherwise. @ignore */
export function pathInside(dir: string, path: string): string {
  const root = resolve(dir);
  const full = resolve(root, path);
  if (!full.startsWith(root + sep)) {
    throw new RangeError(`Refusing file path ${JSON.stringify(path)}: it resolves outside ${root}.`);
  }
  return full;
}

/** Reads and validates a model's record; returns a problem string instead of throwing. @ignore */
export async function readCacheRecord(dir: string, id: string): Promise<CacheRecord | string> {
  let text: string;
  try {
    text = await readFile(join(dir, CACHE_RECORD_FILE), 'utf8');
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT'
      ? `no ${CACHE_RECORD_FILE} record (not pulled by medsymmflow, or an interrupted pull); pull it again`
      : `cannot read ${CACHE_RECORD_FILE}: ${(error as Error).message}`;
  }
  try {
    const raw = JSON.parse(text) as Record<string, unknown>;
    if (raw?.format !== CACHE_RECORD_FORMAT || raw.version !== 1) throw new Error('unknown record format');
    const manifest = validateZooManifest(
      { format: ZOO_MANIFEST_FORMAT, version: ZOO_MANIFEST_VERSION, models: [raw.entry] },
      { source: join(dir, CACHE_RECORD_FILE) },
    );
    const entry = manifest.models[0];
    if (entry.id !== id)
      throw new Error(`it describes ${JSON.stringify(entry.id)}, not ${JSON.stringify(id)}`);
    return {
      format: CACHE_RECORD_FORMAT,
      version: 1,
      id,
      pulledAt: String(raw.pulledAt),
      manifestUrl: String(raw.manifestUrl),
      entry,
    };
  } catch (error) {
    return `invalid ${CACHE_RECORD_FILE} record (${(error as Error).message}); pull the model again with force`;
  }
}

/** Checks one file of a model folder against its manifest line. @ignore */
export async function checkCachedFile(dir: string, id: string, file: ZooFile): Promise<CachedFileReport> {
  const localPath = pathInside(dir, file.path);
  const base = {
    id,
    path: file.path,
    localPath,
    role: file.role,
    expectedBytes: file.bytes,
    expectedSha256: file.sha256,
  };
  let size: number;
  try {
    const info = await lstat(localPath);
    if (!info.isFile()) {
      return { ...base, status: 'not-a-file', ok: false, actualBytes: null, actualSha256: null };
    }
    size = info.size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    return { ...base, status: 'missing', ok: false, actualBytes: null, actualSha256: null };
  }
  if (size !== file.bytes) {
    return { ...base, status: 'size-mismatch', ok: false, actualBytes: size, actualSha256: null };
  }
  const actualSha256 = await hashFile(localPath, 'sha256');
  const ok = actualSha256 === file.sha256;
  return { ...base, status: ok ? 'ok' : 'hash-mismatch', ok, actualBytes: size, actualSha256 };
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** Re-checks one cached model against the record written when it was pulled. */
export async function verifyCachedModel(
  id: string,
  options: VerifyCacheOptions = {},
): Promise<CachedModelReport> {
  const dir = modelCacheDir(id, options.cacheDir);
  const empty = { id, dir, ok: false, entry: null, pulledAt: null, manifestUrl: null, files: [] };
  if (!(await isDirectory(dir))) {
    return { ...empty, problems: [`${id} is not in the cache (${dir}); pull it with pullModel("${id}")`] };
  }
  const record = await readCacheRecord(dir, id);
  if (typeof record === 'string') return { ...empty, problems: [record] };
  const files: CachedFileReport[] = [];
  for (const file of record.entry.files) files.push(await checkCachedFile(dir, id, file));
  return {
    id,
    dir,
    ok: files.every((file) => file.ok),
    entry: record.entry,
    pulledAt: record.pulledAt,
    manifestUrl: record.manifestUrl,
    files,
    problems: [],
  };
}

/**
 * Re-checks the cache: for every model folder (or only `ids`), reads its record and re-hashes each file.
 * Works offline. Hidden entries of `<cache>/models` (temporary folders of pulls in progress) are skipped.
 */
export async function verifyCache(options: VerifyCacheOptions = {}): Promise<CacheReport> {
  const cacheDir = resolveCacheDir(options.cacheDir);
  const modelsDir = join(cacheDir, 'models');
  let ids: string[];
  if (options.ids !== undefined) {
    ids = options.ids.map((id) => validateModelId(id));
  } else {
    let names: string[] = [];
    try {
      names = await readdir(modelsDir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    ids = [];
    for (const name of names) {
      if (!name.startsWith('.') && (await isDirectory(join(modelsDir, name)))) ids.push(name);
    }
  }
  ids.sort();
  const models: CachedModelReport[] = [];
  for (const id of ids) {
    models.push(
      isValidModelId(id)
        ? await verifyCachedModel(id, { cacheDir })
        : {
            id,
            dir: join(modelsDir, id),
            ok: false,
            entry: null,
            pulledAt: null,
            manifestUrl: null,
            files: [],
            problems: [
              `${JSON.stringify(id)} is not a valid model id; this folder was not made by medsymmflow`,
            ],
          },
    );
  }
  return { cacheDir, modelsDir, ok: models.every((model) => model.ok), models };
}
