/**
 * @file The typed, mutable `env` singleton of `@medsymmflow/core-flow`, in the style of transformers.js
 * and onnxruntime-common: logging, engine hints and WebAssembly settings in one place.
 *
 * @example
 * ```ts
 * import { env } from '@medsymmflow/core-flow';
 * env.logLevel = 'info';                  // report which engine was picked and why others were skipped
 * env.backends.engines = ['wasm'];         // default engine hint list for resolveEngine()
 * env.backends.wasm.numThreads = 1;
 * ```
 *
 * @module env
 */
import { version } from './version.js';

/** Log levels, from quietest to most verbose. */
export const LogLevel = Object.freeze({ silent: 0, error: 1, warn: 2, info: 3, debug: 4 });
/** A log level name. */
export type LogLevelName = keyof typeof LogLevel;

/** WebAssembly backend settings, read when the wasm engine initialises. */
export interface WasmFlags {
  /**
   * Worker threads of the threaded wasm build (browsers with cross-origin isolation only; Node runs the
   * single-threaded SIMD build). `undefined` lets tfjs decide.
   * @defaultValue undefined
   */
  numThreads: number | undefined;
  /**
   * Where the `.wasm` binaries are served from (browsers, custom bundles). `undefined` uses the files of
   * the installed `@tensorflow/tfjs-backend-wasm`.
   * @defaultValue undefined
   */
  wasmPaths: string | undefined;
}

/** Engine selection settings. */
export interface BackendFlags {
  /**
   * Default hint list for `resolveEngine()` when none is passed, e.g. `['tfjs-node', 'wasm']`.
   * `undefined` tries every registered engine by priority: tfjs-node-gpu, tfjs-node, wasm, cpu.
   * @defaultValue undefined
   */
  engines: string[] | undefined;
  /** WebAssembly settings. */
  wasm: WasmFlags;
}

/** A function that receives log records at or above {@link Env.logLevel}. */
export type LogSink = (level: Exclude<LogLevelName, 'silent'>, message: string) => void;

/** The shape of {@link env}. */
export interface Env {
  /**
   * Messages at this level or more severe reach {@link Env.logSink}. Libraries never print on their own:
   * the default is `'silent'`; the CLI raises it. It is also passed on to tfjs (`silent`/`error` set
   * tfjs's `PROD` flag, which silences its console notices).
   * @defaultValue 'silent'
   */
  logLevel: LogLevelName;
  /**
   * Where log records go.
   * @defaultValue writes to `console.error` (errors, warnings) or `console.log`
   */
  logSink: LogSink;
  /** Engine selection. */
  backends: BackendFlags;
  /** Versions of this package and of the engines it found. */
  readonly versions: { readonly coreFlow: string; tfjs?: string };
}

const defaultSink: LogSink = (level, message) => {
  const line = `[core-flow] ${level}: ${message}`;
  if (level === 'error' || level === 'warn') console.error(line);
  else console.log(line);
};

let logLevel: LogLevelName = 'silent';

/** The global settings object. */
export const env: Env = {
  get logLevel(): LogLevelName {
    return logLevel;
  },
  set logLevel(level: LogLevelName) {
    if (!Object.hasOwn(LogLevel, level)) {
      throw new TypeError(
        `Unknown log level ${JSON.stringify(level)}. Should be one of: ${Object.keys(LogLevel).join(', ')}.`,
      );
    }
    logLevel = level;
    for (const listener of logLevelListeners) listener(level);
  },
  logSink: defaultSink,
  backends: {
    engines: undefined,
    wasm: { numThreads: undefined, wasmPaths: undefined },
  },
  versions: { coreFlow: version },
};

const logLevelListeners: ((level: LogLevelName) => void)[] = [];

/** @ignore Lets engines follow `env.logLevel` (as transformers.js passes it on to onnxruntime). */
export function onLogLevelChange(listener: (level: LogLevelName) => void): void {
  logLevelListeners.push(listener);
}

function log(level: Exclude<LogLevelName, 'silent'>, message: string): void {
  if (LogLevel[level] <= LogLevel[logLevel]) env.logSink(level, message);
}

/** The package logger; it respects {@link Env.logLevel}. */
export const logger = Object.freeze({
  error: (message: string) => log('error', message),
  warn: (message: string) => log('warn', message),
  info: (message: string) => log('info', message),
  debug: (message: string) => log('debug', message),
});
