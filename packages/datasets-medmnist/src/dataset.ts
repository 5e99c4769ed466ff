/**
 * @file The dataset API: load one split of a MedMNIST dataset into flat typed arrays (NHWC uint8 images,
 * Int32 labels) and iterate over shuffled, augmented, normalised batches.
 *
 * @example
 * ```ts
 * import { createRandom, loadMedMnist } from '@medsymmflow/datasets-medmnist';
 *
 * const train = await loadMedMnist({ flag: 'pneumoniamnist', split: 'train', root: '/data/medmnist' });
 * train.length; // 4708
 * train.shape; // [4708, 28, 28, 1]
 * train.classHistogram(); // [1214, 3494]
 *
 * const random = createRandom(0);
 * for (const batch of train.batches({ batchSize: 64, shuffle: true, random, horizontalFlip: true })) {
 *   batch.images; // Float32Array in [-1, 1], shape batch.shape = [64, 28, 28, 1]
 *   batch.labels; // Int32Array, shape batch.labelShape = [64, 1]
 * }
 * ```
 * @module dataset
 */

import { type EnsureDownloadedConfig, ensureDownloaded } from './download';
import { DatasetFileNotFoundError } from './errors';
import {
  convertChannels,
  flipImageHorizontalInPlace,
  flipImageVerticalInPlace,
  type ImageShape,
  normaliseImages,
  resizeImages,
} from './image-ops';
import { type NpzConfig, type NpzFile, openNpz } from './npz';
import { createRandom, type Random } from './random';
import { DATASET_FLAGS_2D, type DatasetFlag, getDatasetInfo, resolveImageSize, SPLITS } from './registry';
import type { DatasetFile, DatasetInfo, ImageSize, Split } from './registry-types';
import { validateImages, validateLabels } from './structure';

/** Options of {@link loadMedMnist}. */
export interface LoadMedMnistConfig extends Omit<EnsureDownloadedConfig, 'force'> {
  /** Dataset flag, e.g. `'pneumoniamnist'` (2D datasets only). */
  flag: string;
  /** Which split to load. */
  split: Split;
  /**
   * Which published file to read (image size in pixels).
   * @defaultValue 28
   */
  size?: number;
  /**
   * Download the file when it is missing (official URL or mirror, MD5-checked).
   * @defaultValue false
   */
  download?: boolean;
  /** Read this file instead of `<root>/<fileName>`. */
  path?: string;
  /**
   * Convert to 1 (grey) or 3 (RGB) channels after loading.
   * @defaultValue the dataset's own channels
   */
  channels?: 1 | 3;
  /**
   * Resize (bilinear) to this many pixels per side after loading.
   * @defaultValue no resizing
   */
  resize?: number;
  /**
   * Require the official split size; a file with other counts (a subset, a re-split) is rejected.
   * @defaultValue true
   */
  strict?: boolean;
  /** Safety limits for reading the archive. */
  limits?: NpzConfig;
}

/** Defaults of {@link LoadMedMnistConfig}. */
export const LOAD_MEDMNIST_DEFAULTS = Object.freeze({ size: 28, download: false, strict: true });

/** One batch produced by {@link MedMnistDataset.batches}. */
export interface MedMnistBatch {
  /** Images normalised to [-1, 1], NHWC. */
  images: Float32Array;
  /** Labels, `labelShape = [B, K]` (K = 1 unless multi-label). */
  labels: Int32Array;
  /** Index of each image in the split. */
  indices: Int32Array;
  /** `[B, H, W, C]` of `images`. */
  shape: ImageShape;
  /** `[B, K]` of `labels`. */
  labelShape: readonly [number, number];
}

