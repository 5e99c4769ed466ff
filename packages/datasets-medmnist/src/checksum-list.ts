/**
 * @file Checksum lists published by mirrors: the output of `md5sum` / `sha256sum` (GNU style,
 * `<hex>  <file name>`, or `<hex> *<file name>` for binary mode) or their BSD style (`MD5 (<file name>) = <hex>`,
 * `SHA256 (<file name>) = <hex>`). The algorithm of each line follows from its digest length (32 hex digits:
 * MD5, 64: SHA-256). Blank lines and lines starting with `#` are ignored.
 *
 * A mirror that serves its own files (a re-split, a subset, a test fixture) publishes such a list; see
 * `checksums` in {@link DownloadMedMnistConfig}. Mirrors of the official files need no list: their downloads are
 * checked against the official MD5s.
 *
 * @example
 * ```ts
 * import { parseChecksumList } from '@medsymmflow/datasets-medmnist';
 *
 * const list = parseChecksumList('0744692d530f8e62ec473284d019b0c7  dermamnist.npz\n', 'MD5SUMS');
 * list.get('dermamnist.npz'); // { algorithm: 'md5', expected: '0744692d530f8e62ec473284d019b0c7' }
 * ```
 * @module checksum-list
 */

import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Checksum, FetchLike } from './download';
import { DownloadError } from './errors';

/** Largest checksum list read (a list of every MedMNIST file is about 10 KiB). */
export const MAX_CHECKSUM_LIST_BYTES = 1 << 20;

const GNU_LINE = /^([0-9a-fA-F]{32}|[0-9a-fA-F]{64}) [ *](.+)$/;
const BSD_LINE = /^(MD5|SHA256) \((.+)\) = ([0-9a-fA-F]{32}|[0-9a-fA-F]{64})$/;

function digestChecksum(hex: string): Checksum {
  return { algorithm: hex.length === 32 ? 'md5' : 'sha256', expected: hex.toLowerCase() };
}

/**
 * Parses a checksum list (`md5sum`/`sha256sum` output, GNU or BSD style) into a map from file name to
 * checksum. `source` names the list in errors.
 *
 * @throws {DownloadError} for a line that is not a checksum line, or a file listed twice with different digests
 * of the same algorithm (the list cannot be trusted then).
 */
export function parseChecksumList(text: string, source: string): Map<string, Checksum> {
  const entries = new Map<string, Checksum>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    let name: string;
    let checksum: Checksum;
    const gnu = GNU_LINE.exec(line);
    const bsd = gnu ? null : BSD_LINE.exec(line);
    if (gnu) {
      name = (gnu[2] as string).trim();
      checksum = digestChecksum(gnu[1] as string);
    } else if (bsd && (bsd[1] === 'MD5') === (bsd[3] as string).length < 64) {
      name = (bsd[2] as string).trim();
      checksum = digestChecksum(bsd[3] as string);
    } else {
      throw new DownloadError({
        url: source,
        reason: `Line ${index + 1} of the checksum list ${source} is not a checksum line: ${JSON.stringify(raw.slice(0, 120))}.`,
        hint:
          'A checksum list holds lines such as "<md5 or sha256 hex>  dermamnist.npz" (the output of md5sum or ' +
          'sha256sum run in the mirror folder).',
      });
    }
    const previous = entries.get(name);
    if (previous?.algorithm === checksum.algorithm && previous.expected !== checksum.expected) {
      throw new DownloadError({
        url: source,
        reason: `The checksum list ${source} gives ${name} two different ${checksum.algorithm.toUpperCase()}s (${previous.expected} and ${checksum.expected}).`,
        hint: 'Fix the list on the mirror: each file must appear once.',
      });
    }
    // SHA-256 wins over MD5 when a file is listed with both.
    if (!previous || checksum.algorithm === 'sha256') entries.set(name, checksum);
  });
  return entries;
}

/** Options of {@link loadChecksumList}. */
export interface LoadChecksumListConfig {
  /** `http:`/`https:` URL, `file:` URL or local path of the list. */
  location: string;
  /** `fetch` implementation. @defaultValue `globalThis.fetch` */
  fetch?: FetchLike;
  /** Cancels the request. */
  signal?: AbortSignal;
}

/**
 * Reads a checksum list from a URL or a local path and parses it with {@link parseChecksumList}.
 *
 * @throws {DownloadError} when it cannot be read, is larger than {@link MAX_CHECKSUM_LIST_BYTES}, or is not a
 * checksum list.
 */
export async function loadChecksumList(config: LoadChecksumListConfig): Promise<Map<string, Checksum>> {
  const { location, signal } = config;
  const fail = (detail: string, cause?: unknown): never => {
    throw new DownloadError({
      url: location,
      reason: `Could not read the checksum list ${location}: ${detail}.`,
      hint: 'Check MEDMNIST_CHECKSUMS (or the checksums option): it must be the URL or path of the mirror’s checksum list.',
      cause,
    });
  };
  let text = '';
  if (/^https?:/i.test(location)) {
    const fetchImpl: FetchLike = config.fetch ?? ((input, init) => globalThis.fetch(input, init));
    let response: Response | undefined;
    try {
      response = await fetchImpl(location, { signal });
    } catch (error) {
      fail((error as Error).message, error);
    }
    if (!response?.ok) {
      await response?.body?.cancel().catch(() => {});
      fail(`HTTP ${response?.status}`);
    }
    const bytes = new Uint8Array(await (response as Response).arrayBuffer());
    if (bytes.length > MAX_CHECKSUM_LIST_BYTES) fail(`larger than ${MAX_CHECKSUM_LIST_BYTES} bytes`);
    text = new TextDecoder().decode(bytes);
  } else {
    let path = location;
    if (location.startsWith('file:')) {
      try {
        path = fileURLToPath(location);
      } catch (error) {
        fail((error as Error).message, error);
      }
    }
    try {
      signal?.throwIfAborted();
      if ((await stat(path)).size > MAX_CHECKSUM_LIST_BYTES)
        fail(`larger than ${MAX_CHECKSUM_LIST_BYTES} bytes`);
      text = await readFile(path, { encoding: 'utf8', signal });
    } catch (error) {
      if (error instanceof DownloadError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      fail(code === 'ENOENT' ? 'no such file' : (error as Error).message, error);
    }
  }
  return parseChecksumList(text, location);
}
