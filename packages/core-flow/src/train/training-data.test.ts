import { describe, expect, it } from 'vitest';
import {
  type MedmnistSplitLike,
  subsetTrainingData,
  trainingDataFromArrays,
  trainingDataFromMedmnist,
  trainingSourceImageSize,
} from './training-data.js';

describe('TrainingData', () => {
  const images = Uint8Array.from({ length: 3 * 4 }, (_, i) => i * 20); // 3 images of 2×2×1
  const data = trainingDataFromArrays({
    images,
    labels: [1, 0, 1],
    imageShape: [2, 2, 1],
    labelNames: ['a', 'b'],
  });

  it('scales uint8 images to [-1, 1] and reads the requested indices in order', () => {
    expect(data.size).toBe(3);
    expect(data.numClasses).toBe(2);
    const batch = data.read([2, 0]);
    expect(Array.from(batch.labels)).toEqual([1, 1]);
    expect(batch.images[0]).toBeCloseTo(160 / 127.5 - 1, 6); // image 2, pixel 0 = 8·20
    expect(batch.images[4]).toBe(-1); // image 0, pixel 0 = 0
    expect(data.labelNames).toEqual(['a', 'b']);
  });

  it('subsets by index and keeps class names', () => {
    const sub = subsetTrainingData(data, [2]);
    expect(sub.size).toBe(1);
    expect(Array.from(sub.read([0]).labels)).toEqual([1]);
    expect(() => sub.read([1])).toThrow(/Sample index 1 is out of range \[0, 1\)/);
    expect(() => subsetTrainingData(data, [3])).toThrow(/Subset index 3 is out of range \[0, 3\)/);
  });

  it('rejects inconsistent arrays with the fix in the message', () => {
    expect(() => trainingDataFromArrays({ images, labels: [0, 1], imageShape: [2, 2, 1] })).toThrow(
      /images has 12 values but 2 labels of shape \[2,2,1\] need 8/,
    );
    expect(() => trainingDataFromArrays({ images, labels: [0, 1.5, 0], imageShape: [2, 2, 1] })).toThrow(
      /labels\[1\] is 1\.5/,
    );
    expect(() =>
      trainingDataFromArrays({ images, labels: [0, 2, 0], imageShape: [2, 2, 1], numClasses: 2 }),
    ).toThrow(/A label is 2 but numClasses is 2/);
    expect(() =>
      trainingDataFromArrays({ images: images.subarray(0, 4), labels: [0], imageShape: [2, 2, 1] }),
    ).toThrow(/numClasses must be an integer ≥ 2, got 1/);
    expect(() =>
      trainingDataFromArrays({
        images: new Float32Array(8).fill(3),
        labels: [0, 1],
        imageShape: [2, 2, 1],
      }),
    ).toThrow(/images\[0\] is 3; float images must lie in \[-1, 1\]/);
  });

  /** A 3-image PneumoniaMNIST-like split of 2×2 images. */
  const split: MedmnistSplitLike = {
    flag: 'pneumoniamnist',
    split: 'train',
    images,
    labels: Int32Array.from([0, 1, 1]),
    shape: [3, 2, 2, 1],
    numClasses: 2,
    multiLabel: false,
    labelNames: ['normal', 'pneumonia'],
  };

  it('adapts a MedMNIST split and refuses multi-label data', () => {
    const adapted = trainingDataFromMedmnist(split);
    expect(adapted).toMatchObject({
      size: 3,
      numClasses: 2,
      dataset: 'pneumoniamnist',
      imageShape: [2, 2, 1],
    });
    expect(adapted.labelNames).toEqual(['normal', 'pneumonia']);
    expect(() => trainingDataFromMedmnist({ ...split, flag: 'chestmnist', multiLabel: true })).toThrow(
      /chestmnist is multi-label/,
    );
  });

  it('records the published file a resized split came from, and reads it back from saved metadata', () => {
    // A split at its file's size records nothing (so models trained as before store what they did).
    expect(trainingDataFromMedmnist({ ...split, sourceSize: 2 as never }).sourceImageSize).toBeUndefined();
    expect(trainingDataFromMedmnist(split).sourceImageSize).toBeUndefined();
    const resized = trainingDataFromMedmnist({ ...split, sourceSize: 64 });
    expect(resized.sourceImageSize).toBe(64);
    expect(subsetTrainingData(resized, [0, 2]).sourceImageSize).toBe(64);
    expect(() =>
      trainingDataFromArrays({ images, labels: [1, 0, 1], imageShape: [2, 2, 1], sourceImageSize: 0 }),
    ).toThrow(/sourceImageSize must be the pixel size of the file the images were resized from, got 0/);

    expect(trainingSourceImageSize({ metadata: { training: { sourceImageSize: 64 } } })).toBe(64);
    for (const metadata of [
      {},
      { training: null },
      { training: { sourceImageSize: '64' } },
      { training: { sourceImageSize: 2.5 } },
      { training: { sourceImageSize: -28 } },
    ]) {
      expect(trainingSourceImageSize({ metadata })).toBeUndefined();
    }
    expect(trainingSourceImageSize({})).toBeUndefined();
  });
});