/** Options of {@link MedMnistDataset.batches}. */
export interface BatchConfig {
  /** Images per batch. */
  batchSize: number;
  /**
   * Shuffle the order (once per call).
   * @defaultValue false
   */
  shuffle?: boolean;
  /**
   * Seed of the generator used for shuffling and flips when `random` is not given.
   * @defaultValue 0
   */
  seed?: number;
  /** Generator to use (its state advances, so a saved state resumes exactly). Overrides `seed`. */
  random?: Random;
  /**
   * Skip the last batch when it is smaller than `batchSize`.
   * @defaultValue false
   */
  dropLast?: boolean;
  /**
   * Flip each image left↔right with this probability (`true` = 0.5).
   * @defaultValue 0
   */
  horizontalFlip?: boolean | number;
  /**
   * Flip each image top↔bottom with this probability (`true` = 0.5).
   * @defaultValue 0
   */
  verticalFlip?: boolean | number;
  /** Iterate over these split indices only (e.g. a class-balanced subset). @defaultValue all */
  indices?: ArrayLike<number>;
}

/** Defaults of {@link BatchConfig}. */
export const BATCH_DEFAULTS = Object.freeze({
  shuffle: false,
  seed: 0,
  dropLast: false,
  horizontalFlip: 0,
  verticalFlip: 0,
});

/** One split of a MedMNIST dataset in memory. Images are NHWC uint8; nothing is copied per access. */
export interface MedMnistDataset {
  /** Dataset flag. */
  readonly flag: DatasetFlag;
  /** Split. */
  readonly split: Split;
  /** Registry entry. */
  readonly info: DatasetInfo;
  /** The file the data came from, if any. */
  readonly path: string | undefined;
  /** Size of the published file that was read (28, 64, 128 or 224). */
  readonly sourceSize: ImageSize;
  /** Number of images. */
  readonly length: number;
  /** `[N, H, W, C]`. */
  readonly shape: ImageShape;
  /** Image height in pixels. */
  readonly height: number;
  /** Image width in pixels. */
  readonly width: number;
  /** Channels (1 grey, 3 RGB). */
  readonly channels: number;
  /** All pixels, NHWC, uint8. */
  readonly images: Uint8Array;
  /** All labels, row-major `[N, K]`. */
  readonly labels: Int32Array;
  /** `[N, K]`: K = 1, or the number of labels for multi-label data. */
  readonly labelShape: readonly [number, number];
  /** Label names, index = label. */
  readonly labelNames: readonly string[];
  /** Number of classes (multi-label: label columns). */
  readonly numClasses: number;
  /** `true` for multi-label data (ChestMNIST). */
  readonly multiLabel: boolean;
  /** Pixels of image `index` (a view, `H·W·C` values). */
  getImage(index: number): Uint8Array;
  /** Class of image `index` (single-label data). */
  getLabel(index: number): number;
  /** Label row of image `index` (a view, K values). */
  getLabelRow(index: number): Int32Array;
  /** All images as a new Float32Array in [-1, 1] (`x / 127.5 − 1`), NHWC. */
  getNormalised(): Float32Array;
  /** Images per class (multi-label: positives per label). */
  classHistogram(): number[];
  /** A shuffled order of `0 … N-1`. */
  shuffledIndices(seedOrRandom: number | Random): Int32Array;
  /** Number of batches {@link batches} yields for these options. */
  numBatches(config: BatchConfig): number;
  /** Batches of normalised images with labels and indices. */
  batches(config: BatchConfig): IterableIterator<MedMnistBatch>;
}

/** Options of {@link createMedMnistDataset}: data already in memory. */
export interface CreateMedMnistDatasetConfig {
  /** Dataset flag (labels and task come from the registry). */
  flag: string;
  /** Split. */
  split: Split;
  /** NHWC uint8 pixels. */
  images: Uint8Array;
  /** `[N, H, W, C]`. */
  shape: ImageShape;
  /** Labels, `[N, K]` row-major. */
  labels: Int32Array;
  /** Size of the source file. @defaultValue `shape[1]` when it is a published size, else 28 */
  sourceSize?: ImageSize;
  /** Where the data came from. */
  path?: string;
}

function probability(value: boolean | number | undefined, name: string): number {
  if (value === undefined || value === false) return 0;
  if (value === true) return 0.5;
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new RangeError(
      `${name} must be a boolean or a probability in [0, 1], got ${JSON.stringify(value)}.`,
    );
  }
  return value;
}

