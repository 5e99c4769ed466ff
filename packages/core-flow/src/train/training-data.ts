/**
 * @file What the trainer reads: a random-access set of labelled images.
 *
 * The trainer owns the sample order (it shuffles with the run's seeded PRNG and checkpoints the order,
 * so a resumed run continues mid-epoch with the same batches); a {@link TrainingData} only has to hand
 * out the images and labels at given indices. {@link trainingDataFromArrays} wraps plain arrays (your own
 * data), {@link trainingDataFromMedmnist} wraps a split of `@medsymmflow/datasets-medmnist`.
 *
 * @module train/training-data
 */

import type { MedMnistDataset } from '@medsymmflow/datasets-medmnist';

/** Images scaled to [-1, 1] (NHWC) and their labels. */
export interface TrainingBatch {
  /** `n·height·width·channels` values in [-1, 1], NHWC. */
  images: Float32Array;
  /** `n` integer labels in [0, numClasses). */
  labels: Int32Array;
}

/** A labelled image set the trainer can read by index. */
export interface TrainingData {
  /** Number of samples. */
  readonly size: number;
  /** Number of classes; labels are integers in [0, numClasses). */
  readonly numClasses: number;
  /** `[height, width, channels]` of one image. */
  readonly imageShape: readonly [height: number, width: number, channels: number];
  /** Class names, index = label (stored in the saved model). */
  readonly labelNames?: readonly string[];
  /** MedMNIST data flag the samples come from (stored in the saved model). */
  readonly dataset?: string;
  /**
   * Size in px of the published file the images were read from, when they were resized from it (stored in
   * the saved model, so evaluation reads the same file: a 32 px model may come from the 28 or the 64 px file).
   */
  readonly sourceImageSize?: number;
  /** Samples at `indices`, in that order. */
  read(indices: ArrayLike<number>): TrainingBatch;
}

/** Plain arrays for {@link trainingDataFromArrays}. */
export interface TrainingArrays {
  /**
   * All images, NHWC. `Uint8Array` values (0…255) are scaled to [-1, 1] as `v/127.5 − 1`; a
   * `Float32Array` must already be in [-1, 1].
   */
  images: Uint8Array | Float32Array;
  /** One integer label per image. */
  labels: ArrayLike<number>;
  /** `[height, width, channels]` of one image. */
  imageShape: readonly [number, number, number];
  /**
   * Number of classes.
   * @defaultValue `max(labels) + 1`
   */
  numClasses?: number;
  /** Class names, index = label. @defaultValue `['0', '1', …]` in the saved model */
  labelNames?: readonly string[];
  /** Name of the data set, stored in the saved model. */
  dataset?: string;
  /** Size in px of the file the images were resized from (see {@link TrainingData.sourceImageSize}). */
  sourceImageSize?: number;
}

/**
 * Wraps arrays in memory as {@link TrainingData}. Checks shapes and label range once; never copies or
 * mutates the input.
 *
 * @example
 * ```ts
 * const data = trainingDataFromArrays({ images: myUint8Images, labels: myLabels, imageShape: [28, 28, 1] });
 * data.read([0, 5]).images.length; // 2·28·28
 * ```
 */
export function trainingDataFromArrays(arrays: TrainingArrays): TrainingData {
  const { images, labels } = arrays;
  const imageShape = [...arrays.imageShape] as [number, number, number];
  if (imageShape.length !== 3 || imageShape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new RangeError(
      `imageShape must be [height, width, channels] of positive integers, got ${JSON.stringify(arrays.imageShape)}.`,
    );
  }
  if (!(images instanceof Uint8Array) && !(images instanceof Float32Array)) {
    throw new TypeError('images must be a Uint8Array (0…255) or a Float32Array in [-1, 1], NHWC.');
  }
  const pixels = imageShape[0] * imageShape[1] * imageShape[2];
  const size = labels.length;
  if (images.length !== size * pixels) {
    throw new RangeError(
      `images has ${images.length} values but ${size} labels of shape ${JSON.stringify(imageShape)} need ` +
        `${size * pixels}. Pass one label per image, images in NHWC order.`,
    );
  }
  let maxLabel = -1;
  for (let i = 0; i < size; i++) {
    const label = labels[i];
    if (!Number.isInteger(label) || label < 0) {
      throw new RangeError(`labels[${i}] is ${String(label)}; labels must be integers ≥ 0.`);
    }
    if (label > maxLabel) maxLabel = label;
  }
  const numClasses = arrays.numClasses ?? maxLabel + 1;
  if (!Number.isInteger(numClasses) || numClasses < 2) {
    throw new RangeError(`numClasses must be an integer ≥ 2, got ${String(numClasses)}.`);
  }
  if (maxLabel >= numClasses) {
    throw new RangeError(
      `A label is ${maxLabel} but numClasses is ${numClasses}; labels must be < numClasses.`,
    );
  }
  if (images instanceof Float32Array) {
    for (let i = 0; i < images.length; i++) {
      const v = images[i];
      if (!(v >= -1 && v <= 1)) {
        throw new RangeError(
          `images[${i}] is ${String(v)}; float images must lie in [-1, 1] (scale 0…255 data as v/127.5 − 1, ` +
            'or pass a Uint8Array).',
        );
      }
    }
  }
  const { sourceImageSize } = arrays;
  if (sourceImageSize !== undefined && !(Number.isInteger(sourceImageSize) && sourceImageSize > 0)) {
    throw new RangeError(
      `sourceImageSize must be the pixel size of the file the images were resized from, got ${String(sourceImageSize)}.`,
    );
  }
  if (arrays.labelNames !== undefined && arrays.labelNames.length !== numClasses) {
    throw new RangeError(
      `labelNames has ${arrays.labelNames.length} names for ${numClasses} classes; give one name per class.`,
    );
  }
  return {
    size,
    numClasses,
    imageShape,
    ...(arrays.labelNames ? { labelNames: [...arrays.labelNames] } : {}),
    ...(arrays.dataset ? { dataset: arrays.dataset } : {}),
    ...(sourceImageSize !== undefined ? { sourceImageSize } : {}),
    read(indices) {
      const n = indices.length;
      const out = new Float32Array(n * pixels);
      const outLabels = new Int32Array(n);
      for (let k = 0; k < n; k++) {
        const index = indices[k];
        if (!Number.isInteger(index) || index < 0 || index >= size) {
          throw new RangeError(`Sample index ${String(index)} is out of range [0, ${size}).`);
        }
        outLabels[k] = labels[index];
        const src = index * pixels;
        const dst = k * pixels;
        if (images instanceof Uint8Array) {
          for (let j = 0; j < pixels; j++) out[dst + j] = images[src + j] / 127.5 - 1;
        } else {
          out.set(images.subarray(src, src + pixels), dst);
        }
      }
      return { images: out, labels: outLabels };
    },
  };
}

