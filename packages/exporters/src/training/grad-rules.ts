/**
 * @file Reverse-mode gradient rules, one per ONNX op the UNet and the flow-matching loss trace to, each
 * written in forward ONNX ops that ONNX Runtime's CPU provider runs with fast kernels (ORT's npm package
 * has no training kernels):
 *
 * - `Conv` input gradient: a `Conv` of the transposed, spatially flipped kernel (stride 1) or a
 *   `ConvTranspose` (stride 2). Weight gradient of k×k kernels (`ConvWeightGradMode`): `'conv-im2col'`
 *   (default, fastest measured) builds the k² shifted copies of each input plane with one `Conv` of a
 *   one-hot kernel and multiplies them with the output gradient per sample (`MatMul` with a transposed
 *   operand, which ONNX Runtime fuses into one GEMM call, threaded over the batch) summed over the batch;
 *   `'im2col-gemm'` / `'shifted-gemms'` slice the padded channel-major input k² times and run one / k²
 *   GEMMs. 1×1 kernels: one GEMM. Bias: `ReduceSum`.
 * - `Gemm`/`MatMul`: products with transposed operands; broadcasting ops reduce over broadcast axes.
 * - `LayerNormalization` (the training graph's form of GroupNorm's normalisation, which also outputs the
 *   mean and inverse standard deviation): `invStd · (dy − mean(dy) − ŷ · mean(dy · ŷ))`.
 * - `Resize` nearest ×s: `AveragePool` s×s times s²; `Slice`: `Pad`; `Concat`: `Split`; `Split`: `Concat`.
 *
 * @module training/grad-rules
 * @internal
 */
import { sizeOf } from '../internal/float-kernels.js';
import { attr } from '../onnx/graph-builder.js';
import { attrFloat, attrInt, attrInts, attrString, type IrGraph, type IrNode } from './ir.js';

/** How the weight gradient of a k×k convolution is computed. */
export type ConvWeightGradMode = 'conv-im2col' | 'im2col-gemm' | 'shifted-gemms';

/** Options of the gradient rules. */
export interface GradRuleOptions {
  /** Weight gradient of k > 1 convolutions. */
  readonly convWeightGrad: ConvWeightGradMode;
}

/**
 * A gradient rule: given the node, the gradients of its outputs (undefined = zero) and which inputs need
 * a gradient, emits nodes into `g` and returns one gradient per input (undefined = none).
 */
export type GradRule = (
  g: IrGraph,
  node: IrNode,
  dOut: readonly (string | undefined)[],
  needs: readonly boolean[],
  options: GradRuleOptions,
) => (string | undefined)[];

function i64Of(g: IrGraph, name: string | undefined): number[] | undefined {
  if (name === undefined || name === '') return undefined;
  const v = g.values.get(name);
  return v?.i64 ? [...v.i64] : undefined;
}

function f32Of(g: IrGraph, name: string | undefined): Float32Array | undefined {
  if (name === undefined || name === '') return undefined;
  return g.values.get(name)?.f32;
}

function onlyOutput(node: IrNode, dOut: readonly (string | undefined)[]): string {
  const d = dOut[0];
  if (d === undefined) throw new Error(`Internal error: ${node.op} has no output gradient.`);
  return d;
}

const swapLast = (rank: number) => {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return perm;
};

