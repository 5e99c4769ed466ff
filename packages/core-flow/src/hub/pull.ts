/**
 * @file Pulling a model from the zoo into the cache: `pullModel(id)` reads the manifest, refuses entries
 * without weights, then downloads every file of the entry (through `downloadFile` of
 * `@medsymmflow/datasets-medmnist`, SHA-256-checked) into a hidden temporary folder next to the final one, and
 * renames that folder into place only when every file is complete and verified. A wrong hash, an HTTP error, a
 * dropped connection or an abort removes the temporary folder: nothing that looks like a cached model is left.
 *
 * @example
 * ```ts
 * import { pullModel } from '@medsymmflow/core-flow';
 *
 * const pulled = await pullModel('pneumoniamnist-rgb-28', {
 *   onProgress: ({ file, receivedBytes, totalBytes }) => console.log(file, receivedBytes, totalBytes),
 * });
 * pulled.dir;   // '/home/me/.cache/medsymmflow/models/pneumoniamnist-rgb-28'
 * pulled.files; // [{ path: 'model.json', sha256: '…', bytes: 2811, role: 'tfjs-model', localPath: '…' }, …]
 * ```
 * @module hub/pull
 */

import { randomBytes } from 'node:crypto';
import { lstat, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ChecksumError, DownloadError, downloadFile, type FetchLike } from '@medsymmflow/datasets-medmnist';
import {
  CACHE_RECORD_FILE,
  CACHE_RECORD_FORMAT,
  type CacheRecord,
  modelsCacheDir,
  pathInside,
  verifyCachedModel,
} from './cache.js';
import { ZooError } from './errors.js';
import { getZooEntry, validateModelId, type ZooEntry, type ZooFile } from './manifest.js';
import { hubEnv } from './settings.js';
import { type LoadZooManifestOptions, loadZooManifest, type ZooSource, zooFileUrl } from './source.js';

/** Progress of a pull: the current file and the whole model. */
export interface PullProgressEvent {
  /** Model id. */
  id: string;
  /** Path of the file being received. */
  file: string;
  /** Index of that file (0-based). */
  fileIndex: number;
  /** Number of files. */
  fileCount: number;
  /** Bytes of this file received so far. */
  fileReceivedBytes: number;
  /** Size of this file (from the manifest). */
  fileTotalBytes: number;
  /** Bytes of the whole model received so far. */
  receivedBytes: number;
  /** Size of the whole model (from the manifest). */
  totalBytes: number;
}

/** Options of {@link pullModel}. */
export interface PullModelOptions extends LoadZooManifestOptions {
  /** Cache folder. @defaultValue resolveCacheDir() (hubEnv.cacheDir, MEDSYMMFLOW_CACHE_DIR, ~/.cache/medsymmflow) */
  cacheDir?: string;
  /**
   * Download again even when the cached copy is complete and matches the manifest.
   * @defaultValue false
   */
  force?: boolean;
  /** Called after every received chunk. */
  onProgress?: (event: PullProgressEvent) => void;
}

/** Defaults of {@link PullModelOptions}. */
export const PULL_DEFAULTS = Object.freeze({ force: false });

/** A file of a pulled model. */
export interface PulledFile extends ZooFile {
  /** Absolute path in the cache. */
  readonly localPath: string;
}

/** Result of {@link pullModel}. */
export interface PullResult {
  /** Model id. */
  readonly id: string;
  /** The model folder, `<cache>/models/<id>`. */
  readonly dir: string;
  /** The manifest entry. */
  readonly entry: ZooEntry;
  /** Where the manifest and files came from. */
  readonly source: ZooSource;
  /** The verified files. */
  readonly files: readonly PulledFile[];
  /** `false` when the cached copy already matched the manifest and nothing was downloaded. */
  readonly downloaded: boolean;
}

/** Thrown from the progress callback when a file is longer than the manifest says. */
class SizeMismatchError extends Error {}

function sameFiles(a: readonly ZooFile[], b: readonly ZooFile[]): boolean {
  return (
    a.length === b.length &&
    a.every((file, i) => file.path === b[i].path && file.sha256 === b[i].sha256 && file.bytes === b[i].bytes)
  );
}

