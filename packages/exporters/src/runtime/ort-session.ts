/**
 * @file ONNX Runtime sessions over onnxruntime-node: CPU by default, CUDA when its provider libraries are
 * installed, a configurable thread count, and synchronous `runSync` for the ODE solvers next to `run`.
 *
 * @module runtime/ort-session
 */
import { readFile } from 'node:fs/promises';
import { loadOrt, type NativeSession, type OrtProviderStatus, type OrtTensorLike } from './ort-binding.js';

/** An execution provider name (`cpu`, `cuda`, … as onnxruntime-node spells them). */
export type ExecutionProviderName = 'cpu' | 'cuda' | 'tensorrt' | 'webgpu' | (string & {});

/** Graph optimisation levels of ONNX Runtime. */
export type GraphOptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';

/** Options of {@link createOrtSession}. */
export interface OrtSessionConfig {
  /**
   * Threads for parallelism inside one op; 0 lets ONNX Runtime choose (one per physical core).
   * @defaultValue 0
   */
  intraOpNumThreads?: number;
  /**
   * Threads for running independent ops in parallel (only used by the parallel execution mode); 0 = ORT's choice.
   * @defaultValue 0
   */
  interOpNumThreads?: number;
  /**
   * Execution providers in order of preference, or `'auto'`: `['cuda', 'cpu']` when the CUDA provider
   * libraries are installed (`npm i onnxruntime-node --onnxruntime-node-install=cuda12`), else `['cpu']`.
   * @defaultValue 'auto'
   */
  executionProviders?: 'auto' | readonly ExecutionProviderName[];
  /**
   * ONNX Runtime graph optimisations (constant folding, fusions, layout transforms).
   * @defaultValue 'all'
   */
  graphOptimizationLevel?: GraphOptimizationLevel;
}

/** Resolved {@link OrtSessionConfig}: `executionProviders` is the concrete list. */
export interface ResolvedOrtSessionConfig {
  readonly intraOpNumThreads: number;
  readonly interOpNumThreads: number;
  readonly executionProviders: readonly ExecutionProviderName[];
  readonly graphOptimizationLevel: GraphOptimizationLevel;
}

/** Defaults of {@link OrtSessionConfig}. */
export const ORT_SESSION_DEFAULTS = Object.freeze({
  intraOpNumThreads: 0,
  interOpNumThreads: 0,
  executionProviders: 'auto' as const,
  graphOptimizationLevel: 'all' as const,
});

const OPTIMIZATION_LEVELS: readonly GraphOptimizationLevel[] = ['disabled', 'basic', 'extended', 'all'];

/** A float32 tensor as plain data. */
export interface Float32TensorData {
  /** Row-major values. */
  readonly data: Float32Array;
  /** Dimensions. */
  readonly dims: readonly number[];
}

/** A graph input or output as ONNX Runtime reports it; symbolic dimensions are strings. */
export interface OrtValueInfo {
  readonly name: string;
  readonly dims: readonly (number | string)[];
}

/** An ONNX Runtime inference session. */
export interface OrtSession {
  /** Graph inputs. */
  readonly inputs: readonly OrtValueInfo[];
  /** Graph outputs. */
  readonly outputs: readonly OrtValueInfo[];
  /** The providers the session was created with, in order of preference. */
  readonly executionProviders: readonly ExecutionProviderName[];
  /** onnxruntime-node version. */
  readonly ortVersion: string;
  /** Runs the graph now and returns every output. Feeds must name every input. */
  runSync(feeds: Readonly<Record<string, Float32TensorData>>): Record<string, Float32TensorData>;
  /** {@link runSync} on the next turn of the event loop. */
  run(feeds: Readonly<Record<string, Float32TensorData>>): Promise<Record<string, Float32TensorData>>;
  /** Frees the native session; later calls throw. */
  dispose(): void;
}

/** Execution providers compiled into the installed onnxruntime-node, with whether each can be used. */
export async function ortExecutionProviderStatus(): Promise<readonly OrtProviderStatus[]> {
  return (await loadOrt()).providers;
}

function nonNegativeInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new RangeError(
      `'${name}' must be a non-negative integer (0 = ONNX Runtime's choice); got ${JSON.stringify(value)}.`,
    );
  }
  return value;
}

