/**
 * @file Reading ONNX files back: a decoded, plain-object view of a model (opset, inputs, outputs, nodes,
 * initializers and metadata) for inspection, tests and the runtime's metadata lookup.
 *
 * @module onnx/read-onnx
 */
import { modelProtoType } from './onnx-schema.js';

/** A graph input or output: name, element type code and dimensions (numbers or symbolic names). */
export interface OnnxValueSummary {
  readonly name: string;
  readonly elemType: number;
  readonly dims: readonly (number | string)[];
}

/** An initializer: name, dims, element type code and, for float32 tensors, the values. */
export interface OnnxInitializerSummary {
  readonly name: string;
  readonly dims: readonly number[];
  readonly dataType: number;
  /** Values of float32 initializers (little-endian raw data or `float_data`); undefined for other types. */
  readonly floatData?: Float32Array;
  /** Values of int64 initializers. */
  readonly int64Data?: readonly number[];
}

/** A node: op type, inputs, outputs and attribute names with their values. */
export interface OnnxNodeSummary {
  readonly name: string;
  readonly opType: string;
  readonly domain: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: Readonly<Record<string, number | string | readonly number[]>>;
}

/** A decoded ONNX model. */
export interface OnnxModelSummary {
  readonly irVersion: number;
  readonly opsetImports: readonly { readonly domain: string; readonly version: number }[];
  readonly producerName: string;
  readonly producerVersion: string;
  readonly docString: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly graphName: string;
  readonly inputs: readonly OnnxValueSummary[];
  readonly outputs: readonly OnnxValueSummary[];
  readonly nodes: readonly OnnxNodeSummary[];
  readonly initializers: readonly OnnxInitializerSummary[];
}

// biome-ignore lint/suspicious/noExplicitAny: decoded protobuf objects are untyped.
type Decoded = any;

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v ?? 0));

function valueSummary(v: Decoded): OnnxValueSummary {
  const tensor = v.type?.tensorType;
  return {
    name: v.name ?? '',
    elemType: num(tensor?.elemType),
    dims: (tensor?.shape?.dim ?? []).map((d: Decoded) => (d.dimParam ? String(d.dimParam) : num(d.dimValue))),
  };
}

function floatValues(t: Decoded): Float32Array | undefined {
  if (num(t.dataType) !== 1) return undefined;
  if (t.rawData && t.rawData.length > 0) {
    const bytes: Uint8Array = t.rawData;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const out = new Float32Array(bytes.byteLength / 4);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(4 * i, true);
    return out;
  }
  return Float32Array.from(t.floatData ?? []);
}

/**
 * Decodes ONNX protobuf bytes.
 * @throws Error (with the protobuf error as `cause`) when the bytes are not an ONNX model.
 * @example
 * ```ts
 * const summary = readOnnxModel(await readFile('model.onnx'));
 * console.log(summary.opsetImports, summary.inputs.map((i) => i.name)); // [{ domain: '', version: 17 }] ['x', 't']
 * ```
 */
export function readOnnxModel(bytes: Uint8Array): OnnxModelSummary {
  let m: Decoded;
  try {
    const type = modelProtoType();
    m = type.toObject(type.decode(bytes), { longs: Number, defaults: false, arrays: true });
  } catch (error) {
    throw new Error(
      `The bytes are not a valid ONNX model (protobuf decoding failed): ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  if (!m.graph) throw new Error('The ONNX model has no graph; the file is truncated or not an ONNX model.');
  const metadata: Record<string, string> = {};
  for (const entry of m.metadataProps ?? []) metadata[entry.key ?? ''] = entry.value ?? '';
  return {
    irVersion: num(m.irVersion),
    opsetImports: (m.opsetImport ?? []).map((o: Decoded) => ({
      domain: o.domain ?? '',
      version: num(o.version),
    })),
    producerName: m.producerName ?? '',
    producerVersion: m.producerVersion ?? '',
    docString: m.docString ?? '',
    metadata,
    graphName: m.graph.name ?? '',
    inputs: (m.graph.input ?? []).map(valueSummary),
    outputs: (m.graph.output ?? []).map(valueSummary),
    nodes: (m.graph.node ?? []).map((n: Decoded) => {
      const attributes: Record<string, number | string | readonly number[]> = {};
      for (const a of n.attribute ?? []) {
        const type = num(a.type);
        attributes[a.name] =
          type === 1
            ? num(a.f)
            : type === 2
              ? num(a.i)
              : type === 3
                ? new TextDecoder().decode(a.s)
                : type === 6
                  ? (a.floats ?? []).map(num)
                  : (a.ints ?? []).map(num);
      }
      return {
        name: n.name ?? '',
        opType: n.opType ?? '',
        domain: n.domain ?? '',
        inputs: n.input ?? [],
        outputs: n.output ?? [],
        attributes,
      };
    }),
    initializers: (m.graph.initializer ?? []).map((t: Decoded) => ({
      name: t.name ?? '',
      dims: (t.dims ?? []).map(num),
      dataType: num(t.dataType),
      floatData: floatValues(t),
      int64Data: num(t.dataType) === 7 ? (t.int64Data ?? []).map(num) : undefined,
    })),
  };
}
