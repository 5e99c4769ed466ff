import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHARED_MEDMNIST_DIR, sharedMedmnistFile } from '../../../test/shared-data';
import { makeTempDir, sameBytes, tinyMedMnistNpz, toNumbers } from '../test/fixtures';
import {
  createMedMnistDataset,
  createRandom,
  DatasetFileNotFoundError,
  flipHorizontal,
  flipVertical,
  loadMedMnist,
  loadMedMnistSplits,
  type MedMnistDataset,
  NpzFormatError,
  normaliseImages,
  openNpz,
  resizeImages,
  toRgb,
} from './index';

// Official split sizes and class histograms, from shared/data/medmnist/SOURCES.md.
const OFFICIAL = {
  pneumoniamnist: {
    channels: 1,
    counts: { train: 4708, val: 524, test: 624 },
    histograms: { train: [1214, 3494], val: [135, 389], test: [234, 390] },
  },
  retinamnist: {
    channels: 3,
    counts: { train: 1080, val: 120, test: 400 },
    histograms: {
      train: [486, 128, 206, 194, 66],
      val: [54, 12, 28, 20, 6],
      test: [174, 46, 92, 68, 20],
    },
  },
} as const;

describe('loadMedMnist on the official files', () => {
  sharedMedmnistFile('pneumoniamnist.npz');
  sharedMedmnistFile('retinamnist.npz');

  for (const [flag, expected] of Object.entries(OFFICIAL)) {
    for (const split of ['train', 'val', 'test'] as const) {
      it(`${flag}/${split}: counts, shapes, dtypes and class histogram are the official ones`, async () => {
        const dataset = await loadMedMnist({ flag, split, root: SHARED_MEDMNIST_DIR });
        const n = expected.counts[split];
        expect(dataset.length).toBe(n);
        expect(dataset.shape).toEqual([n, 28, 28, expected.channels]);
        expect(dataset.images).toBeInstanceOf(Uint8Array);
        expect(dataset.images.length).toBe(n * 28 * 28 * expected.channels);
        expect(dataset.labels).toBeInstanceOf(Int32Array);
        expect(dataset.labelShape).toEqual([n, 1]);
        expect(dataset.classHistogram()).toEqual(expected.histograms[split]);
        expect(dataset.path).toBe(join(SHARED_MEDMNIST_DIR, `${flag}.npz`));
      });
    }
  }

  it('holds the same pixels and labels as the archive arrays', async () => {
    const dataset = await loadMedMnist({ flag: 'retinamnist', split: 'val', root: SHARED_MEDMNIST_DIR });
    const npz = await openNpz(sharedMedmnistFile('retinamnist.npz'));
    const images = await npz.read('val_images');
    const labels = await npz.read('val_labels');
    await npz.close();
    expect(sameBytes(dataset.images, images.data)).toBe(true);
    expect(Array.from(dataset.labels)).toEqual(toNumbers(labels.data));
    const image = dataset.getImage(7);
    expect(image.length).toBe(28 * 28 * 3);
    expect(image).toEqual((images.data as Uint8Array).subarray(7 * 2352, 8 * 2352));
    expect(dataset.getLabel(7)).toBe(Number(labels.data[7]));
    expect(dataset.labelNames).toEqual(['0', '1', '2', '3', '4']);
  });

  it('loads several splits from one file and converts channels and size', async () => {
    const { test } = await loadMedMnistSplits({
      flag: 'pneumoniamnist',
      root: SHARED_MEDMNIST_DIR,
      splits: ['test'],
      channels: 3,
      resize: 32,
    });
    const plain = await loadMedMnist({ flag: 'pneumoniamnist', split: 'test', root: SHARED_MEDMNIST_DIR });
    expect(test.shape).toEqual([624, 32, 32, 3]);
    expect(test.sourceSize).toBe(28);
    const expected = resizeImages(toRgb({ data: plain.images, shape: plain.shape }), 32);
    expect(sameBytes(test.images, expected.data)).toBe(true);
  });

  it('normalises to [-1, 1]', async () => {
    const dataset = await loadMedMnist({ flag: 'pneumoniamnist', split: 'val', root: SHARED_MEDMNIST_DIR });
    const x = dataset.getNormalised();
    expect(x).toBeInstanceOf(Float32Array);
    expect(x.length).toBe(dataset.images.length);
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const v of x) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    expect(min).toBeGreaterThanOrEqual(-1);
    expect(max).toBeLessThanOrEqual(1);
    expect(x[123]).toBeCloseTo(dataset.images[123] / 127.5 - 1, 6);
  });
});

