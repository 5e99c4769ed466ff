import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rotateImage90InPlace } from '@medsymmflow/datasets-medmnist';
import { afterAll, describe, expect, it } from 'vitest';
import { loadFlowModel } from '../io/flow-model-impl.js';
import { liveTensors } from '../testing/helpers.js';
import type { TrainProgressEvent } from './config.js';
import { syntheticData, TINY_UNET } from './testing/tiny.js';
import { train } from './trainer.js';

const data = syntheticData(24);
const base = {
  data,
  architecture: TINY_UNET,
  batchSize: 8,
  microBatchSize: 4,
  engine: 'wasm',
  learningRate: 2e-3,
};
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('train (tiny UNet, synthetic data)', () => {
  it('is reproducible: the same seed gives the same loss sequence, another seed does not', async () => {
    await train({ ...base, maxSteps: 1, workers: 0 }).then((r) => r.model.dispose()); // engine warm-up
    const tensorsBefore = liveTensors();
    const a = await train({ ...base, seed: 3, maxSteps: 4, epochs: 2, workers: 0 });
    const b = await train({ ...base, seed: 3, maxSteps: 4, epochs: 2, workers: 0 });
    const c = await train({ ...base, seed: 4, maxSteps: 4, epochs: 2, workers: 0 });
    expect(a.losses).toHaveLength(4);
    expect(b.losses).toEqual(a.losses);
    expect(c.losses).not.toEqual(a.losses);
    expect(a.steps).toBe(4);
    const ema = (r: typeof a) => Array.from(r.model.getWeights()['out.conv.kernel']);
    expect(ema(b)).toEqual(ema(a));
    expect(ema(a)).not.toEqual(Array.from(a.weights['out.conv.kernel'])); // the model holds the EMA weights
    for (const r of [a, b, c]) r.model.dispose();
    expect(liveTensors()).toBe(tensorsBefore); // nothing leaks once the returned models are disposed
  });

  it('flips training images as configured, reproducibly, and refuses bad probabilities', async () => {
    const [h, w, c] = data.imageShape;
    const returned: { indices: number[]; images: Float32Array }[] = [];
    const spy = {
      ...data,
      imageShape: data.imageShape,
      size: data.size,
      numClasses: data.numClasses,
      read(indices: ArrayLike<number>) {
        const batch = data.read(indices);
        returned.push({ indices: Array.from(indices), images: batch.images });
        return batch;
      },
    };
    const run = (augment: { horizontalFlip?: number; verticalFlip?: number }) =>
      train({ ...base, data: spy, augment, seed: 5, maxSteps: 2, workers: 0 });
    const flipped = await run({ horizontalFlip: 1 });
    expect(returned).toHaveLength(2);
    const size = h * w * c;
    for (const { indices, images } of returned) {
      const original = data.read(indices).images;
      for (let k = 0; k < indices.length; k++) {
        for (let y = 0; y < h; y++) {
          for (let x = 0; x < w; x++) {
            for (let ch = 0; ch < c; ch++) {
              const got = images[k * size + (y * w + x) * c + ch];
              const want = original[k * size + (y * w + (w - 1 - x)) * c + ch];
              if (got !== want) throw new Error(`image ${k} not mirrored at (${y}, ${x}, ${ch})`);
            }
          }
        }
      }
    }
    const again = await run({ horizontalFlip: 1 });
    const plain = await run({});
    expect(again.losses).toEqual(flipped.losses);
    expect(plain.losses).not.toEqual(flipped.losses);
    for (const r of [flipped, again, plain]) r.model.dispose();
    await expect(run({ verticalFlip: 1.5 })).rejects.toThrow(/augment\.verticalFlip/);
  });

  it('turns training images by quarter turns when asked, and only square ones', async () => {
    const [h, w, c] = data.imageShape;
    const returned: { indices: number[]; images: Float32Array }[] = [];
    const spy = {
      ...data,
      read(indices: ArrayLike<number>) {
        const batch = data.read(indices);
        returned.push({ indices: Array.from(indices), images: batch.images });
        return batch;
      },
    };
    const result = await train({
      ...base,
      data: spy,
      augment: { rotate90: 1 },
      seed: 5,
      maxSteps: 2,
      workers: 0,
    });
    result.model.dispose();
    const size = h * w * c;
    const turnsSeen = new Set<number>();
    for (const { indices, images } of returned) {
      const original = data.read(indices).images;
      for (let k = 0; k < indices.length; k++) {
        const image = images.subarray(k * size, (k + 1) * size);
        const matches = [1, 2, 3].filter((turns) => {
          const turned = original.slice(k * size, (k + 1) * size);
          rotateImage90InPlace(turned, [1, h, w, c], 0, turns);
          return turned.every((v, i) => v === image[i]);
        });
        expect(matches.length).toBeGreaterThan(0); // every image turned (rotate90: 1), never left as is
        turnsSeen.add(matches[0]);
      }
    }
    expect(turnsSeen.size).toBeGreaterThan(1); // the angle is drawn per image
    const wide = { ...data, imageShape: [h, w + 1, c] as const };
    await expect(train({ ...base, data: wide, augment: { rotate90: 0.5 }, maxSteps: 1 })).rejects.toThrow(
      /rotate90' needs square images/,
    );
  });

  it('averages worker gradients like a single thread (2 workers vs the calling thread)', async () => {
    // AdamW is nearly invariant to the gradient scale, so compare the gradient norms too (a shard
    // summed instead of averaged would double them).
    const norms = (into: number[]) => (e: TrainProgressEvent) => e.type === 'step' && into.push(e.gradNorm);
    const singleNorms: number[] = [];
    const parallelNorms: number[] = [];
    const single = await train({ ...base, seed: 5, maxSteps: 3, workers: 0, onProgress: norms(singleNorms) });
    const parallel = await train({
      ...base,
      seed: 5,
      maxSteps: 3,
      workers: 2,
      onProgress: norms(parallelNorms),
    });
    expect(parallel.losses).toHaveLength(3);
    for (let i = 0; i < 3; i++) {
      expect(parallel.losses[i]).toBeCloseTo(single.losses[i], 5);
      expect(parallelNorms[i] / singleNorms[i]).toBeCloseTo(1, 4);
    }
    for (const name of ['input.0.conv.kernel', 'out.conv.bias']) {
      const a = single.weights[name];
      const b = parallel.weights[name];
      let diff = 0;
      for (let j = 0; j < a.length; j++) diff = Math.max(diff, Math.abs(a[j] - b[j]));
      expect(diff).toBeLessThan(1e-5);
    }
    single.model.dispose();
    parallel.model.dispose();
  });

  it('writes checkpoint/, best/ and final/ and reports progress', async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'msf-train-'));
    dirs.push(outDir);
    const events: string[] = [];
    const result = await train({
      ...base,
      validation: syntheticData(10, 9),
      seed: 1,
      epochs: 2,
      workers: 0,
      outDir,
      checkpointEvery: 2,
      validateEvery: 3,
      onProgress: (e) => events.push(e.type),
    });
    expect(result.steps).toBe(6);
    expect(result.validations.map((v) => v.step)).toEqual([3, 6]);
    expect(result.paths?.best).toBe(join(outDir, 'best'));
    expect(events[0]).toBe('start');
    expect(events.at(-1)).toBe('end');
    expect(events.filter((e) => e === 'step')).toHaveLength(6);
    expect(events.filter((e) => e === 'checkpoint')).toHaveLength(3);
    // best/ and final/ are loadable models holding the EMA weights
    const best = await loadFlowModel(join(outDir, 'best'), { engine: 'wasm' });
    expect(best.config.numClasses).toBe(2);
    best.dispose();
    const final = await loadFlowModel(join(outDir, 'final'), { engine: 'wasm' });
    expect(final.getWeights()['out.conv.kernel']).toEqual(result.model.getWeights()['out.conv.kernel']);
    final.dispose();
    result.model.dispose();
  });
});
