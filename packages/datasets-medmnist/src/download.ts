/**
 * @file Verified, atomic downloads of MedMNIST files into the cache root.
 *
 * A download streams into a hidden temporary file next to the target while the MD5 is computed; only a
 * complete file with the expected MD5 is renamed into place. Every failure (network error, HTTP error,
 * connection dropped midway, wrong MD5, abort) removes the temporary file, so nothing that looks like a valid
 * dataset file is ever left behind.
 *
 * @example
 * ```ts
 * import { ensureDownloaded } from '@medsymmflow/datasets-medmnist';
 *
 * const path = await ensureDownloaded({
 *   flag: 'pneumoniamnist',
 *   download: true,
 *   onProgress: ({ receivedBytes, totalBytes }) => console.log(receivedBytes, totalBytes),
 * });
 * // '/home/me/.medmnist/pneumoniamnist.npz'
 * ```
 * @module download
 */

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { temporaryPathFor } from './atomic-write';
import { ChecksumError, DatasetFileNotFoundError, DownloadError } from './errors';
import {
  getDatasetPath,
  getDownloadUrl,
  MEDMNIST_BASE_URL_ENV,
  MEDMNIST_ROOT_ENV,
  resolveMedMnistRoot,
} from './paths';
import { getDatasetFile, getDatasetInfo, MEDMNIST_HOMEPAGE } from './registry';

/** Progress of a download. */
export interface DownloadProgress {
  /** Bytes received so far. */
  receivedBytes: number;
  /** Total bytes, when the server sent a `Content-Length`. */
  totalBytes: number | undefined;
}

/** A `fetch`-compatible function (the global `fetch` by default). */
export type FetchLike = (url: string, init: { signal?: AbortSignal }) => Promise<Response>;

/** Options of {@link downloadFile}. */
export interface DownloadFileConfig {
  /** URL to fetch. */
  url: string;
  /** Final path of the file. Its folder is created when missing. */
  destination: string;
  /** Expected MD5 (hex); when given, a mismatch fails the download and nothing is kept. */
  md5?: string;
  /**
   * `fetch` implementation, e.g. to add headers or a proxy.
   * @defaultValue `globalThis.fetch`
   */
  fetch?: FetchLike;
  /** Called after every received chunk. */
  onProgress?: (event: DownloadProgress) => void;
  /** Cancels the download; the temporary file is removed. */
  signal?: AbortSignal;
}

/** Result of a finished download. */
export interface DownloadResult {
  /** Final path. */
  path: string;
  /** MD5 of the received bytes. */
  md5: string;
  /** Number of bytes received. */
  bytes: number;
}

function describeCause(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  const code = cause?.code ?? (error as { code?: string })?.code;
  const message = cause?.message ?? (error as Error)?.message ?? String(error);
  return code && !message.includes(code) ? `${message} (${code})` : message;
}

/**
 * Downloads `url` to `destination` atomically, checking the MD5 when one is given.
 *
 * @throws {DownloadError} for network and HTTP errors and lost connections; {@link ChecksumError} for a wrong
 * MD5. In every case no file is left at `destination` or in its folder.
 */
export async function downloadFile(config: DownloadFileConfig): Promise<DownloadResult> {
  const { url, destination, md5: expected, onProgress, signal } = config;
  const fetchImpl: FetchLike = config.fetch ?? ((input, init) => globalThis.fetch(input, init));
  if (expected !== undefined && !/^[0-9a-f]{32}$/i.test(expected)) {
    throw new TypeError(`md5 must be 32 hex digits, got ${JSON.stringify(expected)}.`);
  }
  await mkdir(dirname(destination), { recursive: true });
  const temporary = temporaryPathFor(destination);
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    let response: Response;
    try {
      response = await fetchImpl(url, { signal });
    } catch (error) {
      throw new DownloadError({
        url,
        reason: `Could not download ${basename(destination)} from ${url}: ${describeCause(error)}.`,
        cause: error,
      });
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => {});
      throw new DownloadError({
        url,
        status: response.status,
        reason:
          `Could not download ${basename(destination)} from ${url}: HTTP ${response.status}` +
          `${response.statusText ? ` ${response.statusText}` : ''}${response.status === 404 ? ' (not found on the server)' : ''}.`,
      });
    }
    const lengthHeader = response.headers.get('content-length');
    const encoded = (response.headers.get('content-encoding') ?? 'identity') !== 'identity';
    const totalBytes =
      lengthHeader !== null && !encoded && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
    if (!response.body) {
      throw new DownloadError({ url, reason: `The server sent no body for ${url}.` });
    }
    handle = await open(temporary, 'wx');
    const hash = createHash('md5');
    let receivedBytes = 0;
    const reader = response.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        hash.update(value);
        await handle.write(value);
        receivedBytes += value.length;
        onProgress?.({ receivedBytes, totalBytes });
      }
    } catch (error) {
      throw new DownloadError({
        url,
        reason:
          `Download of ${basename(destination)} from ${url} failed after ${receivedBytes}` +
          `${totalBytes === undefined ? '' : ` of ${totalBytes}`} bytes: ${describeCause(error)}.`,
        cause: error,
      });
    }
    if (totalBytes !== undefined && receivedBytes !== totalBytes) {
      throw new DownloadError({
        url,
        reason: `Download of ${basename(destination)} from ${url} ended after ${receivedBytes} of ${totalBytes} bytes.`,
      });
    }
    await handle.sync();
    await handle.close();
    handle = undefined;
    const md5 = hash.digest('hex');
    if (expected !== undefined && md5 !== expected.toLowerCase()) {
      throw new ChecksumError({
        source: url,
        expected: expected.toLowerCase(),
        actual: md5,
        reason: `Downloaded ${basename(destination)} from ${url} has MD5 ${md5}, expected ${expected.toLowerCase()}.`,
        hint: 'The file was discarded. The server or mirror may hold a different or damaged file; try again or use another source.',
      });
    }
    await rename(temporary, destination);
    return { path: destination, md5, bytes: receivedBytes };
  } catch (error) {
    await handle?.close().catch(() => {});
    await rm(temporary, { force: true });
    throw error;
  }
}

