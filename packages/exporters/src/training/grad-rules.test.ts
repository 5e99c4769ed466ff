/**
 * Finite-difference checks of every gradient rule on tiny shapes: each case traces a small function with
 * the ONNX tracer (so the rules see exactly the patterns the UNet traces to), differentiates
 * `Σ y · r` (r fixed random) with respect to every input, runs the graph in ONNX Runtime, and compares
 * each analytic gradient with central differences of the same graph.
 */
import { type TensorOps, timestepEmbedding } from '@medsymmflow/core-flow';
import { createRandom } from '@medsymmflow/datasets-medmnist';
import { describe, expect, it } from 'vitest';
import { OnnxTracer, type TracedTensor } from '../onnx/onnx-tracer.js';
import { loadOrt } from '../runtime/ort-binding.js';
import { differentiate, prepareForTraining } from './autodiff.js';
import type { ConvWeightGradMode } from './grad-rules.js';
import { irFromTracer } from './ir.js';
import { probeNchwcBlockSize, useNchwcConvs } from './nchwc.js';
import { createTrainingSession } from './training-session.js';

type Fn = (ops: TensorOps<TracedTensor>, xs: TracedTensor[]) => TracedTensor;

interface Case {
  readonly name: string;
  readonly shapes: readonly (readonly number[])[];
  readonly fn: Fn;
  /** Op types the traced graph must contain (so the case tests what it says). */
  readonly ops: readonly string[];
  readonly mode?: ConvWeightGradMode;
  /** Rewrite eligible convolutions to ONNX Runtime's NCHWc kernels (when this CPU has them). */
  readonly nchwc?: boolean;
}

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

async function checkCase(c: Case): Promise<number> {
  const tracer = new OnnxTracer();
  const xs = c.shapes.map((s, i) => tracer.input(`x${i}`, s));
  const y = c.fn(tracer, xs);
  const g = irFromTracer(tracer);
  const opTypes = new Set(g.nodes.map((n) => n.op));
  for (const op of c.ops) expect(opTypes, `${c.name} traces to ${op}`).toContain(op);
  prepareForTraining(g);
  const random = createRandom(7);
  const ys = g.shape(y.name);
  const r = new Float32Array(size(ys)).map(() => (2 * random.uniform() - 1) / Math.sqrt(size(ys)));
  const loss = g.reduceSum(
    g.mul(y.name, g.f32(r, ys)),
    ys.map((_, i) => i),
    false,
  );
  const names = xs.map((x) => x.name);
  const grads = differentiate(g, loss, names, { convWeightGrad: c.mode ?? 'conv-im2col' });
  g.outputs = [loss, ...grads];
  g.removeDeadNodes();
  if (c.nchwc) {
    const block = probeNchwcBlockSize(await loadOrt());
    const rewritten = useNchwcConvs(g, block);
    if (block > 0) expect(rewritten, `${c.name}: convolutions rewritten to NCHWc`).toBeGreaterThan(1);
  }
  const bytes = g.toOnnx(17, 'grad_check', 'test');
  const session = await createTrainingSession(bytes, { threads: 1 });
  const data = c.shapes.map((s) => new Float32Array(size(s)).map(() => 2 * random.uniform() - 1));
  const feeds = () => ({
    ...Object.fromEntries(g.runtimeConstants),
    ...Object.fromEntries(names.map((n, i) => [n, { data: data[i], dims: c.shapes[i] }])),
  });
  const lossName = g.outputs[0];
  try {
    const base = session.run(feeds());
    let worst = 0;
    names.forEach((_, i) => {
      const analytic = base[g.outputs[i + 1]];
      let scale = 1e-3;
      for (const v of analytic) scale = Math.max(scale, Math.abs(v));
      const h = 1e-2;
      // Every coordinate of small inputs, an even spread of at most 24 of larger ones.
      const count = Math.min(analytic.length, 24);
      for (let k = 0; k < count; k++) {
        const j = Math.floor((k * analytic.length) / count);
        const keep = data[i][j];
        data[i][j] = keep + h;
        const plus = session.run(feeds())[lossName][0];
        data[i][j] = keep - h;
        const minus = session.run(feeds())[lossName][0];
        data[i][j] = keep;
        const fd = (plus - minus) / (2 * h);
        const err = Math.abs(fd - analytic[j]) / scale;
        worst = Math.max(worst, err);
        expect(
          err,
          `${c.name}: d/dx${i}[${j}] analytic ${analytic[j]} vs finite difference ${fd}`,
        ).toBeLessThan(1e-2);
      }
    });
    return worst;
  } finally {
    session.dispose();
  }
}

