/**
 * @file Eager {@link TensorOps} over plain `Float32Array`s (layout NCHW), for the arithmetic that
 * surrounds network evaluations: the ODE solvers, noise/mask concatenation and mask readout of
 * core-flow's `classify`/`generate`. The network itself runs in ONNX Runtime, so the layer ops
 * (conv2d, groupNorm, attention, …) are not implemented here and say so.
 *
 * @module runtime/array-ops
 * @internal
 */
import type {
  Conv2dOptions,
  DropoutOptions,
  MatmulOptions,
  SpatialShape,
  TensorContainer,
  TensorOps,
} from '@medsymmflow/core-flow';
import {
  binaryBroadcast,
  nchwToNhwc,
  nhwcToNchw,
  sizeOf,
  transposeData,
  unaryMap,
} from '../internal/float-kernels.js';

/** A plain tensor: row-major data and its shape (spatial tensors NCHW). */
export interface ArrayTensor {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

const tensor = (data: Float32Array, shape: readonly number[]): ArrayTensor =>
  Object.freeze({ data, shape: Object.freeze([...shape]) });

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

function notHere(op: string): never {
  throw new Error(
    `${op} is not available on the array ops of the ONNX Runtime model: the network runs inside ONNX Runtime. ` +
      'These ops only carry the solver arithmetic around it.',
  );
}

/** {@link TensorOps} over {@link ArrayTensor}s. */
export class ArrayOps implements TensorOps<ArrayTensor> {
  readonly name = 'array-nchw';
  readonly layout = 'NCHW' as const;

  private spatial(x: ArrayTensor, op: string): [number, number, number, number] {
    if (x.shape.length !== 4)
      throw new RangeError(`${op} expects a rank-4 NCHW tensor; got [${x.shape.join(', ')}].`);
    return x.shape as unknown as [number, number, number, number];
  }

  // ---- creation, readback and memory ----
  constant(data: Float32Array | readonly number[], shape: readonly number[]): ArrayTensor {
    const values = data instanceof Float32Array ? data.slice() : Float32Array.from(data);
    if (values.length !== sizeOf(shape)) {
      throw new RangeError(`constant: ${values.length} values do not fill shape [${shape.join(', ')}].`);
    }
    return tensor(values, shape);
  }
  fromNHWC(data: Float32Array, shape: readonly [number, number, number, number]): ArrayTensor {
    const [n, h, w, c] = shape;
    if (data.length !== n * h * w * c) {
      throw new RangeError(`fromNHWC: ${data.length} values do not fill shape [${shape.join(', ')}].`);
    }
    return tensor(nhwcToNchw(data, n, h, w, c), [n, c, h, w]);
  }
  toNHWC(x: ArrayTensor): Float32Array {
    const [n, c, h, w] = this.spatial(x, 'toNHWC');
    return nchwToNhwc(x.data, n, c, h, w);
  }
  read(x: ArrayTensor): Float32Array {
    return x.data.slice();
  }
  readScalar(x: ArrayTensor): number {
    if (x.data.length !== 1)
      throw new RangeError(`readScalar expects a one-element tensor; got [${x.shape.join(', ')}].`);
    return x.data[0];
  }
  shape(x: ArrayTensor): number[] {
    return [...x.shape];
  }
  spatialShape(x: ArrayTensor): SpatialShape {
    const [batch, channels, height, width] = this.spatial(x, 'spatialShape');
    return { batch, height, width, channels };
  }
  tidy<R>(fn: () => R): R {
    return fn();
  }
  dispose(_x: TensorContainer<ArrayTensor>): void {}

