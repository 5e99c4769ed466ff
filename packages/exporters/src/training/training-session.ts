/**
 * @file A synchronous ONNX Runtime session for training-step graphs: CPU execution provider, intra-op
 * threads = the machine's cores by default, sequential execution, all graph optimisations, and optional
 * ONNX Runtime profiling (a Chrome-trace JSON file per session).
 *
 * @module training/training-session
 * @internal
 */
import { availableParallelism } from 'node:os';
import { loadOrt, type NativeSession, type OrtModule, type OrtTensorLike } from '../runtime/ort-binding.js';

/** Options of {@link createTrainingSession}. */
export interface TrainingSessionConfig {
  /** Intra-op threads; 0 = one per core (`os.availableParallelism()`). @defaultValue 0 */
  readonly threads?: number;
  /** File prefix of ONNX Runtime's profiler output; profiling is off without it. */
  readonly profilePrefix?: string;
}

/** A loaded training-step graph. */
export interface TrainingSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Intra-op threads in use. */
  readonly threads: number;
  /** Runs the graph; `feeds` must name every input (row-major float32 data). */
  run(
    feeds: Readonly<Record<string, { data: Float32Array; dims: readonly number[] }>>,
  ): Record<string, Float32Array>;
  /** Stops profiling and returns the profile file path (when profiling). */
  endProfiling(): string | undefined;
  dispose(): void;
}

type ProfilingSession = NativeSession & { endProfiling?(): string };

/** Loads `bytes` into a new ONNX Runtime CPU session. */
export async function createTrainingSession(
  bytes: Uint8Array,
  config: TrainingSessionConfig = {},
): Promise<TrainingSession> {
  return createTrainingSessionSync(await loadOrt(), bytes, config);
}

/** {@link createTrainingSession} with an already loaded onnxruntime-node. */
export function createTrainingSessionSync(
  ort: OrtModule,
  bytes: Uint8Array,
  config: TrainingSessionConfig = {},
): TrainingSession {
  const threads = config.threads && config.threads > 0 ? config.threads : availableParallelism();
  const native = ort.createNativeSession() as ProfilingSession;
  try {
    native.loadModel(bytes.buffer, bytes.byteOffset, bytes.byteLength, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      ...(config.profilePrefix ? { enableProfiling: true, profileFilePrefix: config.profilePrefix } : {}),
    });
  } catch (error) {
    throw new Error(`ONNX Runtime ${ort.version} rejected the training graph: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const inputNames = native.inputMetadata.map((m) => m.name);
  const outputNames = native.outputMetadata.map((m) => m.name);
  const fetches = Object.fromEntries(outputNames.map((n) => [n, null]));
  let live = true;
  let profiling = Boolean(config.profilePrefix);
  return {
    inputNames,
    outputNames,
    threads,
    run(feeds) {
      if (!live) throw new Error('This training session was disposed; create a new one.');
      const tensors: Record<string, OrtTensorLike> = {};
      for (const name of inputNames) {
        const feed = feeds[name];
        if (!feed) throw new RangeError(`Missing feed "${name}" for the training graph.`);
        tensors[name] = ort.float32Tensor(feed.data, feed.dims);
      }
      let results: Record<string, OrtTensorLike>;
      try {
        results = native.run(tensors, fetches, {});
      } catch (error) {
        throw new Error(`ONNX Runtime failed to run the training step: ${(error as Error).message}`, {
          cause: error,
        });
      }
      const out: Record<string, Float32Array> = {};
      for (const [name, t] of Object.entries(results)) {
        out[name] = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data);
      }
      return out;
    },
    endProfiling() {
      if (!profiling || !live || !native.endProfiling) return undefined;
      profiling = false;
      return native.endProfiling();
    },
    dispose() {
      if (live) native.dispose();
      live = false;
    },
  };
}
