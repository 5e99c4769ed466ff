/**
 * @file Data-parallel gradient workers (node:worker_threads).
 *
 * The weights live in one `SharedArrayBuffer` that the trainer updates in place (AdamW) between steps;
 * every worker reads them from there, computes the gradient sums of its shard on its own engine and
 * writes them into its own shared buffer. Only the shard data and a few numbers travel as messages.
 *
 * @module train/worker-pool
 * @internal
 */
import { env } from '../env.js';
import type { GradientSetup, ShardInput, ShardSums } from './gradients.js';
import { findWorkerScript, RequestWorker } from './request-worker.js';
import type { WorkerRequest, WorkerResponse } from './worker-protocol.js';

/** A pool of gradient workers. */
export interface GradientPool {
  /** Number of workers. */
  readonly size: number;
  /** Computes one shard per worker (`shards.length ≤ size`); resolves with each worker's sums and gradients. */
  compute(shards: readonly ShardInput[]): Promise<{ sums: ShardSums[]; grads: Float32Array[][] }>;
  /** Stops every worker. */
  close(): Promise<void>;
}

/** Allocates float32 parameter arrays backed by one `SharedArrayBuffer` (views in `sizes` order). */
export function sharedArrays(sizes: readonly number[]): {
  buffer: SharedArrayBuffer;
  arrays: Float32Array[];
} {
  const total = sizes.reduce((a, b) => a + b, 0);
  const buffer = new SharedArrayBuffer(total * 4);
  const arrays: Float32Array[] = [];
  let offset = 0;
  for (const size of sizes) {
    arrays.push(new Float32Array(buffer, offset * 4, size));
    offset += size;
  }
  return { buffer, arrays };
}

/**
 * The built worker script. In the published package it sits next to this bundle; when the trainer runs
 * from source (tests), the package's `dist/` build is used.
 */
export function resolveWorkerScript(): URL {
  const here = import.meta.url;
  return findWorkerScript(
    [
      new URL('./gradient-worker.js', here),
      new URL('../gradient-worker.js', here),
      new URL('../../dist/gradient-worker.js', here),
    ],
    'the gradient worker script',
    'Build @medsymmflow/core-flow (`pnpm build`) or train with workers: 0.',
  );
}

type PoolWorker = RequestWorker<WorkerRequest, WorkerResponse>;

function startWorker(script: URL, index: number): PoolWorker {
  return new RequestWorker<WorkerRequest, WorkerResponse>(script, {
    name: `medsymmflow-gradient-${index}`,
    label: `Gradient worker ${index}`,
    errorOf(reply) {
      if (reply.type !== 'error') return undefined;
      const error = new Error(`Gradient worker ${index} failed: ${reply.message}`);
      if (reply.stack) error.stack = `${error.message}\n--- worker stack ---\n${reply.stack}`;
      return error;
    },
  });
}

/** Starts `size` workers on engine `engine` and waits until each has initialised it. */
export async function createGradientPool(options: {
  size: number;
  engine: string;
  setup: GradientSetup;
  sizes: readonly number[];
  params: SharedArrayBuffer;
}): Promise<GradientPool> {
  const script = resolveWorkerScript();
  const workers: PoolWorker[] = [];
  const gradViews: Float32Array[][] = [];
  const close = async () => {
    await Promise.all(workers.map((w) => w.worker.terminate()));
  };
  try {
    const inits: Promise<WorkerResponse>[] = [];
    for (let i = 0; i < options.size; i++) {
      const worker = startWorker(script, i);
      workers.push(worker);
      const grads = sharedArrays(options.sizes);
      gradViews.push(grads.arrays);
      inits.push(
        worker.request({
          type: 'init',
          engine: options.engine,
          setup: options.setup,
          logLevel: env.logLevel,
          wasm: { ...env.backends.wasm },
          params: options.params,
          grads: grads.buffer,
          sizes: [...options.sizes],
        }),
      );
    }
    await Promise.all(inits);
  } catch (error) {
    await close();
    throw new Error(`Could not start ${options.size} gradient worker(s) on engine "${options.engine}".`, {
      cause: error,
    });
  }
  return {
    size: options.size,
    async compute(shards) {
      if (shards.length > workers.length) {
        throw new RangeError(`${shards.length} shards for ${workers.length} workers.`);
      }
      const replies = await Promise.all(
        shards.map((input, i) => {
          const transfer = [input.images, input.masks, input.xiX, input.xiM, input.t].map(
            (a) => a.buffer as ArrayBuffer,
          );
          return workers[i].request({ type: 'step', input }, transfer);
        }),
      );
      const sums = replies.map((r) => (r as Extract<WorkerResponse, { type: 'done' }>).sums);
      return { sums, grads: gradViews.slice(0, shards.length) };
    },
    close,
  };
}
