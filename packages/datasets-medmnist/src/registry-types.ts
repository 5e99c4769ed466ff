/**
 * @file Types of the MedMNIST registry.
 * @module registry-types
 */

/** Task types, spelled exactly as in the official `medmnist/info.py`. */
export type DatasetTask = 'binary-class' | 'multi-class' | 'ordinal-regression' | 'multi-label, binary-class';

/** Image sizes (pixels per side) MedMNIST+ publishes. 2D datasets have all four; 3D datasets 28 and 64. */
export type ImageSize = 28 | 64 | 128 | 224;

/** Dataset splits, as in the official files (`train_images`, `val_images`, `test_images`). */
export type Split = 'train' | 'val' | 'test';

/** Number of samples per split. */
export interface SplitCounts {
  readonly train: number;
  readonly val: number;
  readonly test: number;
}

/** One raw record as transcribed from `medmnist/info.py` (see `registry-data.ts`). @ignore */
export interface RawDatasetRecord {
  readonly pythonClass: string;
  readonly description: string;
  readonly task: DatasetTask;
  readonly label: readonly string[];
  readonly nChannels: number;
  readonly nSamples: SplitCounts;
  readonly url: Readonly<Partial<Record<ImageSize, string>>>;
  readonly md5: Readonly<Partial<Record<ImageSize, string>>>;
  readonly license: string;
}

/** One downloadable file of a dataset: one image size. */
export interface DatasetFile {
  /** Image size in pixels per side. */
  readonly size: ImageSize;
  /** File name in the cache root, as the official package names it (`pathmnist.npz`, `pathmnist_64.npz`). */
  readonly fileName: string;
  /** Official Zenodo URL. */
  readonly url: string;
  /** Official MD5 of the file. */
  readonly md5: string;
}

/** Everything the registry knows about one dataset. Values are those of the official `medmnist` package. */
export interface DatasetInfo {
  /** The flag (key), e.g. `pneumoniamnist`. */
  readonly flag: string;
  /** Class name in the official Python package, e.g. `PneumoniaMNIST`. */
  readonly pythonClass: string;
  /** Official description. */
  readonly description: string;
  /** Task type. */
  readonly task: DatasetTask;
  /** Label names; index `i` is the name of label `i` (for multi-label data: of column `i`). */
  readonly labels: readonly string[];
  /** Number of classes (multi-label: number of label columns). */
  readonly numClasses: number;
  /** `true` for the multi-label task (ChestMNIST). */
  readonly multiLabel: boolean;
  /** Image channels: 1 (grey) or 3 (RGB). */
  readonly nChannels: number;
  /** Samples per split. */
  readonly nSamples: SplitCounts;
  /** 2 for images, 3 for volumes. */
  readonly dimensions: 2 | 3;
  /** Available sizes, smallest first. */
  readonly sizes: readonly ImageSize[];
  /** Files per size. */
  readonly files: Readonly<Partial<Record<ImageSize, DatasetFile>>>;
  /** Licence of the data, e.g. `CC BY 4.0`. */
  readonly license: string;
}
