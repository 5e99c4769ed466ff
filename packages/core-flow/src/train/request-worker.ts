/**
 * @file A worker thread that answers requests by id: the request/reply bookkeeping of the data-parallel
 * gradient pools (core-flow's tfjs workers and the ONNX Runtime workers of `@medsymmflow/exporters`).
 *
 * @module train/request-worker
 * @internal
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/** A message type without its `id` (distributes over unions). */
export type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

/** Options of {@link RequestWorker}. */
export interface RequestWorkerOptions<Reply> {
  /** Thread name (shows in profilers and crash reports). */
  readonly name: string;
  /** How errors name the worker, e.g. `Gradient worker 0`. */
  readonly label: string;
  /** The error a reply stands for (e.g. an `{ ok: false }` reply), or `undefined` for a success. */
  errorOf(reply: Reply): Error | undefined;
}

/**
 * Posts requests with fresh ids and resolves each with the reply of the same id. A crash, or an exit while
 * requests are waiting, rejects every waiting request and every later one.
 */
export class RequestWorker<Request extends { readonly id: number }, Reply extends { readonly id: number }> {
  readonly worker: Worker;
  private readonly pending = new Map<number, { resolve(reply: Reply): void; reject(error: Error): void }>();
  private nextId = 1;
  private failure: Error | undefined;

  constructor(script: URL, options: RequestWorkerOptions<Reply>) {
    this.worker = new Worker(script, { name: options.name });
    this.worker.on('message', (reply: Reply) => {
      const waiter = this.pending.get(reply.id);
      if (!waiter) return;
      this.pending.delete(reply.id);
      const error = options.errorOf(reply);
      if (error) waiter.reject(error);
      else waiter.resolve(reply);
    });
    const failAll = (error: Error) => {
      this.failure ??= error;
      for (const waiter of this.pending.values()) waiter.reject(error);
      this.pending.clear();
    };
    this.worker.on('error', (error) => failAll(new Error(`${options.label} crashed.`, { cause: error })));
    this.worker.on('exit', (code) => {
      if (code !== 0 || this.pending.size > 0) failAll(new Error(`${options.label} exited (code ${code}).`));
    });
  }

  /** Posts `message` with a fresh id (transferring `transfer`) and waits for its reply. */
  request(message: WithoutId<Request>, transfer: ArrayBuffer[] = []): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...message, id }, transfer);
    });
  }
}

/**
 * The first of `candidates` that exists as a file: a worker script next to the running bundle in a published
 * package, or in the package's `dist/` when running from source (tests).
 *
 * @throws Error listing the candidates, with `hint` saying how to get the script.
 */
export function findWorkerScript(candidates: readonly URL[], what: string, hint: string): URL {
  for (const candidate of candidates) {
    if (candidate.protocol === 'file:' && existsSync(fileURLToPath(candidate))) return candidate;
  }
  throw new Error(`Cannot find ${what} (looked for ${candidates.map((c) => c.href).join(', ')}). ${hint}`);
}