class MedMnistDatasetImpl implements MedMnistDataset {
  readonly flag: DatasetFlag;
  readonly split: Split;
  readonly info: DatasetInfo;
  readonly path: string | undefined;
  readonly sourceSize: ImageSize;
  readonly shape: ImageShape;
  readonly images: Uint8Array;
  readonly labels: Int32Array;
  readonly labelShape: readonly [number, number];

  constructor(config: CreateMedMnistDatasetConfig) {
    this.info = getDatasetInfo(config.flag);
    this.flag = this.info.flag as DatasetFlag;
    if (!SPLITS.includes(config.split)) {
      throw new RangeError(
        `Invalid split ${JSON.stringify(config.split)}. Should be one of ${SPLITS.join(', ')}.`,
      );
    }
    this.split = config.split;
    const [n, h, w, c] = config.shape;
    if (!(config.images instanceof Uint8Array) || config.images.length !== n * h * w * c) {
      throw new RangeError(
        `images must be a Uint8Array of ${n}·${h}·${w}·${c} = ${n * h * w * c} values for shape [${config.shape.join(', ')}].`,
      );
    }
    const columns = this.info.multiLabel ? this.info.numClasses : 1;
    if (!(config.labels instanceof Int32Array) || config.labels.length !== n * columns) {
      throw new RangeError(
        `labels must be an Int32Array of ${n}×${columns} values (one row per image), got ${config.labels?.length}.`,
      );
    }
    this.images = config.images;
    this.labels = config.labels;
    this.shape = Object.freeze([n, h, w, c]) as ImageShape;
    this.labelShape = Object.freeze([n, columns] as const);
    this.path = config.path;
    this.sourceSize =
      config.sourceSize ?? (this.info.sizes.includes(h as ImageSize) ? (h as ImageSize) : (28 as ImageSize));
  }

  get length(): number {
    return this.shape[0];
  }
  get height(): number {
    return this.shape[1];
  }
  get width(): number {
    return this.shape[2];
  }
  get channels(): number {
    return this.shape[3];
  }
  get labelNames(): readonly string[] {
    return this.info.labels;
  }
  get numClasses(): number {
    return this.info.numClasses;
  }
  get multiLabel(): boolean {
    return this.info.multiLabel;
  }

