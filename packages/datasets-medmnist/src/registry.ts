/**
 * @file The MedMNIST v2 registry: every dataset flag with its task, labels, channels, split sizes, official
 * Zenodo URLs and MD5s per image size, and licence — values as in the official `medmnist` package.
 *
 * @example
 * ```ts
 * import { getDatasetInfo, getDatasetFile } from '@medsymmflow/datasets-medmnist';
 *
 * getDatasetInfo('pneumoniamnist').labels; // ['normal', 'pneumonia']
 * getDatasetFile('pneumoniamnist', 64).fileName; // 'pneumoniamnist_64.npz'
 * getDatasetInfo('pneumonia'); // UnknownDatasetError: Unknown MedMNIST dataset "pneumonia". Did you mean "pneumoniamnist"? …
 * ```
 * @module registry
 */

import { UnknownDatasetError } from './errors';
import { RAW_INFO } from './registry-data';
import type { DatasetFile, DatasetInfo, ImageSize, RawDatasetRecord, Split } from './registry-types';

export { MEDMNIST_HOMEPAGE, MEDMNIST_INFO_VERSION } from './registry-data';

/** A MedMNIST dataset flag, e.g. `'pneumoniamnist'`. */
export type DatasetFlag = keyof typeof RAW_INFO;

/** The three splits, in file order. */
export const SPLITS: readonly Split[] = Object.freeze(['train', 'val', 'test'] as const);

/** Every size MedMNIST+ publishes for 2D datasets. */
export const IMAGE_SIZES: readonly ImageSize[] = Object.freeze([28, 64, 128, 224] as const);

/** File name of one size of a dataset in the cache root, as the official package names it. */
export function datasetFileName(flag: string, size: ImageSize): string {
  return size === 28 ? `${flag}.npz` : `${flag}_${size}.npz`;
}

function buildInfo(flag: string, raw: RawDatasetRecord): DatasetInfo {
  const sizes = IMAGE_SIZES.filter((size) => raw.url[size] !== undefined && raw.md5[size] !== undefined);
  const files: Partial<Record<ImageSize, DatasetFile>> = {};
  for (const size of sizes) {
    files[size] = Object.freeze({
      size,
      fileName: datasetFileName(flag, size),
      url: raw.url[size] as string,
      md5: raw.md5[size] as string,
    });
  }
  return Object.freeze({
    flag,
    pythonClass: raw.pythonClass,
    description: raw.description,
    task: raw.task,
    labels: Object.freeze([...raw.label]),
    numClasses: raw.label.length,
    multiLabel: raw.task.startsWith('multi-label'),
    nChannels: raw.nChannels,
    nSamples: Object.freeze({ ...raw.nSamples }),
    dimensions: flag.endsWith('3d') ? 3 : 2,
    sizes: Object.freeze(sizes),
    files: Object.freeze(files),
    license: raw.license,
  });
}

/**
 * The frozen registry, keyed by flag, in the official order (2D datasets first, then 3D).
 *
 * @example
 * ```ts
 * MEDMNIST_INFO.retinamnist.nSamples; // { train: 1080, val: 120, test: 400 }
 * ```
 */
export const MEDMNIST_INFO: Readonly<Record<DatasetFlag, DatasetInfo>> = Object.freeze(
  Object.fromEntries(
    Object.entries(RAW_INFO).map(([flag, raw]) => [flag, buildInfo(flag, raw as RawDatasetRecord)]),
  ) as Record<DatasetFlag, DatasetInfo>,
);

/** Every flag, in the official order. */
export const DATASET_FLAGS: readonly DatasetFlag[] = Object.freeze(Object.keys(RAW_INFO) as DatasetFlag[]);

/** Flags of the 2D (image) datasets. */
export const DATASET_FLAGS_2D: readonly DatasetFlag[] = Object.freeze(
  DATASET_FLAGS.filter((flag) => MEDMNIST_INFO[flag].dimensions === 2),
);

/** Flags of the 3D (volume) datasets; their metadata is listed, their volumes are not loaded by this package. */
export const DATASET_FLAGS_3D: readonly DatasetFlag[] = Object.freeze(
  DATASET_FLAGS.filter((flag) => MEDMNIST_INFO[flag].dimensions === 3),
);