const CASES: Case[] = [
  {
    name: 'conv2d 3×3 stride 1 + bias (one-hot conv im2col, per-sample GEMMs)',
    shapes: [[2, 3, 5, 5], [3, 3, 3, 4], [4]],
    fn: (ops, [x, k, b]) => ops.conv2d(x, k, b),
    ops: ['Conv', 'Transpose'],
  },
  {
    name: 'conv2d 3×3 stride 1, fewer output than input channels (shifted copies of dy)',
    shapes: [
      [2, 5, 4, 4],
      [3, 3, 5, 2],
    ],
    fn: (ops, [x, k]) => ops.conv2d(x, k, undefined),
    ops: ['Conv'],
  },
  {
    name: 'conv2d 3×3 stride 2, fewer output than input channels (shifted copies of x)',
    shapes: [
      [2, 5, 6, 6],
      [3, 3, 5, 2],
    ],
    fn: (ops, [x, k]) => ops.conv2d(x, k, undefined, { stride: 2 }),
    ops: ['Conv'],
  },
  {
    name: 'conv2d 3×3 stride 1 + bias (one GEMM over im2col slices)',
    shapes: [[2, 3, 5, 5], [3, 3, 3, 4], [4]],
    fn: (ops, [x, k, b]) => ops.conv2d(x, k, b),
    ops: ['Conv'],
    mode: 'im2col-gemm',
  },
  {
    name: 'conv2d 3×3 stride 2 (one GEMM over im2col slices)',
    shapes: [
      [1, 2, 7, 7],
      [3, 3, 2, 3],
    ],
    fn: (ops, [x, k]) => ops.conv2d(x, k, undefined, { stride: 2 }),
    ops: ['Conv'],
    mode: 'im2col-gemm',
  },
  {
    name: 'conv2d 3×3 and 1×1 in NCHWc kernels (16 channels, weights reordered in the graph)',
    shapes: [[2, 16, 4, 4], [3, 3, 16, 16], [16], [1, 1, 16, 16]],
    fn: (ops, [x, k, b, k1]) => ops.conv2d(ops.silu(ops.conv2d(x, k, b)), k1, undefined),
    ops: ['Conv'],
    nchwc: true,
  },
  {
    name: 'conv2d 3×3 stride 1 (shifted GEMMs)',
    shapes: [
      [2, 3, 5, 5],
      [3, 3, 3, 4],
    ],
    fn: (ops, [x, k]) => ops.conv2d(x, k, undefined),
    ops: ['Conv'],
    mode: 'shifted-gemms',
  },
  {
    name: 'conv2d 3×3 stride 2, even size',
    shapes: [[2, 2, 6, 6], [3, 3, 2, 3], [3]],
    fn: (ops, [x, k, b]) => ops.conv2d(x, k, b, { stride: 2 }),
    ops: ['Conv'],
  },
  {
    name: 'conv2d 3×3 stride 2, odd size',
    shapes: [
      [1, 2, 7, 7],
      [3, 3, 2, 2],
    ],
    fn: (ops, [x, k]) => ops.conv2d(x, k, undefined, { stride: 2 }),
    ops: ['Conv'],
  },
  {
    name: 'conv2d 1×1',
    shapes: [[2, 4, 3, 3], [1, 1, 4, 5], [5]],
    fn: (ops, [x, k, b]) => ops.conv2d(x, k, b),
    ops: ['Conv'],
  },
  {
    name: 'linear (Gemm)',
    shapes: [[3, 5], [5, 4], [4]],
    fn: (ops, [x, w, b]) => ops.linear(x, w, b),
    ops: ['Gemm'],
  },
  {
    name: 'groupNorm (LayerNormalization in training graphs) + affine',
    shapes: [[2, 4, 3, 3], [4], [4]],
    fn: (ops, [x, gamma, beta]) =>
      ops.groupNorm(ops.addScalar(ops.mulScalar(x, 3), 0.5), 2, gamma, beta, 1e-5),
    ops: ['InstanceNormalization', 'Reshape', 'Mul', 'Add'],
  },
  {
    name: 'silu, sigmoid and abs',
    shapes: [[2, 3, 4]],
    fn: (ops, [x]) =>
      ops.add(
        ops.silu(ops.mulScalar(x, 2)),
        ops.mul(ops.sigmoid(x), ops.sub(ops.abs(ops.addScalar(x, 2)), ops.abs(ops.addScalar(x, -2.5)))),
      ),
    ops: ['Sigmoid', 'Mul', 'Abs'],
  },
  {
    name: 'batched matmul with transposeB, softmax',
    shapes: [
      [2, 3, 4],
      [2, 5, 4],
    ],
    fn: (ops, [a, b]) => ops.softmax(ops.matmul(a, b, { transposeB: true })),
    ops: ['MatMul', 'Transpose', 'Softmax'],
  },
  {
    name: 'upsampleNearest2x (Resize)',
    shapes: [[1, 2, 3, 3]],
    fn: (ops, [x]) => ops.upsampleNearest2x(x),
    ops: ['Resize'],
  },
  {
    name: 'concatChannels, sliceChannels, split',
    shapes: [
      [2, 2, 3, 3],
      [2, 3, 3, 3],
    ],
    fn: (ops, [a, b]) => {
      const c = ops.concatChannels([a, b]);
      const parts = ops.split(c, 5, 1);
      const y = ops.add(ops.sliceChannels(c, 1, 3), ops.mul(ops.sliceChannels(c, 2, 3), parts[0]));
      return ops.add(y, parts[3]);
    },
    ops: ['Concat', 'Slice', 'Split'],
  },
  {
    name: 'broadcasting add/sub/mul/div, mean, square',
    shapes: [[2, 3, 2, 2], [1, 3, 1, 1], [2]],
    fn: (ops, [x, c, t]) => {
      const scale = ops.addScalar(ops.square(c), 1.5);
      const per = ops.reshape(t, [-1, 1, 1, 1]);
      const y = ops.div(ops.sub(ops.mul(x, per), c), scale);
      return ops.add(ops.mean(ops.square(y)), ops.mul(y, ops.expandToSpatial(ops.reshape(c, [3]))));
    },
    ops: ['Div', 'Sub', 'ReduceMean'],
  },
  {
    name: 'time embedding (Sin, Cos, Concat) into a linear layer',
    shapes: [[3], [8, 4]],
    fn: (ops, [t, w]) => ops.linear(timestepEmbedding(ops, t, 8, 10000, 1), w),
    ops: ['Sin', 'Cos', 'Concat', 'Gemm'],
  },
  {
    name: 'attention: spatialToSequence, split, transposes, sequenceToSpatial',
    shapes: [[2, 6, 2, 2]],
    fn: (ops, [qkv]) => {
      const seq = ops.spatialToSequence(qkv);
      const [q, k, v] = ops.split(seq, 3, 2);
      const a = ops.matmul(ops.softmax(ops.mulScalar(ops.matmul(q, k, { transposeB: true }), 0.7)), v);
      return ops.sequenceToSpatial(a, 2, 2);
    },
    ops: ['Split', 'Softmax', 'Transpose', 'Reshape'],
  },
];

describe('gradient rules (finite differences in ONNX Runtime)', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const worst = await checkCase(c);
      expect(worst).toBeLessThan(1e-2);
    });
  }

  it('names the op when a node on the path has no rule', async () => {
    const tracer = new OnnxTracer();
    const x = tracer.input('x', [2, 3]);
    const y = tracer.maximum(x, tracer.constant([0.5], []));
    const g = irFromTracer(tracer);
    const loss = g.reduceSum(y.name, [0, 1], false);
    expect(() => differentiate(g, loss, ['x'], { convWeightGrad: 'conv-im2col' })).toThrow(
      /No gradient rule for ONNX op Max/,
    );
  });
});