  private checkIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) {
      throw new RangeError(
        `Index ${index} is out of range [0, ${this.length}) for ${this.flag}/${this.split}.`,
      );
    }
  }

  getImage(index: number): Uint8Array {
    this.checkIndex(index);
    const size = this.height * this.width * this.channels;
    return this.images.subarray(index * size, (index + 1) * size);
  }

  getLabel(index: number): number {
    this.checkIndex(index);
    if (this.multiLabel) {
      throw new TypeError(
        `${this.flag} is multi-label; use getLabelRow(${index}) to get its ${this.numClasses} labels.`,
      );
    }
    return this.labels[index];
  }

  getLabelRow(index: number): Int32Array {
    this.checkIndex(index);
    const k = this.labelShape[1];
    return this.labels.subarray(index * k, (index + 1) * k);
  }

  getNormalised(): Float32Array {
    return normaliseImages(this.images);
  }

  classHistogram(): number[] {
    const counts = new Array<number>(this.numClasses).fill(0);
    if (this.multiLabel) {
      const k = this.labelShape[1];
      for (let i = 0; i < this.labels.length; i++) counts[i % k] += this.labels[i];
    } else {
      for (let i = 0; i < this.labels.length; i++) counts[this.labels[i]]++;
    }
    return counts;
  }

  shuffledIndices(seedOrRandom: number | Random): Int32Array {
    const random = typeof seedOrRandom === 'number' ? createRandom(seedOrRandom) : seedOrRandom;
    return random.permutation(this.length);
  }

  private resolveOrder(config: BatchConfig): Int32Array {
    if (config.indices === undefined) {
      const order = new Int32Array(this.length);
      for (let i = 0; i < order.length; i++) order[i] = i;
      return order;
    }
    const order = Int32Array.from(config.indices);
    for (const index of order) this.checkIndex(index);
    return order;
  }

  numBatches(config: BatchConfig): number {
    const { batchSize } = config;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new RangeError(`batchSize must be a positive integer, got ${JSON.stringify(batchSize)}.`);
    }
    const count = config.indices === undefined ? this.length : config.indices.length;
    return config.dropLast ? Math.floor(count / batchSize) : Math.ceil(count / batchSize);
  }

  batches(config: BatchConfig): IterableIterator<MedMnistBatch> {
    this.numBatches(config);
    const options = { ...BATCH_DEFAULTS, ...config };
    const pH = probability(options.horizontalFlip, 'horizontalFlip');
    const pV = probability(options.verticalFlip, 'verticalFlip');
    const order = this.resolveOrder(options);
    const random =
      options.random ?? (options.shuffle || pH > 0 || pV > 0 ? createRandom(options.seed) : undefined);
    if (options.shuffle) random?.shuffle(order);
    return this.generateBatches(order, options.batchSize, options.dropLast, pH, pV, random);
  }

  private *generateBatches(
    order: Int32Array,
    batchSize: number,
    dropLast: boolean,
    pH: number,
    pV: number,
    random: Random | undefined,
  ): IterableIterator<MedMnistBatch> {
    const [, h, w, c] = this.shape;
    const imageSize = h * w * c;
    const k = this.labelShape[1];
    for (let start = 0; start < order.length; start += batchSize) {
      const end = Math.min(start + batchSize, order.length);
      const b = end - start;
      if (dropLast && b < batchSize) return;
      const images = new Float32Array(b * imageSize);
      const labels = new Int32Array(b * k);
      const indices = order.slice(start, end);
      const shape = [b, h, w, c] as const;
      for (let j = 0; j < b; j++) {
        const index = indices[j];
        normaliseImages(
          this.images.subarray(index * imageSize, (index + 1) * imageSize),
          images.subarray(j * imageSize, (j + 1) * imageSize),
        );
        labels.set(this.labels.subarray(index * k, (index + 1) * k), j * k);
        if (pH > 0 && (random as Random).uniform() < pH) flipImageHorizontalInPlace(images, shape, j);
        if (pV > 0 && (random as Random).uniform() < pV) flipImageVerticalInPlace(images, shape, j);
      }
      yield { images, labels, indices, shape, labelShape: [b, k] };
    }
  }
}

/** Wraps arrays already in memory as a {@link MedMnistDataset} (e.g. generated or filtered data). */
export function createMedMnistDataset(config: CreateMedMnistDatasetConfig): MedMnistDataset {
  return new MedMnistDatasetImpl(config);
}

interface ResolvedLoad {
  info: DatasetInfo;
  size: ImageSize;
  strict: boolean;
  channels: 1 | 3 | undefined;
  resize: number | undefined;
}

function resolveLoadConfig(config: Omit<LoadMedMnistConfig, 'split'>): ResolvedLoad {
  const info = getDatasetInfo(config.flag);
  if (info.dimensions === 3) {
    throw new RangeError(
      `${info.flag} is a 3D dataset; its metadata is in the registry but loading volumes is not supported. ` +
        `2D datasets: ${DATASET_FLAGS_2D.join(', ')}.`,
    );
  }
  const size = resolveImageSize(info.flag, config.size ?? LOAD_MEDMNIST_DEFAULTS.size);
  if (config.channels !== undefined && config.channels !== 1 && config.channels !== 3) {
    throw new RangeError(`Invalid channels ${JSON.stringify(config.channels)}. Should be 1 or 3.`);
  }
  if (config.resize !== undefined && (!Number.isInteger(config.resize) || config.resize < 1)) {
    throw new RangeError(`Invalid resize ${JSON.stringify(config.resize)}. Should be a positive integer.`);
  }
  return {
    info,
    size,
    strict: config.strict ?? LOAD_MEDMNIST_DEFAULTS.strict,
    channels: config.channels,
    resize: config.resize,
  };
}

