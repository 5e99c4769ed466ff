import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { multiHeadAttention } from '../../model/unet.js';
import { liveTensors, maxDiff, randomData, seeded, tfjsEngine } from '../../testing/helpers.js';
import { samePadding } from './conv-grad.js';
import type { TfjsEngine } from './tfjs-engine.js';
import { createTfjsOps } from './tfjs-ops.js';

// ---- plain JS references (NHWC) ----

function convRef(
  x: Float32Array,
  [n, h, w, ci]: number[],
  kernel: Float32Array,
  k: number,
  co: number,
  bias: Float32Array | undefined,
  stride: number,
): { data: Float32Array; shape: number[] } {
  const ph = samePadding(h, k, stride);
  const pw = samePadding(w, k, stride);
  const out = new Float32Array(n * ph.out * pw.out * co);
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < ph.out; oy++)
      for (let ox = 0; ox < pw.out; ox++)
        for (let o = 0; o < co; o++) {
          let acc = bias ? bias[o] : 0;
          for (let ky = 0; ky < k; ky++)
            for (let kx = 0; kx < k; kx++) {
              const iy = oy * stride + ky - ph.before;
              const ix = ox * stride + kx - pw.before;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
              for (let c = 0; c < ci; c++) {
                acc += x[((b * h + iy) * w + ix) * ci + c] * kernel[((ky * k + kx) * ci + c) * co + o];
              }
            }
          out[((b * ph.out + oy) * pw.out + ox) * co + o] = acc;
        }
  return { data: out, shape: [n, ph.out, pw.out, co] };
}

function groupNormRef(
  x: Float32Array,
  [n, h, w, c]: number[],
  groups: number,
  gamma: Float32Array,
  beta: Float32Array,
  eps: number,
): Float32Array {
  const out = new Float32Array(x.length);
  const cg = c / groups;
  for (let b = 0; b < n; b++)
    for (let g = 0; g < groups; g++) {
      let sum = 0;
      let count = 0;
      for (let p = 0; p < h * w; p++)
        for (let j = 0; j < cg; j++) {
          sum += x[(b * h * w + p) * c + g * cg + j];
          count++;
        }
      const mean = sum / count;
      let sq = 0;
      for (let p = 0; p < h * w; p++)
        for (let j = 0; j < cg; j++) sq += (x[(b * h * w + p) * c + g * cg + j] - mean) ** 2;
      const inv = 1 / Math.sqrt(sq / count + eps);
      for (let p = 0; p < h * w; p++)
        for (let j = 0; j < cg; j++) {
          const idx = (b * h * w + p) * c + g * cg + j;
          out[idx] = (x[idx] - mean) * inv * gamma[g * cg + j] + beta[g * cg + j];
        }
    }
  return out;
}

function upsampleRef(x: Float32Array, [n, h, w, c]: number[]): Float32Array {
  const out = new Float32Array(x.length * 4);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < 2 * h; y++)
      for (let xx = 0; xx < 2 * w; xx++)
        for (let j = 0; j < c; j++) {
          out[((b * 2 * h + y) * 2 * w + xx) * c + j] = x[((b * h + (y >> 1)) * w + (xx >> 1)) * c + j];
        }
  return out;
}

/** Legacy guided-diffusion attention on a sequence qkv [n, T, heads·3·ch] → [n, T, heads·ch]. */
function attentionRef(qkv: Float32Array, n: number, length: number, heads: number, ch: number): Float32Array {
  const width = heads * 3 * ch;
  const out = new Float32Array(n * length * heads * ch);
  const at = (b: number, t: number, head: number, j: number, i: number) =>
    qkv[(b * length + t) * width + head * 3 * ch + j * ch + i];
  for (let b = 0; b < n; b++)
    for (let head = 0; head < heads; head++)
      for (let t = 0; t < length; t++) {
        const logits = new Float64Array(length);
        let max = -Infinity;
        for (let s = 0; s < length; s++) {
          let dot = 0;
          for (let i = 0; i < ch; i++) dot += at(b, t, head, 0, i) * at(b, s, head, 1, i);
          logits[s] = dot / Math.sqrt(ch);
          max = Math.max(max, logits[s]);
        }
        let z = 0;
        for (let s = 0; s < length; s++) z += logits[s] = Math.exp(logits[s] - max);
        for (let i = 0; i < ch; i++) {
          let acc = 0;
          for (let s = 0; s < length; s++) acc += (logits[s] / z) * at(b, s, head, 2, i);
          out[(b * length + t) * heads * ch + head * ch + i] = acc;
        }
      }
  return out;
}

