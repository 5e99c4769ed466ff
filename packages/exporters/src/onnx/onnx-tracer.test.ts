import { type TensorOps, timestepEmbedding } from '@medsymmflow/core-flow';
import { beforeAll, describe, expect, it } from 'vitest';
import { maxAbsDiff, tfjsOps, uniformData } from '../testing/fixtures.js';
import { compareOp, type OpInput } from '../testing/op-harness.js';
import { OnnxTracer, resolveOnnxTracerConfig } from './onnx-tracer.js';
import { readOnnxModel } from './read-onnx.js';

let tfjs: TensorOps<unknown>;
beforeAll(async () => {
  tfjs = await tfjsOps();
});

const spatial = (n: number, h: number, w: number, c: number, seed: number): OpInput => ({
  kind: 'spatial',
  shape: [n, h, w, c],
  data: uniformData(n * h * w * c, seed),
});

const TOLERANCE = 1e-5;

describe('OnnxTracer ops vs the tfjs engine (through ONNX Runtime)', () => {
  for (const [k, stride, size] of [
    [3, 1, 8],
    [3, 2, 8],
    [3, 2, 7],
    [1, 1, 5],
  ] as const) {
    it(`conv2d ${k}×${k} stride ${stride} on ${size}×${size} ('same' padding, HWIO → OIHW)`, async () => {
      const cin = 3;
      const cout = 5;
      const kernel = uniformData(k * k * cin * cout, 11);
      const bias = uniformData(cout, 12);
      const r = await compareOp(
        tfjs,
        [spatial(2, size, size, cin, 1)],
        (ops, [x]) =>
          ops.conv2d(x, ops.constant(kernel, [k, k, cin, cout]), ops.constant(bias, [cout]), { stride }),
        true,
      );
      expect(r.actual.length).toBe(2 * Math.ceil(size / stride) ** 2 * cout);
      expect(maxAbsDiff(r.actual, r.expected).abs).toBeLessThan(TOLERANCE);
      expect(r.opTypes).toEqual(['Conv', 'Identity']);
    });
  }

  for (const mode of ['instance-norm', 'native'] as const) {
    it(`groupNorm as ${mode}`, async () => {
      const c = 8;
      const gamma = uniformData(c, 21);
      const beta = uniformData(c, 22);
      const r = await compareOp(
        tfjs,
        [spatial(3, 4, 5, c, 2)],
        (ops, [x]) => ops.groupNorm(x, 4, ops.constant(gamma, [c]), ops.constant(beta, [c]), 1e-5),
        true,
        mode === 'native' ? { opset: 21, groupNorm: 'native' } : {},
      );
      expect(maxAbsDiff(r.actual, r.expected).abs).toBeLessThan(TOLERANCE);
      expect(r.opTypes).toContain(mode === 'native' ? 'GroupNormalization' : 'InstanceNormalization');
    });
  }

  it('multi-head self-attention (spatialToSequence, split, matmul with transposeB, softmax, sequenceToSpatial)', async () => {
    const heads = 2;
    const hc = 4;
    const attention = <T>(ops: TensorOps<T>, [qkv]: T[]): T => {
      const { height, width } = ops.spatialShape(qkv);
      const length = height * width;
      let seq = ops.reshape(ops.spatialToSequence(qkv), [-1, length, heads, 3 * hc]);
      seq = ops.reshape(ops.transpose(seq, [0, 2, 1, 3]), [-1, length, 3 * hc]);
      const [q, k, v] = ops.split(seq, 3, 2);
      const logits = ops.mulScalar(ops.matmul(q, k, { transposeB: true }), 1 / Math.sqrt(hc));
      let a = ops.reshape(ops.matmul(ops.softmax(logits), v), [-1, heads, length, hc]);
      a = ops.reshape(ops.transpose(a, [0, 2, 1, 3]), [-1, length, heads * hc]);
      return ops.sequenceToSpatial(a, height, width);
    };
    const r = await compareOp(tfjs, [spatial(2, 3, 4, heads * 3 * hc, 3)], attention, true);
    expect(maxAbsDiff(r.actual, r.expected).abs).toBeLessThan(TOLERANCE);
    expect(r.opTypes).toEqual(expect.arrayContaining(['MatMul', 'Softmax', 'Split', 'Transpose', 'Reshape']));
  });

  it('nearest ×2 upsampling', async () => {
    const r = await compareOp(tfjs, [spatial(2, 3, 4, 3, 4)], (ops, [x]) => ops.upsampleNearest2x(x), true);
    expect(r.actual.length).toBe(2 * 6 * 8 * 3);
    expect(maxAbsDiff(r.actual, r.expected).abs).toBe(0);
    expect(r.opTypes).toContain('Resize');
  });

  it('sinusoidal time embedding + linear + SiLU (plain [n] input)', async () => {
    const dim = 16;
    const w = uniformData(dim * 8, 31);
    const b = uniformData(8, 32);
    const t: OpInput = { kind: 'plain', shape: [5], data: new Float32Array([0, 0.25, 0.5, 0.9, 1]) };
    const r = await compareOp(
      tfjs,
      [t],
      (ops, [times]) =>
        ops.silu(
          ops.linear(timestepEmbedding(ops, times, dim), ops.constant(w, [dim, 8]), ops.constant(b, [8])),
        ),
      false,
    );
    expect(r.actual.length).toBe(5 * 8);
    expect(maxAbsDiff(r.actual, r.expected).abs).toBeLessThan(TOLERANCE);
    expect(r.opTypes).toEqual(expect.arrayContaining(['Sin', 'Cos', 'Gemm', 'Sigmoid']));
  });

  it('channel concat/slice, expandToSpatial broadcast and elementwise ops', async () => {
    const v: OpInput = { kind: 'plain', shape: [2, 3], data: uniformData(6, 41) };
    const r = await compareOp(
      tfjs,
      [spatial(2, 4, 4, 3, 5), spatial(2, 4, 4, 2, 6), v],
      (ops, [a, b, e]) => {
        const cat = ops.concatChannels([a, b]);
        const mid = ops.sliceChannels(cat, 1, 3);
        const x = ops.add(
          ops.mul(mid, ops.expandToSpatial(e)),
          ops.addScalar(ops.square(ops.sub(mid, a)), 0.5),
        );
        return ops.maximum(
          ops.div(ops.abs(x), ops.addScalar(ops.sigmoid(x), 1)),
          ops.mulScalar(ops.cos(ops.sin(x)), -1),
        );
      },
      true,
    );
    expect(maxAbsDiff(r.actual, r.expected).abs).toBeLessThan(TOLERANCE);
  });

  it('mean reduces everything to a scalar', async () => {
    const r = await compareOp(tfjs, [spatial(3, 2, 2, 2, 7)], (ops, [x]) => ops.mean(ops.square(x)), false);
    expect(r.actual.length).toBe(1);
    expect(Math.abs(r.actual[0] - r.expected[0])).toBeLessThan(TOLERANCE);
  });
});

