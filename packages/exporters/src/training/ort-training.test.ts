/**
 * The ONNX Runtime gradient engine inside core-flow's trainer: the loss curve of 50 steps agrees with the
 * tfjs engine on the same seed and data, and a checkpoint written by one engine resumes on the other.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TrainConfig, type TrainingData, train, trainingDataFromArrays } from '@medsymmflow/core-flow';
import { createRandom } from '@medsymmflow/datasets-medmnist';
import { afterAll, describe, expect, it } from 'vitest';
import { createOrtGradientEngine } from './ort-gradients.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** Two classes of 8×8 grey images (bright left half vs bright bottom half) with pixel noise. */
function syntheticData(n: number, seed: number): TrainingData {
  const size = 8;
  const random = createRandom(seed);
  const images = new Uint8Array(n * size * size);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 2;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const on = labels[i] === 0 ? x < size / 2 : y >= size / 2;
        images[(i * size + y) * size + x] = Math.round((on ? 200 : 40) + 30 * (random.uniform() - 0.5));
      }
    }
  }
  return trainingDataFromArrays({ images, labels, imageShape: [size, size, 1], numClasses: 2 });
}

const BASE: TrainConfig = {
  data: syntheticData(48, 1),
  architecture: {
    baseChannels: 8,
    channelMults: [1, 2],
    numResBlocks: 1,
    attentionResolutions: [4],
    numHeadChannels: 8,
    normGroups: 4,
  },
  batchSize: 16,
  epochs: 20,
  learningRate: 2e-3,
  seed: 5,
  engine: 'wasm',
  workers: 0,
};

const relDiff = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('ONNX Runtime gradient engine in the trainer', () => {
  it('follows the tfjs loss curve over the first 50 steps (same seed and data)', async () => {
    const tfjs = await train({ ...BASE, maxSteps: 50 });
    const ort = await train({
      ...BASE,
      maxSteps: 50,
      gradientEngine: createOrtGradientEngine({ threads: 1 }),
    });
    tfjs.model.dispose();
    ort.model.dispose();
    expect(ort.engine).toBe('ort');
    expect(tfjs.engine).toBe('wasm');
    expect(ort.losses).toHaveLength(50);
    const diffs = ort.losses.map((l, i) => relDiff(l, tfjs.losses[i]));
    console.info(
      `loss curves: step 1 ${tfjs.losses[0].toFixed(5)} vs ${ort.losses[0].toFixed(5)}, step 50 ` +
        `${tfjs.losses[49].toFixed(5)} vs ${ort.losses[49].toFixed(5)}; max rel diff steps 1-10 ` +
        `${Math.max(...diffs.slice(0, 10)).toExponential(2)}, 1-50 ${Math.max(...diffs).toExponential(2)}`,
    );
    // Training makes progress, on both engines.
    expect(tfjs.losses[49]).toBeLessThan(0.8 * tfjs.losses[0]);
    expect(Math.max(...diffs.slice(0, 10))).toBeLessThan(1e-5);
    expect(Math.max(...diffs)).toBeLessThan(1e-4);
    // The final weights agree closely too.
    let worst = 0;
    for (const [name, w] of Object.entries(tfjs.weights)) {
      const o = ort.weights[name];
      for (let i = 0; i < w.length; i++) worst = Math.max(worst, Math.abs(w[i] - o[i]));
    }
    expect(worst).toBeLessThan(5e-3);
  });

  it('resumes a checkpoint across engines in both directions', async () => {
    const reference = await train({ ...BASE, maxSteps: 12 });
    reference.model.dispose();
    for (const [first, second] of [
      ['ort', 'tfjs'],
      ['tfjs', 'ort'],
    ] as const) {
      const outDir = await mkdtemp(join(tmpdir(), `msf-ort-resume-${first}-`));
      dirs.push(outDir);
      const engineOf = (which: 'ort' | 'tfjs') =>
        which === 'ort' ? { gradientEngine: createOrtGradientEngine({ threads: 1 }) } : {};
      const controller = new AbortController();
      const a = await train({
        ...BASE,
        ...engineOf(first),
        maxSteps: 12,
        outDir,
        checkpointEvery: 100,
        signal: controller.signal,
        onProgress: (e) => {
          if (e.type === 'step' && e.step === 6) controller.abort();
        },
      });
      a.model.dispose();
      expect(a.aborted).toBe(true);
      expect(a.steps).toBe(6);
      const b = await train({ ...BASE, ...engineOf(second), maxSteps: 12, outDir, resume: true });
      b.model.dispose();
      expect(b.steps).toBe(12);
      expect(b.engine).toBe(second === 'ort' ? 'ort' : 'wasm');
      // Same PRNG, optimizer and EMA state carried over: the resumed steps follow the reference run.
      for (let i = 0; i < 12; i++) expect(relDiff(b.losses[i], reference.losses[i])).toBeLessThan(1e-3);
    }
  });
});
