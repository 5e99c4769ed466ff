import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticData, TINY_UNET } from './testing/tiny.js';
import { train } from './trainer.js';
import { TRAINER_STATE_BIN, TRAINER_STATE_JSON } from './trainer-state.js';

const data = syntheticData(16);
const options = {
  data,
  architecture: TINY_UNET,
  batchSize: 8,
  epochs: 2,
  maxSteps: 2,
  workers: 0,
  engine: 'wasm',
  seed: 2,
} as const;
const dirs: string[] = [];
let template: string;

async function copyOfTemplate(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'msf-ckpt-'));
  dirs.push(dir);
  await cp(join(template, 'checkpoint'), join(dir, 'checkpoint'), { recursive: true });
  return dir;
}

beforeAll(async () => {
  template = await mkdtemp(join(tmpdir(), 'msf-ckpt-template-'));
  dirs.push(template);
  // Stop after step 1 of 2 (the abort writes a checkpoint), so resuming has a step left to do.
  const controller = new AbortController();
  const result = await train({
    ...options,
    outDir: template,
    signal: controller.signal,
    onProgress: (e) => e.type === 'step' && controller.abort(),
  });
  expect(result).toMatchObject({ steps: 1, aborted: true });
  result.model.dispose();
});
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('checkpoints', () => {
  it('resumes a valid checkpoint', async () => {
    const dir = await copyOfTemplate();
    expect(existsSync(join(dir, 'final'))).toBe(false);
    const result = await train({ ...options, outDir: dir, resume: true });
    expect(result.steps).toBe(2);
    expect(result.losses).toHaveLength(2);
    expect(existsSync(join(dir, 'final', 'model.json'))).toBe(true);
    result.model.dispose();
  });

  it('refuses to resume when there is no checkpoint, and to overwrite one without overwrite: true', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'msf-empty-'));
    dirs.push(empty);
    await expect(train({ ...options, outDir: empty, resume: true })).rejects.toThrow(
      /Cannot resume: there is no checkpoint in .*checkpoint\. Train without 'resume'/,
    );
    const dir = await copyOfTemplate();
    await expect(train({ ...options, outDir: dir })).rejects.toThrow(
      /already holds a training checkpoint.*resume: true/,
    );
    const fresh = await train({ ...options, outDir: dir, overwrite: true });
    expect(fresh.steps).toBe(2);
    fresh.model.dispose();
  });

  it('reports a corrupted trainer-state.bin (SHA-256 mismatch)', async () => {
    const dir = await copyOfTemplate();
    const path = join(dir, 'checkpoint', TRAINER_STATE_BIN);
    const bytes = await readFile(path);
    bytes[100] ^= 0xff;
    await writeFile(path, bytes);
    await expect(train({ ...options, outDir: dir, resume: true })).rejects.toThrow(
      /checkpoint.*is corrupt: trainer-state\.bin fails its SHA-256 check/,
    );
  });

  it('reports truncated or missing trainer-state files', async () => {
    const truncated = await copyOfTemplate();
    const jsonPath = join(truncated, 'checkpoint', TRAINER_STATE_JSON);
    const text = await readFile(jsonPath, 'utf8');
    await writeFile(jsonPath, text.slice(0, text.length / 2));
    await expect(train({ ...options, outDir: truncated, resume: true })).rejects.toThrow(
      /is corrupt: trainer-state\.json is not valid JSON/,
    );
    const missing = await copyOfTemplate();
    await rm(join(missing, 'checkpoint', TRAINER_STATE_BIN));
    await expect(train({ ...options, outDir: missing, resume: true })).rejects.toThrow(
      /is corrupt: .*trainer-state\.bin is missing/,
    );
    const noWeights = await copyOfTemplate();
    await rm(join(noWeights, 'checkpoint', 'group1-shard1of1.bin'));
    await expect(train({ ...options, outDir: noWeights, resume: true })).rejects.toThrow(
      /Cannot resume from .*checkpoint: its weights do not load \(.*weight file group1-shard1of1\.bin is missing/,
    );
  });

  it('refuses to resume with different options and lists them', async () => {
    const dir = await copyOfTemplate();
    await expect(train({ ...options, outDir: dir, resume: true, batchSize: 4, seed: 9 })).rejects.toThrow(
      /options differ from the run that wrote it — seed: checkpoint 2, now 9; .*batchSize: checkpoint 8, now 4/,
    );
    // Selection scores measured with another number of masks are not comparable with the stored best.
    await expect(train({ ...options, outDir: dir, resume: true, validationSamples: 4 })).rejects.toThrow(
      /options differ from the run that wrote it — validationSamples: checkpoint .*, now 4/,
    );
  });

  it('falls back to the previous checkpoint left by a crash between the two renames', async () => {
    const dir = await copyOfTemplate();
    await rename(join(dir, 'checkpoint'), join(dir, '.checkpoint.old'));
    const result = await train({ ...options, outDir: dir, resume: true });
    expect(result.steps).toBe(2);
    expect(existsSync(join(dir, 'checkpoint', TRAINER_STATE_JSON))).toBe(true);
    result.model.dispose();
  });
});
