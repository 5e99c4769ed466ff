import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findWorkerScript, RequestWorker } from './request-worker.js';

// A worker that answers { id, value } after `delay` ms, fails on 'fail', and exits on 'exit'.
const SCRIPT = `
import { parentPort } from 'node:worker_threads';
parentPort.on('message', (m) => {
  if (m.type === 'exit') process.exit(3);
  if (m.type === 'fail') return parentPort.postMessage({ id: m.id, error: 'bad input ' + m.value });
  setTimeout(() => parentPort.postMessage({ id: m.id, value: m.value * 2 }), m.delay);
});
`;

type Request = { id: number; type: 'double' | 'fail' | 'exit'; value?: number; delay?: number };
type Reply = { id: number; value?: number; error?: string };

let dir: string;
let script: URL;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'request-worker-'));
  await writeFile(join(dir, 'echo.mjs'), SCRIPT);
  script = pathToFileURL(join(dir, 'echo.mjs'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const start = () =>
  new RequestWorker<Request, Reply>(script, {
    name: 'test-worker',
    label: 'Test worker',
    errorOf: (reply) => (reply.error ? new Error(reply.error) : undefined),
  });

describe('RequestWorker', () => {
  it('matches replies to requests by id, in whatever order they come', async () => {
    const worker = start();
    const slow = worker.request({ type: 'double', value: 1, delay: 60 });
    const fast = worker.request({ type: 'double', value: 5, delay: 0 });
    expect((await fast).value).toBe(10);
    expect((await slow).value).toBe(2);
    await worker.worker.terminate();
  });

  it('rejects a request whose reply is an error, and keeps serving', async () => {
    const worker = start();
    await expect(worker.request({ type: 'fail', value: 7 })).rejects.toThrow('bad input 7');
    expect((await worker.request({ type: 'double', value: 2, delay: 0 })).value).toBe(4);
    await worker.worker.terminate();
  });

  it('rejects waiting and later requests once the worker exits', async () => {
    const worker = start();
    const waiting = worker.request({ type: 'double', value: 1, delay: 10_000 });
    void worker.request({ type: 'exit' }).catch(() => {});
    await expect(waiting).rejects.toThrow('Test worker exited (code 3).');
    await expect(worker.request({ type: 'double', value: 1, delay: 0 })).rejects.toThrow(/exited \(code 3\)/);
  });
});

describe('findWorkerScript', () => {
  it('returns the first existing candidate, else lists them with the hint', () => {
    const missing = pathToFileURL(join(dir, 'missing.mjs'));
    expect(findWorkerScript([missing, script], 'the echo worker', 'Build it.')).toEqual(script);
    expect(() => findWorkerScript([missing], 'the echo worker', 'Build it.')).toThrow(
      /^Cannot find the echo worker \(looked for file:.*missing\.mjs\)\. Build it\.$/,
    );
  });
});