function conv(
  g: IrGraph,
  node: IrNode,
  dOut: readonly (string | undefined)[],
  needs: readonly boolean[],
  options: GradRuleOptions,
) {
  const dy = onlyOutput(node, dOut);
  const [x, w, b] = node.inputs;
  const [n, ci, h, wd] = g.shape(x);
  const [co, , k, k2] = g.shape(w);
  const [, , ho, wo] = g.shape(dy);
  if (attrInt(node, 'group', 1) !== 1 || attrInts(node, 'dilations', [1, 1]).some((d) => d !== 1)) {
    throw new Error('Conv gradients support group 1 and dilation 1 only.');
  }
  if (k !== k2) throw new Error(`Conv gradients need square kernels; got ${k}×${k2}.`);
  const strides = attrInts(node, 'strides', [1, 1]);
  const s = strides[0];
  if (strides[1] !== s) throw new Error('Conv gradients need equal strides.');
  const pads = attrInts(node, 'pads', [0, 0, 0, 0]);
  const [pt, pl, pb, pr] = pads;
  const out: (string | undefined)[] = [undefined, undefined, undefined];

  if (needs[0]) {
    if (s === 1) {
      // dx = conv(dy, flip(wᵀ)) with the complementary padding.
      let wt = g.transpose(w, [1, 0, 2, 3]);
      if (k > 1) {
        wt = g.op(
          'Slice',
          [wt, g.i64([-1, -1]), g.i64([-k - 1, -k - 1]), g.i64([2, 3]), g.i64([-1, -1])],
          g.shape(wt),
        );
      }
      out[0] = g.op(
        'Conv',
        [dy, wt],
        [n, ci, h, wd],
        [
          attr.ints('kernel_shape', [k, k]),
          attr.ints('pads', [k - 1 - pt, k - 1 - pl, k - 1 - pb, k - 1 - pr]),
          attr.ints('strides', [1, 1]),
        ],
      );
    } else {
      const outputPadding = [h - (s * (ho - 1) + k - pt - pb), wd - (s * (wo - 1) + k - pl - pr)];
      out[0] = g.op(
        'ConvTranspose',
        [dy, w],
        [n, ci, h, wd],
        [
          attr.ints('kernel_shape', [k, k]),
          attr.ints('pads', pads),
          attr.ints('strides', [s, s]),
          attr.ints('output_padding', outputPadding),
        ],
      );
    }
  }
  if (needs[1] && k > 1 && options.convWeightGrad === 'conv-im2col') {
    // im2col by a one-hot k×k conv over each (sample, channel) plane, then per-sample products summed over
    // the batch (MatMul with a transposed operand, which ONNX Runtime fuses into one GEMM call). For stride
    // 1 the shifted copies can be made of whichever of x and dy has fewer channels:
    //   dW[o, i, a, b] = Σ_n,p dy[n, o, p] · x[n, i, p + (a, b)] = Σ_n,p dy[n, o, p − (a, b)] · x[n, i, p].
    const shiftDy = s === 1 && co < ci;
    const onehot = new Float32Array(k * k * k * k);
    for (let j = 0; j < k * k; j++) onehot[j * k * k + (shiftDy ? k * k - 1 - j : j)] = 1;
    const kernel = g.runtimeConstant(`im2col_onehot_${k}${shiftDy ? '_flipped' : ''}`, onehot, [
      k * k,
      1,
      k,
      k,
    ]);
    if (shiftDy) {
      const planes = g.reshape(dy, [n * co, 1, ho, wo]);
      const shifted = g.op(
        'Conv',
        [planes, kernel],
        [n * co, k * k, h, wd],
        [
          attr.ints('kernel_shape', [k, k]),
          attr.ints('pads', [k - 1 - pt, k - 1 - pl, k - 1 - pb, k - 1 - pr]),
          attr.ints('strides', [1, 1]),
        ],
      );
      const cols = g.reshape(shifted, [n, co * k * k, h * wd]);
      const xr = g.reshape(x, [n, ci, h * wd]);
      const perSample = g.op('MatMul', [cols, g.transpose(xr, [0, 2, 1])], [n, co * k * k, ci]);
      const summed = g.reshape(g.reduceSum(perSample, [0], false), [co, k, k, ci]);
      out[1] = g.transpose(summed, [0, 3, 1, 2]);
    } else {
      const planes = g.reshape(x, [n * ci, 1, h, wd]);
      const shifted = g.op(
        'Conv',
        [planes, kernel],
        [n * ci, k * k, ho, wo],
        [attr.ints('kernel_shape', [k, k]), attr.ints('pads', pads), attr.ints('strides', [s, s])],
      );
      const cols = g.reshape(shifted, [n, ci * k * k, ho * wo]);
      const dyr = g.reshape(dy, [n, co, ho * wo]);
      const perSample = g.op('MatMul', [dyr, g.transpose(cols, [0, 2, 1])], [n, co, ci * k * k]);
      out[1] = g.reshape(g.reduceSum(perSample, [0], false), [co, ci, k, k]);
    }
  } else if (needs[1]) {
    const m = n * ho * wo;
    const dyT = g.reshape(g.transpose(dy, [1, 0, 2, 3]), [co, m]); // [co, n·ho·wo]
    const xT = g.transpose(x, [1, 0, 2, 3]); // [ci, n, h, w]
    if (k === 1 && s === 1) {
      const gw = g.op('Gemm', [dyT, g.reshape(xT, [ci, m])], [co, ci], [attr.int('transB', 1)]);
      out[1] = g.reshape(gw, [co, ci, 1, 1]);
    } else {
      const padded =
        pt + pl + pb + pr > 0
          ? g.op(
              'Pad',
              [xT, g.i64([0, 0, pt, pl, 0, 0, pb, pr])],
              [ci, n, h + pt + pb, wd + pl + pr],
              [attr.string('mode', 'constant')],
            )
          : xT;
      const slices: string[] = [];
      for (let kh = 0; kh < k; kh++) {
        for (let kw = 0; kw < k; kw++) {
          const slice = g.op(
            'Slice',
            [
              padded,
              g.i64([kh, kw]),
              g.i64([kh + s * (ho - 1) + 1, kw + s * (wo - 1) + 1]),
              g.i64([2, 3]),
              g.i64([s, s]),
            ],
            [ci, n, ho, wo],
          );
          slices.push(g.reshape(slice, [ci, m]));
        }
      }
      let gw: string; // [co, k·k·ci] with column index (kh, kw, ci)
      if (options.convWeightGrad === 'im2col-gemm') {
        const cols = g.op('Concat', slices, [k * k * ci, m], [attr.int('axis', 0)]);
        gw = g.op('Gemm', [dyT, cols], [co, k * k * ci], [attr.int('transB', 1)]);
      } else {
        const parts = slices.map((sl) => g.op('Gemm', [dyT, sl], [co, ci], [attr.int('transB', 1)]));
        gw = g.op('Concat', parts, [co, k * k * ci], [attr.int('axis', 1)]);
      }
      out[1] = g.transpose(g.reshape(gw, [co, k, k, ci]), [0, 3, 1, 2]);
    }
  }
  if (b && needs[2]) out[2] = g.reduceSum(dy, [0, 2, 3], false);
  return out;
}