function notTrained(entry: ZooEntry, source: ZooSource): ZooError {
  return new ZooError(
    'ZOO_NOT_TRAINED',
    `Model ${entry.id} has no weights yet: the zoo at ${source.baseUrl} lists it as "not-trained" ` +
      `(${entry.dataset}, ${entry.conditioning.name} conditioning), so there is nothing to download.`,
    {
      hint:
        `${entry.notes ? `${entry.notes} ` : ''}Train one yourself (medsymmflow train), or pick a model with ` +
        'status "available" (medsymmflow zoo list).',
    },
  );
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

async function reuseCached(
  entry: ZooEntry,
  cacheDir: string | undefined,
): Promise<readonly PulledFile[] | undefined> {
  const report = await verifyCachedModel(entry.id, { cacheDir });
  if (!report.ok || report.entry === null || !sameFiles(report.entry.files, entry.files)) return undefined;
  return entry.files.map((file, i) => ({ ...file, localPath: report.files[i].localPath }));
}

/**
 * Pulls model `id` into `<cache>/models/<id>/`, verifying each file's SHA-256 and size, and returns the folder.
 * A cached copy that is complete and matches the manifest is reused (unless `force`).
 *
 * @throws {RangeError} for a malformed id; {@link UnknownModelError} for an id not in the manifest;
 * {@link ZooError} `ZOO_NOT_TRAINED` for an entry without weights, `ZOO_DOWNLOAD` for HTTP errors, missing
 * files and lost connections (naming the file and URL), `ZOO_CHECKSUM` for a file whose SHA-256 or size
 * differs from the manifest, `ZOO_SOURCE`/`ZOO_MANIFEST` when the manifest cannot be read or is invalid
 * (including unsafe file paths, refused before any download).
 */
export async function pullModel(id: string, options: PullModelOptions = {}): Promise<PullResult> {
  validateModelId(typeof id === 'string' ? id.trim().toLowerCase() : id);
  const { source, manifest } = await loadZooManifest(options);
  const entry = getZooEntry(manifest, id, source.manifestUrl);
  if (entry.status !== 'available') throw notTrained(entry, source);

  const modelsDir = modelsCacheDir(options.cacheDir);
  const finalDir = join(modelsDir, entry.id);
  // Defence in depth: the manifest validation already refused unsafe paths.
  for (const file of entry.files) pathInside(finalDir, file.path);

  if (!(options.force ?? PULL_DEFAULTS.force)) {
    const files = await reuseCached(entry, options.cacheDir);
    if (files) return { id: entry.id, dir: finalDir, entry, source, files, downloaded: false };
  }

  await mkdir(modelsDir, { recursive: true });
  const temporary = await mkdtemp(join(modelsDir, `.${entry.id}.partial-`));
  const fetchImpl: FetchLike | undefined = options.fetch ?? hubEnv.fetch;
  const totalBytes = entry.files.reduce((sum, file) => sum + file.bytes, 0);
  let doneBytes = 0;
  let aside: string | undefined;
  try {
    for (const [fileIndex, file] of entry.files.entries()) {
      const url = zooFileUrl(source, entry.id, file.path);
      try {
        const result = await downloadFile({
          url,
          destination: pathInside(temporary, file.path),
          checksum: { algorithm: 'sha256', expected: file.sha256 },
          fetch: fetchImpl,
          signal: options.signal,
          onProgress: ({ receivedBytes, totalBytes: announced }) => {
            // Stop early when the server sends another size than the manifest lists.
            if (announced !== undefined && announced !== file.bytes) {
              throw new SizeMismatchError(
                `the server announces ${announced} bytes, the manifest lists ${file.bytes}`,
              );
            }
            if (receivedBytes > file.bytes) {
              throw new SizeMismatchError(`more than the ${file.bytes} bytes the manifest lists`);
            }
            options.onProgress?.({
              id: entry.id,
              file: file.path,
              fileIndex,
              fileCount: entry.files.length,
              fileReceivedBytes: receivedBytes,
              fileTotalBytes: file.bytes,
              receivedBytes: doneBytes + receivedBytes,
              totalBytes,
            });
          },
        });
        if (result.bytes !== file.bytes) {
          throw new ZooError(
            'ZOO_CHECKSUM',
            `Refused ${file.path} of ${entry.id} from ${url}: ${result.bytes} bytes, the manifest lists ${file.bytes}.`,
            {
              hint: 'Nothing was cached. The manifest and the published file disagree; report it to the zoo maintainers.',
            },
          );
        }
        doneBytes += file.bytes;
      } catch (error) {
        if (error instanceof ChecksumError) {
          throw new ZooError('ZOO_CHECKSUM', `Refused ${file.path} of ${entry.id}: ${error.reason}`, {
            hint:
              `Nothing was cached. The zoo at ${source.baseUrl} serves a file that does not match its manifest ` +
              '(a damaged or changed upload, or a stale mirror); try again later or use another zoo source.',
            cause: error,
          });
        }
        if (error instanceof DownloadError && error.cause instanceof SizeMismatchError) {
          throw new ZooError(
            'ZOO_CHECKSUM',
            `Refused ${file.path} of ${entry.id} from ${url}: ${error.cause.message}.`,
            {
              hint:
                `Nothing was cached. The zoo at ${source.baseUrl} serves a file that does not match its manifest; ` +
                'try again later or use another zoo source.',
              cause: error,
            },
          );
        }
        if (error instanceof DownloadError) {
          throw new ZooError('ZOO_DOWNLOAD', `Could not pull ${entry.id}: ${error.reason}`, {
            hint:
              error.status === 404 || /no such file/.test(error.reason)
                ? `Nothing was cached. The zoo at ${source.baseUrl} lists ${file.path} but does not have it at ${url}; ` +
                  'the zoo may be incomplete, or zooUrl / MEDSYMMFLOW_ZOO_URL points at the wrong folder.'
                : 'Nothing was cached. Check the network and try again.',
            cause: error,
          });
        }
        throw error;
      }
    }
    const record: CacheRecord = {
      format: CACHE_RECORD_FORMAT,
      version: 1,
      id: entry.id,
      pulledAt: new Date().toISOString(),
      manifestUrl: source.manifestUrl,
      entry,
    };
    await writeFile(join(temporary, CACHE_RECORD_FILE), `${JSON.stringify(record, null, 2)}\n`, {
      flag: 'wx',
    });
    if (await exists(finalDir)) {
      aside = join(modelsDir, `.${entry.id}.old-${process.pid}-${randomBytes(4).toString('hex')}`);
      await rename(finalDir, aside);
    }
    try {
      await rename(temporary, finalDir);
    } catch (error) {
      if (aside !== undefined) await rename(aside, finalDir).catch(() => {});
      aside = undefined;
      throw new ZooError(
        'ZOO_CACHE',
        `Could not move the pulled ${entry.id} into ${finalDir}: ${(error as Error).message}.`,
        {
          hint: 'Another pull of the same model may be running; wait for it, or check the permissions of the cache folder.',
          cause: error,
        },
      );
    }
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    throw error;
  }
  if (aside !== undefined) await rm(aside, { recursive: true, force: true });
  return {
    id: entry.id,
    dir: finalDir,
    entry,
    source,
    files: entry.files.map((file) => ({ ...file, localPath: pathInside(finalDir, file.path) })),
    downloaded: true,
  };
}