describe('batches', () => {
  let dataset: MedMnistDataset;
  beforeAll(async () => {
    dataset = await loadMedMnist({ flag: 'retinamnist', split: 'val', root: SHARED_MEDMNIST_DIR });
  });

  const collect = (config: Parameters<MedMnistDataset['batches']>[0]) => [...dataset.batches(config)];

  it('covers every image once, in order, with matching images and labels', () => {
    const batches = collect({ batchSize: 32 });
    expect(batches.map((b) => b.shape[0])).toEqual([32, 32, 32, 24]);
    expect(dataset.numBatches({ batchSize: 32 })).toBe(4);
    const indices = batches.flatMap((b) => Array.from(b.indices));
    expect(indices).toEqual(Array.from({ length: 120 }, (_, i) => i));
    const last = batches[3];
    expect(last.shape).toEqual([24, 28, 28, 3]);
    expect(last.labelShape).toEqual([24, 1]);
    expect(last.images).toEqual(normaliseImages(dataset.images.subarray(96 * 2352)));
    expect(Array.from(last.labels)).toEqual(Array.from(dataset.labels.subarray(96)));
  });

  it('drops the last partial batch on request', () => {
    expect(collect({ batchSize: 50, dropLast: true }).map((b) => b.shape[0])).toEqual([50, 50]);
    expect(dataset.numBatches({ batchSize: 50, dropLast: true })).toBe(2);
  });

  it('shuffles deterministically per seed and keeps image/label pairs together', () => {
    const order = (seed: number) =>
      collect({ batchSize: 16, shuffle: true, seed }).flatMap((b) => Array.from(b.indices));
    expect(order(1)).toEqual(order(1));
    expect(order(1)).not.toEqual(order(2));
    expect([...order(1)].sort((a, b) => a - b)).toEqual(Array.from({ length: 120 }, (_, i) => i));
    const [first] = collect({ batchSize: 4, shuffle: true, seed: 9 });
    for (let j = 0; j < 4; j++) {
      const index = first.indices[j];
      expect(first.labels[j]).toBe(dataset.labels[index]);
      expect(first.images.subarray(j * 2352, (j + 1) * 2352)).toEqual(
        normaliseImages(dataset.getImage(index)),
      );
    }
    expect(Array.from(dataset.shuffledIndices(3))).toEqual(Array.from(createRandom(3).permutation(120)));
  });

  it('resumes exactly from a saved generator state', () => {
    const random = createRandom(11);
    const saved = random.getState();
    const a = collect({ batchSize: 40, shuffle: true, random, horizontalFlip: true });
    const b = collect({ batchSize: 40, shuffle: true, random: createRandom(saved), horizontalFlip: true });
    expect(b.map((x) => Array.from(x.indices))).toEqual(a.map((x) => Array.from(x.indices)));
    expect(b.every((x, i) => sameBytes(x.images, a[i].images))).toBe(true);
    expect(random.getState()).not.toEqual(saved); // the generator advanced
  });

  it('flips images as augmentation (probability 1 flips all, 0 none)', () => {
    const [flipped] = collect({ batchSize: 8, horizontalFlip: 1 });
    const [plain] = collect({ batchSize: 8, horizontalFlip: 0 });
    expect(flipped.images).toEqual(flipHorizontal({ data: plain.images, shape: plain.shape }).data);
    const [both] = collect({ batchSize: 8, horizontalFlip: 1, verticalFlip: 1 });
    expect(both.images).toEqual(flipVertical({ data: flipped.images, shape: flipped.shape }).data);
    const half = collect({ batchSize: 120, horizontalFlip: 0.5, seed: 5 })[0];
    let changed = 0;
    for (let j = 0; j < 120; j++) {
      const a = half.images.subarray(j * 2352, (j + 1) * 2352);
      const b = normaliseImages(dataset.getImage(j));
      if (a.some((v, i) => v !== b[i])) changed++;
    }
    expect(changed).toBeGreaterThan(40);
    expect(changed).toBeLessThan(80);
    expect(() => collect({ batchSize: 8, horizontalFlip: 2 })).toThrow(RangeError);
  });

  it('iterates over a subset of indices', () => {
    const batches = collect({ batchSize: 2, indices: [5, 3, 1] });
    expect(batches.map((b) => Array.from(b.indices))).toEqual([[5, 3], [1]]);
    expect(() => collect({ batchSize: 2, indices: [500] })).toThrow(/out of range/);
    expect(() => collect({ batchSize: 0 })).toThrow(RangeError);
  });
});

