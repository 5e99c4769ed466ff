/**
 * Gradient parity of the ONNX Runtime training graph with core-flow's tfjs autodiff (wasm engine) on the
 * same weights, batch and noise: the loss parts and every parameter gradient, tiny UNet and default UNet.
 */
import {
  createUNet,
  type Engine,
  type Params,
  paramsFromData,
  resolveEngine,
  sampleSfmNoise,
  sfmLoss,
  sfmNoiseTensors,
  type UNetConfig,
} from '@medsymmflow/core-flow';
import { createRandom } from '@medsymmflow/datasets-medmnist';
import { beforeAll, describe, expect, it } from 'vitest';
import { randomParamData, TINY_UNET, uniformData } from '../testing/fixtures.js';
import { createOrtGradientComputer, type OrtShardInput, resolveOrtTrainingConfig } from './ort-gradients.js';

let engine: Engine<unknown>;

beforeAll(async () => {
  engine = (await resolveEngine(['wasm'])).engine;
});

interface Reference {
  loss: number;
  imageLoss: number;
  maskLoss: number;
  grads: Record<string, Float32Array>;
}

/** tfjs value and gradients of the SFM loss (per-sample mean). */
function tfjsReference(
  unetConfig: UNetConfig,
  paramData: Record<string, Float32Array>,
  input: OrtShardInput,
  size: number,
): Reference {
  const ops = engine.ops;
  const unet = createUNet(unetConfig);
  const params: Params<unknown> = paramsFromData(ops, unet.paramSpecs, paramData);
  const n = input.n;
  let imageLoss = 0;
  let maskLoss = 0;
  const { value, grads } = ops.tidy(() => {
    const batch = {
      images: ops.fromNHWC(input.images, [n, size, size, 1]),
      masks: ops.fromNHWC(input.masks, [n, size, size, 3]),
    };
    const noise = sfmNoiseTensors(ops, input, {
      n,
      height: size,
      width: size,
      imageChannels: 1,
      maskChannels: 3,
    });
    return engine.valueAndGrads!((p) => {
      const r = sfmLoss(ops, unet, p, batch, noise);
      imageLoss = ops.readScalar(r.imageLoss);
      maskLoss = ops.readScalar(r.maskLoss);
      return r.loss;
    }, params);
  });
  const out: Reference = { loss: ops.readScalar(value), imageLoss, maskLoss, grads: {} };
  for (const spec of unet.paramSpecs) out.grads[spec.name] = ops.read(grads[spec.name]);
  ops.dispose([value]);
  ops.dispose(grads);
  ops.dispose(params);
  return out;
}

function shard(n: number, size: number, seed: number): OrtShardInput {
  const noise = sampleSfmNoise(
    { n, height: size, width: size, imageChannels: 1, maskChannels: 3 },
    createRandom(seed),
  );
  return {
    n,
    images: uniformData(n * size * size, seed + 1),
    masks: uniformData(n * size * size * 3, seed + 2),
    ...noise,
  };
}

/**
 * Max |a − b| / max |b| per tensor, and the worst tensor. Tensors whose reference gradient is
 * mathematically zero (a per-channel shift right before a GroupNorm with one channel per group, e.g. the
 * time-embedding projection and the conv bias feeding it) hold only float32 rounding noise (~1e-9) in
 * both engines; a relative error means nothing there, so they are listed as `zero` and checked to stay
 * below 1e-6 of the largest gradient in both engines instead.
 */
function worstRelative(a: Record<string, Float32Array>, b: Record<string, Float32Array>) {
  const maxAbs = (x: Float32Array) => x.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const global = Math.max(...Object.values(b).map(maxAbs));
  let worst = { name: '', rel: 0 };
  const zero: string[] = [];
  let zeroMax = 0;
  for (const name of Object.keys(b)) {
    const scale = maxAbs(b[name]);
    if (scale < 1e-6 * global) {
      zero.push(name);
      zeroMax = Math.max(zeroMax, maxAbs(a[name]) / global, scale / global);
      continue;
    }
    let diff = 0;
    for (let i = 0; i < b[name].length; i++) diff = Math.max(diff, Math.abs(a[name][i] - b[name][i]));
    const rel = diff / scale;
    if (rel > worst.rel) worst = { name, rel };
  }
  return { ...worst, zero, zeroMax };
}

