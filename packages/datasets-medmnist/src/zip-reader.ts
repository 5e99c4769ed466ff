/**
 * @file A small, strict zip reader for `.npz` archives: end-of-central-directory (plain and zip64), central
 * directory, local headers (with the zip64 extra field numpy writes), stored and deflated members, CRC-32
 * checks and zip-bomb caps. Internal: the public API is `openNpz`/`readNpz` in `npz.ts`.
 * @module zip-reader
 * @ignore
 */

import { constants as bufferConstants } from 'node:buffer';
import { open } from 'node:fs/promises';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { crc32 } from './crc32';
import { NpzFormatError, NpzLimitError } from './errors';

const inflateRaw = promisify(zlib.inflateRaw);

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_EOCD64_LOCATOR = 0x07064b50;
const ZIP64_EXTRA_ID = 0x0001;
const MAX_U16 = 0xffff;
const MAX_U32 = 0xffffffff;
const EOCD_SIZE = 22;
const LOCAL_HEADER_SIZE = 30;
const CENTRAL_HEADER_SIZE = 46;

/** Random-access bytes: an in-memory buffer or an open file. */
export interface ByteSource {
  /** Name used in error messages (a path, or a label for in-memory bytes). */
  readonly name: string;
  /** Total size in bytes. */
  readonly size: number;
  /** Reads `length` bytes at `offset`; fewer when the source ends. */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Releases the file handle, if any. */
  close(): Promise<void>;
}

/** Wraps bytes already in memory. */
export function memorySource(bytes: Uint8Array, name: string): ByteSource {
  return {
    name,
    size: bytes.length,
    read: async (offset, length) => bytes.subarray(offset, Math.min(bytes.length, offset + length)),
    close: async () => {},
  };
}

/** Files up to this size are read into memory at once; larger ones are read member by member. */
const WHOLE_FILE_LIMIT = 256 * 1024 * 1024;

/** Opens a file for random access (reads small files whole, which is fastest). */
export async function fileSource(path: string): Promise<ByteSource> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size <= WHOLE_FILE_LIMIT) {
      const bytes = new Uint8Array(size);
      let filled = 0;
      while (filled < size) {
        const { bytesRead } = await handle.read(bytes, filled, size - filled, filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      await handle.close();
      return memorySource(bytes.subarray(0, filled), path);
    }
    return {
      name: path,
      size,
      read: async (offset, length) => {
        const buffer = new Uint8Array(Math.max(0, Math.min(length, size - offset)));
        let filled = 0;
        while (filled < buffer.length) {
          const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, offset + filled);
          if (bytesRead === 0) break;
          filled += bytesRead;
        }
        return buffer.subarray(0, filled);
      },
      close: () => handle.close(),
    };
  } catch (error) {
    await handle.close().catch(() => {});
    throw error;
  }
}

/** Safety limits applied while reading an archive. */
export interface ZipLimits {
  maxUncompressedBytes: number;
  maxCompressionRatio: number;
  maxEntries: number;
}

/** One member of the archive, as described by the central directory. */
export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function u64(dv: DataView, offset: number, fail: (detail: string) => never): number {
  const value = dv.getBigUint64(offset, true);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) fail(`64-bit field value ${value} is too large`);
  return Number(value);
}

interface Zip64Values {
  uncompressedSize?: number;
  compressedSize?: number;
  localHeaderOffset?: number;
}

/**
 * Reads the zip64 extra field. Per the zip spec its values appear only for the 32-bit fields that are
 * 0xFFFFFFFF, in the order uncompressed size, compressed size, offset. numpy's `savez` writes the field in
 * local headers with both sizes even when they fit, so `allSizes` reads both sizes when the field is 16 bytes.
 */
function readZip64Extra(
  extra: Uint8Array,
  need: { uncompressed: boolean; compressed: boolean; offset: boolean },
  fail: (detail: string) => never,
): Zip64Values | undefined {
  const dv = view(extra);
  let position = 0;
  while (position + 4 <= extra.length) {
    const id = dv.getUint16(position, true);
    const size = dv.getUint16(position + 2, true);
    const start = position + 4;
    if (start + size > extra.length) fail('an extra field runs past the end of its header');
    if (id === ZIP64_EXTRA_ID) {
      const values: Zip64Values = {};
      let p = start;
      const take = (): number => {
        if (p + 8 > start + size) fail('the zip64 extra field is too short');
        const value = u64(dv, p, fail);
        p += 8;
        return value;
      };
      if (need.uncompressed || (!need.offset && size >= 16)) values.uncompressedSize = take();
      if (need.compressed || (!need.offset && size >= 16)) values.compressedSize = take();
      if (need.offset) values.localHeaderOffset = take();
      return values;
    }
    position = start + size;
  }
  return undefined;
}

