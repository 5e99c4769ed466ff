/**
 * @file Small float32 kernels over plain row-major arrays: numpy-style broadcasting, elementwise maps,
 * axis permutations and NHWC ↔ NCHW conversion. Shared by the ONNX tracer (constant folding) and the
 * array ops that drive the ODE solvers around an ONNX Runtime session.
 *
 * @module internal/float-kernels
 * @internal
 */

/** Number of elements of a static shape. */
export function sizeOf(shape: readonly number[]): number {
  let size = 1;
  for (const d of shape) size *= d;
  return size;
}

/** Row-major strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = stride;
    stride *= shape[i];
  }
  return strides;
}

/** Broadcast shape of two static shapes (numpy rules); throws a RangeError naming both shapes. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new RangeError(`Shapes [${a.join(', ')}] and [${b.join(', ')}] cannot be broadcast together.`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Strides of `shape` seen through the broadcast `outShape` (0 along broadcast axes). */
function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const strides = stridesOf(shape);
  const out = new Array<number>(outShape.length).fill(0);
  const offset = outShape.length - shape.length;
  for (let i = 0; i < shape.length; i++) out[offset + i] = shape[i] === 1 ? 0 : strides[i];
  return out;
}

/** `f(a, b)` elementwise with numpy broadcasting. */
export function binaryBroadcast(
  a: Float32Array,
  aShape: readonly number[],
  b: Float32Array,
  bShape: readonly number[],
  f: (x: number, y: number) => number,
): { data: Float32Array; shape: number[] } {
  const shape = broadcastShapes(aShape, bShape);
  const size = sizeOf(shape);
  const data = new Float32Array(size);
  if (a.length === size && b.length === size) {
    for (let i = 0; i < size; i++) data[i] = f(a[i], b[i]);
    return { data, shape };
  }
  if (b.length === 1 && a.length === size) {
    const y = b[0];
    for (let i = 0; i < size; i++) data[i] = f(a[i], y);
    return { data, shape };
  }
  if (a.length === 1 && b.length === size) {
    const x = a[0];
    for (let i = 0; i < size; i++) data[i] = f(x, b[i]);
    return { data, shape };
  }
  const sa = broadcastStrides(aShape, shape);
  const sb = broadcastStrides(bShape, shape);
  const rank = shape.length;
  const index = new Array<number>(rank).fill(0);
  let ia = 0;
  let ib = 0;
  for (let i = 0; i < size; i++) {
    data[i] = f(a[ia], b[ib]);
    for (let axis = rank - 1; axis >= 0; axis--) {
      index[axis]++;
      ia += sa[axis];
      ib += sb[axis];
      if (index[axis] < shape[axis]) break;
      ia -= sa[axis] * shape[axis];
      ib -= sb[axis] * shape[axis];
      index[axis] = 0;
    }
  }
  return { data, shape };
}

/** `f(x)` elementwise into a new array. */
export function unaryMap(x: Float32Array, f: (v: number) => number): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = f(x[i]);
  return out;
}

/** Permutes the axes of row-major data: `out[i_perm[0], …] = x[i_0, …]` as numpy's `transpose(perm)`. */
export function transposeData(
  x: Float32Array,
  shape: readonly number[],
  perm: readonly number[],
): Float32Array {
  const rank = shape.length;
  if (perm.length !== rank || [...perm].sort((p, q) => p - q).some((p, i) => p !== i)) {
    throw new RangeError(`Transpose permutation [${perm.join(', ')}] does not fit rank ${rank}.`);
  }
  const outShape = perm.map((p) => shape[p]);
  const inStrides = stridesOf(shape);
  const stepFor = perm.map((p) => inStrides[p]);
  const out = new Float32Array(x.length);
  const index = new Array<number>(rank).fill(0);
  let src = 0;
  for (let i = 0; i < out.length; i++) {
    out[i] = x[src];
    for (let axis = rank - 1; axis >= 0; axis--) {
      index[axis]++;
      src += stepFor[axis];
      if (index[axis] < outShape[axis]) break;
      src -= stepFor[axis] * outShape[axis];
      index[axis] = 0;
    }
  }
  return out;
}

/** NHWC `[n, h, w, c]` data → NCHW. */
export function nhwcToNchw(x: Float32Array, n: number, h: number, w: number, c: number): Float32Array {
  if (c === 1) return x.slice();
  const out = new Float32Array(x.length);
  const hw = h * w;
  for (let b = 0; b < n; b++) {
    const base = b * hw * c;
    for (let p = 0; p < hw; p++) {
      const src = base + p * c;
      for (let k = 0; k < c; k++) out[base + k * hw + p] = x[src + k];
    }
  }
  return out;
}

/** NCHW `[n, c, h, w]` data → NHWC. */
export function nchwToNhwc(x: Float32Array, n: number, c: number, h: number, w: number): Float32Array {
  if (c === 1) return x.slice();
  const out = new Float32Array(x.length);
  const hw = h * w;
  for (let b = 0; b < n; b++) {
    const base = b * hw * c;
    for (let k = 0; k < c; k++) {
      const src = base + k * hw;
      for (let p = 0; p < hw; p++) out[base + p * c + k] = x[src + p];
    }
  }
  return out;
}

/** Index and value of the first non-finite element, or undefined. */
export function firstNonFinite(x: ArrayLike<number>): { index: number; value: number } | undefined {
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) return { index: i, value: x[i] };
  }
  return undefined;
}
