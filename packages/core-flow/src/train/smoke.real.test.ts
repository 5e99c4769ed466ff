/**
 * Real-data smoke run: train a small UNet on the official pneumoniamnist file for 400 steps of 32 images
 * (~2.7 epochs, 2 gradient workers), then classify all 624 test images with one Euler step.
 *
 * Measured on the project's 2-core machine (wasm, Node 20), seed 1, this exact config: 116–237 s of
 * training depending on machine load (128 s / 102 img/s in the last run); loss 1.31 at step 1 → 0.27 (mean
 * of the last 10 steps); validation accuracy (EMA, 256 images) 74.6 % at steps 100 and 200 (majority
 * class), 89.8 % at 300, 91.0 % at 400; test accuracy 80.8 % (504/624), test AUC 0.884. Seeds 2 and 3
 * gave 76.8 % and 84.9 % test accuracy. The majority-class rate of the test split is 390/624 = 62.5 %.
 * The run is deterministic for a fixed seed and worker count.
 */
import { createRandom, loadMedMnistSplits } from '@medsymmflow/datasets-medmnist';
import { describe, expect, it } from 'vitest';
import { sharedMedmnistFile } from '../../../../test/shared-data.js';
import { train } from './trainer.js';
import { trainingDataFromMedmnist } from './training-data.js';

describe('training on real pneumoniamnist (smoke run)', () => {
  it('lowers the loss and beats the majority-class rate on the full test split', async () => {
    const splits = await loadMedMnistSplits({
      flag: 'pneumoniamnist',
      path: sharedMedmnistFile('pneumoniamnist.npz'),
    });
    const result = await train({
      data: trainingDataFromMedmnist(splits.train),
      validation: trainingDataFromMedmnist(splits.val),
      architecture: { baseChannels: 8, numResBlocks: 1, numHeadChannels: 8 },
      epochs: 3,
      maxSteps: 400,
      batchSize: 32,
      learningRate: 3e-3,
      validateEvery: 100,
      validationSize: 256,
      seed: 1,
      workers: 2,
      engine: 'wasm',
    });
    try {
      expect(result.steps).toBe(400);
      const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const first = mean(result.losses.slice(0, 10));
      const last = mean(result.losses.slice(-20));
      expect(last).toBeLessThan(0.5 * first);

      const test = splits.test;
      expect(test.length).toBe(624);
      const { labels } = result.model.classify({
        images: test.getNormalised(),
        batchSize: 64,
        random: createRandom(0),
      });
      let correct = 0;
      let majority = 0;
      for (let i = 0; i < test.length; i++) {
        if (labels[i] === test.getLabel(i)) correct++;
        if (test.getLabel(i) === 1) majority++;
      }
      const accuracy = correct / test.length;
      expect(majority / test.length).toBeCloseTo(0.625, 3);
      expect(accuracy).toBeGreaterThan(0.7); // majority rate 0.625 plus margin
      expect(result.bestAccuracy).toBeGreaterThan(0.8);
    } finally {
      result.model.dispose();
    }
  }, 900_000);
});