describe.each(['cpu', 'wasm'] as const)('tfjs ops on %s: goldens against plain JS', (backend) => {
  let engine: TfjsEngine;
  beforeAll(async () => {
    engine = await tfjsEngine(backend);
  });

  it.each([
    { shape: [2, 5, 5, 3], k: 3, co: 4, stride: 1 },
    { shape: [1, 6, 6, 2], k: 3, co: 3, stride: 2 },
    { shape: [2, 7, 7, 2], k: 3, co: 2, stride: 2 },
    { shape: [1, 4, 4, 3], k: 1, co: 5, stride: 1 },
  ] as const)('conv2d k=$k stride=$stride on $shape', ({ shape, k, co, stride }) => {
    const ops = engine.ops;
    const random = seeded(1);
    const size = shape.reduce((a: number, b: number) => a * b, 1);
    const x = randomData(size, random);
    const kernel = randomData(k * k * shape[3] * co, random);
    const bias = randomData(co, random);
    const expected = convRef(x, [...shape], kernel, k, co, bias, stride);
    const y = ops.tidy(() =>
      ops.conv2d(
        ops.fromNHWC(x, shape),
        ops.constant(kernel, [k, k, shape[3], co]),
        ops.constant(bias, [co]),
        { stride },
      ),
    );
    expect(ops.shape(y)).toEqual(expected.shape);
    expect(maxDiff(ops.toNHWC(y), expected.data).abs).toBeLessThan(1e-5);
    ops.dispose(y);
  });

  it('groupNorm matches the reference (4 groups of 2 channels)', () => {
    const ops = engine.ops;
    const random = seeded(2);
    const shape = [2, 3, 3, 8] as const;
    const x = randomData(2 * 3 * 3 * 8, random).map((v) => 3 * v + 1);
    const gamma = randomData(8, random);
    const beta = randomData(8, random);
    const y = ops.tidy(() =>
      ops.groupNorm(ops.fromNHWC(x, shape), 4, ops.constant(gamma, [8]), ops.constant(beta, [8]), 1e-5),
    );
    expect(maxDiff(ops.toNHWC(y), groupNormRef(x, [...shape], 4, gamma, beta, 1e-5)).abs).toBeLessThan(1e-4);
    ops.dispose(y);
  });

  it('upsampleNearest2x replicates each pixel 2×2', () => {
    const ops = engine.ops;
    const x = randomData(2 * 3 * 2 * 3, seeded(3));
    const y = ops.tidy(() => ops.upsampleNearest2x(ops.fromNHWC(x, [2, 3, 2, 3])));
    expect(ops.shape(y)).toEqual([2, 6, 4, 3]);
    expect(Array.from(ops.toNHWC(y))).toEqual(Array.from(upsampleRef(x, [2, 3, 2, 3])));
    ops.dispose(y);
  });

  it('upsampleNearest2x gradient sums each 2×2 block (batch 2)', () => {
    const ops = engine.ops;
    const [n, h, w, c] = [2, 3, 2, 4];
    const r = randomData(n * 2 * h * 2 * w * c, seeded(5));
    const expected = new Float32Array(n * h * w * c);
    for (let b = 0; b < n; b++)
      for (let y = 0; y < 2 * h; y++)
        for (let x = 0; x < 2 * w; x++)
          for (let k = 0; k < c; k++) {
            expected[((b * h + (y >> 1)) * w + (x >> 1)) * c + k] += r[((b * 2 * h + y) * 2 * w + x) * c + k];
          }
    ops.activate();
    const grad = tf.tidy(() =>
      tf
        .grad((a: tf.Tensor) => tf.sum(tf.mul(ops.upsampleNearest2x(a), tf.tensor(r, [n, 2 * h, 2 * w, c]))))(
          tf.ones([n, h, w, c]),
        )
        .dataSync()
        .slice(),
    );
    expect(maxDiff(grad, expected).abs).toBeLessThan(1e-5);
  });

  it('multi-head attention (legacy head order) matches the reference', () => {
    const ops = engine.ops;
    const [n, h, w, heads, ch] = [2, 2, 3, 2, 4];
    const qkv = randomData(n * h * w * heads * 3 * ch, seeded(4)).map((v) => 2 * v);
    const y = ops.tidy(() => multiHeadAttention(ops, ops.fromNHWC(qkv, [n, h, w, heads * 3 * ch]), heads));
    expect(ops.spatialShape(y)).toEqual({ batch: n, height: h, width: w, channels: heads * ch });
    expect(maxDiff(ops.toNHWC(y), attentionRef(qkv, n, h * w, heads, ch)).abs).toBeLessThan(1e-5);
    ops.dispose(y);
  });

  it('elementwise, channel and sequence helpers keep NHWC semantics', () => {
    const ops = engine.ops;
    const x = Float32Array.from({ length: 2 * 2 * 2 * 3 }, (_, i) => i);
    const out = ops.tidy(() => {
      const t = ops.fromNHWC(x, [2, 2, 2, 3]);
      const sliced = ops.sliceChannels(t, 1, 2);
      const bias = ops.expandToSpatial(ops.constant([10, 20, 30, 40], [2, 2]));
      const seq = ops.spatialToSequence(t);
      return {
        sliced: ops.toNHWC(sliced),
        biased: ops.toNHWC(ops.add(sliced, bias)),
        seqShape: ops.shape(seq),
        back: ops.toNHWC(ops.sequenceToSpatial(seq, 2, 2)),
        silu: ops.read(ops.silu(ops.constant([-1, 0, 2], [3]))),
        mean: ops.readScalar(ops.mean(t)),
      };
    });
    expect(Array.from(out.sliced.slice(0, 4))).toEqual([1, 2, 4, 5]);
    expect(Array.from(out.biased.slice(0, 2))).toEqual([11, 22]);
    expect(Array.from(out.biased.slice(-2))).toEqual([22 + 30, 23 + 40]);
    expect(out.seqShape).toEqual([2, 4, 3]);
    expect(Array.from(out.back)).toEqual(Array.from(x));
    expect(out.silu[0]).toBeCloseTo(-1 / (1 + Math.E), 5);
    expect(out.silu[2]).toBeCloseTo(2 / (1 + Math.exp(-2)), 5);
    expect(out.mean).toBeCloseTo(11.5, 5);
  });

  it('dropout is the identity at inference and keeps E[x] when training', () => {
    const ops = engine.ops;
    const ones = ops.constant(new Float32Array(4000).fill(1), [4000]);
    const same = ops.dropout(ones, 0.5, { training: false });
    expect(same).toBe(ones);
    const dropped = ops.read(ops.tidy(() => ops.dropout(ones, 0.25, { training: true, seed: 7 })));
    const zeros = dropped.filter((v) => v === 0).length;
    expect(zeros / 4000).toBeGreaterThan(0.2);
    expect(zeros / 4000).toBeLessThan(0.3);
    for (const v of dropped) expect(v === 0 || Math.abs(v - 4 / 3) < 1e-6).toBe(true);
    ops.dispose(ones);
  });

  it('leaks no tensors across tidy', () => {
    const ops = engine.ops;
    const before = liveTensors();
    const y = ops.tidy(() =>
      ops.groupNorm(
        ops.conv2d(
          ops.fromNHWC(new Float32Array(2 * 4 * 4 * 2).fill(0.5), [2, 4, 4, 2]),
          ops.constant(new Float32Array(3 * 3 * 2 * 4).fill(0.1), [3, 3, 2, 4]),
          undefined,
          { stride: 2 },
        ),
        2,
        ops.constant([1, 1, 1, 1], [4]),
        ops.constant([0, 0, 0, 0], [4]),
        1e-5,
      ),
    );
    expect(liveTensors()).toBe(before + 1);
    ops.dispose(y);
    expect(liveTensors()).toBe(before);
  });
});

