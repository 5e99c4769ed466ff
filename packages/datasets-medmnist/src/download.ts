/**
 * @file Verified, atomic downloads of MedMNIST files into the cache root.
 *
 * A download streams into a hidden temporary file next to the target while the MD5 (and, when a SHA-256 is
 * expected, the SHA-256) is computed; only a complete file with the expected checksum is renamed into place.
 * Every failure (network error, HTTP error, connection dropped midway, wrong checksum, abort) removes the
 * temporary file, so nothing that looks like a valid file is ever left behind. `file:` URLs are copied the
 * same way (streamed, hashed, temporary file, rename), so local mirrors behave exactly like remote ones.
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
import { fileURLToPath } from 'node:url';
import { temporaryPathFor } from './atomic-write';
import { loadChecksumList } from './checksum-list';
import { ChecksumError, DatasetFileNotFoundError, DownloadError } from './errors';
import {
  getDatasetPath,
  getDownloadUrl,
  MEDMNIST_BASE_URL_ENV,
  MEDMNIST_CHECKSUMS_ENV,
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

/** Hash algorithms {@link downloadFile} and {@link hashFile} can check. */
export const CHECKSUM_ALGORITHMS = Object.freeze(['md5', 'sha256'] as const);
/** A hash algorithm name: `'md5'` or `'sha256'`. */
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

/** An expected checksum. */
export interface Checksum {
  /** Hash algorithm. */
  algorithm: ChecksumAlgorithm;
  /** Expected digest, hex (32 digits for MD5, 64 for SHA-256; case-insensitive). */
  expected: string;
}

const HEX_DIGITS: Readonly<Record<ChecksumAlgorithm, number>> = Object.freeze({ md5: 32, sha256: 64 });
const ALGORITHM_LABEL: Readonly<Record<ChecksumAlgorithm, string>> = Object.freeze({
  md5: 'MD5',
  sha256: 'SHA-256',
});

/** Validates an expected checksum; `field` names the option in errors (`md5` or `checksum`). */
function checkChecksum(field: 'md5' | 'checksum', checksum: Checksum): Checksum {
  const { algorithm, expected } = checksum;
  if (!CHECKSUM_ALGORITHMS.includes(algorithm)) {
    throw new TypeError(
      `${field}.algorithm must be one of ${CHECKSUM_ALGORITHMS.join(', ')}, got ${JSON.stringify(algorithm)}.`,
    );
  }
  const digits = HEX_DIGITS[algorithm];
  if (typeof expected !== 'string' || !new RegExp(`^[0-9a-f]{${digits}}$`, 'i').test(expected)) {
    throw new TypeError(
      `${field === 'md5' ? 'md5' : 'checksum.expected'} must be ${digits} hex digits ` +
        `(${ALGORITHM_LABEL[algorithm]}), got ${JSON.stringify(expected)}.`,
    );
  }
  return { algorithm, expected: expected.toLowerCase() };
}

/** Options of {@link downloadFile}. */
export interface DownloadFileConfig {
  /**
   * URL to fetch: `http:`/`https:` (through `fetch`), or `file:` (the file is copied, with the same
   * temporary-file, checksum and progress handling).
   */
  url: string;
  /** Final path of the file. Its folder is created when missing. */
  destination: string;
  /** Expected MD5 (hex); when given, a mismatch fails the download and nothing is kept. */
  md5?: string;
  /**
   * Expected checksum with its algorithm, e.g. `{ algorithm: 'sha256', expected: '9f86…' }`; a mismatch
   * fails the download and nothing is kept. Can be combined with `md5` (both are checked).
   */
  checksum?: Checksum;
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
  /** SHA-256 of the received bytes; computed when a SHA-256 `checksum` was asked for. */
  sha256?: string;
  /** Number of bytes received. */
  bytes: number;
}

/** A body being received: its chunks and, when known, its length. */
interface Incoming {
  chunks: AsyncIterable<Uint8Array>;
  totalBytes: number | undefined;
}

async function* readerChunks(body: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        finished = true;
        return;
      }
      yield value;
    }
  } finally {
    // stopped early (a write failed): tell the server we are not reading any more
    if (!finished) await reader.cancel().catch(() => {});
  }
}