/** Copies and validates session options against the installed providers. */
export function resolveOrtSessionConfig(
  config: OrtSessionConfig,
  providers: readonly OrtProviderStatus[],
): ResolvedOrtSessionConfig {
  if (config === null || typeof config !== 'object') {
    throw new TypeError(`ONNX Runtime session options must be an object; got ${JSON.stringify(config)}.`);
  }
  const intraOpNumThreads = nonNegativeInteger(
    'intraOpNumThreads',
    config.intraOpNumThreads ?? ORT_SESSION_DEFAULTS.intraOpNumThreads,
  );
  const interOpNumThreads = nonNegativeInteger(
    'interOpNumThreads',
    config.interOpNumThreads ?? ORT_SESSION_DEFAULTS.interOpNumThreads,
  );
  const graphOptimizationLevel = config.graphOptimizationLevel ?? ORT_SESSION_DEFAULTS.graphOptimizationLevel;
  if (!OPTIMIZATION_LEVELS.includes(graphOptimizationLevel)) {
    throw new RangeError(
      `Unknown graphOptimizationLevel ${JSON.stringify(graphOptimizationLevel)}. Should be one of: ${OPTIMIZATION_LEVELS.join(', ')}.`,
    );
  }
  const requested = config.executionProviders ?? ORT_SESSION_DEFAULTS.executionProviders;
  let executionProviders: ExecutionProviderName[];
  if (requested === 'auto') {
    const cuda = providers.find((p) => p.name === 'cuda');
    executionProviders = cuda?.available ? ['cuda', 'cpu'] : ['cpu'];
  } else {
    if (!Array.isArray(requested) || requested.length === 0) {
      throw new TypeError(
        `'executionProviders' must be 'auto' or a non-empty array such as ['cpu']; got ${JSON.stringify(requested)}.`,
      );
    }
    executionProviders = [...requested];
    for (const name of executionProviders) {
      const status = providers.find((p) => p.name === name);
      if (!status) {
        throw new RangeError(
          `Unknown execution provider ${JSON.stringify(name)}. This onnxruntime-node build has: ${providers.map((p) => p.name).join(', ')}.`,
        );
      }
      if (!status.available) {
        throw new Error(
          `The ${name} execution provider is not installed. Install its libraries with ` +
            `\`npm i onnxruntime-node --onnxruntime-node-install=cuda12\` (or set ONNXRUNTIME_NODE_INSTALL=cuda12 ` +
            "before installing), or use executionProviders: ['cpu'].",
        );
      }
    }
  }
  return { intraOpNumThreads, interOpNumThreads, executionProviders, graphOptimizationLevel };
}

function toValueInfo(m: {
  name: string;
  shape: readonly number[];
  symbolicDimensions: readonly string[];
}): OrtValueInfo {
  return { name: m.name, dims: m.shape.map((d, i) => (d >= 0 ? d : m.symbolicDimensions[i] || '?')) };
}

class OrtSessionImpl implements OrtSession {
  readonly inputs: readonly OrtValueInfo[];
  readonly outputs: readonly OrtValueInfo[];
  private native: NativeSession | undefined;
  private readonly fetches: Record<string, null>;

  constructor(
    native: NativeSession,
    readonly executionProviders: readonly ExecutionProviderName[],
    readonly ortVersion: string,
    private readonly makeTensor: (data: Float32Array, dims: readonly number[]) => OrtTensorLike,
  ) {
    this.native = native;
    this.inputs = Object.freeze(native.inputMetadata.map(toValueInfo));
    this.outputs = Object.freeze(native.outputMetadata.map(toValueInfo));
    this.fetches = Object.fromEntries(this.outputs.map((o) => [o.name, null]));
  }

