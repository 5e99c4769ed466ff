/**
 * @packageDocumentation
 * `@medsymmflow/datasets-medmnist`: the MedMNIST v2 registry, a strict `.npz`/`.npy` reader, the dataset API
 * (typed arrays, batching, augmentation), verified downloads, and the project's seeded PRNG.
 * This file only re-exports, grouped by topic.
 */

// Files, downloads and verification
export { writeFileAtomic } from './atomic-write';
export {
  type LoadChecksumListConfig,
  loadChecksumList,
  MAX_CHECKSUM_LIST_BYTES,
  parseChecksumList,
} from './checksum-list';
// Dataset API
export {
  BATCH_DEFAULTS,
  type BatchConfig,
  type CreateMedMnistDatasetConfig,
  createMedMnistDataset,
  LOAD_MEDMNIST_DEFAULTS,
  type LoadMedMnistConfig,
  type LoadMedMnistSplitsConfig,
  loadMedMnist,
  loadMedMnistSplits,
  type MedMnistBatch,
  type MedMnistDataset,
} from './dataset';
export {
  CHECKSUM_ALGORITHMS,
  type Checksum,
  type ChecksumAlgorithm,
  type DownloadFileConfig,
  type DownloadMedMnistConfig,
  type DownloadProgress,
  type DownloadResult,
  downloadFile,
  downloadMedMnist,
  type EnsureDownloadedConfig,
  ensureDownloaded,
  type FetchLike,
  hashFile,
  type MedMnistDownloadSource,
  md5File,
  resolveDownloadSource,
} from './download';
// Errors
export {
  ChecksumError,
  CodedError,
  DatasetFileNotFoundError,
  DownloadError,
  type FormatErrorLocation,
  joinErrorMessage,
  MedMnistError,
  type MedMnistErrorCode,
  NpzFormatError,
  NpzLimitError,
  UnknownDatasetError,
} from './errors';
// Image operations
export {
  convertChannels,
  denormaliseImages,
  flipHorizontal,
  flipImageHorizontalInPlace,
  flipImageVerticalInPlace,
  flipVertical,
  type ImageShape,
  type Images,
  normaliseImages,
  type PixelArray,
  resizeImages,
  rotateImage90InPlace,
  toGrey,
  toRgb,
} from './image-ops';
// .npy / .npz
export {
  encodeNpy,
  type NpyArray,
  type NpyData,
  type NpyDtype,
  type NpyInput,
  type ParseNpyConfig,
  parseNpy,
} from './npy';
export {
  NPZ_DEFAULTS,
  type NpzConfig,
  type NpzEntryInfo,
  type NpzFile,
  openNpz,
  type ResolvedNpzConfig,
  readNpz,
  resolveNpzConfig,
} from './npz';
export { ENCODE_NPZ_DEFAULTS, type EncodeNpzConfig, encodeNpz, writeNpz } from './npz-writer';
export {
  type DatasetLocation,
  defaultMedMnistRoot,
  getDatasetPath,
  getDownloadUrl,
  MEDMNIST_BASE_URL_ENV,
  MEDMNIST_CHECKSUMS_ENV,
  MEDMNIST_ROOT_ENV,
  resolveMedMnistRoot,
} from './paths';
// Randomness
export { createRandom, RANDOM_ALGORITHM, type Random, type RandomState } from './random';
// Registry
export {
  closestPublishedSize,
  DATASET_FLAGS,
  DATASET_FLAGS_2D,
  DATASET_FLAGS_3D,
  type DatasetFlag,
  datasetFileName,
  getDatasetFile,
  getDatasetInfo,
  IMAGE_SIZES,
  isDatasetFlag,
  listDatasets,
  MEDMNIST_HOMEPAGE,
  MEDMNIST_INFO,
  MEDMNIST_INFO_VERSION,
  resolveDatasetFlag,
  resolveImageSize,
  SPLITS,
} from './registry';
export type { DatasetFile, DatasetInfo, DatasetTask, ImageSize, Split, SplitCounts } from './registry-types';
export { type VerifyFileConfig, type VerifyReport, verifyFile } from './verify';

// Version
export { version } from './version';
