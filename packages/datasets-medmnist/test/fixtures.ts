/** Test helpers: temporary folders and tiny MedMNIST-shaped archives. */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EncodeNpzConfig, encodeNpz, type NpyInput } from '../src/index';

/** A fresh temporary folder; remove it with `cleanup()`. */
export async function makeTempDir(
  prefix = 'medmnist-test-',
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Names in a folder, sorted (hidden temporary files included). */
export async function listDir(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}

export interface TinySplitSpec {
  count: number;
  /** Label rows; defaults to `i % classes`. */
  labelCount?: number;
}

/**
 * A small archive with the official member names and layout: `size`×`size` images with `channels` channels,
 * pixel value `(i * 7 + y * 3 + x + k) % 256`, label `i % classes`.
 */
export function tinyMedMnistNpz(options: {
  size?: number;
  channels?: 1 | 3;
  classes?: number;
  splits?: Partial<Record<'train' | 'val' | 'test', TinySplitSpec>>;
  config?: EncodeNpzConfig;
}): Uint8Array {
  const size = options.size ?? 28;
  const channels = options.channels ?? 1;
  const classes = options.classes ?? 2;
  const splits = options.splits ?? { train: { count: 6 }, val: { count: 3 }, test: { count: 4 } };
  const arrays: Record<string, NpyInput> = {};
  for (const [split, spec] of Object.entries(splits)) {
    if (!spec) continue;
    const pixels = new Uint8Array(spec.count * size * size * channels);
    let p = 0;
    for (let i = 0; i < spec.count; i++)
      for (let y = 0; y < size; y++)
        for (let x = 0; x < size; x++)
          for (let k = 0; k < channels; k++) pixels[p++] = (i * 7 + y * 3 + x + k) % 256;
    arrays[`${split}_images`] = {
      data: pixels,
      shape: channels === 1 ? [spec.count, size, size] : [spec.count, size, size, channels],
    };
  }
  for (const [split, spec] of Object.entries(splits)) {
    if (!spec) continue;
    const rows = spec.labelCount ?? spec.count;
    arrays[`${split}_labels`] = {
      data: Uint8Array.from({ length: rows }, (_, i) => i % classes),
      shape: [rows, 1],
    };
  }
  return encodeNpz(arrays, options.config);
}

/** Byte-wise equality of two typed arrays (vitest's deep equality is slow on millions of elements). */
export function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return (
    a.constructor === b.constructor &&
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
      Buffer.from(b.buffer, b.byteOffset, b.byteLength),
    )
  );
}

/** Elements of a decoded array as plain numbers (for comparisons in tests). */
export function toNumbers(data: ArrayLike<number | bigint>): number[] {
  return Array.from(data, Number);
}

/** Hex MD5 / SHA-256 of bytes (what the download checks compare). */
export const md5 = (bytes: Uint8Array) => createHash('md5').update(bytes).digest('hex');
export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

export { rejection } from '../../../test/rejection';