  runSync(feeds: Readonly<Record<string, Float32TensorData>>): Record<string, Float32TensorData> {
    if (!this.native) throw new Error('This ONNX Runtime session was disposed; create a new one.');
    const tensors: Record<string, OrtTensorLike> = {};
    for (const input of this.inputs) {
      const feed = feeds[input.name];
      if (!feed) {
        throw new RangeError(
          `Missing feed for input "${input.name}". The model takes: ${this.inputs.map((i) => i.name).join(', ')}.`,
        );
      }
      if (!(feed.data instanceof Float32Array)) {
        throw new TypeError(`Feed "${input.name}" must hold a Float32Array.`);
      }
      const size = feed.dims.reduce((a, b) => a * b, 1);
      const fits =
        feed.dims.length === input.dims.length &&
        feed.dims.every((d, i) => typeof input.dims[i] !== 'number' || input.dims[i] === d);
      if (!fits || size !== feed.data.length) {
        throw new RangeError(
          `Feed "${input.name}" has dims [${feed.dims.join(', ')}] and ${feed.data.length} values; ` +
            `the model expects [${input.dims.join(', ')}].`,
        );
      }
      tensors[input.name] = this.makeTensor(feed.data, feed.dims);
    }
    for (const name of Object.keys(feeds)) {
      if (!this.inputs.some((i) => i.name === name)) {
        throw new RangeError(
          `Unknown feed "${name}". The model takes: ${this.inputs.map((i) => i.name).join(', ')}.`,
        );
      }
    }
    let results: Record<string, OrtTensorLike>;
    try {
      results = this.native.run(tensors, this.fetches, {});
    } catch (error) {
      throw new Error(`ONNX Runtime failed to run the model: ${(error as Error).message}`, { cause: error });
    }
    const out: Record<string, Float32TensorData> = {};
    for (const [name, tensor] of Object.entries(results)) {
      const data = tensor.data instanceof Float32Array ? tensor.data : Float32Array.from(tensor.data);
      out[name] = { data, dims: [...tensor.dims] };
    }
    return out;
  }

  run(feeds: Readonly<Record<string, Float32TensorData>>): Promise<Record<string, Float32TensorData>> {
    return new Promise((resolve, reject) => {
      setImmediate(() => {
        try {
          resolve(this.runSync(feeds));
        } catch (error) {
          reject(error);
        }
      });
    });
  }

  dispose(): void {
    this.native?.dispose();
    this.native = undefined;
  }
}

/**
 * Creates an ONNX Runtime session from an `.onnx` file path or the model's bytes.
 *
 * @throws Error when onnxruntime-node is missing, a requested provider is not installed, or ONNX Runtime
 *   rejects the model (the message says why; the model file is then invalid for ONNX Runtime).
 * @example
 * ```ts
 * const session = await createOrtSession('model/model.onnx', { intraOpNumThreads: 2 });
 * const { v } = session.runSync({ x: { data: x, dims: [1, 4, 28, 28] }, t: { data: new Float32Array([1]), dims: [1] } });
 * session.dispose();
 * ```
 */
export async function createOrtSession(
  source: string | Uint8Array,
  config: OrtSessionConfig = {},
): Promise<OrtSession> {
  const ort = await loadOrt();
  const resolved = resolveOrtSessionConfig(config, ort.providers);
  let bytes: Uint8Array;
  if (typeof source === 'string') {
    try {
      bytes = await readFile(source);
    } catch (error) {
      throw new Error(`Cannot read the ONNX model ${source}: ${(error as Error).message}`, { cause: error });
    }
  } else if (source instanceof Uint8Array) {
    bytes = source;
  } else {
    throw new TypeError(
      `'source' must be a path to an .onnx file or its bytes (Uint8Array); got ${typeof source}.`,
    );
  }
  const native = ort.createNativeSession();
  try {
    native.loadModel(bytes.buffer, bytes.byteOffset, bytes.byteLength, {
      executionProviders: resolved.executionProviders,
      graphOptimizationLevel: resolved.graphOptimizationLevel,
      ...(resolved.intraOpNumThreads > 0 ? { intraOpNumThreads: resolved.intraOpNumThreads } : {}),
      ...(resolved.interOpNumThreads > 0 ? { interOpNumThreads: resolved.interOpNumThreads } : {}),
    });
  } catch (error) {
    throw new Error(
      `ONNX Runtime ${ort.version} rejected the model${typeof source === 'string' ? ` ${source}` : ''}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return new OrtSessionImpl(native, resolved.executionProviders, ort.version, ort.float32Tensor);
}