async function readSplit(
  npz: NpzFile,
  resolved: ResolvedLoad,
  split: Split,
  path: string,
): Promise<MedMnistDataset> {
  if (!SPLITS.includes(split)) {
    throw new RangeError(`Invalid split ${JSON.stringify(split)}. Should be one of ${SPLITS.join(', ')}.`);
  }
  const { info, size } = resolved;
  const [imageArray, labelArray] = await Promise.all([
    npz.read(`${split}_images`),
    npz.read(`${split}_labels`),
  ]);
  const geometry = validateImages(imageArray, info, size, split, path, resolved.strict);
  const { labels } = validateLabels(labelArray, info, geometry.count, split, path);
  let images = {
    data: imageArray.data as Uint8Array,
    shape: [geometry.count, geometry.height, geometry.width, geometry.channels] as ImageShape,
  };
  if (resolved.channels !== undefined && resolved.channels !== geometry.channels) {
    images = convertChannels(images, resolved.channels);
  }
  if (resolved.resize !== undefined && resolved.resize !== geometry.height) {
    images = resizeImages(images, resolved.resize);
  }
  return new MedMnistDatasetImpl({
    flag: info.flag,
    split,
    images: images.data,
    shape: images.shape,
    labels,
    sourceSize: size,
    path,
  });
}

async function openDatasetFile(config: Omit<LoadMedMnistConfig, 'split'>, resolved: ResolvedLoad) {
  const path =
    config.path ??
    (await ensureDownloaded({ ...config, flag: resolved.info.flag, size: resolved.size, force: false }));
  try {
    return { path, npz: await openNpz(path, config.limits) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const file = resolved.info.files[resolved.size] as DatasetFile;
    throw new DatasetFileNotFoundError({
      path,
      url: file.url,
      md5: file.md5,
      reason: `MedMNIST file ${path} does not exist.`,
      hint: `Check the path, or download ${file.fileName} from ${file.url} (MD5 ${file.md5}).`,
      cause: error,
    });
  }
}

/**
 * Loads one split of a MedMNIST dataset (downloading it first with `download: true`).
 *
 * @throws {DatasetFileNotFoundError} when the file is missing (the message says where to get it);
 * {@link NpzFormatError} when it is corrupt or not shaped like the official file; `RangeError` for bad options.
 */
export async function loadMedMnist(config: LoadMedMnistConfig): Promise<MedMnistDataset> {
  const resolved = resolveLoadConfig(config);
  if (!SPLITS.includes(config.split)) {
    throw new RangeError(
      `Invalid split ${JSON.stringify(config.split)}. Should be one of ${SPLITS.join(', ')}.`,
    );
  }
  const { path, npz } = await openDatasetFile(config, resolved);
  try {
    return await readSplit(npz, resolved, config.split, path);
  } finally {
    await npz.close();
  }
}

/** Options of {@link loadMedMnistSplits}. */
export interface LoadMedMnistSplitsConfig<S extends Split = Split> extends Omit<LoadMedMnistConfig, 'split'> {
  /** Splits to load. @defaultValue ['train', 'val', 'test'] */
  splits?: readonly S[];
}

/**
 * Loads several splits from one file (opened once).
 *
 * @example
 * ```ts
 * const { train, val } = await loadMedMnistSplits({ flag: 'retinamnist', splits: ['train', 'val'] });
 * ```
 */
export async function loadMedMnistSplits<S extends Split = Split>(
  config: LoadMedMnistSplitsConfig<S>,
): Promise<Record<S, MedMnistDataset>> {
  const resolved = resolveLoadConfig(config);
  const { path, npz } = await openDatasetFile(config, resolved);
  try {
    const out = {} as Record<S, MedMnistDataset>;
    for (const split of config.splits ?? (SPLITS as readonly S[])) {
      out[split] = await readSplit(npz, resolved, split, path);
    }
    return out;
  } finally {
    await npz.close();
  }
}
