/**
 * @file Where MedMNIST files live and where they are downloaded from.
 *
 * Cache root, in order: the `root` option, the `MEDMNIST_ROOT` environment variable, `~/.medmnist` (the
 * official package's default). Download URL: the `baseUrl` option or `MEDMNIST_BASE_URL` (a mirror holding
 * the files under their official names, e.g. `http://mirror/medmnist/pneumoniamnist.npz`), else the official
 * Zenodo URL.
 * @module paths
 */

import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { getDatasetFile } from './registry';
import type { ImageSize } from './registry-types';

/** Environment variable that sets the cache root. */
export const MEDMNIST_ROOT_ENV = 'MEDMNIST_ROOT';

/** Environment variable that sets a mirror (base URL) for downloads, e.g. for air-gapped sites or tests. */
export const MEDMNIST_BASE_URL_ENV = 'MEDMNIST_BASE_URL';

/**
 * Environment variable naming the checksum list (URL or path) of a mirror that serves its own files; honoured
 * only together with a mirror (`MEDMNIST_BASE_URL` or `baseUrl`). See `checksums` of `downloadMedMnist`.
 */
export const MEDMNIST_CHECKSUMS_ENV = 'MEDMNIST_CHECKSUMS';

/** `~/.medmnist`, the official package's default root. */
export function defaultMedMnistRoot(): string {
  return join(homedir(), '.medmnist');
}

function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path;
}

/**
 * The cache root: `root` if given, else `$MEDMNIST_ROOT`, else `~/.medmnist`, as an absolute path.
 *
 * @param root - explicit root. @defaultValue `process.env.MEDMNIST_ROOT ?? '~/.medmnist'`
 */
export function resolveMedMnistRoot(root?: string): string {
  if (root !== undefined && (typeof root !== 'string' || root.length === 0)) {
    throw new TypeError(`root must be a non-empty folder path, got ${JSON.stringify(root)}.`);
  }
  const fromEnv = process.env[MEDMNIST_ROOT_ENV];
  return resolve(expandHome(root ?? (fromEnv ? fromEnv : defaultMedMnistRoot())));
}

/** Location of a dataset file. */
export interface DatasetLocation {
  /** Dataset flag, e.g. `'pneumoniamnist'`. */
  flag: string;
  /**
   * Image size.
   * @defaultValue 28
   */
  size?: number;
  /**
   * Cache root.
   * @defaultValue `process.env.MEDMNIST_ROOT ?? '~/.medmnist'`
   */
  root?: string;
}

/** Absolute path of a dataset file in the cache root (the file may not exist yet). */
export function getDatasetPath(location: DatasetLocation): string {
  const file = getDatasetFile(location.flag, location.size ?? 28);
  return join(resolveMedMnistRoot(location.root), file.fileName);
}

/**
 * Download URL of a dataset file: `<baseUrl>/<fileName>` when a base URL is given (option or
 * `MEDMNIST_BASE_URL`), else the official Zenodo URL.
 */
export function getDownloadUrl(flag: string, size: ImageSize | number = 28, baseUrl?: string): string {
  const file = getDatasetFile(flag, size);
  const base = baseUrl ?? process.env[MEDMNIST_BASE_URL_ENV];
  if (base === undefined || base === '') return file.url;
  let parsed: URL;
  try {
    parsed = new URL(base.endsWith('/') ? base : `${base}/`);
  } catch (error) {
    throw new TypeError(`Invalid base URL ${JSON.stringify(base)}: ${(error as Error).message}.`, {
      cause: error,
    });
  }
  return new URL(file.fileName, parsed).toString();
}
