import { createRandom } from '@medsymmflow/datasets-medmnist';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveEngine } from '../engines/registry.js';
import { sampleSfmNoise } from '../flow/sfm.js';
import { createUNet, resolveUNetConfig } from '../model/unet.js';
import { initParamData } from '../ops/params.js';
import { createShardGradientComputer, type GradientSetup, type ShardInput } from './gradients.js';
import { syntheticData, TINY_UNET } from './testing/tiny.js';
import { createGradientPool, type GradientPool, sharedArrays } from './worker-pool.js';

const setup: GradientSetup = {
  unet: resolveUNetConfig({ ...(TINY_UNET as object), imageSize: 8, inChannels: 4 }),
  loss: {},
  imageShape: [8, 8, 1],
  maskChannels: 3,
  microBatchSize: 3,
};
const specs = createUNet(setup.unet).paramSpecs;
const sizes = specs.map((s) => s.shape.reduce((a, b) => a * b, 1));

function batchOf(n: number): ShardInput {
  const random = createRandom(11);
  const { images, labels } = syntheticData(n).read(Int32Array.from({ length: n }, (_, i) => i));
  const masks = new Float32Array(n * 64 * 3);
  for (let i = 0; i < masks.length; i++) masks[i] = labels[Math.floor(i / 192)] === 0 ? -0.4 : 0.6;
  const noise = sampleSfmNoise({ n, height: 8, width: 8, imageChannels: 1, maskChannels: 3 }, random);
  return { n, images, masks, ...noise };
}

function slice(input: ShardInput, start: number, count: number): ShardInput {
  return {
    n: count,
    images: input.images.slice(start * 64, (start + count) * 64),
    masks: input.masks.slice(start * 192, (start + count) * 192),
    xiX: input.xiX.slice(start * 64, (start + count) * 64),
    xiM: input.xiM.slice(start * 192, (start + count) * 192),
    t: input.t.slice(start, start + count),
  };
}

let pool: GradientPool | undefined;
afterAll(async () => {
  await pool?.close();
});

describe('shard gradients', () => {
  it('gives the same mean gradient from micro-batches, shards and two worker threads', async () => {
    const { engine } = await resolveEngine('wasm');
    const init = initParamData(specs, createRandom(2));
    // Make the zero-initialised output layers non-zero so every parameter gets a gradient.
    for (const spec of specs) {
      const data = init[spec.name];
      if (data.every((v) => v === 0)) for (let j = 0; j < data.length; j++) data[j] = 0.05 * Math.sin(j + 1);
    }
    const { buffer, arrays: params } = sharedArrays(sizes);
    for (const [i, spec] of specs.entries()) params[i].set(init[spec.name]);
    const input = batchOf(8);

    // Reference: the whole batch in one pass (micro-batch 8).
    const whole = createShardGradientComputer(engine, { ...setup, microBatchSize: 8 });
    const ref = sizes.map((n) => new Float32Array(n));
    const refSums = await whole.compute(params, input, ref);

    // Same thread, micro-batches of 3 (3 + 3 + 2), accumulated.
    const micro = createShardGradientComputer(engine, setup);
    const acc = sizes.map((n) => new Float32Array(n));
    const microSums = await micro.compute(params, input, acc);
    expect(microSums.loss / 8).toBeCloseTo(refSums.loss / 8, 5);

    // Two workers, shards of 5 and 3.
    pool = await createGradientPool({ size: 2, engine: 'wasm', setup, sizes, params: buffer });
    const out = await pool.compute([slice(input, 0, 5), slice(input, 5, 3)]);
    const poolLoss = (out.sums[0].loss + out.sums[1].loss) / 8;
    expect(poolLoss).toBeCloseTo(refSums.loss / 8, 5);

    let scale = 0;
    let microDiff = 0;
    let poolDiff = 0;
    let zeroGrads = 0;
    for (let i = 0; i < sizes.length; i++) {
      let norm = 0;
      for (let j = 0; j < sizes[i]; j++) {
        const r = ref[i][j] / 8;
        const p = (out.grads[0][i][j] + out.grads[1][i][j]) / 8;
        scale = Math.max(scale, Math.abs(r));
        microDiff = Math.max(microDiff, Math.abs(acc[i][j] / 8 - r));
        poolDiff = Math.max(poolDiff, Math.abs(p - r));
        norm += r * r;
      }
      if (norm === 0) zeroGrads++;
    }
    expect(zeroGrads).toBe(0);
    expect(scale).toBeGreaterThan(1e-3);
    expect(microDiff / scale).toBeLessThan(1e-4);
    expect(poolDiff / scale).toBeLessThan(1e-4);
  });
});