/** A subset of `data` (e.g. a validation slice or a quick `limit`), by sample indices. */
export function subsetTrainingData(data: TrainingData, indices: ArrayLike<number>): TrainingData {
  const picked = Int32Array.from(indices as ArrayLike<number>);
  for (const index of picked) {
    if (index < 0 || index >= data.size) {
      throw new RangeError(`Subset index ${index} is out of range [0, ${data.size}).`);
    }
  }
  return {
    size: picked.length,
    numClasses: data.numClasses,
    imageShape: data.imageShape,
    ...(data.labelNames ? { labelNames: data.labelNames } : {}),
    ...(data.dataset ? { dataset: data.dataset } : {}),
    ...(data.sourceImageSize !== undefined ? { sourceImageSize: data.sourceImageSize } : {}),
    read(indices) {
      const mapped = new Int32Array(indices.length);
      for (let k = 0; k < indices.length; k++) {
        const index = indices[k];
        if (!Number.isInteger(index) || index < 0 || index >= picked.length) {
          throw new RangeError(`Sample index ${String(index)} is out of range [0, ${picked.length}).`);
        }
        mapped[k] = picked[index];
      }
      return data.read(mapped);
    },
  };
}

/** The part of a `MedMnistDataset` (from `@medsymmflow/datasets-medmnist`) the adapter reads. */
export type MedmnistSplitLike = Pick<
  MedMnistDataset,
  'flag' | 'split' | 'images' | 'labels' | 'shape' | 'numClasses' | 'multiLabel' | 'labelNames'
> &
  Partial<Pick<MedMnistDataset, 'sourceSize'>>;

/**
 * Wraps a loaded MedMNIST split as {@link TrainingData} (uint8 images scaled to [-1, 1] on read).
 *
 * @throws RangeError for multi-label datasets (ChestMNIST), which MedSymmFlow's one-mask-per-image
 * conditioning cannot represent.
 *
 * @example
 * ```ts
 * const split = await loadMedMnist({ flag: 'pneumoniamnist', split: 'train' });
 * const data = trainingDataFromMedmnist(split); // data.size === 4708, data.numClasses === 2
 * ```
 */
export function trainingDataFromMedmnist(dataset: MedmnistSplitLike): TrainingData {
  if (dataset.multiLabel) {
    throw new RangeError(
      `${dataset.flag} is multi-label; MedSymmFlow conditions on one class per image. ` +
        'Pick a multi-class dataset, or build single-label arrays and use trainingDataFromArrays().',
    );
  }
  const [, height, width, channels] = dataset.shape;
  return trainingDataFromArrays({
    images: dataset.images,
    labels: dataset.labels,
    imageShape: [height, width, channels],
    numClasses: dataset.numClasses,
    labelNames: dataset.labelNames,
    dataset: dataset.flag,
    // Only a resized split records its file, so models trained on a published size store what they did before.
    ...(dataset.sourceSize !== undefined && dataset.sourceSize !== height
      ? { sourceImageSize: dataset.sourceSize }
      : {}),
  });
}

/**
 * Size in px of the published file a saved model's training images were resized from
 * (`metadata.training.sourceImageSize`), or `undefined` when they were not resized or the model does not say.
 *
 * @example
 * ```ts
 * // trained by `medsymmflow train --size 64 --image-size 32`
 * trainingSourceImageSize(model.config); // 64: evaluate it on the 64 px file, resized to 32
 * ```
 */
export function trainingSourceImageSize(config: {
  readonly metadata?: Readonly<Record<string, unknown>>;
}): number | undefined {
  const training = config.metadata?.training;
  if (training === null || typeof training !== 'object') return undefined;
  const size = (training as Record<string, unknown>).sourceImageSize;
  return typeof size === 'number' && Number.isInteger(size) && size > 0 ? size : undefined;
}
