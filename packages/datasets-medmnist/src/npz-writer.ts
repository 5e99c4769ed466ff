/**
 * @file Writing `.npz` archives that `numpy.load` reads: one `.npy` member per array, stored or deflated.
 *
 * Useful to save generated samples or rebuilt datasets for Python tools, and to make small test fixtures.
 * (Byte-identical copies of the official MedMNIST files need CPython's zlib; this writer uses `fflate`, so
 * the data is identical but the compressed bytes, and so the MD5, differ.)
 *
 * @example
 * ```ts
 * import { encodeNpz } from '@medsymmflow/datasets-medmnist';
 *
 * const bytes = encodeNpz({
 *   test_images: { data: new Uint8Array(2 * 28 * 28), shape: [2, 28, 28] },
 *   test_labels: { data: new Uint8Array([0, 1]), shape: [2, 1] },
 * });
 * ```
 * @module npz-writer
 */

import { deflateSync } from 'fflate';
import { writeFileAtomic } from './atomic-write';
import { crc32 } from './crc32';
import { encodeNpy, type NpyInput } from './npy';

/** Options of {@link encodeNpz}. */
export interface EncodeNpzConfig {
  /**
   * `'deflate'` as `numpy.savez_compressed`, `'store'` as `numpy.savez`.
   * @defaultValue 'deflate'
   */
  compression?: 'deflate' | 'store';
  /**
   * Deflate level, 0–9.
   * @defaultValue 6
   */
  level?: number;
  /**
   * Zip64 records: `'none'`; `'local'` adds a zip64 extra field with both sizes to each local header, as the
   * official MedMNIST files have; `'full'` marks every size and offset as zip64 and writes the zip64 end records.
   * @defaultValue 'none'
   */
  zip64?: 'none' | 'local' | 'full';
}

/** Defaults of {@link EncodeNpzConfig}. */
export const ENCODE_NPZ_DEFAULTS: Readonly<Required<EncodeNpzConfig>> = Object.freeze({
  compression: 'deflate',
  level: 6,
  zip64: 'none',
});

const DOS_DATE_1980_01_01 = 0x21;

class ByteWriter {
  private chunks: Uint8Array[] = [];
  length = 0;

  bytes(data: Uint8Array): void {
    this.chunks.push(data);
    this.length += data.length;
  }

  fields(...values: Array<[number, 2 | 4 | 8]>): void {
    const size = values.reduce((sum, [, width]) => sum + width, 0);
    const out = new Uint8Array(size);
    const dv = new DataView(out.buffer);
    let offset = 0;
    for (const [value, width] of values) {
      if (width === 2) dv.setUint16(offset, value, true);
      else if (width === 4) dv.setUint32(offset, value >>> 0, true);
      else dv.setBigUint64(offset, BigInt(value), true);
      offset += width;
    }
    this.bytes(out);
  }

  concat(): Uint8Array {
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }
}

/**
 * Encodes arrays as an `.npz` archive. Keys become member names `<key>.npy`.
 *
 * @throws {TypeError | RangeError} for bad arrays or options.
 */
export function encodeNpz(arrays: Record<string, NpyInput>, config: EncodeNpzConfig = {}): Uint8Array {
  const options = { ...ENCODE_NPZ_DEFAULTS, ...config };
  if (options.compression !== 'deflate' && options.compression !== 'store') {
    throw new RangeError(
      `Invalid compression ${JSON.stringify(options.compression)}. Should be 'deflate' or 'store'.`,
    );
  }
  if (!Number.isInteger(options.level) || options.level < 0 || options.level > 9) {
    throw new RangeError(`Invalid level ${JSON.stringify(options.level)}. Should be an integer from 0 to 9.`);
  }
  if (!['none', 'local', 'full'].includes(options.zip64)) {
    throw new RangeError(
      `Invalid zip64 ${JSON.stringify(options.zip64)}. Should be 'none', 'local' or 'full'.`,
    );
  }
  const full = options.zip64 === 'full';
  const method = options.compression === 'deflate' ? 8 : 0;
  const out = new ByteWriter();
  const central = new ByteWriter();
  const encoder = new TextEncoder();
  let count = 0;
  for (const [key, array] of Object.entries(arrays)) {
    const name = encoder.encode(`${key}.npy`);
    const npy = encodeNpy(array);
    const data = method === 8 ? deflateSync(npy, { level: options.level as 6 }) : npy;
    const crc = crc32(npy);
    const offset = out.length;
    if (!full && (offset > 0xfffffffe || npy.length > 0xfffffffe)) {
      throw new RangeError('encodeNpz: archive larger than 4 GiB; use zip64: "full".');
    }
    const localExtra = options.zip64 === 'none' ? 0 : 20;
    out.fields(
      [0x04034b50, 4],
      [full ? 45 : 20, 2],
      [0, 2],
      [method, 2],
      [0, 2],
      [DOS_DATE_1980_01_01, 2],
      [crc, 4],
      [full ? 0xffffffff : data.length, 4],
      [full ? 0xffffffff : npy.length, 4],
      [name.length, 2],
      [localExtra, 2],
    );
    out.bytes(name);
    if (localExtra) out.fields([1, 2], [16, 2], [npy.length, 8], [data.length, 8]);
    out.bytes(data);
    central.fields(
      [0x02014b50, 4],
      [full ? 45 : 20, 2],
      [full ? 45 : 20, 2],
      [0, 2],
      [method, 2],
      [0, 2],
      [DOS_DATE_1980_01_01, 2],
      [crc, 4],
      [full ? 0xffffffff : data.length, 4],
      [full ? 0xffffffff : npy.length, 4],
      [name.length, 2],
      [full ? 28 : 0, 2],
      [0, 2],
      [0, 2],
      [0, 2],
      [0x01800000, 4],
      [full ? 0xffffffff : offset, 4],
    );
    central.bytes(name);
    if (full) central.fields([1, 2], [24, 2], [npy.length, 8], [data.length, 8], [offset, 8]);
    count++;
  }
  const cdOffset = out.length;
  const cdBytes = central.concat();
  out.bytes(cdBytes);
  if (full) {
    const eocd64Offset = out.length;
    out.fields(
      [0x06064b50, 4],
      [44, 8],
      [45, 2],
      [45, 2],
      [0, 4],
      [0, 4],
      [count, 8],
      [count, 8],
      [cdBytes.length, 8],
      [cdOffset, 8],
    );
    out.fields([0x07064b50, 4], [0, 4], [eocd64Offset, 8], [1, 4]);
  }
  out.fields(
    [0x06054b50, 4],
    [0, 2],
    [0, 2],
    [full ? 0xffff : count, 2],
    [full ? 0xffff : count, 2],
    [full ? 0xffffffff : cdBytes.length, 4],
    [full ? 0xffffffff : cdOffset, 4],
    [0, 2],
  );
  return out.concat();
}

/** Encodes arrays as `.npz` and writes them to `path` atomically (temporary file, then rename). */
export async function writeNpz(
  path: string,
  arrays: Record<string, NpyInput>,
  config: EncodeNpzConfig = {},
): Promise<void> {
  await writeFileAtomic(path, encodeNpz(arrays, config));
}
