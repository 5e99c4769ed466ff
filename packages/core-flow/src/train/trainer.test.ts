import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRandom, rotateImage90InPlace } from '@medsymmflow/datasets-medmnist';
import { afterAll, describe, expect, it } from 'vitest';
import { loadFlowModel } from '../io/flow-model-impl.js';
import { liveTensors } from '../testing/helpers.js';
import type { TrainProgressEvent, TrainValidationMetric } from './config.js';
import { syntheticData, TINY_UNET } from './testing/tiny.js';
import { train } from './trainer.js';
import { trainingDataFromArrays } from './training-data.js';

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

  it('draws classes equally often with class-balanced sampling, reproducibly', async () => {
    // 20 images of class 0, 4 of class 1: shuffling shows class 1 in 1/6 of the draws, balancing in ~1/2.
    const all = data.read(Array.from({ length: 24 }, (_, i) => i));
    const labels = Int32Array.from({ length: 24 }, (_, i) => (i < 20 ? 0 : 1));
    const [h, w, c] = data.imageShape;
    const images = Uint8Array.from(all.images, (v) => Math.round((v + 1) * 127.5));
    const skewed = trainingDataFromArrays({ images, labels, imageShape: [h, w, c], numClasses: 2 });
    const drawn = async (sampling?: 'shuffle' | 'class-balanced') => {
      const seen: number[] = [];
      const spy = {
        ...skewed,
        read(indices: ArrayLike<number>) {
          const batch = skewed.read(indices);
          seen.push(...batch.labels);
          return batch;
        },
      };
      const result = await train({ ...base, data: spy, sampling, seed: 2, epochs: 2, workers: 0 });
      result.model.dispose();
      return { seen, losses: result.losses };
    };
    const shuffled = await drawn();
    const balanced = await drawn('class-balanced');
    const share = (seen: number[]) => seen.filter((l) => l === 1).length / seen.length;
    expect(shuffled.seen).toHaveLength(48);
    expect(share(shuffled.seen)).toBeCloseTo(4 / 24, 10); // every image once per epoch
    // The labels read up front for balancing come first; the training draws follow.
    const balancedDraws = balanced.seen.slice(-48);
    expect(share(balancedDraws)).toBeGreaterThan(0.35);
    expect(share(balancedDraws)).toBeLessThan(0.65);
    expect((await drawn('class-balanced')).losses).toEqual(balanced.losses);
    await expect(train({ ...base, sampling: 'stratified' as never, maxSteps: 1 })).rejects.toThrow(
      /'sampling' must be one of 'shuffle', 'class-balanced'/,
    );
  });

  it('scores validation by accuracy and balanced accuracy, and selects best/ by the chosen one', async () => {
    // Validation: 20 images of class 0, 4 of class 1.
    const all = data.read(Array.from({ length: 24 }, (_, i) => i));
    const [h, w, c] = data.imageShape;
    const skewed = trainingDataFromArrays({
      images: Uint8Array.from(all.images, (v) => Math.round((v + 1) * 127.5)),
      labels: Int32Array.from({ length: 24 }, (_, i) => (i < 20 ? 0 : 1)),
      imageShape: [h, w, c],
      numClasses: 2,
    });
    const run = async (validationMetric?: TrainValidationMetric) => {
      const events: Extract<TrainProgressEvent, { type: 'validation' }>[] = [];
      const result = await train({
        ...base,
        validation: skewed,
        validationMetric,
        validateEvery: 1,
        seed: 4,
        maxSteps: 4,
        workers: 0,
        onProgress: (e) => e.type === 'validation' && events.push(e),
      });
      result.model.dispose();
      return { events, result };
    };
    const balanced = await run('balanced-accuracy');
    expect(balanced.events).toHaveLength(3); // 24 images, batches of 8, one epoch
    let best = 0;
    for (const e of balanced.events) {
      // Both come from the same predictions: r0 of 20 and r1 of 4 right.
      const pairs = [];
      for (let r0 = 0; r0 <= 20; r0++) {
        for (let r1 = 0; r1 <= 4; r1++) {
          const same = (a: number, b: number) => Math.abs(a - b) < 1e-9;
          if (same(e.accuracy, (r0 + r1) / 24) && same(e.balancedAccuracy, (r0 / 20 + r1 / 4) / 2))
            pairs.push([r0, r1]);
        }
      }
      expect(pairs.length, `accuracy ${e.accuracy}, balanced ${e.balancedAccuracy}`).toBeGreaterThan(0);
      best = Math.max(best, e.balancedAccuracy);
      expect(e.bestAccuracy).toBe(best);
    }
    expect(balanced.result.bestAccuracy).toBe(best);
    expect(balanced.result.validations.map((v) => v.balancedAccuracy)).toEqual(
      balanced.events.map((e) => e.balancedAccuracy),
    );
    const plain = await run();
    expect(plain.result.bestAccuracy).toBe(Math.max(...plain.events.map((e) => e.accuracy)));

    // With two classes the quadratic weighted kappa is Cohen's kappa of the same predictions.
    const kappa = await run('quadratic-weighted-kappa');
    for (const e of kappa.events) {
      const matches: number[] = [];
      for (let r0 = 0; r0 <= 20; r0++) {
        for (let right1 = 0; right1 <= 4; right1++) {
          if (Math.abs(e.accuracy - (r0 + right1) / 24) > 1e-9) continue;
          if (Math.abs(e.balancedAccuracy - (r0 / 20 + right1 / 4) / 2) > 1e-9) continue;
          const predicted1 = 20 - r0 + right1;
          const chance = (20 * (24 - predicted1) + 4 * predicted1) / 24 ** 2;
          const observed = (r0 + right1) / 24;
          matches.push((observed - chance) / (1 - chance)); // chance < 1: the labels hold both classes
        }
      }
      expect(matches.length, `accuracy ${e.accuracy}`).toBeGreaterThan(0);
      expect(e.quadraticWeightedKappa).not.toBeNull();
      expect(matches.some((k) => Math.abs(k - e.quadraticWeightedKappa!) < 1e-9)).toBe(true);
    }
    expect(kappa.result.bestAccuracy).toBe(
      Math.max(...kappa.events.map((e) => e.quadraticWeightedKappa ?? 0)),
    );
    expect(kappa.result.validations.map((v) => v.quadraticWeightedKappa)).toEqual(
      kappa.events.map((e) => e.quadraticWeightedKappa),
    );

    await expect(train({ ...base, validationMetric: 'f1' as never, maxSteps: 1 })).rejects.toThrow(
      /'validationMetric' must be one of 'accuracy', 'balanced-accuracy', 'quadratic-weighted-kappa'; got "f1"/,
    );
  });

  it('validates with several noise masks per image when asked, as classify does with them', async () => {
    const seed = 6;
    const result = await train({
      ...base,
      validation: data,
      validationSamples: 3,
      validateEvery: 2,
      seed,
      maxSteps: 2,
      workers: 0,
    });
    expect(result.validationSamples).toBe(3);
    const last = result.validations.at(-1)!;
    expect(last.step).toBe(2);
    // The model holds the EMA weights of that last validation; the trainer draws the masks from seed + 2.
    const all = data.read(Array.from({ length: data.size }, (_, i) => i));
    const classified = (numSamples: number) =>
      result.model.classify({ images: all.images, random: createRandom(seed + 2), numSamples, batchSize: 4 });
    const three = classified(3);
    const right = three.labels.filter((label, i) => label === all.labels[i]).length;
    expect(last.accuracy).toBe(right / data.size);
    // Three masks are not one: the averaged distances differ.
    expect(Array.from(three.distances)).not.toEqual(Array.from(classified(1).distances));
    result.model.dispose();
    await expect(train({ ...base, validationSamples: 0, maxSteps: 1 })).rejects.toThrow(
      /'validationSamples' must be a positive integer, got 0/,
    );
  });

  it('measures the same on training images, unaugmented, to show the fit', async () => {
    const events: Extract<TrainProgressEvent, { type: 'validation' }>[] = [];
    const onTraining = await train({
      ...base,
      validation: data, // the training images themselves: both measures must agree exactly
      augment: { horizontalFlip: 1, verticalFlip: 1 },
      validateEvery: 1,
      seed: 4,
      maxSteps: 3,
      workers: 0,
      onProgress: (e) => e.type === 'validation' && events.push(e),
    });
    onTraining.model.dispose();
    expect(events).toHaveLength(3);
    for (const e of events) {
      expect(e.trainingAccuracy).toBe(e.accuracy);
      expect(e.trainingBalancedAccuracy).toBe(e.balancedAccuracy);
    }
    // A record is the event without what only the event carries.
    expect(onTraining.validations).toEqual(
      events.map(({ type, epoch, bestAccuracy, improved, seconds, ...record }) => record),
    );
  });

  it('starts from given weights (fine-tuning) and names a mismatch', async () => {
    const first = await train({ ...base, seed: 1, maxSteps: 2, workers: 0 });
    const weights = first.model.getWeights();
    first.model.dispose();
    const tuned = await train({
      ...base,
      init: { weights, source: 'first-run' },
      learningRate: 1e-9,
      seed: 9,
      maxSteps: 1,
      workers: 0,
    });
    for (const [name, values] of Object.entries(tuned.weights)) {
      const start = weights[name];
      for (let i = 0; i < values.length; i++) {
        if (Math.abs(values[i] - start[i]) > 1e-5) throw new Error(`${name}[${i}] moved away from the init`);
      }
    }
    expect(tuned.model.config.metadata.training).toMatchObject({ initialWeights: 'first-run' });
    expect(tuned.model.config.metadata.training).not.toHaveProperty('sourceImageSize');
    tuned.model.dispose();
    // Images resized from a published file: the saved model says which, so evaluation reads the same one.
    const resized = await train({ ...base, data: { ...data, sourceImageSize: 64 }, maxSteps: 1, workers: 0 });
    expect(resized.model.config.metadata.training).toMatchObject({ sourceImageSize: 64 });
    resized.model.dispose();
    const { 'out.conv.kernel': _dropped, ...partial } = weights;
    await expect(
      train({ ...base, init: { weights: partial, source: 'partial.json' }, maxSteps: 1, workers: 0 }),
    ).rejects.toThrow(/initial weights from partial\.json lack the parameter "out\.conv\.kernel"/);
    await expect(
      train({
        ...base,
        architecture: { ...TINY_UNET, baseChannels: 16 },
        init: { weights, source: 'tiny' },
        maxSteps: 1,
        workers: 0,
      }),
    ).rejects.toThrow(/initial weights from tiny have \d+ values for ".*", the UNet needs \d+/);
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

  it('hands the validations of earlier sessions to a resumed run (start event)', async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'msf-train-'));
    dirs.push(outDir);
    const options = {
      ...base,
      validation: syntheticData(10, 9),
      seed: 1,
      epochs: 2,
      workers: 0,
      outDir,
      validateEvery: 2,
    };
    const controller = new AbortController();
    const stopped = await train({
      ...options,
      signal: controller.signal,
      onProgress: (e) => e.type === 'step' && e.step === 3 && controller.abort(),
    });
    stopped.model.dispose();
    expect(stopped.aborted).toBe(true);
    expect(stopped.validations.map((v) => v.step)).toEqual([2]);
    const starts: Extract<TrainProgressEvent, { type: 'start' }>[] = [];
    const resumed = await train({
      ...options,
      resume: true,
      onProgress: (e) => e.type === 'start' && starts.push(e),
    });
    resumed.model.dispose();
    expect(starts[0].validations).toEqual(stopped.validations);
    expect(starts[0].bestStep).toBe(2);
    expect(resumed.validations.map((v) => v.step)).toEqual([2, 4, 6]);
  });
});
