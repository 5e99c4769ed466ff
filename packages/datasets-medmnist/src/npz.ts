/**
 * @file Reading numpy `.npz` archives (as written by `numpy.savez` / `savez_compressed`), with zip-bomb caps.
 *
 * The archive is opened lazily: {@link openNpz} reads only the central directory; each array is inflated and
 * CRC-checked when it is read, so loading one split of a MedMNIST file does not inflate the others.
 *
 * @example
 * ```ts
 * import { openNpz } from '@medsymmflow/datasets-medmnist';
 *
 * const npz = await openNpz('/data/medmnist/pneumoniamnist.npz');
 * npz.keys(); // ['train_images', 'val_images', 'test_images', 'train_labels', 'val_labels', 'test_labels']
 * const labels = await npz.read('test_labels');
 * labels.shape; // [624, 1]
 * await npz.close();
 * ```
 * @module npz
 */

import { NpzFormatError } from './errors';
import { type NpyArray, parseNpy } from './npy';
import {
  type ByteSource,
  fileSource,
  memorySource,
  readCentralDirectory,
  readEntry,
  type ZipEntry,
  type ZipLimits,
} from './zip-reader';

/** Safety limits for reading `.npz` files (zip-bomb caps). */
export interface NpzConfig {
  /**
   * Largest total uncompressed size the archive may declare, and the largest single member.
   * @defaultValue 8 GiB (`NPZ_DEFAULTS.maxUncompressedBytes`)
   */
  maxUncompressedBytes?: number;
  /**
   * Largest ratio uncompressed/compressed of a deflated member. Deflate cannot exceed about 1032:1, so a
   * higher declared ratio means a lying header.
   * @defaultValue 1100
   */
  maxCompressionRatio?: number;
  /**
   * Largest number of members.
   * @defaultValue 1024
   */
  maxEntries?: number;
  /**
   * Name used in error messages when reading bytes from memory.
   * @defaultValue `'<npz bytes>'`
   */
  fileName?: string;
}

/** {@link NpzConfig} with every default filled in. */
export interface ResolvedNpzConfig extends Required<NpzConfig> {}

/** Defaults of {@link NpzConfig}. */
export const NPZ_DEFAULTS: Readonly<ResolvedNpzConfig> = Object.freeze({
  maxUncompressedBytes: 8 * 1024 ** 3,
  maxCompressionRatio: 1100,
  maxEntries: 1024,
  fileName: '<npz bytes>',
});

/** Validates an {@link NpzConfig}, copying it and filling in defaults. */
export function resolveNpzConfig(config: NpzConfig = {}): ResolvedNpzConfig {
  const resolved = { ...NPZ_DEFAULTS, ...config };
  for (const key of ['maxUncompressedBytes', 'maxCompressionRatio', 'maxEntries'] as const) {
    const value = resolved[key];
    if (typeof value !== 'number' || !(value > 0) || Number.isNaN(value)) {
      throw new RangeError(`Invalid ${key} ${JSON.stringify(value)}: must be a positive number.`);
    }
  }
  return resolved;
}

/** One array in an archive. */
export interface NpzEntryInfo {
  /** Key, the member name without `.npy` (as `numpy.load` names it). */
  readonly key: string;
  /** Member name in the zip container, e.g. `train_images.npy`. */
  readonly memberName: string;
  /** `'deflated'` for `savez_compressed`, `'stored'` for `savez`. */
  readonly compression: 'stored' | 'deflated';
  /** Compressed size in bytes. */
  readonly compressedSize: number;
  /** Uncompressed size in bytes (the `.npy` file). */
  readonly uncompressedSize: number;
  /** CRC-32 recorded in the archive. */
  readonly crc32: number;
}

/** An opened `.npz` archive. */
export interface NpzFile {
  /** Path, or the `fileName` given for in-memory bytes. */
  readonly fileName: string;
  /** The arrays, in archive order. */
  readonly entries: readonly NpzEntryInfo[];
  /** Array keys, in archive order. */
  keys(): string[];
  /** `true` when the archive has an array named `key`. */
  has(key: string): boolean;
  /** Inflates, CRC-checks and decodes one array. */
  read(key: string): Promise<NpyArray>;
  /** Reads every array. */
  readAll(): Promise<Record<string, NpyArray>>;
  /** Releases the file; further reads fail. */
  close(): Promise<void>;
}

class NpzFileImpl implements NpzFile {
  readonly entries: readonly NpzEntryInfo[];
  private readonly byKey: Map<string, ZipEntry>;
  private closed = false;

  constructor(
    private readonly source: ByteSource,
    zipEntries: ZipEntry[],
    private readonly limits: ZipLimits,
  ) {
    this.byKey = new Map(zipEntries.map((entry) => [keyOf(entry.name), entry]));
    this.entries = Object.freeze(
      zipEntries.map((entry) =>
        Object.freeze({
          key: keyOf(entry.name),
          memberName: entry.name,
          compression: entry.method === 0 ? ('stored' as const) : ('deflated' as const),
          compressedSize: entry.compressedSize,
          uncompressedSize: entry.uncompressedSize,
          crc32: entry.crc32,
        }),
      ),
    );
  }

  get fileName(): string {
    return this.source.name;
  }

  keys(): string[] {
    return this.entries.map((entry) => entry.key);
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  async read(key: string): Promise<NpyArray> {
    if (this.closed)
      throw new Error(`${this.fileName}: the archive is closed; open it again to read "${key}".`);
    const entry = this.byKey.get(key);
    if (!entry) {
      throw new NpzFormatError(
        { file: this.fileName },
        `has no array ${JSON.stringify(key)}; it holds ${this.keys().join(', ') || 'no arrays'}`,
      );
    }
    const bytes = await readEntry(this.source, entry, this.limits);
    return parseNpy(bytes, { location: { file: this.fileName, member: entry.name } });
  }

  async readAll(): Promise<Record<string, NpyArray>> {
    const out: Record<string, NpyArray> = {};
    for (const key of this.keys()) out[key] = await this.read(key);
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.source.close();
  }
}

function keyOf(memberName: string): string {
  return memberName.endsWith('.npy') ? memberName.slice(0, -4) : memberName;
}

/**
 * Opens an `.npz` archive from a path or from bytes and reads its central directory.
 *
 * @param input - a file path, or the archive bytes.
 * @param config - safety limits and the name to use in errors.
 * @throws {NpzFormatError} for truncated, corrupt or non-zip input; {@link NpzLimitError} when a cap is exceeded.
 */
export async function openNpz(input: string | Uint8Array, config: NpzConfig = {}): Promise<NpzFile> {
  const resolved = resolveNpzConfig(config);
  const source = typeof input === 'string' ? await fileSource(input) : memorySource(input, resolved.fileName);
  try {
    const entries = await readCentralDirectory(source, resolved);
    return new NpzFileImpl(source, entries, resolved);
  } catch (error) {
    await source.close();
    throw error;
  }
}

/**
 * Reads every array of an `.npz` archive.
 *
 * @example
 * ```ts
 * const arrays = await readNpz('/data/medmnist/retinamnist.npz');
 * arrays.train_images.shape; // [1080, 28, 28, 3]
 * ```
 */
export async function readNpz(
  input: string | Uint8Array,
  config: NpzConfig = {},
): Promise<Record<string, NpyArray>> {
  const npz = await openNpz(input, config);
  try {
    return await npz.readAll();
  } finally {
    await npz.close();
  }
}