  // ---- layers: only the data-movement ones ----
  conv2d(_x: ArrayTensor, _k: ArrayTensor, _b: ArrayTensor | undefined, _o?: Conv2dOptions): ArrayTensor {
    return notHere('conv2d');
  }
  linear(_x: ArrayTensor, _w: ArrayTensor, _b?: ArrayTensor): ArrayTensor {
    return notHere('linear');
  }
  groupNorm(_x: ArrayTensor, _g: number, _gamma: ArrayTensor, _beta: ArrayTensor, _eps: number): ArrayTensor {
    return notHere('groupNorm');
  }
  upsampleNearest2x(_x: ArrayTensor): ArrayTensor {
    return notHere('upsampleNearest2x');
  }
  concatChannels(xs: readonly ArrayTensor[]): ArrayTensor {
    return this.concat(xs, 1);
  }
  sliceChannels(x: ArrayTensor, start: number, size: number): ArrayTensor {
    const [n, c, h, w] = this.spatial(x, 'sliceChannels');
    if (!Number.isInteger(start) || !Number.isInteger(size) || start < 0 || size < 1 || start + size > c) {
      throw new RangeError(`sliceChannels(${start}, ${size}) is out of range for ${c} channels.`);
    }
    const hw = h * w;
    const out = new Float32Array(n * size * hw);
    for (let b = 0; b < n; b++) {
      out.set(x.data.subarray((b * c + start) * hw, (b * c + start + size) * hw), b * size * hw);
    }
    return tensor(out, [n, size, h, w]);
  }
  expandToSpatial(v: ArrayTensor): ArrayTensor {
    if (v.shape.length === 1) return tensor(v.data, [1, v.shape[0], 1, 1]);
    if (v.shape.length === 2) return tensor(v.data, [v.shape[0], v.shape[1], 1, 1]);
    throw new RangeError(`expandToSpatial expects [n, c] or [c]; got [${v.shape.join(', ')}].`);
  }
  spatialToSequence(x: ArrayTensor): ArrayTensor {
    const [n, c, h, w] = this.spatial(x, 'spatialToSequence');
    return tensor(transposeData(x.data, [n, c, h * w], [0, 2, 1]), [n, h * w, c]);
  }
  sequenceToSpatial(x: ArrayTensor, height: number, width: number): ArrayTensor {
    const [n, l, c] = x.shape;
    if (x.shape.length !== 3 || l !== height * width) {
      throw new RangeError(
        `sequenceToSpatial expects [n, ${height * width}, c]; got [${x.shape.join(', ')}].`,
      );
    }
    return tensor(transposeData(x.data, [n, l, c], [0, 2, 1]), [n, c, height, width]);
  }

  // ---- elementwise ----
  private binary(a: ArrayTensor, b: ArrayTensor, f: (x: number, y: number) => number): ArrayTensor {
    const r = binaryBroadcast(a.data, a.shape, b.data, b.shape, f);
    return tensor(r.data, r.shape);
  }
  add(a: ArrayTensor, b: ArrayTensor): ArrayTensor {
    return this.binary(a, b, (x, y) => x + y);
  }
  sub(a: ArrayTensor, b: ArrayTensor): ArrayTensor {
    return this.binary(a, b, (x, y) => x - y);
  }
  mul(a: ArrayTensor, b: ArrayTensor): ArrayTensor {
    return this.binary(a, b, (x, y) => x * y);
  }
  div(a: ArrayTensor, b: ArrayTensor): ArrayTensor {
    return this.binary(a, b, (x, y) => x / y);
  }
  addScalar(x: ArrayTensor, s: number): ArrayTensor {
    return tensor(
      unaryMap(x.data, (v) => v + s),
      x.shape,
    );
  }
  mulScalar(x: ArrayTensor, s: number): ArrayTensor {
    return tensor(
      unaryMap(x.data, (v) => v * s),
      x.shape,
    );
  }
  square(x: ArrayTensor): ArrayTensor {
    return tensor(
      unaryMap(x.data, (v) => v * v),
      x.shape,
    );
  }
  abs(x: ArrayTensor): ArrayTensor {
    return tensor(unaryMap(x.data, Math.abs), x.shape);
  }
  maximum(a: ArrayTensor, b: ArrayTensor): ArrayTensor {
    return this.binary(a, b, Math.max);
  }
  sin(x: ArrayTensor): ArrayTensor {
    return tensor(unaryMap(x.data, Math.sin), x.shape);
  }
  cos(x: ArrayTensor): ArrayTensor {
    return tensor(unaryMap(x.data, Math.cos), x.shape);
  }
  sigmoid(x: ArrayTensor): ArrayTensor {
    return tensor(unaryMap(x.data, sigmoid), x.shape);
  }
  silu(x: ArrayTensor): ArrayTensor {
    return tensor(
      unaryMap(x.data, (v) => v * sigmoid(v)),
      x.shape,
    );
  }