/** Options of {@link downloadMedMnist}. */
export interface DownloadMedMnistConfig {
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
  /**
   * Mirror holding the files under their official names; `<baseUrl>/<fileName>` is fetched.
   * @defaultValue `process.env.MEDMNIST_BASE_URL`, else the official Zenodo URL
   */
  baseUrl?: string;
  /**
   * Download again even when the file is present.
   * @defaultValue false
   */
  force?: boolean;
  /** `fetch` implementation. @defaultValue `globalThis.fetch` */
  fetch?: FetchLike;
  /** Called after every received chunk. */
  onProgress?: (event: DownloadProgress) => void;
  /** Cancels the download. */
  signal?: AbortSignal;
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function placementHint(flag: string, size: number, path: string, url: string, md5: string): string {
  return (
    `Download it from ${url} (MD5 ${md5}) and put it at ${path}, or let this package fetch it ` +
    `(download: true; CLI: medsymmflow datasets download ${flag}${size === 28 ? '' : ` --size ${size}`}). ` +
    `The folder comes from the root option, ${MEDMNIST_ROOT_ENV}, or ~/.medmnist; ${MEDMNIST_BASE_URL_ENV} sets a mirror.`
  );
}

/**
 * Downloads a MedMNIST file into the cache root (skipped when it is already there, unless `force`), checking
 * the official MD5. Returns the file's path.
 *
 * @throws {DownloadError | ChecksumError} with the official URL and where to put the file by hand.
 */
export async function downloadMedMnist(config: DownloadMedMnistConfig): Promise<string> {
  const info = getDatasetInfo(config.flag);
  const file = getDatasetFile(info.flag, config.size ?? 28);
  const path = getDatasetPath({ flag: info.flag, size: file.size, root: config.root });
  if (!config.force && (await exists(path))) return path;
  const url = getDownloadUrl(info.flag, file.size, config.baseUrl);
  try {
    await downloadFile({
      url,
      destination: path,
      md5: file.md5,
      fetch: config.fetch,
      onProgress: config.onProgress,
      signal: config.signal,
    });
  } catch (error) {
    if (error instanceof DownloadError && error.hint === undefined) {
      throw new DownloadError({
        url,
        status: error.status,
        reason: error.reason,
        hint:
          `If this machine is offline, download ${file.fileName} elsewhere from ${file.url} (MD5 ${file.md5}) ` +
          `and put it at ${path}; ${MEDMNIST_BASE_URL_ENV} or baseUrl sets a mirror. See ${MEDMNIST_HOMEPAGE}.`,
        cause: error.cause,
      });
    }
    throw error;
  }
  return path;
}

/** Options of {@link ensureDownloaded}. */
export interface EnsureDownloadedConfig extends DownloadMedMnistConfig {
  /**
   * Download the file when it is missing (with `force`, also when present). When `false`, a missing file is an
   * error that says where to get it.
   * @defaultValue false
   */
  download?: boolean;
}

/**
 * Path of a MedMNIST file, downloading it first when it is missing and `download` is `true`.
 *
 * @throws {DatasetFileNotFoundError} when the file is missing and `download` is `false`: the message names the
 * file, its official URL and MD5, and the folder to put it in.
 */
export async function ensureDownloaded(config: EnsureDownloadedConfig): Promise<string> {
  const info = getDatasetInfo(config.flag);
  const file = getDatasetFile(info.flag, config.size ?? 28);
  const path = getDatasetPath({ flag: info.flag, size: file.size, root: config.root });
  const redownload = config.force === true && config.download === true;
  if (!redownload && (await exists(path))) return path;
  if (config.download) return downloadMedMnist({ ...config, flag: info.flag, size: file.size });
  throw new DatasetFileNotFoundError({
    path,
    url: file.url,
    md5: file.md5,
    reason: `MedMNIST file ${file.fileName} (${info.flag}, ${file.size}px) is missing from ${resolveMedMnistRoot(config.root)}.`,
    hint: placementHint(info.flag, file.size, path, file.url, file.md5),
  });
}

/** MD5 (hex) of a file, streamed. */
export async function md5File(path: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
