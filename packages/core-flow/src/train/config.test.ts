import { describe, expect, it } from 'vitest';
import { resolveTrainConfig, TRAIN_DEFAULTS } from './config.js';
import { clipGlobalNorm, globalNorm } from './flat.js';
import { syntheticData } from './testing/tiny.js';

const data = syntheticData(4);

describe('resolveTrainConfig', () => {
  it('fills defaults without mutating the input', () => {
    const input = { data, batchSize: 16, learningRate: undefined };
    const resolved = resolveTrainConfig(input);
    expect(resolved).toMatchObject({
      batchSize: 16,
      microBatchSize: 16, // capped at the batch size
      learningRate: TRAIN_DEFAULTS.learningRate,
      epochs: TRAIN_DEFAULTS.epochs,
      emaDecay: TRAIN_DEFAULTS.emaDecay,
      conditioning: 'rgb-palette',
      resume: false,
    });
    expect(resolved.workers).toBeGreaterThanOrEqual(1);
    expect(resolved.workers).toBeLessThanOrEqual(2);
    expect(input).toEqual({ data, batchSize: 16, learningRate: undefined });
  });

  it('rejects bad options with the valid range', () => {
    expect(() => resolveTrainConfig({ data, batchSize: 0 })).toThrow(
      /'batchSize' must be a positive integer, got 0/,
    );
    expect(() => resolveTrainConfig({ data, workers: -1 })).toThrow(
      /'workers' must be an integer in \[0, 64\]/,
    );
    expect(() => resolveTrainConfig({ data, emaDecay: 1 })).toThrow(
      /'emaDecay' must be a number in \[0, 1\)/,
    );
    expect(() => resolveTrainConfig({ data, learningRate: 0 })).toThrow(
      /'learningRate' must be a positive number/,
    );
    expect(() => resolveTrainConfig({ data, resume: true })).toThrow(/'resume: true' needs 'outDir'/);
    expect(() => resolveTrainConfig({ data, outDir: 'x', resume: true, overwrite: true })).toThrow(
      /'resume' and 'overwrite' exclude each other/,
    );
    expect(() => resolveTrainConfig({ data: {} as never })).toThrow(/'data' must be a TrainingData/);
    expect(() => resolveTrainConfig({ data, validation: syntheticData(4, 1, 4) })).toThrow(
      /'validation' images are 4×4×1 but training images are 8×8×1/,
    );
  });
});

describe('clipGlobalNorm', () => {
  it('scales gradients down to the maximum global norm and leaves small ones alone', () => {
    const grads = [new Float32Array([3, 0]), new Float32Array([4])]; // norm 5
    expect(clipGlobalNorm(grads, 10)).toBe(5);
    expect(Array.from(grads[1])).toEqual([4]);
    expect(clipGlobalNorm(grads, 1)).toBe(5);
    expect(globalNorm(grads)).toBeCloseTo(1, 5);
    expect(grads[0][0] / grads[1][0]).toBeCloseTo(0.75, 6);
  });
});
