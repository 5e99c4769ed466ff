/**
 * @file `OnnxTracer`: a {@link TensorOps} implementation that records every op as ONNX nodes instead of
 * computing it, so the model code written once against the op interface (the UNet of
 * `@medsymmflow/core-flow`) becomes an ONNX graph without a second model definition.
 *
 * - Layout `NCHW` (ONNX's native convolution layout); spatial ops hide it from the model code.
 * - Parameters become initializers named after the parameter; conv kernels are converted from the
 *   canonical HWIO to ONNX's OIHW when the graph is built, linear weights stay `[in, out]` (Gemm).
 * - The batch dimension is dynamic: shapes are tracked symbolically as static sizes or multiples of the
 *   batch (`batch × k`, e.g. after attention folds heads into the batch), enough to emit `Reshape`s with
 *   `0`/`-1` for the batch.
 * - Constant subgraphs are folded while tracing (an op whose inputs are all known constants is computed
 *   in JavaScript and becomes one initializer); unused constants are never written.
 * - GroupNorm is `Reshape → InstanceNormalization → Reshape → Mul → Add` by default (every opset ≥ 17,
 *   fused kernels in ONNX Runtime); `groupNorm: 'native'` emits `GroupNormalization` (opset ≥ 21).
 *
 * Values of traced tensors do not exist: `read`, `readScalar` and `toNHWC` work only on constants.
 *
 * @module onnx/onnx-tracer
 */