describe('loadMedMnist errors', () => {
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  beforeAll(async () => {
    temp = await makeTempDir();
  });
  afterAll(async () => temp.cleanup());

  it('says which file is missing, its URL and where to put it', async () => {
    let error: unknown;
    try {
      await loadMedMnist({ flag: 'pneumoniamnist', split: 'train', size: 64, root: temp.dir });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(DatasetFileNotFoundError);
    const message = (error as Error).message;
    expect(message).toContain('pneumoniamnist_64.npz');
    expect(message).toContain('https://zenodo.org/records/10519652/files/pneumoniamnist_64.npz?download=1');
    expect(message).toContain(join(temp.dir, 'pneumoniamnist_64.npz'));
    await expect(
      loadMedMnist({ flag: 'pneumoniamnist', split: 'train', path: join(temp.dir, 'missing.npz') }),
    ).rejects.toThrow(DatasetFileNotFoundError);
  });

  it('rejects a file whose label count does not match its images', async () => {
    const path = join(temp.dir, 'mismatch.npz');
    await writeFile(
      path,
      tinyMedMnistNpz({
        splits: { train: { count: 6, labelCount: 5 }, val: { count: 2 }, test: { count: 2 } },
      }),
    );
    await expect(
      loadMedMnist({ flag: 'pneumoniamnist', split: 'train', path, strict: false }),
    ).rejects.toThrow(
      /mismatch\.npz \(member train_labels\.npy\): has 5 labels but train_images\.npy has 6 images/,
    );
  });

  it('rejects non-official split sizes unless strict is false', async () => {
    const path = join(temp.dir, 'subset.npz');
    await writeFile(path, tinyMedMnistNpz({}));
    await expect(loadMedMnist({ flag: 'pneumoniamnist', split: 'train', path })).rejects.toThrow(
      /has 6 images but the official pneumoniamnist train split has 4708/,
    );
    const dataset = await loadMedMnist({ flag: 'pneumoniamnist', split: 'train', path, strict: false });
    expect(dataset.shape).toEqual([6, 28, 28, 1]);
    expect(dataset.classHistogram()).toEqual([3, 3]);
  });

  it('rejects images of the wrong size or channels and labels out of range', async () => {
    const rgb = join(temp.dir, 'rgb.npz');
    await writeFile(rgb, tinyMedMnistNpz({ channels: 3 }));
    await expect(
      loadMedMnist({ flag: 'pneumoniamnist', split: 'val', path: rgb, strict: false }),
    ).rejects.toThrow(/expected images of shape \(N, 28, 28\)/);
    const wrongSize = join(temp.dir, 'size.npz');
    await writeFile(wrongSize, tinyMedMnistNpz({ size: 32 }));
    await expect(
      loadMedMnist({ flag: 'pneumoniamnist', split: 'val', path: wrongSize, strict: false }),
    ).rejects.toThrow(NpzFormatError);
    const labels = join(temp.dir, 'labels.npz');
    await writeFile(labels, tinyMedMnistNpz({ classes: 3 }));
    await expect(
      loadMedMnist({ flag: 'pneumoniamnist', split: 'train', path: labels, strict: false }),
    ).rejects.toThrow(/label 2 at row 2 is out of range/);
  });

  it('rejects bad options', async () => {
    await expect(loadMedMnist({ flag: 'vesselmnist3d', split: 'train' })).rejects.toThrow(/3D dataset/);
    await expect(
      loadMedMnist({ flag: 'pneumoniamnist', split: 'training' as never, root: temp.dir }),
    ).rejects.toThrow(/Invalid split "training"/);
    await expect(loadMedMnist({ flag: 'pneumoniamnist', split: 'train', size: 100 })).rejects.toThrow(
      /Invalid size 100/,
    );
    await expect(
      loadMedMnist({ flag: 'pneumoniamnist', split: 'train', channels: 2 as never }),
    ).rejects.toThrow(/Invalid channels/);
  });
});

describe('createMedMnistDataset', () => {
  it('wraps in-memory arrays and handles multi-label data', () => {
    const labels = new Int32Array(3 * 14);
    labels[0] = 1;
    labels[14 + 13] = 1;
    labels[28] = 1;
    const dataset = createMedMnistDataset({
      flag: 'chestmnist',
      split: 'test',
      images: new Uint8Array(3 * 4 * 4),
      shape: [3, 4, 4, 1],
      labels,
    });
    expect(dataset.multiLabel).toBe(true);
    expect(dataset.labelShape).toEqual([3, 14]);
    const histogram = dataset.classHistogram();
    expect(histogram[0]).toBe(2);
    expect(histogram[13]).toBe(1);
    expect(Array.from(dataset.getLabelRow(1))).toEqual([...new Array(13).fill(0), 1]);
    expect(() => dataset.getLabel(0)).toThrow(/multi-label/);
    const [batch] = dataset.batches({ batchSize: 3 });
    expect(batch.labelShape).toEqual([3, 14]);
    expect(batch.labels).toEqual(labels);
    expect(() =>
      createMedMnistDataset({
        flag: 'chestmnist',
        split: 'test',
        images: new Uint8Array(48),
        shape: [3, 4, 4, 1],
        labels: new Int32Array(3),
      }),
    ).toThrow(/Int32Array of 3×14/);
  });
});