function gemm(g: IrGraph, node: IrNode, dOut: readonly (string | undefined)[], needs: readonly boolean[]) {
  const dy = onlyOutput(node, dOut);
  const [a, b, c] = node.inputs;
  if (attrInt(node, 'transA', 0) || attrInt(node, 'transB', 0) || attrFloat(node, 'alpha', 1) !== 1) {
    throw new Error('Gemm gradients support transA = transB = 0 and alpha = 1 only.');
  }
  const out: (string | undefined)[] = [];
  if (needs[0]) out[0] = g.op('Gemm', [dy, b], g.shape(a), [attr.int('transB', 1)]);
  if (needs[1]) out[1] = g.op('Gemm', [a, dy], g.shape(b), [attr.int('transA', 1)]);
  if (c && needs[2]) out[2] = g.scale(g.sumTo(dy, g.shape(c)), attrFloat(node, 'beta', 1));
  return out;
}

function matmul(g: IrGraph, node: IrNode, dOut: readonly (string | undefined)[], needs: readonly boolean[]) {
  const dy = onlyOutput(node, dOut);
  const [a, b] = node.inputs;
  const sa = g.shape(a);
  const sb = g.shape(b);
  const sy = g.shape(dy);
  if (sa.length < 2 || sb.length < 2) throw new Error('MatMul gradients need rank ≥ 2 operands.');
  const out: (string | undefined)[] = [];
  if (needs[0]) {
    const bt = g.transpose(b, swapLast(sb.length));
    const shape = [...sy.slice(0, -1), sb[sb.length - 2]];
    out[0] = g.sumTo(g.op('MatMul', [dy, bt], shape), sa);
  }
  if (needs[1]) {
    const at = g.transpose(a, swapLast(sa.length));
    const shape = [...sy.slice(0, -2), sa[sa.length - 1], sy[sy.length - 1]];
    out[1] = g.sumTo(g.op('MatMul', [at, dy], shape), sb);
  }
  return out;
}

