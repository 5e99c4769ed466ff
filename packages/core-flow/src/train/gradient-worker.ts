/**
 * @file Entry point of a gradient worker thread (built as its own file, `dist/gradient-worker.js`).
 *
 * Each worker holds one engine instance (for wasm: its own WebAssembly heap) and the UNet. The main
 * thread writes the weights into a shared buffer, sends each worker its shard of the batch, and reads the
 * gradient sums back from a per-worker shared buffer; see `worker-pool.ts`.
 *
 * @module train/gradient-worker
 * @internal
 */
import { parentPort } from 'node:worker_threads';
import { resolveEngine } from '../engines/registry.js';
import { env, type LogLevelName } from '../env.js';
import { createShardGradientComputer, type GradientSetup, type ShardGradientComputer } from './gradients.js';
import type { WorkerRequest, WorkerResponse } from './worker-protocol.js';

function views(buffer: SharedArrayBuffer, sizes: readonly number[]): Float32Array[] {
  const out: Float32Array[] = [];
  let offset = 0;
  for (const size of sizes) {
    out.push(new Float32Array(buffer, offset * 4, size));
    offset += size;
  }
  return out;
}

if (!parentPort) {
  throw new Error(
    'gradient-worker.js is a worker-thread entry point; the trainer starts it, do not import it.',
  );
}
const port = parentPort;
let computer: ShardGradientComputer | undefined;
let params: Float32Array[] = [];
let grads: Float32Array[] = [];

function reply(message: WorkerResponse): void {
  port.postMessage(message);
}

function errorMessage(id: number, error: unknown): WorkerResponse {
  const e = error as Error;
  return { type: 'error', id, message: e?.message ?? String(error), stack: e?.stack, name: e?.name };
}

port.on('message', async (request: WorkerRequest) => {
  try {
    if (request.type === 'init') {
      env.logLevel = request.logLevel as LogLevelName;
      env.backends.wasm = { ...env.backends.wasm, ...request.wasm };
      const { engine, info } = await resolveEngine(request.engine);
      const setup: GradientSetup = request.setup;
      computer = createShardGradientComputer(engine, setup);
      params = views(request.params, request.sizes);
      grads = views(request.grads, request.sizes);
      reply({ type: 'ready', id: request.id, engine: info.name });
    } else if (request.type === 'step') {
      if (!computer) throw new Error('gradient worker received a step before init');
      for (const g of grads) g.fill(0);
      const sums = await computer.compute(params, request.input, grads);
      reply({ type: 'done', id: request.id, sums });
    }
  } catch (error) {
    reply(errorMessage(request.id, error));
  }
});
