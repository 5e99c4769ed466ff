/**
 * Resume after SIGKILL: a child process trains a tiny UNet on 40 real pneumoniamnist images and is killed
 * as soon as it reports its first checkpoint; a second child resumes from it. The loss sequence must equal
 * that of an uninterrupted run, step for step.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { sharedMedmnistFile } from '../../../../test/shared-data.js';

const CHILD = fileURLToPath(new URL('./testing/train-child.mjs', import.meta.url));
const NPZ = sharedMedmnistFile('pneumoniamnist.npz');
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

interface Event {
  type: string;
  step?: number;
  loss?: number;
  losses?: number[];
  steps?: number;
  startStep?: number;
}

/** Runs the child; `killAfter` SIGKILLs it when that event type first arrives. */
function runChild(
  outDir: string,
  resume: boolean,
  workers: number,
  killAfter?: string,
): Promise<{ events: Event[]; signal: NodeJS.Signals | null; code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(
      process.execPath,
      [CHILD, NPZ, outDir, resume ? '1' : '0', String(workers)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const events: Event[] = [];
    let buffered = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf('\n');
        const event = JSON.parse(line) as Event;
        events.push(event);
        if (killAfter && event.type === killAfter) child.kill('SIGKILL');
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ events, signal, code, stderr }));
  });
}

describe('resume after SIGKILL (real pneumoniamnist slice, child processes)', () => {
  it('continues with the same step, optimizer and PRNG state: the loss sequence equals an uninterrupted run', async () => {
    const full = await mkdtemp(join(tmpdir(), 'msf-full-'));
    const killed = await mkdtemp(join(tmpdir(), 'msf-killed-'));
    dirs.push(full, killed);

    const reference = await runChild(full, false, 0);
    expect(reference.code, reference.stderr).toBe(0);
    const refResult = reference.events.find((e) => e.type === 'result')!;
    expect(refResult.steps).toBe(10); // 40 images / batch 8 × 2 epochs

    const first = await runChild(killed, false, 0, 'checkpoint');
    expect(first.signal).toBe('SIGKILL');
    const checkpointStep = first.events.find((e) => e.type === 'checkpoint')!.step!;
    expect(checkpointStep).toBe(3);
    expect(first.events.some((e) => e.type === 'result')).toBe(false);

    const second = await runChild(killed, true, 0);
    expect(second.code, second.stderr).toBe(0);
    const start = second.events.find((e) => e.type === 'start')!;
    expect(start.startStep).toBe(checkpointStep);
    const resumedSteps = second.events.filter((e) => e.type === 'step');
    expect(resumedSteps.map((e) => e.step)).toEqual([4, 5, 6, 7, 8, 9, 10]);
    const result = second.events.find((e) => e.type === 'result')!;
    expect(result.steps).toBe(10);
    // Bit-for-bit: same engine, same inputs, same weights and moments.
    expect(result.losses).toEqual(refResult.losses);
    expect(resumedSteps.map((e) => e.loss)).toEqual(refResult.losses!.slice(checkpointStep));
  });
});