function decodeName(bytes: Uint8Array, utf8: boolean): string {
  return new TextDecoder(utf8 ? 'utf-8' : 'latin1').decode(bytes);
}

/** Parses the end-of-central-directory records and the central directory. */
export async function readCentralDirectory(source: ByteSource, limits: ZipLimits): Promise<ZipEntry[]> {
  const fail = (detail: string): never => {
    throw new NpzFormatError({ file: source.name }, detail);
  };
  if (source.size < EOCD_SIZE) {
    fail(
      `is ${source.size} bytes long, too short to be a zip/.npz archive; the file is truncated or not an .npz file`,
    );
  }
  const tailStart = Math.max(0, source.size - (EOCD_SIZE + MAX_U16));
  const tail = await source.read(tailStart, source.size - tailStart);
  const tailView = view(tail);
  let eocd = -1;
  for (let i = tail.length - EOCD_SIZE; i >= 0; i--) {
    if (
      tailView.getUint32(i, true) === SIG_EOCD &&
      i + EOCD_SIZE + tailView.getUint16(i + 20, true) === tail.length
    ) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) {
    const magic = source.size >= 4 ? view(await source.read(0, 4)).getUint32(0, true) : 0;
    fail(
      magic === SIG_LOCAL
        ? 'has no end-of-central-directory record: the archive is truncated (an interrupted download or copy?)'
        : 'is not a zip/.npz archive (no zip signature); expected a file written by numpy.savez or savez_compressed',
    );
  }
  const diskNumber = tailView.getUint16(eocd + 4, true);
  const cdDisk = tailView.getUint16(eocd + 6, true);
  let entryCount = tailView.getUint16(eocd + 10, true);
  let cdSize = tailView.getUint32(eocd + 12, true);
  let cdOffset = tailView.getUint32(eocd + 16, true);
  const eocdAbsolute = tailStart + eocd;
  let cdEnd = eocdAbsolute;
  if (entryCount === MAX_U16 || cdSize === MAX_U32 || cdOffset === MAX_U32) {
    if (eocd < 20 || tailView.getUint32(eocd - 20, true) !== SIG_EOCD64_LOCATOR) {
      fail('declares a zip64 archive but the zip64 end-of-central-directory locator is missing');
    }
    const eocd64Offset = u64(tailView, eocd - 12, fail);
    if (eocd64Offset + 56 > eocdAbsolute - 20)
      fail('the zip64 end-of-central-directory offset is out of range');
    const record = await source.read(eocd64Offset, 56);
    const rv = view(record);
    if (record.length < 56 || rv.getUint32(0, true) !== SIG_EOCD64) {
      fail('the zip64 end-of-central-directory record is missing or corrupt');
    }
    entryCount = u64(rv, 32, fail);
    cdSize = u64(rv, 40, fail);
    cdOffset = u64(rv, 48, fail);
    cdEnd = eocd64Offset;
  } else if (diskNumber !== 0 || cdDisk !== 0) {
    fail('is a multi-volume (split) zip archive, which is not supported');
  }
  if (entryCount > limits.maxEntries) {
    throw new NpzLimitError(
      { file: source.name },
      `has ${entryCount} members, more than the limit of ${limits.maxEntries} (maxEntries).`,
      { hint: 'Raise maxEntries only for files you trust.' },
    );
  }
  if (cdOffset + cdSize > cdEnd) {
    fail('the central directory lies outside the archive: the file is truncated or corrupt');
  }
  const cd = await source.read(cdOffset, cdSize);
  const dv = view(cd);
  const entries: ZipEntry[] = [];
  const names = new Set<string>();
  let position = 0;
  for (let index = 0; index < entryCount; index++) {
    if (position + CENTRAL_HEADER_SIZE > cd.length || dv.getUint32(position, true) !== SIG_CENTRAL) {
      fail(`central directory entry ${index} is missing or corrupt`);
    }
    const flags = dv.getUint16(position + 8, true);
    const method = dv.getUint16(position + 10, true);
    const crc = dv.getUint32(position + 16, true);
    let compressedSize = dv.getUint32(position + 20, true);
    let uncompressedSize = dv.getUint32(position + 24, true);
    const nameLength = dv.getUint16(position + 28, true);
    const extraLength = dv.getUint16(position + 30, true);
    const commentLength = dv.getUint16(position + 32, true);
    let localHeaderOffset = dv.getUint32(position + 42, true);
    const nameStart = position + CENTRAL_HEADER_SIZE;
    const next = nameStart + nameLength + extraLength + commentLength;
    if (next > cd.length) fail(`central directory entry ${index} runs past the end of the directory`);
    const name = decodeName(cd.subarray(nameStart, nameStart + nameLength), (flags & 0x800) !== 0);
    const memberFail = (detail: string): never => {
      throw new NpzFormatError({ file: source.name, member: name }, detail);
    };
    const need = {
      uncompressed: uncompressedSize === MAX_U32,
      compressed: compressedSize === MAX_U32,
      offset: localHeaderOffset === MAX_U32,
    };
    if (need.uncompressed || need.compressed || need.offset) {
      const extra = cd.subarray(nameStart + nameLength, nameStart + nameLength + extraLength);
      const zip64 = readZip64Extra(extra, need, memberFail);
      if (!zip64) memberFail('sizes are marked as zip64 but the zip64 extra field is missing');
      if (need.uncompressed) uncompressedSize = zip64?.uncompressedSize as number;
      if (need.compressed) compressedSize = zip64?.compressedSize as number;
      if (need.offset) localHeaderOffset = zip64?.localHeaderOffset as number;
    }
    if (flags & 0x1) memberFail('is encrypted, which is not supported');
    if (method !== 0 && method !== 8) {
      memberFail(`uses compression method ${method}; only stored (0) and deflated (8) members are supported`);
    }
    if (names.has(name)) memberFail('appears twice in the central directory');
    if (localHeaderOffset + LOCAL_HEADER_SIZE > cdOffset) memberFail('local header offset is out of range');
    names.add(name);
    entries.push({ name, method, flags, crc32: crc, compressedSize, uncompressedSize, localHeaderOffset });
    position = next;
  }
  const declared = entries.reduce((sum, entry) => sum + entry.uncompressedSize, 0);
  if (declared > limits.maxUncompressedBytes) {
    throw new NpzLimitError(
      { file: source.name },
      `declares ${declared} uncompressed bytes, more than the limit of ${limits.maxUncompressedBytes} ` +
        '(maxUncompressedBytes).',
      { hint: 'Raise maxUncompressedBytes only for files you trust (e.g. a verified official file).' },
    );
  }
  return entries;
}

