/**
 * @file A small ONNX graph builder: nodes in topological (recording) order, float initializers that are
 * emitted only when something uses them, deduplicated int64 constants, graph inputs/outputs with symbolic
 * dimensions, and serialisation through protobufjs.
 *
 * @module onnx/graph-builder
 */
import { modelProtoType, ONNX_ATTRIBUTE_TYPES, ONNX_DATA_TYPES } from './onnx-schema.js';

/** A dimension of a graph input or output: a size, or the name of a symbolic (dynamic) dimension. */
export type OnnxDim = number | string;

/** One ONNX node attribute, in the shape protobufjs encodes. */
export interface OnnxAttribute {
  readonly name: string;
  readonly type: number;
  readonly f?: number;
  readonly i?: number;
  readonly s?: Uint8Array;
  readonly floats?: readonly number[];
  readonly ints?: readonly number[];
}

/** Attribute constructors. */
export const attr = Object.freeze({
  int: (name: string, value: number): OnnxAttribute => ({ name, type: ONNX_ATTRIBUTE_TYPES.INT, i: value }),
  ints: (name: string, value: readonly number[]): OnnxAttribute => ({
    name,
    type: ONNX_ATTRIBUTE_TYPES.INTS,
    ints: [...value],
  }),
  float: (name: string, value: number): OnnxAttribute => ({
    name,
    type: ONNX_ATTRIBUTE_TYPES.FLOAT,
    f: value,
  }),
  string: (name: string, value: string): OnnxAttribute => ({
    name,
    type: ONNX_ATTRIBUTE_TYPES.STRING,
    s: new TextEncoder().encode(value),
  }),
});

/** @internal A recorded graph, as {@link OnnxGraphBuilder.snapshot} returns it. */
export interface OnnxGraphSnapshot {
  readonly nodes: readonly NodeRecord[];
  readonly floatConstants: ReadonlyMap<
    string,
    { readonly dims: readonly number[]; readonly data: Float32Array }
  >;
  readonly int64Constants: ReadonlyMap<
    string,
    { readonly dims: readonly number[]; readonly data: readonly number[] }
  >;
  readonly inputs: readonly { readonly name: string; readonly dims: readonly OnnxDim[] }[];
  readonly outputs: readonly { readonly name: string; readonly dims: readonly OnnxDim[] }[];
}

/** @internal One recorded node. */
export interface NodeRecord {
  opType: string;
  name: string;
  input: string[];
  output: string[];
  attribute: OnnxAttribute[];
  domain?: string;
}

interface FloatConstant {
  dims: number[];
  data: Float32Array;
  docString?: string;
}

interface ValueInfo {
  name: string;
  dims: readonly OnnxDim[];
  elemType: number;
  docString?: string;
}

/** What {@link OnnxGraphBuilder.build} needs besides the graph. */
export interface OnnxModelMeta {
  /** Default-domain opset version. */
  readonly opset: number;
  /** Graph name. */
  readonly graphName: string;
  /** `producer_name`. */
  readonly producerName: string;
  /** `producer_version`. */
  readonly producerVersion: string;
  /** Model documentation (markdown allowed). */
  readonly docString?: string;
  /** `metadata_props` key/value pairs. */
  readonly metadata?: Readonly<Record<string, string>>;
  /** Opsets of other operator domains the graph uses (e.g. ONNX Runtime's `com.microsoft.nchwc`). */
  readonly extraOpsets?: readonly { readonly domain: string; readonly version: number }[];
}

/** IR version to write for an opset (the IR version the ONNX release that introduced it used). */
export function irVersionForOpset(opset: number): number {
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  return 10;
}

/**
 * Records an ONNX graph. Values are named strings; the builder hands out unique names.
 * @internal
 */