  // ---- shape, linear algebra, reductions ----
  reshape(x: ArrayTensor, shape: readonly number[]): ArrayTensor {
    const known = shape.reduce((p, d) => (d === -1 ? p : p * d), 1);
    const unknown = shape.filter((d) => d === -1).length;
    const out = shape.map((d) => (d === -1 ? x.data.length / known : d));
    if (unknown > 1 || sizeOf(out) !== x.data.length || out.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new RangeError(`Cannot reshape [${x.shape.join(', ')}] to [${shape.join(', ')}].`);
    }
    return tensor(x.data, out);
  }
  transpose(x: ArrayTensor, perm: readonly number[]): ArrayTensor {
    return tensor(
      transposeData(x.data, x.shape, perm),
      perm.map((p) => x.shape[p]),
    );
  }
  split(x: ArrayTensor, numSplits: number, axis: number): ArrayTensor[] {
    const a = axis < 0 ? axis + x.shape.length : axis;
    const size = x.shape[a];
    if (size % numSplits !== 0)
      throw new RangeError(`split: axis ${axis} of size ${size} is not divisible by ${numSplits}.`);
    const part = size / numSplits;
    const outer = sizeOf(x.shape.slice(0, a));
    const inner = sizeOf(x.shape.slice(a + 1));
    return Array.from({ length: numSplits }, (_, s) => {
      const out = new Float32Array(outer * part * inner);
      for (let o = 0; o < outer; o++) {
        const src = (o * size + s * part) * inner;
        out.set(x.data.subarray(src, src + part * inner), o * part * inner);
      }
      return tensor(
        out,
        x.shape.map((d, i) => (i === a ? part : d)),
      );
    });
  }
  concat(xs: readonly ArrayTensor[], axis: number): ArrayTensor {
    if (xs.length === 0) throw new RangeError('concat needs at least one tensor.');
    const rank = xs[0].shape.length;
    const a = axis < 0 ? axis + rank : axis;
    for (const x of xs) {
      if (x.shape.length !== rank || x.shape.some((d, i) => i !== a && d !== xs[0].shape[i])) {
        throw new RangeError(
          `concat along axis ${axis}: shapes ${xs.map((t) => `[${t.shape.join(', ')}]`).join(', ')} do not match.`,
        );
      }
    }
    const outer = sizeOf(xs[0].shape.slice(0, a));
    const inner = sizeOf(xs[0].shape.slice(a + 1));
    const total = xs.reduce((s, x) => s + x.shape[a], 0);
    const out = new Float32Array(outer * total * inner);
    let offset = 0;
    for (const x of xs) {
      const chunk = x.shape[a] * inner;
      for (let o = 0; o < outer; o++)
        out.set(x.data.subarray(o * chunk, (o + 1) * chunk), o * total * inner + offset);
      offset += chunk;
    }
    return tensor(
      out,
      xs[0].shape.map((d, i) => (i === a ? total : d)),
    );
  }
  matmul(_a: ArrayTensor, _b: ArrayTensor, _o?: MatmulOptions): ArrayTensor {
    return notHere('matmul');
  }
  softmax(_x: ArrayTensor): ArrayTensor {
    return notHere('softmax');
  }
  mean(x: ArrayTensor): ArrayTensor {
    let sum = 0;
    for (let i = 0; i < x.data.length; i++) sum += x.data[i];
    return tensor(new Float32Array([sum / x.data.length]), []);
  }
  dropout(x: ArrayTensor, rate: number, options: DropoutOptions): ArrayTensor {
    if (options.training && rate > 0) notHere('dropout (training)');
    return x;
  }
}
