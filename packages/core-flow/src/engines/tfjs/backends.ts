/**
 * @file tfjs backends as plugins of the tfjs engine family.
 *
 * Each plugin says which package provides a tfjs backend, how to load it and how to install it. Optional
 * backends (`@tensorflow/tfjs-node-gpu`, `@tensorflow/tfjs-node`) are imported dynamically at run time, so
 * a missing one is only an error when it is asked for explicitly.
 *
 * | engine          | tfjs backend | package                          | priority |
 * | --------------- | ------------ | -------------------------------- | -------- |
 * | `tfjs-node-gpu` | `tensorflow` | `@tensorflow/tfjs-node-gpu` (opt) | 400      |
 * | `tfjs-node`     | `tensorflow` | `@tensorflow/tfjs-node` (opt)     | 300      |
 * | `wasm`          | `wasm`       | `@tensorflow/tfjs-backend-wasm`  | 200      |
 * | `cpu`           | `cpu`        | `@tensorflow/tfjs-backend-cpu`   | 100      |
 *
 * @module engines/tfjs/backends
 */
import * as tf from '@tensorflow/tfjs-core';
import { env } from '../../env.js';
import type { EngineInfo } from '../engine.js';

/** A tfjs backend plugin. */
export interface TfjsBackendPlugin {
  /** Engine name, e.g. `tfjs-node`. */
  readonly name: string;
  /** Name of the tfjs backend the package registers, e.g. `tensorflow`. */
  readonly tfBackend: string;
  /** npm package that provides it. */
  readonly packageName: string;
  /** Whether the package is an optional extra (not a dependency of core-flow). */
  readonly optional: boolean;
  /** Default priority in the engine registry. */
  readonly priority: number;
  /** Imports the package (which registers the tfjs backend) and applies settings from `env`. */
  load(): Promise<void>;
  /** Extra facts for {@link EngineInfo} after initialisation. */
  details?(): Promise<Partial<EngineInfo>>;
}

/** Typed identity helper for third-party tfjs backend plugins (e.g. webgpu). */
export function defineTfjsBackend<P extends TfjsBackendPlugin>(plugin: P): P {
  return plugin;
}

/** Imports an optional package by name, turning "not installed" into an error with the install command. */
export async function importOptional(packageName: string): Promise<unknown> {
  try {
    // A variable specifier keeps bundlers from trying to resolve optional packages at build time.
    const specifier = packageName;
    return await import(/* @vite-ignore */ specifier);
  } catch (error) {
    const code = (error as { code?: string }).code;
    const notFound =
      code === 'ERR_MODULE_NOT_FOUND' ||
      code === 'MODULE_NOT_FOUND' ||
      /Cannot find (package|module)|Failed to load url|Failed to resolve/.test(String(error));
    const message = notFound
      ? `${packageName} is not installed. Install it with \`npm i ${packageName}\`.`
      : `${packageName} failed to load: ${(error as Error).message ?? error}. Reinstall it with \`npm i ${packageName}\`.`;
    throw new Error(message, { cause: error });
  }
}

let wasmModule: typeof import('@tensorflow/tfjs-backend-wasm') | undefined;

/** The built-in tfjs backends, by engine name. */
export const TFJS_BACKENDS = Object.freeze({
  'tfjs-node-gpu': defineTfjsBackend({
    name: 'tfjs-node-gpu',
    tfBackend: 'tensorflow',
    packageName: '@tensorflow/tfjs-node-gpu',
    optional: true,
    priority: 400,
    async load() {
      await importOptional('@tensorflow/tfjs-node-gpu');
    },
  }),
  'tfjs-node': defineTfjsBackend({
    name: 'tfjs-node',
    tfBackend: 'tensorflow',
    packageName: '@tensorflow/tfjs-node',
    optional: true,
    priority: 300,
    async load() {
      await importOptional('@tensorflow/tfjs-node');
    },
  }),
  wasm: defineTfjsBackend({
    name: 'wasm',
    tfBackend: 'wasm',
    packageName: '@tensorflow/tfjs-backend-wasm',
    optional: false,
    priority: 200,
    async load() {
      wasmModule ??= await import('@tensorflow/tfjs-backend-wasm');
      const { wasmPaths, numThreads } = env.backends.wasm;
      if (wasmPaths !== undefined) wasmModule.setWasmPaths(wasmPaths);
      if (numThreads !== undefined) {
        if (!Number.isInteger(numThreads) || numThreads < 1) {
          throw new RangeError(
            `env.backends.wasm.numThreads must be a positive integer; got ${JSON.stringify(numThreads)}.`,
          );
        }
        wasmModule.setThreadsCount(numThreads);
      }
    },
    async details() {
      const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
      return { threads: wasmModule?.getThreadsCount(), simd };
    },
  }),
  cpu: defineTfjsBackend({
    name: 'cpu',
    tfBackend: 'cpu',
    packageName: '@tensorflow/tfjs-backend-cpu',
    optional: false,
    priority: 100,
    async load() {
      await import('@tensorflow/tfjs-backend-cpu');
    },
  }),
});

/** Engine names of the built-in tfjs backends. */
export type TfjsBackendName = keyof typeof TFJS_BACKENDS;