export class OnnxGraphBuilder {
  private readonly nodes: NodeRecord[] = [];
  private readonly floatConstants = new Map<string, FloatConstant>();
  private readonly int64Constants = new Map<string, { dims: number[]; data: number[] }>();
  private readonly int64ByKey = new Map<string, string>();
  private readonly used = new Set<string>();
  private readonly taken = new Set<string>();
  private readonly counters = new Map<string, number>();
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];

  /** A fresh value name derived from `hint`. */
  uniqueName(hint: string): string {
    const base = hint.replace(/[^A-Za-z0-9_.:/-]/g, '_') || 'value';
    if (!this.taken.has(base) && !this.counters.has(base)) {
      this.taken.add(base);
      this.counters.set(base, 0);
      return base;
    }
    let n = this.counters.get(base) ?? 0;
    let name: string;
    do {
      n++;
      name = `${base}_${n}`;
    } while (this.taken.has(name));
    this.counters.set(base, n);
    this.taken.add(name);
    return name;
  }

  /** Appends a node; returns its output names (fresh unless given). */
  addNode(
    opType: string,
    inputs: readonly string[],
    outputs: number | readonly string[] = 1,
    attributes: readonly OnnxAttribute[] = [],
    domain?: string,
  ): string[] {
    const name = this.uniqueName(`${opType}`);
    const outputNames =
      typeof outputs === 'number'
        ? Array.from({ length: outputs }, (_, i) =>
            this.uniqueName(outputs === 1 ? `${name}_out` : `${name}_out${i}`),
          )
        : [...outputs];
    for (const input of inputs) if (input !== '') this.used.add(input);
    this.nodes.push({
      opType,
      name,
      input: [...inputs],
      output: outputNames,
      attribute: [...attributes],
      ...(domain ? { domain } : {}),
    });
    return outputNames;
  }

  /** Registers a float32 constant; it becomes an initializer only if a node or output uses it. */
  addFloatConstant(hint: string, data: Float32Array, dims: readonly number[], docString?: string): string {
    const name = this.uniqueName(hint);
    this.floatConstants.set(name, { dims: [...dims], data, docString });
    return name;
  }

  /** Whether `name` is a registered float constant. */
  isConstant(name: string): boolean {
    return this.floatConstants.has(name);
  }

  /** An int64 constant (shapes, axes, split sizes), shared between nodes that use the same values. */
  int64(values: readonly number[], scalar = false): string {
    const key = `${scalar ? 's' : 'v'}:${values.join(',')}`;
    const existing = this.int64ByKey.get(key);
    if (existing) return existing;
    const name = this.uniqueName(scalar ? 'const_i64' : `const_i64_${values.length}`);
    this.int64Constants.set(name, { dims: scalar ? [] : [values.length], data: [...values] });
    this.int64ByKey.set(key, name);
    return name;
  }

  /** Declares a float32 graph input. */
  addInput(name: string, dims: readonly OnnxDim[], docString?: string): string {
    if (this.taken.has(name)) throw new RangeError(`ONNX value name "${name}" is already used.`);
    this.taken.add(name);
    this.inputs.push({ name, dims, elemType: ONNX_DATA_TYPES.FLOAT, docString });
    return name;
  }

  /** Declares `value` as a float32 graph output named `name` (adds an Identity when the names differ). */
  addOutput(value: string, name: string, dims: readonly OnnxDim[], docString?: string): void {
    if (value !== name) {
      if (this.taken.has(name)) throw new RangeError(`ONNX value name "${name}" is already used.`);
      this.taken.add(name);
      this.addNode('Identity', [value], [name]);
    } else {
      this.used.add(name);
    }
    this.outputs.push({ name, dims, elemType: ONNX_DATA_TYPES.FLOAT, docString });
  }

  /**
   * @internal The recorded graph as plain records (nodes in recording order, every registered constant,
   * inputs and outputs), for graph transforms such as the training autodiff.
   */
  snapshot(): OnnxGraphSnapshot {
    return {
      nodes: this.nodes.map((n) => ({ ...n, input: [...n.input], output: [...n.output] })),
      floatConstants: new Map([...this.floatConstants].map(([k, c]) => [k, { dims: c.dims, data: c.data }])),
      int64Constants: new Map(this.int64Constants),
      inputs: this.inputs.map((v) => ({ name: v.name, dims: v.dims })),
      outputs: this.outputs.map((v) => ({ name: v.name, dims: v.dims })),
    };
  }

  /** Number of nodes recorded so far. */
  get nodeCount(): number {
    return this.nodes.length;
  }

  /** The `onnx.ModelProto` as a plain object (only used constants become initializers). */
  toModelObject(meta: OnnxModelMeta): Record<string, unknown> {
    const initializer: Record<string, unknown>[] = [];
    for (const [name, c] of this.floatConstants) {
      if (!this.used.has(name)) continue;
      const bytes = new Uint8Array(c.data.buffer, c.data.byteOffset, c.data.byteLength);
      initializer.push({
        name,
        dims: c.dims,
        dataType: ONNX_DATA_TYPES.FLOAT,
        rawData: littleEndian(bytes),
        ...(c.docString ? { docString: c.docString } : {}),
      });
    }
    for (const [name, c] of this.int64Constants) {
      if (!this.used.has(name)) continue;
      initializer.push({ name, dims: c.dims, dataType: ONNX_DATA_TYPES.INT64, int64Data: c.data });
    }
    const valueInfo = (v: ValueInfo) => ({
      name: v.name,
      ...(v.docString ? { docString: v.docString } : {}),
      type: {
        tensorType: {
          elemType: v.elemType,
          shape: { dim: v.dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
        },
      },
    });
    return {
      irVersion: irVersionForOpset(meta.opset),
      opsetImport: [{ domain: '', version: meta.opset }, ...(meta.extraOpsets ?? [])],
      producerName: meta.producerName,
      producerVersion: meta.producerVersion,
      ...(meta.docString ? { docString: meta.docString } : {}),
      metadataProps: Object.entries(meta.metadata ?? {}).map(([key, value]) => ({ key, value })),
      graph: {
        name: meta.graphName,
        node: this.nodes.map((n) => ({
          input: n.input,
          output: n.output,
          name: n.name,
          opType: n.opType,
          ...(n.domain ? { domain: n.domain } : {}),
          attribute: n.attribute,
        })),
        initializer,
        input: this.inputs.map(valueInfo),
        output: this.outputs.map(valueInfo),
      },
    };
  }

  /** Serialises the model to ONNX protobuf bytes. */
  build(meta: OnnxModelMeta): Uint8Array {
    const type = modelProtoType();
    const object = this.toModelObject(meta);
    const problem = type.verify(object);
    if (problem)
      throw new Error(`Internal error: the ONNX model object does not match the schema: ${problem}`);
    return type.encode(type.fromObject(object)).finish();
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Raw tensor bytes must be little-endian in ONNX files. */
function littleEndian(bytes: Uint8Array): Uint8Array {
  if (LITTLE_ENDIAN) return bytes;
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += 4) {
    out[i] = bytes[i + 3];
    out[i + 1] = bytes[i + 2];
    out[i + 2] = bytes[i + 1];
    out[i + 3] = bytes[i];
  }
  return out;
}
