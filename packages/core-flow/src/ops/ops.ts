/**
 * @file The engine-neutral tensor op interface.
 *
 * The UNet, the symmetrical flow matching loss and the ODE solvers are written once against
 * {@link TensorOps}. An engine supplies one implementation per tensor type: the tfjs engine runs the ops
 * eagerly on NHWC tensors; an ONNX tracer can record the same calls into a graph on NCHW tensors, so the
 * model code never changes between engines.
 *
 * Layout rules:
 * - Spatial tensors (images, masks, feature maps) are rank 4 in the engine's native {@link SpatialLayout}.
 *   Model code never indexes spatial axes itself; it goes through the spatial ops (`conv2d`,
 *   `groupNorm`, `concatChannels`, `sliceChannels`, `expandToSpatial`, `spatialToSequence`, …).
 * - Non-spatial tensors have a fixed, layout-free meaning: vectors `[n]`, matrices `[n, features]`,
 *   sequences `[n, length, features]`. `reshape`/`transpose`/`matmul`/`softmax` only ever see those.
 * - Plain data crosses the boundary as NHWC `Float32Array`s (`fromNHWC` / `toNHWC`), the project-wide
 *   convention for images and masks.
 *
 * Parameter layout (canonical, engine-neutral; engines convert if they need another one):
 * - conv2d kernel: `[kernelHeight, kernelWidth, inChannels, outChannels]` (HWIO).
 * - linear weight: `[inFeatures, outFeatures]` (`y = x · W + b`).
 * - biases, GroupNorm gamma/beta: `[channels]`.
 *
 * @module ops
 */

/** Axis order of rank-4 spatial tensors inside an engine. */
export type SpatialLayout = 'NHWC' | 'NCHW';

/** How a parameter is initialised. */
export type ParamInit =
  /** All zeros (guided-diffusion's `zero_module`, biases of zeroed layers, GroupNorm beta). */
  | { readonly kind: 'zeros' }
  /** All ones (GroupNorm gamma). */
  | { readonly kind: 'ones' }
  /** Uniform on `[-bound, bound)` (PyTorch's default for conv/linear: `bound = 1/sqrt(fanIn)`). */
  | { readonly kind: 'uniform'; readonly bound: number }
  /** Normal with mean 0 and standard deviation `std`. */
  | { readonly kind: 'normal'; readonly std: number };

/** Declaration of one trainable parameter: its unique name, canonical shape and initialiser. */
export interface ParamSpec {
  /** Unique, stable name such as `input.0.conv.kernel`; used as the weight name on disk. */
  readonly name: string;
  /** Shape in the canonical layout described in this module's header. */
  readonly shape: readonly number[];
  /** Initialiser used by `initParamData`. */
  readonly init: ParamInit;
}

/** Parameter tensors keyed by {@link ParamSpec.name}. */
export type Params<T> = Record<string, T>;

/** Static shape of a spatial tensor, independent of the engine's layout. */
export interface SpatialShape {
  readonly batch: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
}

/** Options of {@link TensorOps.conv2d}. */
export interface Conv2dOptions {
  /**
   * Stride in both spatial directions. Padding is always 'same' with the extra row/column, if any, at
   * the end (TensorFlow `SAME`, ONNX `SAME_UPPER`), so the output is `ceil(size / stride)`.
   * @defaultValue 1
   */
  readonly stride?: 1 | 2;
}

/** Options of {@link TensorOps.matmul}. */
export interface MatmulOptions {
  /** Use the transpose of the last two axes of `a`. @defaultValue false */
  readonly transposeA?: boolean;
  /** Use the transpose of the last two axes of `b`. @defaultValue false */
  readonly transposeB?: boolean;
}

/** Options of {@link TensorOps.dropout}. */
export interface DropoutOptions {
  /** Dropout is the identity unless this is true. */
  readonly training: boolean;
  /** Seed of the keep mask; a new mask is drawn on every call when omitted. */
  readonly seed?: number;
}

/** Anything `dispose` accepts: a tensor, a list of tensors or a record of tensors. */
export type TensorContainer<T> = T | readonly T[] | Readonly<Record<string, T>> | undefined | null;

