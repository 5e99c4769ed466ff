/**
 * @file The static-shape graph the training autodiff works on: ONNX nodes in topological order, a shape for
 * every value, float32 and int64 constants, and emitters that build new nodes with their output shapes.
 * It is made from an {@link OnnxTracer} recording (traced with a fixed batch size) and written back to
 * ONNX protobuf bytes with the exporters' graph builder.
 *
 * @module training/ir
 * @internal
 */
import { broadcastShapes, sizeOf } from '../internal/float-kernels.js';
import { attr, type OnnxAttribute, OnnxGraphBuilder } from '../onnx/graph-builder.js';
import type { OnnxTracer } from '../onnx/onnx-tracer.js';

/** One node. */
export interface IrNode {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: readonly OnnxAttribute[];
  /** Operator domain ('' = ONNX). */
  readonly domain?: string;
}

/** A value: its static shape and, for constants, its data. */
export interface IrValue {
  readonly shape: readonly number[];
  /** float32 constant data. */
  readonly f32?: Float32Array;
  /** int64 constant data (shapes, axes, pads). */
  readonly i64?: readonly number[];
}

/** Reads an integer attribute. */
/** Whether two shapes are equal dimension by dimension. */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function attrInt(node: IrNode, name: string, fallback?: number): number {
  const a = node.attrs.find((x) => x.name === name);
  if (a?.i !== undefined) return Number(a.i);
  if (fallback === undefined) throw new Error(`${node.op} node has no '${name}' attribute.`);
  return fallback;
}

/** Reads an integer-list attribute. */
export function attrInts(node: IrNode, name: string, fallback?: readonly number[]): number[] {
  const a = node.attrs.find((x) => x.name === name);
  if (a?.ints !== undefined) return a.ints.map(Number);
  if (fallback === undefined) throw new Error(`${node.op} node has no '${name}' attribute.`);
  return [...fallback];
}

/** Reads a float attribute. */
export function attrFloat(node: IrNode, name: string, fallback?: number): number {
  const a = node.attrs.find((x) => x.name === name);
  if (a?.f !== undefined) return a.f;
  if (fallback === undefined) throw new Error(`${node.op} node has no '${name}' attribute.`);
  return fallback;
}

/** Reads a string attribute. */
export function attrString(node: IrNode, name: string, fallback?: string): string {
  const a = node.attrs.find((x) => x.name === name);
  if (a?.s !== undefined) return new TextDecoder().decode(a.s);
  if (fallback === undefined) throw new Error(`${node.op} node has no '${name}' attribute.`);
  return fallback;
}

/** A mutable static-shape ONNX graph. */
export class IrGraph {
  nodes: IrNode[] = [];
  readonly values = new Map<string, IrValue>();
  readonly inputs: string[] = [];
  outputs: string[] = [];
  /**
   * Constants fed as graph inputs at every run instead of stored as initializers, so that ONNX Runtime's
   * optimiser leaves the ops that use them alone (e.g. keeps the im2col conv out of its NCHWc rewrite).
   */
  readonly runtimeConstants = new Map<string, { data: Float32Array; dims: readonly number[] }>();
  private counter = 0;
  private readonly constKeys = new Map<string, string>();

  /** A fresh value name. */
  fresh(hint: string): string {
    let name: string;
    do name = `${hint}__${this.counter++}`;
    while (this.values.has(name));
    return name;
  }

  /** The shape of a value. */
  shape(name: string): number[] {
    const v = this.values.get(name);
    if (!v) throw new Error(`Internal error: unknown graph value "${name}".`);
    return [...v.shape];
  }

  /** Declares a graph input. */
  addInput(name: string, shape: readonly number[]): string {
    if (this.values.has(name)) throw new RangeError(`Graph value "${name}" already exists.`);
    this.values.set(name, { shape: [...shape] });
    this.inputs.push(name);
    return name;
  }

  /** Appends a node whose outputs have the given shapes; returns the output names. */
  node(
    op: string,
    inputs: readonly string[],
    shapes: readonly (readonly number[])[],
    attrs: readonly OnnxAttribute[] = [],
    domain?: string,
  ): string[] {
    const outputs = shapes.map((shape) => {
      const name = this.fresh(op);
      this.values.set(name, { shape: [...shape] });
      return name;
    });
    this.nodes.push({ op, inputs: [...inputs], outputs, attrs: [...attrs], ...(domain ? { domain } : {}) });
    return outputs;
  }