import type {
  Conv2dOptions,
  DropoutOptions,
  MatmulOptions,
  SpatialLayout,
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
import {
  attr,
  type OnnxAttribute,
  type OnnxDim,
  OnnxGraphBuilder,
  type OnnxGraphSnapshot,
  type OnnxModelMeta,
} from './graph-builder.js';

/** A traced dimension: a static size, or `batch × k` for the dynamic batch size. */
export type TracedDim = number | { readonly batch: number };

/** A value in the traced graph. */
export interface TracedTensor {
  /** ONNX value name. */
  readonly name: string;
  /** Shape as stored (spatial tensors are NCHW); the batch is symbolic. */
  readonly shape: readonly TracedDim[];
  /** Known values (row-major, as stored) when the tensor is a constant. */
  readonly value?: Float32Array;
}

/** How GroupNorm is written to ONNX. */
export type GroupNormMode = 'instance-norm' | 'native';

/** Options of {@link OnnxTracer}. */
export interface OnnxTracerConfig {
  /**
   * Default-domain opset of the graph (17 to 21).
   * @defaultValue 17
   */
  opset?: number;
  /**
   * `'instance-norm'`: `Reshape → InstanceNormalization → Reshape → Mul → Add`, valid for every opset and
   * run by fused kernels in ONNX Runtime. `'native'`: one `GroupNormalization` node (needs opset ≥ 21, whose
   * per-channel scale/bias match GroupNorm; opset 18's per-group definition was deprecated).
   * @defaultValue 'instance-norm'
   */
  groupNorm?: GroupNormMode;
  /**
   * Compute ops whose inputs are all constants while tracing, writing one initializer instead of a subgraph.
   * @defaultValue true
   */
  foldConstants?: boolean;
  /**
   * Name of the symbolic batch dimension in the graph's inputs and outputs.
   * @defaultValue 'batch'
   */
  batchDimName?: string;
}

/** Resolved {@link OnnxTracerConfig}. */
export type ResolvedOnnxTracerConfig = Required<OnnxTracerConfig>;

/** Lowest and highest opsets the tracer writes. */
export const SUPPORTED_OPSETS = Object.freeze({ min: 17, max: 21 });

/** Defaults of {@link OnnxTracerConfig}. */
export const ONNX_TRACER_DEFAULTS: ResolvedOnnxTracerConfig = Object.freeze({
  opset: 17,
  groupNorm: 'instance-norm',
  foldConstants: true,
  batchDimName: 'batch',
});

/** Copies and validates tracer options. */
export function resolveOnnxTracerConfig(config: OnnxTracerConfig = {}): ResolvedOnnxTracerConfig {
  if (config === null || typeof config !== 'object') {
    throw new TypeError(`ONNX tracer options must be an object; got ${JSON.stringify(config)}.`);
  }
  const resolved: ResolvedOnnxTracerConfig = {
    opset: config.opset ?? ONNX_TRACER_DEFAULTS.opset,
    groupNorm: config.groupNorm ?? ONNX_TRACER_DEFAULTS.groupNorm,
    foldConstants: config.foldConstants ?? ONNX_TRACER_DEFAULTS.foldConstants,
    batchDimName: config.batchDimName ?? ONNX_TRACER_DEFAULTS.batchDimName,
  };
  const { opset, groupNorm } = resolved;
  if (!Number.isInteger(opset) || opset < SUPPORTED_OPSETS.min || opset > SUPPORTED_OPSETS.max) {
    throw new RangeError(
      `Unsupported ONNX opset ${JSON.stringify(opset)}. Should be an integer from ${SUPPORTED_OPSETS.min} to ${SUPPORTED_OPSETS.max}.`,
    );
  }
  if (groupNorm !== 'instance-norm' && groupNorm !== 'native') {
    throw new RangeError(
      `Unknown groupNorm mode ${JSON.stringify(groupNorm)}. Should be one of: 'instance-norm', 'native'.`,
    );
  }
  if (groupNorm === 'native' && opset < 21) {
    throw new RangeError(
      `groupNorm 'native' needs opset 21 or newer (GroupNormalization with per-channel scale); got opset ${opset}. ` +
        "Set opset: 21 or use groupNorm: 'instance-norm'.",
    );
  }
  if (typeof resolved.foldConstants !== 'boolean') {
    throw new TypeError(`'foldConstants' must be a boolean; got ${JSON.stringify(resolved.foldConstants)}.`);
  }
  if (typeof resolved.batchDimName !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(resolved.batchDimName)) {
    throw new TypeError(
      `'batchDimName' must be an identifier such as 'batch'; got ${JSON.stringify(resolved.batchDimName)}.`,
    );
  }
  return resolved;
}

const isBatch = (d: TracedDim): d is { readonly batch: number } => typeof d !== 'number';

function dimEquals(a: TracedDim, b: TracedDim): boolean {
  return isBatch(a) ? isBatch(b) && a.batch === b.batch : !isBatch(b) && a === b;
}

function dimString(d: TracedDim): string {
  if (!isBatch(d)) return String(d);
  return d.batch === 1 ? 'batch' : `batch×${d.batch}`;
}

function shapeString(shape: readonly TracedDim[]): string {
  return `[${shape.map(dimString).join(', ')}]`;
}

function broadcastTraced(a: readonly TracedDim[], b: readonly TracedDim[]): TracedDim[] {
  const rank = Math.max(a.length, b.length);
  const out: TracedDim[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da === 1) out.push(db);
    else if (db === 1 || dimEquals(da, db)) out.push(da);
    else {
      throw new RangeError(`Shapes ${shapeString(a)} and ${shapeString(b)} cannot be broadcast together.`);
    }
  }
  return out;
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/**
 * Records {@link TensorOps} calls as an ONNX graph.
 *
 * @example
 * ```ts
 * const tracer = new OnnxTracer({ opset: 17 });
 * const x = tracer.input('x', [{ batch: 1 }, 4, 28, 28]);
 * const y = tracer.silu(x);
 * tracer.output(y, 'y');
 * const bytes = tracer.build({ graphName: 'silu' }); // ONNX protobuf bytes
 * ```
 */
export class OnnxTracer implements TensorOps<TracedTensor> {
  readonly name = 'onnx-tracer';
  readonly layout: SpatialLayout = 'NCHW';
  /** The resolved options. */
  readonly config: ResolvedOnnxTracerConfig;
  private readonly graph = new OnnxGraphBuilder();
  private readonly own = new WeakSet<TracedTensor>();
  private readonly shapes = new Map<string, readonly TracedDim[]>();

  constructor(config: OnnxTracerConfig = {}) {
    this.config = resolveOnnxTracerConfig(config);
  }

  // ---------------------------------------------------------------------------------------------
  // Graph inputs, parameters, outputs

  /** Declares a float32 graph input with the given (stored-layout) shape; `{ batch: 1 }` marks the batch. */
  input(name: string, shape: readonly TracedDim[], docString?: string): TracedTensor {
    this.graph.addInput(
      name,
      shape.map((d) => this.onnxDim(d)),
      docString,
    );
    return this.make(name, shape);
  }

  /**
   * A named parameter (canonical layout, see `TensorOps`). It becomes an initializer called `name` —
   * conv kernels in OIHW — if the graph uses it.
   */
  parameter(name: string, data: Float32Array, shape: readonly number[]): TracedTensor {
    return this.constantNamed(name, data, shape);
  }

  /** Declares `x` as a graph output called `name`. */
  output(x: TracedTensor, name: string, docString?: string): void {
    this.check(x);
    let value = x;
    if (x.value !== undefined && !this.graph.isConstant(x.name))
      value = this.constantNamed(`${name}_value`, x.value, this.staticShape(x));
    this.graph.addOutput(
      value.name,
      name,
      x.shape.map((d) => this.onnxDim(d)),
      docString,
    );
  }

  /** Serialises the recorded graph to ONNX protobuf bytes. */
  build(meta: Partial<Omit<OnnxModelMeta, 'opset'>> = {}): Uint8Array {
    return this.graph.build({
      opset: this.config.opset,
      graphName: meta.graphName ?? 'medsymmflow',
      producerName: meta.producerName ?? '@medsymmflow/exporters',
      producerVersion: meta.producerVersion ?? '',
      docString: meta.docString,
      metadata: meta.metadata,
    });
  }

  /**
   * @internal The recorded graph with the traced shape of every value (graph transforms such as the
   * training autodiff of `src/training` start from it).
   */
  recordedGraph(): OnnxGraphSnapshot & { readonly shapes: ReadonlyMap<string, readonly TracedDim[]> } {
    return { ...this.graph.snapshot(), shapes: new Map(this.shapes) };
  }

  /** Nodes recorded so far. */
  get nodeCount(): number {
    return this.graph.nodeCount;
  }

  // ---------------------------------------------------------------------------------------------
  // Internals

  private onnxDim(d: TracedDim): OnnxDim {
    if (!isBatch(d)) return d;
    return d.batch === 1 ? this.config.batchDimName : `${this.config.batchDimName}_x${d.batch}`;
  }

  private make(name: string, shape: readonly TracedDim[], value?: Float32Array): TracedTensor {
    const t: TracedTensor = Object.freeze({
      name,
      shape: Object.freeze([...shape]),
      ...(value ? { value } : {}),
    });
    this.own.add(t);
    this.shapes.set(name, t.shape);
    return t;
  }

  private check(x: TracedTensor): void {
    if (!this.own.has(x)) {
      throw new TypeError(
        'OnnxTracer received a tensor it did not create (from another engine or another tracer). ' +
          'Create inputs with tracer.input() and parameters with tracer.parameter() or tracer.constant().',
      );
    }
  }

  private constantNamed(hint: string, data: Float32Array, shape: readonly number[]): TracedTensor {
    if (data.length !== sizeOf(shape)) {
      throw new RangeError(
        `Constant "${hint}" has ${data.length} values; shape [${shape.join(', ')}] needs ${sizeOf(shape)}.`,
      );
    }
    const name = this.graph.addFloatConstant(hint, data, shape);
    return this.make(name, shape, data);
  }

  private staticShape(x: TracedTensor): number[] {
    return x.shape.map((d) => {
      if (isBatch(d)) throw new RangeError(`Expected a static shape; got ${shapeString(x.shape)}.`);
      return d;
    });
  }

  private foldable(...xs: TracedTensor[]): boolean {
    for (const x of xs) this.check(x);
    return this.config.foldConstants && xs.every((x) => x.value !== undefined);
  }

  private node(
    opType: string,
    inputs: readonly (TracedTensor | string)[],
    shape: readonly TracedDim[],
    attributes: readonly OnnxAttribute[] = [],
  ): TracedTensor {
    const names = inputs.map((i) => (typeof i === 'string' ? i : i.name));
    const [out] = this.graph.addNode(opType, names, 1, attributes);
    return this.make(out, shape);
  }

  private binary(
    opType: string,
    a: TracedTensor,
    b: TracedTensor,
    f: (x: number, y: number) => number,
  ): TracedTensor {
    if (this.foldable(a, b)) {
      const r = binaryBroadcast(a.value!, this.staticShape(a), b.value!, this.staticShape(b), f);
      return this.constantNamed('folded', r.data, r.shape);
    }
    return this.node(opType, [a, b], broadcastTraced(a.shape, b.shape));
  }

  private unary(opType: string, x: TracedTensor, f: (v: number) => number): TracedTensor {
    if (this.foldable(x)) return this.constantNamed('folded', unaryMap(x.value!, f), this.staticShape(x));
    return this.node(opType, [x], x.shape);
  }

  private scalar(value: number): TracedTensor {
    return this.constantNamed('scalar', new Float32Array([value]), []);
  }

  private spatial(x: TracedTensor, op: string): { batch: TracedDim; c: number; h: number; w: number } {
    this.check(x);
    if (x.shape.length !== 4) {
      throw new RangeError(`${op} expects a rank-4 NCHW tensor; got shape ${shapeString(x.shape)}.`);
    }
    const [batch, c, h, w] = x.shape;
    if (isBatch(c) || isBatch(h) || isBatch(w)) {
      throw new RangeError(`${op}: only the batch dimension may be dynamic; got ${shapeString(x.shape)}.`);
    }
    return { batch, c, h, w };
  }

  /** A Reshape to `target`, where the first entry may be 0 (copy the input's first dimension). */
  private reshapeRaw(x: TracedTensor, target: readonly number[], shape: readonly TracedDim[]): TracedTensor {
    return this.node('Reshape', [x, this.graph.int64(target)], shape);
  }

  private normAxis(axis: number, rank: number, op: string): number {
    const a = axis < 0 ? axis + rank : axis;
    if (!Number.isInteger(a) || a < 0 || a >= rank) {
      throw new RangeError(`${op}: axis ${axis} is out of range for rank ${rank}.`);
    }
    return a;
  }

  // ---------------------------------------------------------------------------------------------
  // Creation, readback and memory

  constant(data: Float32Array | readonly number[], shape: readonly number[]): TracedTensor {
    const values = data instanceof Float32Array ? data : Float32Array.from(data);
    return this.constantNamed('const', values, shape);
  }
  fromNHWC(data: Float32Array, shape: readonly [number, number, number, number]): TracedTensor {
    const [n, h, w, c] = shape;
    if (data.length !== n * h * w * c) {
      throw new RangeError(`fromNHWC: ${data.length} values do not fill shape [${shape.join(', ')}].`);
    }
    return this.constantNamed('const', nhwcToNchw(data, n, h, w, c), [n, c, h, w]);
  }
  toNHWC(x: TracedTensor): Float32Array {
    const { c, h, w } = this.spatial(x, 'toNHWC');
    const data = this.read(x);
    return nchwToNhwc(data, data.length / (c * h * w), c, h, w);
  }
  read(x: TracedTensor): Float32Array {
    this.check(x);
    if (x.value === undefined) {
      throw new Error(
        `The ONNX tracer records a graph and has no value for "${x.name}" ${shapeString(x.shape)}. ` +
          'Only constants can be read while tracing; run the exported model (e.g. with createOrtSession) to get values.',
      );
    }
    return x.value.slice();
  }
  readScalar(x: TracedTensor): number {
    const data = this.read(x);
    if (data.length !== 1)
      throw new RangeError(`readScalar expects a one-element tensor; got ${shapeString(x.shape)}.`);
    return data[0];
  }
  shape(x: TracedTensor): number[] {
    this.check(x);
    return x.shape.map((d) => (isBatch(d) ? -1 : d));
  }
  spatialShape(x: TracedTensor): SpatialShape {
    const { batch, c, h, w } = this.spatial(x, 'spatialShape');
    return { batch: isBatch(batch) ? -1 : batch, height: h, width: w, channels: c };
  }
  tidy<R>(fn: () => R): R {
    return fn();
  }
  dispose(_x: TensorContainer<TracedTensor>): void {}

  // ---------------------------------------------------------------------------------------------
  // Layers

  conv2d(
    x: TracedTensor,
    kernel: TracedTensor,
    bias: TracedTensor | undefined,
    options: Conv2dOptions = {},
  ): TracedTensor {
    const { batch, c, h, w } = this.spatial(x, 'conv2d');
    this.check(kernel);
    const stride = options.stride ?? 1;
    if (stride !== 1 && stride !== 2) throw new RangeError(`conv2d stride must be 1 or 2; got ${stride}.`);
    const ks = kernel.shape;
    if (ks.length !== 4 || ks.some(isBatch) || ks[0] !== ks[1] || ks[2] !== c) {
      throw new RangeError(
        `conv2d expects a [k, k, ${c}, out] (HWIO) kernel for ${c} input channels; got ${shapeString(ks)}.`,
      );
    }
    const [k, , cin, cout] = ks as number[];
    let oihw: TracedTensor;
    if (kernel.value !== undefined) {
      oihw = this.constantNamed(
        `${kernel.name}_oihw`,
        transposeData(kernel.value, [k, k, cin, cout], [3, 2, 0, 1]),
        [cout, cin, k, k],
      );
    } else {
      oihw = this.node('Transpose', [kernel], [cout, cin, k, k], [attr.ints('perm', [3, 2, 0, 1])]);
    }
    const inputs: TracedTensor[] = [x, oihw];
    if (bias) {
      this.check(bias);
      if (bias.shape.length !== 1 || bias.shape[0] !== cout) {
        throw new RangeError(`conv2d bias must have shape [${cout}]; got ${shapeString(bias.shape)}.`);
      }
      inputs.push(bias);
    }
    // TensorFlow 'SAME' = ONNX SAME_UPPER, written as explicit pads (the extra row/column at the end).
    const outH = Math.ceil(h / stride);
    const outW = Math.ceil(w / stride);
    const padH = Math.max((outH - 1) * stride + k - h, 0);
    const padW = Math.max((outW - 1) * stride + k - w, 0);
    const pads = [
      Math.floor(padH / 2),
      Math.floor(padW / 2),
      padH - Math.floor(padH / 2),
      padW - Math.floor(padW / 2),
    ];
    return this.node(
      'Conv',
      inputs,
      [batch, cout, outH, outW],
      [
        attr.ints('kernel_shape', [k, k]),
        attr.ints('strides', [stride, stride]),
        attr.ints('pads', pads),
        attr.ints('dilations', [1, 1]),
        attr.int('group', 1),
      ],
    );
  }

  linear(x: TracedTensor, weight: TracedTensor, bias?: TracedTensor): TracedTensor {
    this.check(x);
    this.check(weight);
    if (x.shape.length !== 2 || weight.shape.length !== 2 || !dimEquals(x.shape[1], weight.shape[0])) {
      throw new RangeError(
        `linear expects x [n, in] and weight [in, out]; got ${shapeString(x.shape)} and ${shapeString(weight.shape)}.`,
      );
    }
    const inputs = bias ? [x, weight, bias] : [x, weight];
    if (bias) this.check(bias);
    return this.node(
      'Gemm',
      inputs,
      [x.shape[0], weight.shape[1]],
      [attr.float('alpha', 1), attr.float('beta', 1)],
    );
  }

  groupNorm(
    x: TracedTensor,
    groups: number,
    gamma: TracedTensor,
    beta: TracedTensor,
    eps: number,
  ): TracedTensor {
    const { batch, c, h, w } = this.spatial(x, 'groupNorm');
    this.check(gamma);
    this.check(beta);
    if (!Number.isInteger(groups) || groups < 1 || c % groups !== 0) {
      throw new RangeError(`groupNorm: ${c} channels are not divisible by ${groups} groups.`);
    }
    if (this.config.groupNorm === 'native') {
      return this.node('GroupNormalization', [x, gamma, beta], x.shape, [
        attr.float('epsilon', eps),
        attr.int('num_groups', groups),
      ]);
    }
    const grouped = this.reshapeRaw(x, [0, groups, -1], [batch, groups, (c / groups) * h * w]);
    const ones = this.constantNamed('gn_scale', new Float32Array(groups).fill(1), [groups]);
    const zeros = this.constantNamed('gn_bias', new Float32Array(groups), [groups]);
    const normed = this.node('InstanceNormalization', [grouped, ones, zeros], grouped.shape, [
      attr.float('epsilon', eps),
    ]);
    const back = this.reshapeRaw(normed, [0, c, h, w], x.shape);
    return this.add(this.mul(back, this.reshape(gamma, [c, 1, 1])), this.reshape(beta, [c, 1, 1]));
  }

  upsampleNearest2x(x: TracedTensor): TracedTensor {
    const { batch, c, h, w } = this.spatial(x, 'upsampleNearest2x');
    const scales = this.graph.addFloatConstant('resize_scales', new Float32Array([1, 1, 2, 2]), [4]);
    return this.node(
      'Resize',
      [x, '', scales],
      [batch, c, 2 * h, 2 * w],
      [
        attr.string('mode', 'nearest'),
        attr.string('coordinate_transformation_mode', 'asymmetric'),
        attr.string('nearest_mode', 'floor'),
      ],
    );
  }

  concatChannels(xs: readonly TracedTensor[]): TracedTensor {
    return this.concat(xs, 1);
  }

  sliceChannels(x: TracedTensor, start: number, size: number): TracedTensor {
    const { batch, c, h, w } = this.spatial(x, 'sliceChannels');
    if (!Number.isInteger(start) || !Number.isInteger(size) || start < 0 || size < 1 || start + size > c) {
      throw new RangeError(`sliceChannels(${start}, ${size}) is out of range for ${c} channels.`);
    }
    if (start === 0 && size === c) return x;
    return this.node(
      'Slice',
      [x, this.graph.int64([start]), this.graph.int64([start + size]), this.graph.int64([1])],
      [batch, size, h, w],
    );
  }

  expandToSpatial(v: TracedTensor): TracedTensor {
    this.check(v);
    if (v.shape.length === 1) return this.reshape(v, [1, this.staticDim(v.shape[0]), 1, 1]);
    if (v.shape.length !== 2)
      throw new RangeError(`expandToSpatial expects [n, c] or [c]; got ${shapeString(v.shape)}.`);
    const [n, c] = v.shape;
    const channels = this.staticDim(c);
    if (v.value !== undefined || !isBatch(n)) return this.reshape(v, [this.staticDim(n), channels, 1, 1]);
    return this.reshapeRaw(v, [0, channels, 1, 1], [n, channels, 1, 1]);
  }

  spatialToSequence(x: TracedTensor): TracedTensor {
    const { batch, c, h, w } = this.spatial(x, 'spatialToSequence');
    const flat = this.reshapeRaw(x, [0, c, h * w], [batch, c, h * w]);
    return this.transpose(flat, [0, 2, 1]);
  }

  sequenceToSpatial(x: TracedTensor, height: number, width: number): TracedTensor {
    this.check(x);
    if (x.shape.length !== 3 || x.shape[1] !== height * width) {
      throw new RangeError(
        `sequenceToSpatial expects [n, ${height * width}, c] for ${height}×${width}; got ${shapeString(x.shape)}.`,
      );
    }
    const c = this.staticDim(x.shape[2]);
    const channelsFirst = this.transpose(x, [0, 2, 1]);
    return this.reshapeRaw(channelsFirst, [0, c, height, width], [x.shape[0], c, height, width]);
  }

  private staticDim(d: TracedDim): number {
    if (isBatch(d)) throw new RangeError('Expected a static dimension; got the dynamic batch.');
    return d;
  }

  // ---------------------------------------------------------------------------------------------
  // Elementwise

  add(a: TracedTensor, b: TracedTensor): TracedTensor {
    return this.binary('Add', a, b, (x, y) => x + y);
  }
  sub(a: TracedTensor, b: TracedTensor): TracedTensor {
    return this.binary('Sub', a, b, (x, y) => x - y);
  }
  mul(a: TracedTensor, b: TracedTensor): TracedTensor {
    return this.binary('Mul', a, b, (x, y) => x * y);
  }
  div(a: TracedTensor, b: TracedTensor): TracedTensor {
    return this.binary('Div', a, b, (x, y) => x / y);
  }
  addScalar(x: TracedTensor, s: number): TracedTensor {
    this.check(x);
    if (s === 0) return x;
    return this.add(x, this.scalar(s));
  }
  mulScalar(x: TracedTensor, s: number): TracedTensor {
    this.check(x);
    if (s === 1) return x;
    return this.mul(x, this.scalar(s));
  }
  square(x: TracedTensor): TracedTensor {
    if (this.foldable(x)) return this.unary('Mul', x, (v) => v * v);
    return this.node('Mul', [x, x], x.shape);
  }
  abs(x: TracedTensor): TracedTensor {
    return this.unary('Abs', x, Math.abs);
  }
  maximum(a: TracedTensor, b: TracedTensor): TracedTensor {
    return this.binary('Max', a, b, Math.max);
  }
  sin(x: TracedTensor): TracedTensor {
    return this.unary('Sin', x, Math.sin);
  }
  cos(x: TracedTensor): TracedTensor {
    return this.unary('Cos', x, Math.cos);
  }
  sigmoid(x: TracedTensor): TracedTensor {
    return this.unary('Sigmoid', x, sigmoid);
  }
  silu(x: TracedTensor): TracedTensor {
    if (this.foldable(x)) return this.unary('Silu', x, (v) => v * sigmoid(v));
    return this.node('Mul', [x, this.node('Sigmoid', [x], x.shape)], x.shape);
  }

  // ---------------------------------------------------------------------------------------------
  // Shape, linear algebra, reductions

  reshape(x: TracedTensor, shape: readonly number[]): TracedTensor {
    this.check(x);
    const inferred = this.inferReshape(x, shape);
    if (this.foldable(x)) return this.constantNamed(`${x.name}_r`, x.value!, inferred as number[]);
    return this.reshapeRaw(x, shape, inferred);
  }

  private inferReshape(x: TracedTensor, target: readonly number[]): TracedDim[] {
    let staticIn = 1;
    let batchIn: number | undefined;
    for (const d of x.shape) {
      if (isBatch(d)) batchIn = d.batch;
      else staticIn *= d;
    }
    const unknown = target.filter((d) => d === -1).length;
    if (unknown > 1 || target.some((d) => !Number.isInteger(d) || d < -1 || d === 0)) {
      throw new RangeError(
        `reshape target [${target.join(', ')}] must hold positive sizes and at most one -1.`,
      );
    }
    const staticOut = target.reduce((p, d) => (d === -1 ? p : p * d), 1);
    const fail = () =>
      new RangeError(
        `Cannot reshape ${shapeString(x.shape)} to [${target.join(', ')}] with a dynamic batch.`,
      );
    if (unknown === 0) {
      if (batchIn !== undefined || staticIn !== staticOut) throw fail();
      return [...target];
    }
    const ratio = staticIn / staticOut;
    if (batchIn === undefined) {
      if (!Number.isInteger(ratio)) throw fail();
      return target.map((d) => (d === -1 ? ratio : d));
    }
    const k = batchIn * ratio;
    if (!Number.isInteger(k) || k < 1) throw fail();
    return target.map((d) => (d === -1 ? { batch: k } : d));
  }

  transpose(x: TracedTensor, perm: readonly number[]): TracedTensor {
    this.check(x);
    if (perm.length !== x.shape.length || [...perm].sort((p, q) => p - q).some((p, i) => p !== i)) {
      throw new RangeError(`transpose perm [${perm.join(', ')}] does not fit shape ${shapeString(x.shape)}.`);
    }
    const shape = perm.map((p) => x.shape[p]);
    if (this.foldable(x)) {
      return this.constantNamed(
        `${x.name}_t`,
        transposeData(x.value!, this.staticShape(x), perm),
        shape as number[],
      );
    }
    return this.node('Transpose', [x], shape, [attr.ints('perm', perm)]);
  }

  split(x: TracedTensor, numSplits: number, axis: number): TracedTensor[] {
    this.check(x);
    const a = this.normAxis(axis, x.shape.length, 'split');
    const size = x.shape[a];
    if (isBatch(size) || !Number.isInteger(numSplits) || numSplits < 1 || size % numSplits !== 0) {
      throw new RangeError(
        `split: dimension ${dimString(size)} of axis ${axis} cannot be split into ${numSplits} equal parts.`,
      );
    }
    const part = size / numSplits;
    const shape = x.shape.map((d, i) => (i === a ? part : d));
    const outputs = this.graph.addNode(
      'Split',
      [x.name, this.graph.int64(new Array<number>(numSplits).fill(part))],
      numSplits,
      [attr.int('axis', a)],
    );
    return outputs.map((name) => this.make(name, shape));
  }

  concat(xs: readonly TracedTensor[], axis: number): TracedTensor {
    if (xs.length === 0) throw new RangeError('concat needs at least one tensor.');
    for (const x of xs) this.check(x);
    const rank = xs[0].shape.length;
    const a = this.normAxis(axis, rank, 'concat');
    let total = 0;
    for (const x of xs) {
      const ok = x.shape.length === rank && x.shape.every((d, i) => i === a || dimEquals(d, xs[0].shape[i]));
      if (!ok || isBatch(x.shape[a])) {
        throw new RangeError(
          `concat along axis ${axis}: shapes ${xs.map((t) => shapeString(t.shape)).join(', ')} do not match.`,
        );
      }
      total += x.shape[a] as number;
    }
    if (xs.length === 1) return xs[0];
    const shape = xs[0].shape.map((d, i) => (i === a ? total : d));
    return this.node('Concat', xs, shape, [attr.int('axis', a)]);
  }

  matmul(a: TracedTensor, b: TracedTensor, options: MatmulOptions = {}): TracedTensor {
    this.check(a);
    this.check(b);
    if (a.shape.length < 2 || b.shape.length < 2) {
      throw new RangeError(`matmul needs rank ≥ 2; got ${shapeString(a.shape)} and ${shapeString(b.shape)}.`);
    }
    const lastTwo = (t: TracedTensor) => {
      const perm = t.shape.map((_, i) => i);
      const r = perm.length;
      [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
      return this.transpose(t, perm);
    };
    const left = options.transposeA ? lastTwo(a) : a;
    const right = options.transposeB ? lastTwo(b) : b;
    const m = left.shape[left.shape.length - 2];
    const kA = left.shape[left.shape.length - 1];
    const kB = right.shape[right.shape.length - 2];
    const n = right.shape[right.shape.length - 1];
    if (!dimEquals(kA, kB)) {
      throw new RangeError(
        `matmul inner dimensions differ: ${shapeString(left.shape)} · ${shapeString(right.shape)}.`,
      );
    }
    const batch = broadcastTraced(left.shape.slice(0, -2), right.shape.slice(0, -2));
    return this.node('MatMul', [left, right], [...batch, m, n]);
  }

  softmax(x: TracedTensor): TracedTensor {
    this.check(x);
    return this.node('Softmax', [x], x.shape, [attr.int('axis', -1)]);
  }

  mean(x: TracedTensor): TracedTensor {
    this.check(x);
    if (this.foldable(x)) {
      let sum = 0;
      for (const v of x.value!) sum += v;
      return this.constantNamed('folded', new Float32Array([sum / x.value!.length]), []);
    }
    return this.node('ReduceMean', [x], [], [attr.int('keepdims', 0)]);
  }

  dropout(x: TracedTensor, rate: number, options: DropoutOptions): TracedTensor {
    this.check(x);
    if (options.training && rate > 0) {
      throw new RangeError(
        'The ONNX tracer exports inference graphs; dropout with training: true cannot be traced. ' +
          'Trace the model with training: false.',
      );
    }
    return x;
  }
}