function elementwise(
  g: IrGraph,
  node: IrNode,
  dOut: readonly (string | undefined)[],
  needs: readonly boolean[],
) {
  const dy = onlyOutput(node, dOut);
  const [a, b] = node.inputs;
  const sa = g.shape(a);
  const sb = g.shape(b);
  const out: (string | undefined)[] = [];
  switch (node.op) {
    case 'Add':
      if (needs[0]) out[0] = g.sumTo(dy, sa);
      if (needs[1]) out[1] = g.sumTo(dy, sb);
      break;
    case 'Sub':
      if (needs[0]) out[0] = g.sumTo(dy, sa);
      if (needs[1]) out[1] = g.sumTo(g.unary('Neg', dy), sb);
      break;
    case 'Mul':
      if (a === b) {
        out[0] = g.mul(g.scale(dy, 2), a);
        break;
      }
      if (needs[0]) out[0] = g.sumTo(g.mul(dy, b), sa);
      if (needs[1]) out[1] = g.sumTo(g.mul(dy, a), sb);
      break;
    case 'Div': {
      const q = g.div(dy, b);
      if (needs[0]) out[0] = g.sumTo(q, sa);
      if (needs[1]) out[1] = g.sumTo(g.unary('Neg', g.mul(q, node.outputs[0])), sb);
      break;
    }
    default:
      throw new Error(`Internal error: ${node.op} is not elementwise.`);
  }
  return out;
}

/** Softmax along `axis`: y · (dy − Σ dy·y). */
function softmax(g: IrGraph, node: IrNode, dOut: readonly (string | undefined)[]) {
  const dy = onlyOutput(node, dOut);
  const y = node.outputs[0];
  const rank = g.shape(y).length;
  let axis = attrInt(node, 'axis', -1);
  if (axis < 0) axis += rank;
  const dot = g.reduceSum(g.mul(dy, y), [axis], true);
  return [g.mul(y, g.sub(dy, dot))];
}

/** LayerNormalization with unit scale and zero bias (GroupNorm's normalisation in training graphs). */
function layerNorm(
  g: IrGraph,
  node: IrNode,
  dOut: readonly (string | undefined)[],
  needs: readonly boolean[],
) {
  const dy = onlyOutput(node, dOut);
  const [x, scale, bias] = node.inputs;
  const [y, , invStd] = node.outputs;
  const ones = f32Of(g, scale);
  const zeros = f32Of(g, bias);
  if (!ones?.every((v) => v === 1) || (zeros && !zeros.every((v) => v === 0)) || !invStd) {
    throw new Error(
      'LayerNormalization gradients need constant unit scale, zero bias and the InvStdDev output.',
    );
  }
  if (needs[1] || needs[2]) throw new Error('LayerNormalization scale/bias gradients are not supported.');
  const rank = g.shape(x).length;
  const axis = attrInt(node, 'axis', -1);
  const first = axis < 0 ? axis + rank : axis;
  const axes = Array.from({ length: rank - first }, (_, i) => first + i);
  const meanDy = g.reduceMean(dy, axes, true);
  const meanDyY = g.reduceMean(g.mul(dy, y), axes, true);
  // dx = invStd · (dy − mean(dy) − y · mean(dy · y))
  const inner = g.sub(g.sub(dy, meanDy), g.mul(y, meanDyY));
  return [g.mul(inner, invStd)];
}

