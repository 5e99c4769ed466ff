/**
 * @file The engine SPI: what an engine (tfjs on some backend, later onnxruntime) provides to the model and
 * flow code, and the registry interface. Users normally only call {@link resolveEngine}.
 *
 * @module engines/engine
 */
import type { Params, TensorOps } from '../ops/ops.js';

/** What an engine reports about itself after initialisation. */
export interface EngineInfo {
  /** Name it was registered under, e.g. `wasm`. */
  readonly name: string;
  /** Engine family, e.g. `tfjs`. */
  readonly family: string;
  /** Concrete backend inside the family, e.g. tfjs's `wasm`, `cpu` or `tensorflow`. */
  readonly backend: string;
  /** Version of the runtime (e.g. tfjs-core). */
  readonly version: string;
  /** Package that provides the backend, e.g. `@tensorflow/tfjs-backend-wasm`. */
  readonly packageName?: string;
  /** Worker threads, where the backend has them. */
  readonly threads?: number;
  /** Whether SIMD is in use, where that applies. */
  readonly simd?: boolean;
  /** How conv2d gradients are computed (`builtin` or `forward-conv`), when the engine supports training. */
  readonly convGradient?: string;
}

/** Result of {@link Engine.valueAndGrads}. */
export interface ValueAndGrads<T> {
  /** The scalar the gradients are of. */
  readonly value: T;
  /** Gradient per parameter name. */
  readonly grads: Params<T>;
}

/**
 * @ignore
 * An engine. `init()` is called once by the registry before anything else; `ops` is valid afterwards.
 */
export interface Engine<T = unknown> {
  /** Loads and initialises the runtime. Rejects (with a fix in the message) when it cannot run here. */
  init(): Promise<void>;
  /** The op implementation; throws before `init()` resolved. */
  readonly ops: TensorOps<T>;
  /** Description of the initialised engine. */
  info(): EngineInfo;
  /**
   * Value and gradients of a scalar function of the parameters (reverse-mode autodiff). Engines without
   * training support omit it.
   */
  valueAndGrads?(f: (params: Params<T>) => T, params: Params<T>): ValueAndGrads<T>;
}

/** An engine skipped during resolution, and why. */
export interface SkippedEngine {
  readonly name: string;
  readonly reason: string;
}

/** The engine {@link resolveEngine} picked, with the ones it skipped on the way. */
export interface ResolvedEngine<T = unknown> {
  readonly name: string;
  readonly engine: Engine<T>;
  readonly info: EngineInfo;
  readonly skipped: readonly SkippedEngine[];
}