describe('OnnxTracer graph building', () => {
  it('folds constant subgraphs into one initializer and keeps unused constants out', () => {
    const tracer = new OnnxTracer();
    const x = tracer.input('x', [{ batch: 1 }, 4]);
    const unused = tracer.constant([1, 2, 3], [3]);
    const c = tracer.mulScalar(
      tracer.add(tracer.constant([1, 2, 3, 4], [1, 4]), tracer.constant([1, 1, 1, 1], [1, 4])),
      2,
    );
    expect(Array.from(tracer.read(c))).toEqual([4, 6, 8, 10]);
    expect(tracer.read(unused)).toHaveLength(3);
    tracer.output(tracer.mul(x, c), 'y');
    const model = readOnnxModel(tracer.build());
    expect(model.nodes.map((n) => n.opType)).toEqual(['Mul', 'Identity']);
    expect(model.initializers).toHaveLength(1);
    expect(Array.from(model.initializers[0].floatData!)).toEqual([4, 6, 8, 10]);
  });

  it('tracks the batch symbolically through reshapes that fold heads into it', () => {
    const tracer = new OnnxTracer();
    const x = tracer.input('x', [{ batch: 1 }, 6, 2, 2]);
    const seq = tracer.spatialToSequence(x);
    expect(seq.shape).toEqual([{ batch: 1 }, 4, 6]);
    const heads = tracer.reshape(
      tracer.transpose(tracer.reshape(seq, [-1, 4, 2, 3]), [0, 2, 1, 3]),
      [-1, 4, 3],
    );
    expect(heads.shape).toEqual([{ batch: 2 }, 4, 3]);
    expect(tracer.reshape(heads, [-1, 2, 4, 3]).shape).toEqual([{ batch: 1 }, 2, 4, 3]);
    expect(tracer.shape(x)).toEqual([-1, 6, 2, 2]);
    expect(tracer.spatialShape(x)).toEqual({ batch: -1, channels: 6, height: 2, width: 2 });
    expect(() => tracer.reshape(x, [5, -1])).toThrow(/dynamic batch/);
  });

  it('refuses to read traced values, to trace training dropout and foreign tensors', () => {
    const tracer = new OnnxTracer();
    const x = tracer.input('x', [{ batch: 1 }, 3]);
    expect(() => tracer.read(x)).toThrow(/records a graph/);
    expect(() => tracer.dropout(x, 0.1, { training: true })).toThrow(/training: false/);
    expect(tracer.dropout(x, 0.1, { training: false })).toBe(x);
    expect(() => tracer.add(x, { name: 'x', shape: [1, 3] })).toThrow(/did not create/);
  });

  it('validates options with the valid choices in the message', () => {
    expect(() => resolveOnnxTracerConfig({ opset: 13 })).toThrow(/from 17 to 21/);
    expect(() => resolveOnnxTracerConfig({ groupNorm: 'native' })).toThrow(/opset 21/);
    expect(() => resolveOnnxTracerConfig({ groupNorm: 'fast' as never })).toThrow(
      /'instance-norm', 'native'/,
    );
    const input = { opset: 18 };
    expect(resolveOnnxTracerConfig(input)).toEqual({
      opset: 18,
      groupNorm: 'instance-norm',
      foldConstants: true,
      batchDimName: 'batch',
    });
    expect(input).toEqual({ opset: 18 });
  });
});