describe('conv2d gradients: forward-conv customGrad (wasm) vs built-in (cpu)', () => {
  let wasm: TfjsEngine;
  let cpu: TfjsEngine;
  beforeAll(async () => {
    wasm = await tfjsEngine('wasm');
    cpu = await tfjsEngine('cpu');
  });

  function grads(
    engineOps: ReturnType<typeof createTfjsOps>,
    x: Float32Array,
    xs: number[],
    w: Float32Array,
    ws: number[],
    r: Float32Array,
    stride: 1 | 2,
  ) {
    engineOps.activate();
    return tf.tidy(() => {
      const xt = tf.tensor(x, xs);
      const wt = tf.tensor(w, ws);
      const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => {
        const y = engineOps.conv2d(a, b, undefined, { stride });
        return tf.sum(tf.mul(y, tf.tensor(r, y.shape)));
      })([xt, wt]);
      return [g[0].dataSync().slice(), g[1].dataSync().slice()];
    }) as unknown as [Float32Array, Float32Array];
  }

  it.each([
    { xs: [2, 5, 5, 3], k: 3, co: 4, stride: 1 },
    { xs: [2, 8, 8, 3], k: 3, co: 4, stride: 2 },
    { xs: [1, 7, 7, 4], k: 3, co: 2, stride: 2 },
    { xs: [2, 6, 5, 2], k: 3, co: 3, stride: 2 },
    { xs: [2, 4, 4, 5], k: 1, co: 3, stride: 1 },
    { xs: [1, 6, 6, 3], k: 1, co: 2, stride: 2 },
    { xs: [4, 28, 28, 4], k: 3, co: 8, stride: 1 },
    { xs: [4, 28, 28, 8], k: 3, co: 8, stride: 2 },
  ] as const)('x $xs, k=$k, stride=$stride', ({ xs, k, co, stride }) => {
    const random = seeded(10 + xs[1] + k + stride);
    const ws = [k, k, xs[3], co];
    const x = randomData(
      xs.reduce((a: number, b: number) => a * b, 1),
      random,
    );
    const w = randomData(
      ws.reduce((a: number, b: number) => a * b, 1),
      random,
    );
    const outH = Math.ceil(xs[1] / stride);
    const outW = Math.ceil(xs[2] / stride);
    const r = randomData(xs[0] * outH * outW * co, random);
    const before = liveTensors();
    const custom = grads(wasm.ops, x, [...xs], w, ws, r, stride);
    expect(wasm.ops.convGradient).toBe('forward-conv');
    const builtin = grads(cpu.ops, x, [...xs], w, ws, r, stride);
    expect(cpu.ops.convGradient).toBe('builtin');
    // Also the forward-conv gradient on the cpu backend, where it must agree to float32 rounding.
    const customCpu = grads(
      createTfjsOps({ backend: 'cpu', convGradient: 'forward-conv' }),
      x,
      [...xs],
      w,
      ws,
      r,
      stride,
    );
    for (const i of [0, 1]) {
      const d = maxDiff(custom[i], builtin[i]);
      expect(d.scale).toBeGreaterThan(0);
      expect(d.abs).toBeLessThan(1e-4 * Math.max(1, d.scale));
      expect(maxDiff(customCpu[i], builtin[i]).abs).toBeLessThan(1e-5 * Math.max(1, d.scale));
    }
    expect(liveTensors()).toBe(before);
  });
});