function reshapeLike(g: IrGraph, node: IrNode, dOut: readonly (string | undefined)[]) {
  return [g.reshape(onlyOutput(node, dOut), g.shape(node.inputs[0]))];
}

function transpose(g: IrGraph, node: IrNode, dOut: readonly (string | undefined)[]) {
  const dy = onlyOutput(node, dOut);
  const rank = g.shape(dy).length;
  const perm = attrInts(
    node,
    'perm',
    Array.from({ length: rank }, (_, i) => rank - 1 - i),
  );
  const inverse = new Array<number>(rank);
  perm.forEach((p, i) => {
    inverse[p] = i;
  });
  return [g.transpose(dy, inverse)];
}

function concat(g: IrGraph, node: IrNode, dOut: readonly (string | undefined)[], needs: readonly boolean[]) {
  const dy = onlyOutput(node, dOut);
  const shape = g.shape(dy);
  let axis = attrInt(node, 'axis');
  if (axis < 0) axis += shape.length;
  const sizes = node.inputs.map((i) => g.shape(i)[axis]);
  const shapes = node.inputs.map((i) => g.shape(i));
  const parts = g.node('Split', [dy, g.i64(sizes)], shapes, [attr.int('axis', axis)]);
  return parts.map((p, i) => (needs[i] ? p : undefined));
}

function split(g: IrGraph, node: IrNode, dOut: readonly (string | undefined)[]) {
  const x = node.inputs[0];
  const shape = g.shape(x);
  let axis = attrInt(node, 'axis', 0);
  if (axis < 0) axis += shape.length;
  const parts = node.outputs.map((o, i) => dOut[i] ?? g.zeros(g.shape(o)));
  return [g.op('Concat', parts, shape, [attr.int('axis', axis)])];
}

function slice(g: IrGraph, node: IrNode, dOut: readonly (string | undefined)[]) {
  const dy = onlyOutput(node, dOut);
  const [x, startsName, endsName, axesName, stepsName] = node.inputs;
  const shape = g.shape(x);
  const starts = i64Of(g, startsName);
  const ends = i64Of(g, endsName);
  if (!starts || !ends) throw new Error('Slice gradients need constant starts and ends.');
  const axes = i64Of(g, axesName) ?? starts.map((_, i) => i);
  const steps = i64Of(g, stepsName) ?? starts.map(() => 1);
  if (steps.some((s) => s !== 1)) throw new Error('Slice gradients support step 1 only.');
  const pads = new Array<number>(2 * shape.length).fill(0);
  axes.forEach((a0, i) => {
    const a = a0 < 0 ? a0 + shape.length : a0;
    const dim = shape[a];
    const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + dim : v, 0), dim);
    const begin = clamp(starts[i]);
    const end = clamp(ends[i]);
    pads[a] = begin;
    pads[a + shape.length] = dim - end;
  });
  return [g.op('Pad', [dy, g.i64(pads)], shape, [attr.string('mode', 'constant')])];
}

function reduceMean(g: IrGraph, node: IrNode, dOut: readonly (string | undefined)[]) {
  const dy = onlyOutput(node, dOut);
  const x = node.inputs[0];
  const shape = g.shape(x);
  const axes = attrInts(
    node,
    'axes',
    shape.map((_, i) => i),
  ).map((a) => (a < 0 ? a + shape.length : a));
  const count = axes.reduce((p, a) => p * shape[a], 1);
  const kept = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const scaled = g.reshape(g.scale(dy, 1 / count), kept);
  return [g.op('Expand', [scaled, g.i64(shape)], shape)];
}