/** Opens `url` through `fetch`. */
async function openHttp(
  url: string,
  name: string,
  fetchImpl: FetchLike,
  signal: AbortSignal | undefined,
): Promise<Incoming> {
  let response: Response;
  try {
    response = await fetchImpl(url, { signal });
  } catch (error) {
    throw new DownloadError({
      url,
      reason: `Could not download ${name} from ${url}: ${describeCause(error)}.`,
      cause: error,
    });
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    throw new DownloadError({
      url,
      status: response.status,
      reason:
        `Could not download ${name} from ${url}: HTTP ${response.status}` +
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
  return { chunks: readerChunks(response.body), totalBytes };
}

/** Opens a `file:` URL for copying. */
async function openLocal(url: string, name: string, signal: AbortSignal | undefined): Promise<Incoming> {
  let path: string;
  try {
    path = fileURLToPath(url);
  } catch (error) {
    throw new DownloadError({
      url,
      reason: `Invalid file URL ${url}: ${describeCause(error)}.`,
      cause: error,
    });
  }
  let size: number;
  try {
    signal?.throwIfAborted();
    const info = await stat(path);
    if (!info.isFile()) throw Object.assign(new Error(`${path} is not a file`), { code: 'EISDIR' });
    size = info.size;
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new DownloadError({
      url,
      reason: `Could not copy ${name} from ${url}: ${missing ? 'no such file' : describeCause(error)}.`,
      cause: error,
    });
  }
  return { chunks: createReadStream(path, { highWaterMark: 1 << 20, signal }), totalBytes: size };
}

function describeCause(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  const code = cause?.code ?? (error as { code?: string })?.code;
  const message = cause?.message ?? (error as Error)?.message ?? String(error);
  return code && !message.includes(code) ? `${message} (${code})` : message;
}

/**
 * Downloads `url` to `destination` atomically, checking the MD5 and/or `checksum` when given. `file:` URLs
 * are copied the same way.
 *
 * @throws {DownloadError} for network and HTTP errors, lost connections and missing `file:` sources;
 * {@link ChecksumError} for a wrong checksum. In every case no file is left at `destination` or in its folder.
 */
export async function downloadFile(config: DownloadFileConfig): Promise<DownloadResult> {
  const { url, destination, onProgress, signal } = config;
  const fetchImpl: FetchLike = config.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const expected: Checksum[] = [];
  if (config.md5 !== undefined)
    expected.push(checkChecksum('md5', { algorithm: 'md5', expected: config.md5 }));
  if (config.checksum !== undefined) {
    if (config.checksum === null || typeof config.checksum !== 'object') {
      throw new TypeError(
        `checksum must be an object such as { algorithm: 'sha256', expected: '<64 hex digits>' }, got ${JSON.stringify(config.checksum)}.`,
      );
    }
    expected.push(checkChecksum('checksum', config.checksum));
  }
  const name = basename(destination);
  await mkdir(dirname(destination), { recursive: true });
  const temporary = temporaryPathFor(destination);
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    const { chunks, totalBytes } = url.startsWith('file:')
      ? await openLocal(url, name, signal)
      : await openHttp(url, name, fetchImpl, signal);
    handle = await open(temporary, 'wx');
    const hashes = { md5: createHash('md5'), sha256: undefined as ReturnType<typeof createHash> | undefined };
    if (expected.some((checksum) => checksum.algorithm === 'sha256')) hashes.sha256 = createHash('sha256');
    let receivedBytes = 0;
    try {
      for await (const value of chunks) {
        hashes.md5.update(value);
        hashes.sha256?.update(value);
        await handle.write(value);
        receivedBytes += value.length;
        onProgress?.({ receivedBytes, totalBytes });
      }
    } catch (error) {
      throw new DownloadError({
        url,
        reason:
          `Download of ${name} from ${url} failed after ${receivedBytes}` +
          `${totalBytes === undefined ? '' : ` of ${totalBytes}`} bytes: ${describeCause(error)}.`,
        cause: error,
      });
    }
    if (totalBytes !== undefined && receivedBytes !== totalBytes) {
      throw new DownloadError({
        url,
        reason: `Download of ${name} from ${url} ended after ${receivedBytes} of ${totalBytes} bytes.`,
      });
    }
    await handle.sync();
    await handle.close();
    handle = undefined;
    const actual: Record<ChecksumAlgorithm, string | undefined> = {
      md5: hashes.md5.digest('hex'),
      sha256: hashes.sha256?.digest('hex'),
    };
    for (const { algorithm, expected: digest } of expected) {
      if (actual[algorithm] !== digest) {
        const label = ALGORITHM_LABEL[algorithm];
        throw new ChecksumError({
          source: url,
          algorithm,
          expected: digest,
          actual: actual[algorithm] as string,
          reason: `Downloaded ${name} from ${url} has ${label} ${actual[algorithm]}, expected ${digest}.`,
          hint: 'The file was discarded. The server or mirror may hold a different or damaged file; try again or use another source.',
        });
      }
    }
    await rename(temporary, destination);
    const result: DownloadResult = { path: destination, md5: actual.md5 as string, bytes: receivedBytes };
    if (actual.sha256 !== undefined) result.sha256 = actual.sha256;
    return result;
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
   * Checksum list of the mirror (URL, `file:` URL or path; `md5sum`/`sha256sum` format), for mirrors that serve
   * their own files (a re-split, a subset, a test fixture) rather than the official ones. The list's entry
   * for the file replaces the official MD5; a file the list does not name is still checked against the
   * official MD5. Honoured only together with a mirror (`baseUrl` or `MEDMNIST_BASE_URL` other than the
   * official URL): asking for it with the official URL is a `RangeError`, so downloads from Zenodo are always
   * checked against the official MD5s. {@link resolveDownloadSource} tells which checksum a download uses.
   * @defaultValue `process.env.MEDMNIST_CHECKSUMS`, else none (the official MD5s)
   */
  checksums?: string;
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
  /**
   * The source {@link resolveDownloadSource} already returned for this file (a front end that showed the user
   * which checksum applies passes it on, so a mirror's checksum list is read once).
   */
  source?: MedMnistDownloadSource;
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

/** Where a MedMNIST file is downloaded from and which checksum it must have ({@link resolveDownloadSource}). */
export interface MedMnistDownloadSource {
  /** Canonical dataset flag. */
  flag: string;
  /** Image size. */
  size: number;
  /** Official file name, e.g. `dermamnist.npz`. */
  fileName: string;
  /** Where the file is saved (in the cache root). */
  path: string;
  /** URL it is fetched from: the official URL or `<mirror>/<fileName>`. */
  url: string;
  /** `true` when `url` is not the official URL. */
  mirror: boolean;
  /** The checksum the downloaded bytes must have. */
  checksum: Checksum;
  /**
   * Where `checksum` comes from: `'official'` (the registry's MD5, as published on Zenodo) or `'mirror'` (the
   * mirror's checksum list, `checksumList`).
   */
  checksumOrigin: 'official' | 'mirror';
  /** The mirror's checksum list that was read, when one was given. */
  checksumList?: string;
}

/** Same scheme, host and path (the official URLs carry a `?download=1` query that changes nothing). */
function sameResource(a: string, b: string): boolean {
  const [x, y] = [new URL(a), new URL(b)];
  return x.protocol === y.protocol && x.host === y.host && x.pathname === y.pathname;
}

/**
 * Resolves where a MedMNIST file comes from and which checksum it must have, reading the mirror's checksum
 * list when one is given (`checksums` or `MEDMNIST_CHECKSUMS`). {@link downloadMedMnist} uses it; front ends
 * call it to tell the user which checksum a download will be checked against.
 *
 * @throws `RangeError` when a checksum list is given without a mirror; {@link DownloadError} when the list
 * cannot be read or parsed.
 */
export async function resolveDownloadSource(
  config: Pick<
    DownloadMedMnistConfig,
    'flag' | 'size' | 'root' | 'baseUrl' | 'checksums' | 'fetch' | 'signal'
  >,
): Promise<MedMnistDownloadSource> {
  const info = getDatasetInfo(config.flag);
  const file = getDatasetFile(info.flag, config.size ?? 28);
  const path = getDatasetPath({ flag: info.flag, size: file.size, root: config.root });
  const url = getDownloadUrl(info.flag, file.size, config.baseUrl);
  const mirror = !sameResource(url, file.url);
  const checksums = config.checksums ?? (process.env[MEDMNIST_CHECKSUMS_ENV] || undefined);
  const source: MedMnistDownloadSource = {
    flag: info.flag,
    size: file.size,
    fileName: file.fileName,
    path,
    url,
    mirror,
    checksum: { algorithm: 'md5', expected: file.md5 },
    checksumOrigin: 'official',
  };
  if (checksums === undefined) return source;
  if (typeof checksums !== 'string' || checksums === '') {
    throw new TypeError(
      `checksums must be a URL or path of a checksum list, got ${JSON.stringify(checksums)}.`,
    );
  }
  if (!mirror) {
    throw new RangeError(
      `A checksum list (${JSON.stringify(checksums)}, from the checksums option or ${MEDMNIST_CHECKSUMS_ENV}) is ` +
        `only honoured for downloads from a mirror, but ${file.fileName} would come from its official URL ${file.url}, ` +
        `which is always checked against the official MD5 ${file.md5}. Set baseUrl or ${MEDMNIST_BASE_URL_ENV} to the ` +
        `mirror that publishes the list, or unset ${MEDMNIST_CHECKSUMS_ENV}.`,
    );
  }
  const list = await loadChecksumList({ location: checksums, fetch: config.fetch, signal: config.signal });
  source.checksumList = checksums;
  const entry = list.get(file.fileName);
  if (entry) {
    source.checksum = entry;
    source.checksumOrigin = 'mirror';
  }
  return source;
}

/**
 * Downloads a MedMNIST file into the cache root (skipped when it is already there, unless `force`), checking
 * the official MD5 (or, from a mirror with a checksum list, the list's checksum; see `checksums`). Returns the
 * file's path.
 *
 * @throws {DownloadError | ChecksumError} with the official URL and where to put the file by hand.
 */
export async function downloadMedMnist(config: DownloadMedMnistConfig): Promise<string> {
  const info = getDatasetInfo(config.flag);
  const file = getDatasetFile(info.flag, config.size ?? 28);
  const path = getDatasetPath({ flag: info.flag, size: file.size, root: config.root });
  if (!config.force && (await exists(path))) return path;
  const given = config.source;
  if (given && (given.flag !== info.flag || given.size !== file.size)) {
    throw new RangeError(
      `The download source is for ${given.flag} at ${given.size}px, not ${info.flag} at ${file.size}px.`,
    );
  }
  const source = given ?? (await resolveDownloadSource({ ...config, flag: info.flag, size: file.size }));
  const { url } = source;
  try {
    await downloadFile({
      url,
      destination: path,
      checksum: source.checksum,
      fetch: config.fetch,
      onProgress: config.onProgress,
      signal: config.signal,
    });
  } catch (error) {
    if (error instanceof ChecksumError) {
      const label = ALGORITHM_LABEL[error.algorithm];
      throw new ChecksumError({
        source: error.source,
        algorithm: error.algorithm,
        expected: error.expected,
        actual: error.actual,
        reason:
          `Downloaded ${file.fileName} from ${url} has ${label} ${error.actual}, expected ${error.expected} ` +
          (source.checksumOrigin === 'mirror'
            ? `(from the mirror's checksum list ${source.checksumList})`
            : `(the official ${label})`) +
          `; it was discarded and nothing was saved in ${dirname(path)}.`,
        hint:
          source.checksumOrigin === 'mirror'
            ? `The mirror's file or its checksum list is wrong: fix the mirror, or download from the official URL (unset ${MEDMNIST_BASE_URL_ENV} and ${MEDMNIST_CHECKSUMS_ENV}).`
            : source.mirror
              ? `The mirror does not hold the official ${file.fileName}. Use a mirror of the official files, ` +
                `unset ${MEDMNIST_BASE_URL_ENV} to download ${file.url}, or, if the mirror deliberately serves its ` +
                `own files, point ${MEDMNIST_CHECKSUMS_ENV} at the mirror's checksum list.`
              : `The download was damaged or the server sent another file; try again, or download ${file.url} ` +
                `by hand, check its MD5 (${file.md5}) and save it as ${path}.`,
      });
    }
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

/** Digest (hex) of a file with `algorithm`, streamed. */
export async function hashFile(path: string, algorithm: ChecksumAlgorithm): Promise<string> {
  if (!CHECKSUM_ALGORITHMS.includes(algorithm)) {
    throw new TypeError(
      `algorithm must be one of ${CHECKSUM_ALGORITHMS.join(', ')}, got ${JSON.stringify(algorithm)}.`,
    );
  }
  const hash = createHash(algorithm);
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** MD5 (hex) of a file, streamed. */
export async function md5File(path: string): Promise<string> {
  return hashFile(path, 'md5');
}