/** `true` when `value` is a known flag (exact, lower-case spelling). */
export function isDatasetFlag(value: unknown): value is DatasetFlag {
  return typeof value === 'string' && Object.hasOwn(MEDMNIST_INFO, value);
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length];
}

/** The closest flag to `input`, or `undefined` when none is close. @ignore */
export function suggestDatasetFlag(input: string): DatasetFlag | undefined {
  const needle = input.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (needle.length === 0) return undefined;
  let best: DatasetFlag | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const flag of DATASET_FLAGS) {
    const distance =
      flag.startsWith(needle) && needle.length >= 3
        ? flag.length - needle.length
        : editDistance(needle, flag);
    if (distance < bestDistance) {
      best = flag;
      bestDistance = distance;
    }
  }
  const allowed = Math.max(2, Math.ceil(needle.length / 3));
  return bestDistance <= allowed || (best?.startsWith(needle) && needle.length >= 3) ? best : undefined;
}

/**
 * Normalises a user-supplied flag (case-insensitive, so `'PneumoniaMNIST'` works) and checks it.
 *
 * @throws {UnknownDatasetError} when the flag is unknown; the error lists the valid flags and the closest one.
 */
export function resolveDatasetFlag(flag: string): DatasetFlag {
  if (typeof flag !== 'string') {
    throw new TypeError(`Dataset flag must be a string such as "pneumoniamnist", got ${typeof flag}.`);
  }
  const lower = flag.toLowerCase();
  if (isDatasetFlag(lower)) return lower;
  throw new UnknownDatasetError(flag, DATASET_FLAGS, suggestDatasetFlag(flag));
}

/**
 * Registry entry of a dataset.
 *
 * @param flag - dataset flag, e.g. `'pneumoniamnist'` (case-insensitive).
 * @throws {UnknownDatasetError} for unknown flags, with the valid flags and a "did you mean" suggestion.
 *
 * @example
 * ```ts
 * const info = getDatasetInfo('retinamnist');
 * info.task; // 'ordinal-regression'
 * info.files[28]?.md5; // 'bd4c0672f1bba3e3a89f0e4e876791e4'
 * ```
 */
export function getDatasetInfo(flag: string): DatasetInfo {
  return MEDMNIST_INFO[resolveDatasetFlag(flag)];
}

/** Every registry entry, in the official order. */
export function listDatasets(): DatasetInfo[] {
  return DATASET_FLAGS.map((flag) => MEDMNIST_INFO[flag]);
}

/**
 * Checks that `size` is published for the dataset and returns it as an {@link ImageSize}.
 *
 * @throws {RangeError} naming the valid sizes.
 */
export function resolveImageSize(flag: string, size: unknown = 28): ImageSize {
  const info = getDatasetInfo(flag);
  const numeric = typeof size === 'string' && /^\d+$/.test(size.trim()) ? Number(size) : size;
  if (typeof numeric !== 'number' || !info.sizes.includes(numeric as ImageSize)) {
    throw new RangeError(
      `Invalid size ${JSON.stringify(size)} for ${info.flag}. Should be one of ${info.sizes.join(', ')}.`,
    );
  }
  return numeric as ImageSize;
}

/**
 * The published size to read for images wanted at `size` pixels: `size` itself when published, else the closest
 * one (the smaller on a tie), as the official MedSymmFlow loaders choose before resizing (they train their
 * "28 px" models on the 28 px files upsampled to 32).
 *
 * @example
 * ```ts
 * closestPublishedSize('retinamnist', 32); // 28
 * closestPublishedSize('retinamnist', 100); // 128
 * ```
 */
export function closestPublishedSize(flag: string, size: number): ImageSize {
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(`Invalid image size ${JSON.stringify(size)}. Should be a positive integer.`);
  }
  const { sizes } = getDatasetInfo(flag);
  return sizes.reduce((best, s) => (Math.abs(s - size) < Math.abs(best - size) ? s : best), sizes[0]);
}

/**
 * The file (name, official URL, MD5) of one size of a dataset.
 *
 * @param flag - dataset flag.
 * @param size - image size. @defaultValue 28
 * @throws {UnknownDatasetError | RangeError} for unknown flags or sizes.
 */
export function getDatasetFile(flag: string, size: number = 28): DatasetFile {
  const info = getDatasetInfo(flag);
  return info.files[resolveImageSize(info.flag, size)] as DatasetFile;
}
