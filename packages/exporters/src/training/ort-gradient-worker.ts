/**
 * @file Worker-thread entry of the data-parallel ONNX Runtime gradient engine: holds one session computer
 * and answers `compute` requests with the loss sums and its `n · ∇L` (buffers transferred back).
 *
 * @module training/ort-gradient-worker
 * @internal
 */
import { parentPort } from 'node:worker_threads';
import type { OrtWorkerDispose, OrtWorkerRequest, OrtWorkerResponse } from './ort-gradient-pool.js';
import { createSessionGradientComputer, type SessionGradientComputer } from './ort-gradients.js';

const port = parentPort;
if (!port) throw new Error('ort-gradient-worker runs inside a worker thread (node:worker_threads).');

let computer: SessionGradientComputer | undefined;

const failure = (id: number, error: unknown): OrtWorkerResponse => ({
  id,
  ok: false,
  message: error instanceof Error ? error.message : String(error),
  stack: error instanceof Error ? error.stack : undefined,
});

port.on('message', async (request: OrtWorkerRequest | OrtWorkerDispose) => {
  if (request.type === 'dispose') {
    computer?.dispose();
    computer = undefined;
    port.close(); // nothing else keeps this thread alive: it ends here
    return;
  }
  if (request.type === 'init') {
    try {
      computer = await createSessionGradientComputer(request.setup, request.config);
      port.postMessage({ id: request.id, ok: true } satisfies OrtWorkerResponse);
    } catch (error) {
      port.postMessage(failure(request.id, error));
    }
    return;
  }
  try {
    if (!computer) throw new Error('The gradient worker was not initialised.');
    if (request.type === 'endProfiling') {
      port.postMessage({
        id: request.id,
        ok: true,
        files: computer.endProfiling(),
      } satisfies OrtWorkerResponse);
      return;
    }
    const grads = computer.specs.map((s) => new Float32Array(s.shape.reduce((a, b) => a * b, 1)));
    const sums = computer.compute(request.params, request.input, grads);
    port.postMessage(
      { id: request.id, ok: true, sums, grads } satisfies OrtWorkerResponse,
      grads.map((g) => g.buffer as ArrayBuffer),
    );
  } catch (error) {
    port.postMessage(failure(request.id, error));
  }
});
