/**
 * @file Messages between the trainer and its gradient workers.
 * @module train/worker-protocol
 * @internal
 */
import type { WasmFlags } from '../env.js';
import type { GradientSetup, ShardInput, ShardSums } from './gradients.js';

/** Trainer → worker. */
export type WorkerRequest =
  | {
      type: 'init';
      id: number;
      /** Engine name the main thread resolved (never a hint list: every worker must use the same one). */
      engine: string;
      setup: GradientSetup;
      logLevel: string;
      wasm: Partial<WasmFlags>;
      /** Weights, all parameters back to back (float32), written by the trainer before each step. */
      params: SharedArrayBuffer;
      /** This worker's gradient sums, same layout as `params`. */
      grads: SharedArrayBuffer;
      /** Values per parameter, in spec order. */
      sizes: number[];
    }
  | { type: 'step'; id: number; input: ShardInput };

/** Worker → trainer. */
export type WorkerResponse =
  | { type: 'ready'; id: number; engine: string }
  | { type: 'done'; id: number; sums: ShardSums }
  | { type: 'error'; id: number; message: string; stack?: string; name?: string };