async function parity(unetConfig: UNetConfig, n: number, seed: number) {
  const size = unetConfig.imageSize ?? 28;
  const unet = createUNet({ inChannels: 4, ...unetConfig });
  const paramData = randomParamData(unet.paramSpecs, seed);
  const input = shard(n, size, seed);
  const reference = tfjsReference({ inChannels: 4, ...unetConfig }, paramData, input, size);
  const computer = await createOrtGradientComputer({
    unet: { inChannels: 4, ...unetConfig },
    imageShape: [size, size, 1],
    maskChannels: 3,
  });
  try {
    const sums = unet.paramSpecs.map((s) => new Float32Array(s.shape.reduce((p, d) => p * d, 1)));
    const result = await computer.compute(
      unet.paramSpecs.map((s) => paramData[s.name]),
      input,
      sums,
    );
    const grads: Record<string, Float32Array> = {};
    unet.paramSpecs.forEach((s, i) => {
      grads[s.name] = sums[i].map((v) => v / n);
    });
    return {
      reference,
      result,
      grads,
      worst: worstRelative(grads, reference.grads),
      graph: computer.graph(n),
      convWeightGrad: computer.config.convWeightGrad,
    };
  } finally {
    computer.dispose();
  }
}

describe('ONNX Runtime training gradients', () => {
  it('match tfjs autodiff on a tiny UNet (every block type): max relative error < 1e-3 per tensor', async () => {
    const { reference, result, worst, graph, convWeightGrad } = await parity(TINY_UNET, 3, 11);
    console.info(
      `tiny UNet parity: worst tensor ${worst.name} max rel err ${worst.rel.toExponential(2)}; ` +
        `${worst.zero.length} zero-gradient tensors`,
    );
    expect(result.n).toBe(3);
    expect(result.loss / 3).toBeCloseTo(reference.loss, 5);
    expect(result.imageLoss / 3).toBeCloseTo(reference.imageLoss, 5);
    expect(result.maskLoss / 3).toBeCloseTo(reference.maskLoss, 5);
    expect(worst.rel, `worst tensor ${worst.name}`).toBeLessThan(1e-3);
    expect(worst.zeroMax).toBeLessThan(1e-6);
    // No training kernels and no InstanceNormalization left: the graph is forward ops only.
    expect(graph.opCounts.LayerNormalization).toBeGreaterThan(0);
    expect(graph.opCounts.InstanceNormalization).toBeUndefined();
    expect(graph.opCounts.ConvTranspose).toBeGreaterThan(0);
    // The weight-gradient formulation in use shows in the graph (the one-hot kernel is fed as a constant).
    expect('im2col_onehot_3' in graph.constantFeeds).toBe(convWeightGrad === 'conv-im2col');
  });

  it('gives the same gradients with every conv weight-gradient formulation', async () => {
    const unet = createUNet({ ...TINY_UNET });
    const paramData = randomParamData(unet.paramSpecs, 3);
    const input = shard(2, 8, 3);
    const run = async (convWeightGrad: 'conv-im2col' | 'im2col-gemm' | 'shifted-gemms') => {
      const c = await createOrtGradientComputer(
        { unet: TINY_UNET, imageShape: [8, 8, 1], maskChannels: 3 },
        { convWeightGrad, threads: 1 },
      );
      const sums = unet.paramSpecs.map((s) => new Float32Array(s.shape.reduce((p, d) => p * d, 1)));
      await c.compute(
        unet.paramSpecs.map((s) => paramData[s.name]),
        input,
        sums,
      );
      c.dispose();
      return Object.fromEntries(unet.paramSpecs.map((s, i) => [s.name, sums[i]]));
    };
    const a = await run('conv-im2col');
    expect(worstRelative(await run('im2col-gemm'), a).rel).toBeLessThan(1e-5);
    expect(worstRelative(await run('shifted-gemms'), a).rel).toBeLessThan(1e-5);
  });

  it('gives the same loss and gradients on one session and on 2 or 3 worker sessions (data parallel)', async () => {
    const unet = createUNet({ ...TINY_UNET });
    const paramData = randomParamData(unet.paramSpecs, 5);
    const params = unet.paramSpecs.map((s) => paramData[s.name]);
    const input = shard(5, 8, 5);
    const run = async (workers: number, n = 5) => {
      const c = await createOrtGradientComputer(
        { unet: TINY_UNET, imageShape: [8, 8, 1], maskChannels: 3 },
        { workers, threads: 1 },
      );
      try {
        expect(c.workers).toBe(workers);
        const sums = unet.paramSpecs.map((s) => new Float32Array(s.shape.reduce((p, d) => p * d, 1)));
        const part = n === 5 ? input : shard(n, 8, 6);
        const result = await c.compute(params, part, sums);
        return { result, grads: Object.fromEntries(unet.paramSpecs.map((s, i) => [s.name, sums[i]])) };
      } finally {
        c.dispose();
      }
    };
    const one = await run(0);
    for (const workers of [2, 3]) {
      const many = await run(workers); // 3 + 2 and 2 + 2 + 1 images
      expect(many.result.n).toBe(5);
      expect(many.result.loss).toBeCloseTo(one.result.loss, 4);
      expect(many.result.maskLoss).toBeCloseTo(one.result.maskLoss, 4);
      expect(worstRelative(many.grads, one.grads).rel).toBeLessThan(1e-4);
    }
    // A shard smaller than the pool uses fewer workers.
    expect((await run(3, 1)).result.n).toBe(1);
  });

  it('reports a worker failure as a rejected compute, naming the cause', async () => {
    const c = await createOrtGradientComputer(
      { unet: TINY_UNET, imageShape: [8, 8, 1], maskChannels: 3 },
      { workers: 2, threads: 1 },
    );
    try {
      const unet = createUNet({ ...TINY_UNET });
      const sums = unet.paramSpecs.map((s) => new Float32Array(s.shape.reduce((p, d) => p * d, 1)));
      const params = unet.paramSpecs.map((s) => new Float32Array(s.shape.reduce((p, d) => p * d, 1)));
      const bad = { ...shard(2, 8, 1), t: new Float32Array([Number.NaN, Number.NaN]) };
      await expect(c.compute(params, bad, sums)).rejects.toThrow(/training loss became NaN/);
    } finally {
      c.dispose();
    }
  });

  it('rejects bad options with the valid choices', () => {
    expect(() => resolveOrtTrainingConfig({ convWeightGrad: 'fft' as never })).toThrow(
      /conv-im2col, im2col-gemm, shifted-gemms/,
    );
    expect(() => resolveOrtTrainingConfig({ nchwc: 'yes' as never })).toThrow(TypeError);
    expect(() => resolveOrtTrainingConfig({ threads: -1 })).toThrow(RangeError);
    expect(() => resolveOrtTrainingConfig({ workers: 1.5 })).toThrow(/'workers' must be an integer/);
    expect(resolveOrtTrainingConfig({ workers: 0, threads: 3 })).toMatchObject({
      workers: 0,
      threads: 3,
      convWeightGrad: 'conv-im2col',
    });
    // Single-threaded sessions default to k² GEMMs for conv weight gradients (faster there).
    expect(resolveOrtTrainingConfig({ workers: 2, threads: 1 }).convWeightGrad).toBe('shifted-gemms');
    expect(resolveOrtTrainingConfig({ threads: 1, convWeightGrad: 'im2col-gemm' }).convWeightGrad).toBe(
      'im2col-gemm',
    );
  });

  it('match tfjs autodiff on the default UNet (base 32, mults 1,2,2, 28 px)', async () => {
    const { reference, result, worst } = await parity({}, 4, 21);
    expect(result.loss / 4).toBeCloseTo(reference.loss, 4);
    console.info(
      `default UNet parity: worst tensor ${worst.name} max rel err ${worst.rel.toExponential(2)}; ` +
        `${worst.zero.length} zero-gradient tensors, largest |g| there ${worst.zeroMax.toExponential(2)} of the max`,
    );
    expect(worst.rel, `worst tensor ${worst.name}`).toBeLessThan(1e-3);
    expect(worst.zeroMax).toBeLessThan(1e-6);
    // Only tensors that are zero by construction are exempt from the relative check.
    for (const name of worst.zero) expect(name).toMatch(/\.(emb\.(weight|bias)|bias)$/);
  });
});