  /** {@link node} with one output. */
  op(
    op: string,
    inputs: readonly string[],
    shape: readonly number[],
    attrs: readonly OnnxAttribute[] = [],
    domain?: string,
  ): string {
    return this.node(op, inputs, [shape], attrs, domain)[0];
  }

  /** A float32 constant fed as a graph input (see {@link runtimeConstants}), shared by name. */
  runtimeConstant(name: string, data: Float32Array, shape: readonly number[]): string {
    if (!this.runtimeConstants.has(name)) {
      this.addInput(name, shape);
      this.runtimeConstants.set(name, { data, dims: [...shape] });
    }
    return name;
  }

  /** A float32 constant (small scalar and vector constants are shared). */
  f32(data: Float32Array | readonly number[], shape: readonly number[]): string {
    const values = data instanceof Float32Array ? data : Float32Array.from(data);
    if (values.length !== sizeOf(shape)) {
      throw new RangeError(`Internal error: constant of ${values.length} values for shape [${shape}].`);
    }
    const key = values.length <= 16 ? `f:${shape.join('x')}:${[...values].join(',')}` : undefined;
    const existing = key && this.constKeys.get(key);
    if (existing) return existing;
    const name = this.fresh('const');
    this.values.set(name, { shape: [...shape], f32: values });
    if (key) this.constKeys.set(key, name);
    return name;
  }

  /** An int64 constant (1-D, or a scalar with `scalar`). */
  i64(values: readonly number[], scalar = false): string {
    const key = `i:${scalar ? 's' : 'v'}:${values.join(',')}`;
    const existing = this.constKeys.get(key);
    if (existing) return existing;
    const name = this.fresh('const_i64');
    this.values.set(name, { shape: scalar ? [] : [values.length], i64: [...values] });
    this.constKeys.set(key, name);
    return name;
  }

  // ---- emitters with shape rules (used by the gradient rules) ----

  binary(op: 'Add' | 'Sub' | 'Mul' | 'Div', a: string, b: string): string {
    return this.op(op, [a, b], broadcastShapes(this.shape(a), this.shape(b)));
  }
  add(a: string, b: string): string {
    return this.binary('Add', a, b);
  }
  sub(a: string, b: string): string {
    return this.binary('Sub', a, b);
  }
  mul(a: string, b: string): string {
    return this.binary('Mul', a, b);
  }
  div(a: string, b: string): string {
    return this.binary('Div', a, b);
  }
  scale(x: string, s: number): string {
    return s === 1 ? x : this.mul(x, this.f32([s], []));
  }
  unary(op: string, x: string): string {
    return this.op(op, [x], this.shape(x));
  }
  reshape(x: string, shape: readonly number[]): string {
    const from = this.shape(x);
    if (sameShape(from, shape)) return x;
    if (sizeOf(from) !== sizeOf(shape)) {
      throw new Error(`Internal error: cannot reshape [${from}] to [${shape}].`);
    }
    return this.op('Reshape', [x, this.i64(shape)], shape);
  }
  transpose(x: string, perm: readonly number[]): string {
    if (perm.every((p, i) => p === i)) return x;
    const s = this.shape(x);
    return this.op(
      'Transpose',
      [x],
      perm.map((p) => s[p]),
      [attr.ints('perm', perm)],
    );
  }
  /** ReduceSum over `axes` (opset 13+: axes as an input). */
  reduceSum(x: string, axes: readonly number[], keepdims: boolean): string {
    if (axes.length === 0) return x;
    const s = this.shape(x);
    const out = s.flatMap((d, i) => (axes.includes(i) ? (keepdims ? [1] : []) : [d]));
    return this.op('ReduceSum', [x, this.i64(axes)], out, [attr.int('keepdims', keepdims ? 1 : 0)]);
  }
  /** ReduceMean over `axes` (opset 17: axes as an attribute). */
  reduceMean(x: string, axes: readonly number[], keepdims: boolean): string {
    const s = this.shape(x);
    const out = s.flatMap((d, i) => (axes.includes(i) ? (keepdims ? [1] : []) : [d]));
    return this.op('ReduceMean', [x], out, [attr.ints('axes', axes), attr.int('keepdims', keepdims ? 1 : 0)]);
  }
  /** Sums `x` over broadcast axes so it gets `target`'s shape (the gradient of a broadcasting op). */
  sumTo(x: string, target: readonly number[]): string {
    const s = this.shape(x);
    const lead = s.length - target.length;
    if (lead < 0) throw new Error(`Internal error: cannot sum [${s}] to [${target}].`);
    const axes: number[] = [];
    for (let i = 0; i < s.length; i++) {
      if (i < lead || (target[i - lead] === 1 && s[i] !== 1)) axes.push(i);
    }
    return this.reshape(this.reduceSum(x, axes, true), target);
  }
  /** Zeros of a shape (as a broadcast constant expanded to the shape). */
  zeros(shape: readonly number[]): string {
    return this.op('Expand', [this.f32([0], []), this.i64(shape)], shape);
  }