function reduceSum(g: IrGraph, node: IrNode, dOut: readonly (string | undefined)[]) {
  const dy = onlyOutput(node, dOut);
  const x = node.inputs[0];
  const shape = g.shape(x);
  const given = i64Of(g, node.inputs[1]);
  if (node.inputs[1] && node.inputs[1] !== '' && !given)
    throw new Error('ReduceSum gradients need constant axes.');
  const axes = (given && given.length > 0 ? given : shape.map((_, i) => i)).map((a) =>
    a < 0 ? a + shape.length : a,
  );
  const kept = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  return [g.op('Expand', [g.reshape(dy, kept), g.i64(shape)], shape)];
}

function resize(g: IrGraph, node: IrNode, dOut: readonly (string | undefined)[]) {
  const dy = onlyOutput(node, dOut);
  const x = node.inputs[0];
  const scales = f32Of(g, node.inputs[2]);
  const mode = attrString(node, 'mode', 'nearest');
  const coords = attrString(node, 'coordinate_transformation_mode', 'half_pixel');
  const s = scales?.[2];
  if (
    mode !== 'nearest' ||
    coords !== 'asymmetric' ||
    !scales ||
    scales[0] !== 1 ||
    scales[1] !== 1 ||
    scales[3] !== s ||
    !Number.isInteger(s)
  ) {
    throw new Error('Resize gradients support nearest, asymmetric, integer ×s spatial upsampling only.');
  }
  const si = s as number;
  const pooled = g.op('AveragePool', [dy], g.shape(x), [
    attr.ints('kernel_shape', [si, si]),
    attr.ints('strides', [si, si]),
  ]);
  return [g.scale(pooled, si * si)];
}

function unaryRule(g: IrGraph, node: IrNode, dOut: readonly (string | undefined)[]) {
  const dy = onlyOutput(node, dOut);
  const [x] = node.inputs;
  const y = node.outputs[0];
  switch (node.op) {
    case 'Identity':
      return [dy];
    case 'Sigmoid':
      // dy · y · (1 − y)
      return [g.mul(dy, g.mul(y, g.sub(g.f32([1], []), y)))];
    case 'Sin':
      return [g.mul(dy, g.unary('Cos', x))];
    case 'Cos':
      return [g.unary('Neg', g.mul(dy, g.unary('Sin', x)))];
    case 'Abs':
      return [g.mul(dy, g.unary('Sign', x))];
    default:
      throw new Error(`Internal error: no unary rule for ${node.op}.`);
  }
}

/** The built-in gradient rules, keyed by ONNX op type. */
export const GRAD_RULES: Readonly<Record<string, GradRule>> = Object.freeze({
  Conv: conv,
  Gemm: (g, n, d, needs) => gemm(g, n, d, needs),
  MatMul: (g, n, d, needs) => matmul(g, n, d, needs),
  Add: (g, n, d, needs) => elementwise(g, n, d, needs),
  Sub: (g, n, d, needs) => elementwise(g, n, d, needs),
  Mul: (g, n, d, needs) => elementwise(g, n, d, needs),
  Div: (g, n, d, needs) => elementwise(g, n, d, needs),
  Softmax: (g, n, d) => softmax(g, n, d),
  LayerNormalization: (g, n, d, needs) => layerNorm(g, n, d, needs),
  Reshape: (g, n, d) => reshapeLike(g, n, d),
  Transpose: (g, n, d) => transpose(g, n, d),
  Concat: (g, n, d, needs) => concat(g, n, d, needs),
  Split: (g, n, d) => split(g, n, d),
  Slice: (g, n, d) => slice(g, n, d),
  ReduceMean: (g, n, d) => reduceMean(g, n, d),
  ReduceSum: (g, n, d) => reduceSum(g, n, d),
  Resize: (g, n, d) => resize(g, n, d),
  Identity: (g, n, d) => unaryRule(g, n, d),
  Sigmoid: (g, n, d) => unaryRule(g, n, d),
  Sin: (g, n, d) => unaryRule(g, n, d),
  Cos: (g, n, d) => unaryRule(g, n, d),
  Abs: (g, n, d) => unaryRule(g, n, d),
});

/** Number of elements (re-exported for the autodiff). */
export { sizeOf };
