/** Runs one function written against TensorOps on tfjs and, traced to ONNX, on ONNX Runtime. */
import type { TensorOps } from '@medsymmflow/core-flow';
import { nchwToNhwc, nhwcToNchw } from '../internal/float-kernels.js';
import { OnnxTracer, type OnnxTracerConfig } from '../onnx/onnx-tracer.js';
import { readOnnxModel } from '../onnx/read-onnx.js';
import { createOrtSession } from '../runtime/ort-session.js';

/** One input: spatial (NHWC data, fed as NCHW to the graph) or plain (layout-free). Dim 0 is the batch. */
export interface OpInput {
  readonly kind: 'spatial' | 'plain';
  /** Shape: NHWC for spatial inputs. */
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Result of {@link compareOp}. */
export interface OpComparison {
  /** tfjs result (NHWC for spatial outputs). */
  readonly expected: Float32Array;
  /** ONNX Runtime result in the same layout. */
  readonly actual: Float32Array;
  /** ONNX op types in the traced graph. */
  readonly opTypes: readonly string[];
  /** Serialised model. */
  readonly bytes: Uint8Array;
}

/**
 * Evaluates `fn` on tfjs and as a traced ONNX graph in ONNX Runtime.
 * @param spatialOutput - whether the output is a spatial tensor (compared in NHWC).
 */
export async function compareOp(
  tfjs: TensorOps<unknown>,
  inputs: readonly OpInput[],
  fn: <T>(ops: TensorOps<T>, xs: T[]) => T,
  spatialOutput: boolean,
  config: OnnxTracerConfig = {},
): Promise<OpComparison> {
  const expected = tfjs.tidy(() => {
    const xs = inputs.map((i) =>
      i.kind === 'spatial'
        ? tfjs.fromNHWC(i.data, i.shape as [number, number, number, number])
        : tfjs.constant(i.data, i.shape),
    );
    const y = fn(tfjs, xs);
    return spatialOutput ? tfjs.toNHWC(y) : tfjs.read(y);
  });
  const tracer = new OnnxTracer(config);
  const feeds: Record<string, { data: Float32Array; dims: number[] }> = {};
  const xs = inputs.map((input, i) => {
    const name = `in${i}`;
    if (input.kind === 'spatial') {
      const [n, h, w, c] = input.shape;
      feeds[name] = { data: nhwcToNchw(input.data, n, h, w, c), dims: [n, c, h, w] };
      return tracer.input(name, [{ batch: 1 }, c, h, w]);
    }
    feeds[name] = { data: input.data, dims: [...input.shape] };
    return tracer.input(name, [{ batch: 1 }, ...input.shape.slice(1)]);
  });
  const y = fn(tracer, xs);
  tracer.output(y, 'y');
  const bytes = tracer.build({ graphName: 'op' });
  const session = await createOrtSession(bytes, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  let out: { data: Float32Array; dims: readonly number[] };
  try {
    out = session.runSync(feeds).y;
  } finally {
    session.dispose();
  }
  const actual =
    spatialOutput && out.dims.length === 4
      ? nchwToNhwc(out.data, out.dims[0], out.dims[1], out.dims[2], out.dims[3])
      : out.data;
  return { expected, actual, opTypes: readOnnxModel(bytes).nodes.map((n) => n.opType), bytes };
}