  /** Removes every node that does not contribute to an output. */
  removeDeadNodes(): void {
    const live = new Set(this.outputs);
    const kept: IrNode[] = [];
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const n = this.nodes[i];
      if (n.outputs.some((o) => live.has(o))) {
        kept.push(n);
        for (const input of n.inputs) if (input !== '') live.add(input);
      }
    }
    this.nodes = kept.reverse();
  }

  /**
   * Serialises the graph (inputs and outputs float32) with opset `opset`; `outputNames` renames the
   * outputs (same order as {@link outputs}).
   */
  toOnnx(
    opset: number,
    graphName: string,
    producerVersion: string,
    outputNames?: readonly string[],
  ): Uint8Array {
    const b = new OnnxGraphBuilder();
    const rename = new Map<string, string>();
    const nameOf = (v: string) => rename.get(v) ?? v;
    for (const input of this.inputs) b.addInput(input, this.shape(input));
    const used = new Set<string>();
    for (const n of this.nodes) for (const i of n.inputs) used.add(i);
    for (const o of this.outputs) used.add(o);
    for (const name of used) {
      const v = this.values.get(name);
      if (v?.f32) rename.set(name, b.addFloatConstant(name, v.f32, v.shape));
      else if (v?.i64) rename.set(name, b.int64(v.i64, v.shape.length === 0));
    }
    for (const n of this.nodes) {
      const outs = n.outputs.map((o) => {
        const fresh = b.uniqueName(o);
        rename.set(o, fresh);
        return fresh;
      });
      b.addNode(
        n.op,
        n.inputs.map((i) => (i === '' ? '' : nameOf(i))),
        outs,
        n.attrs,
        n.domain,
      );
    }
    this.outputs.forEach((o, i) => {
      const v = this.values.get(o);
      const src = v?.f32 ? b.addFloatConstant(`${o}_value`, v.f32, v.shape) : nameOf(o);
      b.addOutput(src, outputNames?.[i] ?? o, this.shape(o));
    });
    const domains = [...new Set(this.nodes.map((n) => n.domain).filter((d): d is string => Boolean(d)))];
    return b.build({
      opset,
      graphName,
      producerName: '@medsymmflow/exporters',
      producerVersion,
      extraOpsets: domains.map((domain) => ({ domain, version: 1 })),
    });
  }
}

/** An {@link IrGraph} from a tracer that was fed static shapes (no symbolic batch). */
export function irFromTracer(tracer: OnnxTracer): IrGraph {
  const rec = tracer.recordedGraph();
  const g = new IrGraph();
  const staticShape = (name: string): number[] => {
    const s = rec.shapes.get(name);
    if (!s) throw new Error(`Internal error: the tracer recorded no shape for "${name}".`);
    return s.map((d) => {
      if (typeof d !== 'number') {
        throw new RangeError(
          `Training graphs need a fixed batch size; "${name}" has a dynamic dimension. Trace with numeric shapes.`,
        );
      }
      return d;
    });
  };
  for (const input of rec.inputs) g.addInput(input.name, staticShape(input.name));
  for (const [name, c] of rec.floatConstants) g.values.set(name, { shape: [...c.dims], f32: c.data });
  for (const [name, c] of rec.int64Constants) g.values.set(name, { shape: [...c.dims], i64: [...c.data] });
  for (const n of rec.nodes) {
    for (const o of n.output) g.values.set(o, { shape: staticShape(o) });
    g.nodes.push({ op: n.opType, inputs: [...n.input], outputs: [...n.output], attrs: [...n.attribute] });
  }
  return g;
}