/**
 * The op set the models are written against, generic in the engine's tensor type `T`.
 *
 * Arithmetic ops broadcast numpy-style. Every op returns a new tensor and never mutates its inputs.
 * Implementations that cannot read values back (graph tracers) may throw from `read`/`readScalar`/`toNHWC`.
 */
export interface TensorOps<T> {
  /** Name of the implementation, e.g. `tfjs-wasm`. */
  readonly name: string;
  /** Native axis order of spatial tensors. */
  readonly layout: SpatialLayout;

  // ---- creation, readback and memory ----
  /** A float32 tensor of the given (layout-free) shape from row-major data. */
  constant(data: Float32Array | readonly number[], shape: readonly number[]): T;
  /** A spatial tensor from NHWC plain data `[batch, height, width, channels]`. */
  fromNHWC(data: Float32Array, shape: readonly [number, number, number, number]): T;
  /** NHWC plain data of a spatial tensor. */
  toNHWC(x: T): Float32Array;
  /** Row-major data of a tensor (layout as stored; use `toNHWC` for spatial tensors). */
  read(x: T): Float32Array;
  /** The single value of a scalar (or one-element) tensor. */
  readScalar(x: T): number;
  /** Shape as stored. */
  shape(x: T): number[];
  /** Batch, height, width and channels of a spatial tensor. */
  spatialShape(x: T): SpatialShape;
  /** Runs `fn`, freeing every intermediate tensor it created except those it returns. */
  tidy<R>(fn: () => R): R;
  /** Frees tensors now. */
  dispose(x: TensorContainer<T>): void;

  // ---- layers (spatial) ----
  /** 2-D convolution with a square `[k, k, in, out]` kernel (k = 1 or 3), 'same' padding, optional bias. */
  conv2d(x: T, kernel: T, bias: T | undefined, options?: Conv2dOptions): T;
  /** `x · weight + bias` for `x` of shape `[n, in]` and `weight` of shape `[in, out]`. */
  linear(x: T, weight: T, bias?: T): T;
  /** Group normalisation over (height, width, channels-in-group) with per-channel affine `gamma`, `beta`. */
  groupNorm(x: T, groups: number, gamma: T, beta: T, eps: number): T;
  /** Nearest-neighbour upsampling by 2 in both spatial directions. */
  upsampleNearest2x(x: T): T;
  /** Concatenation along the channel axis. */
  concatChannels(xs: readonly T[]): T;
  /** Channels `[start, start + size)` of a spatial tensor. */
  sliceChannels(x: T, start: number, size: number): T;
  /** `[n, channels]` (or `[channels]`) → a spatial tensor that broadcasts over height and width. */
  expandToSpatial(v: T): T;
  /** Spatial `[n, …, channels]` → sequence `[n, height·width, channels]` (row-major positions). */
  spatialToSequence(x: T): T;
  /** Sequence `[n, height·width, channels]` → spatial. */
  sequenceToSpatial(x: T, height: number, width: number): T;

  // ---- elementwise ----
  add(a: T, b: T): T;
  sub(a: T, b: T): T;
  mul(a: T, b: T): T;
  div(a: T, b: T): T;
  addScalar(x: T, s: number): T;
  mulScalar(x: T, s: number): T;
  square(x: T): T;
  abs(x: T): T;
  maximum(a: T, b: T): T;
  sin(x: T): T;
  cos(x: T): T;
  sigmoid(x: T): T;
  /** `x · sigmoid(x)`. */
  silu(x: T): T;

  // ---- shape, linear algebra, reductions ----
  reshape(x: T, shape: readonly number[]): T;
  transpose(x: T, perm: readonly number[]): T;
  /** `numSplits` equal pieces along `axis`. */
  split(x: T, numSplits: number, axis: number): T[];
  concat(xs: readonly T[], axis: number): T;
  /** Batched matrix product over the last two axes. */
  matmul(a: T, b: T, options?: MatmulOptions): T;
  /** Softmax over the last axis. */
  softmax(x: T): T;
  /** Mean of all elements (a scalar). */
  mean(x: T): T;
  /** Inverted dropout: zeroes each element with probability `rate`, scales the rest by `1/(1-rate)`. */
  dropout(x: T, rate: number, options: DropoutOptions): T;
}