/** Reads, inflates and CRC-checks one member. */
export async function readEntry(source: ByteSource, entry: ZipEntry, limits: ZipLimits): Promise<Uint8Array> {
  const location = { file: source.name, member: entry.name };
  const fail = (detail: string, cause?: unknown): never => {
    throw new NpzFormatError(location, detail, { cause });
  };
  const header = await source.read(entry.localHeaderOffset, LOCAL_HEADER_SIZE);
  const hv = view(header);
  if (header.length < LOCAL_HEADER_SIZE || hv.getUint32(0, true) !== SIG_LOCAL) {
    fail('local file header is missing or corrupt');
  }
  const localFlags = hv.getUint16(6, true);
  const localMethod = hv.getUint16(8, true);
  const nameLength = hv.getUint16(26, true);
  const extraLength = hv.getUint16(28, true);
  const variable = await source.read(entry.localHeaderOffset + LOCAL_HEADER_SIZE, nameLength + extraLength);
  if (variable.length < nameLength + extraLength) fail('local file header is truncated');
  const localName = decodeName(variable.subarray(0, nameLength), (localFlags & 0x800) !== 0);
  if (localName !== entry.name)
    fail(`local header names it ${JSON.stringify(localName)}: the archive is corrupt`);
  if (localMethod !== entry.method)
    fail('local header and central directory disagree on the compression method');
  if ((localFlags & 0x8) === 0) {
    let localCompressed = hv.getUint32(18, true);
    let localUncompressed = hv.getUint32(22, true);
    const zip64 = readZip64Extra(
      variable.subarray(nameLength),
      { uncompressed: localUncompressed === MAX_U32, compressed: localCompressed === MAX_U32, offset: false },
      fail,
    );
    if (zip64?.uncompressedSize !== undefined && localUncompressed === MAX_U32) {
      localUncompressed = zip64.uncompressedSize;
    }
    if (zip64?.compressedSize !== undefined && localCompressed === MAX_U32)
      localCompressed = zip64.compressedSize;
    const zip64Disagrees =
      zip64 !== undefined &&
      ((zip64.uncompressedSize !== undefined && zip64.uncompressedSize !== entry.uncompressedSize) ||
        (zip64.compressedSize !== undefined && zip64.compressedSize !== entry.compressedSize));
    if (
      hv.getUint32(14, true) !== entry.crc32 ||
      localCompressed !== entry.compressedSize ||
      localUncompressed !== entry.uncompressedSize ||
      zip64Disagrees
    ) {
      fail('local header and central directory disagree on the CRC or sizes: the archive is corrupt');
    }
  }
  if (entry.uncompressedSize > limits.maxUncompressedBytes) {
    throw new NpzLimitError(
      location,
      `declares ${entry.uncompressedSize} uncompressed bytes, more than the limit of ` +
        `${limits.maxUncompressedBytes} (maxUncompressedBytes).`,
      { hint: 'Raise maxUncompressedBytes only for files you trust.' },
    );
  }
  if (entry.uncompressedSize > bufferConstants.MAX_LENGTH) {
    throw new NpzLimitError(
      location,
      `declares ${entry.uncompressedSize} uncompressed bytes, more than this Node.js version can hold in one ` +
        `buffer (${bufferConstants.MAX_LENGTH}).`,
      { hint: 'Use a smaller image size of the dataset.' },
    );
  }
  const ratio = entry.uncompressedSize / Math.max(1, entry.compressedSize);
  if (entry.method === 8 && ratio > limits.maxCompressionRatio) {
    throw new NpzLimitError(
      location,
      `would inflate ${entry.compressedSize} bytes to ${entry.uncompressedSize} (ratio ${ratio.toFixed(0)}:1), ` +
        `above the limit of ${limits.maxCompressionRatio}:1 (maxCompressionRatio); this looks like a zip bomb.`,
      { hint: 'Raise maxCompressionRatio only for files you trust.' },
    );
  }
  if (entry.method === 0 && entry.compressedSize !== entry.uncompressedSize) {
    fail('is stored uncompressed but its compressed and uncompressed sizes differ');
  }
  const dataStart = entry.localHeaderOffset + LOCAL_HEADER_SIZE + nameLength + extraLength;
  if (dataStart + entry.compressedSize > source.size) {
    fail(
      `data runs past the end of the file (needs ${dataStart + entry.compressedSize} bytes, file has ` +
        `${source.size}): the archive is truncated`,
    );
  }
  const compressed = await source.read(dataStart, entry.compressedSize);
  let data: Uint8Array;
  if (entry.method === 0) {
    data = compressed.slice();
  } else {
    try {
      const out = await inflateRaw(compressed, { maxOutputLength: Math.max(1, entry.uncompressedSize) });
      data = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ERR_BUFFER_TOO_LARGE') {
        throw new NpzLimitError(
          location,
          `inflates to more than its declared ${entry.uncompressedSize} bytes; the archive is corrupt or a zip bomb.`,
          { cause: error },
        );
      }
      return fail(
        `could not be inflated (${(error as Error).message}); the archive is corrupt or truncated`,
        error,
      );
    }
  }
  if (data.length !== entry.uncompressedSize) {
    fail(
      `inflated to ${data.length} bytes but the archive declares ${entry.uncompressedSize}; it is corrupt`,
    );
  }
  const actualCrc = crc32(data);
  if (actualCrc !== entry.crc32) {
    fail(
      `CRC-32 mismatch (archive says ${entry.crc32.toString(16).padStart(8, '0')}, data has ` +
        `${actualCrc.toString(16).padStart(8, '0')}): the file is corrupt`,
    );
  }
  return data;
}
