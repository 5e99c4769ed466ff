import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveAtomicDir, writeDirAtomic, writeFileAtomic } from './atomic-dir.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'medsymmflow-atomic-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('writeDirAtomic', () => {
  it('creates the folder (and its parents) and returns its absolute path', async () => {
    const target = join(root, 'a', 'b');
    const written = await writeDirAtomic(target, async (dir) => writeFile(join(dir, 'x.txt'), 'one'));
    expect(written).toBe(target);
    expect(await readFile(join(target, 'x.txt'), 'utf8')).toBe('one');
    expect(await readdir(join(root, 'a'))).toEqual(['b']); // no temp or .old folder left
  });

  it('replaces an existing folder as a whole', async () => {
    const target = join(root, 'out');
    await writeDirAtomic(target, async (dir) => writeFile(join(dir, 'old.txt'), 'old'));
    await writeDirAtomic(target, async (dir) => writeFile(join(dir, 'new.txt'), 'new'));
    expect(await readdir(target)).toEqual(['new.txt']);
    expect(await readdir(root)).toEqual(['out']);
  });

  it('leaves nothing behind and keeps the previous folder when fill fails', async () => {
    const target = join(root, 'out');
    await writeDirAtomic(target, async (dir) => writeFile(join(dir, 'keep.txt'), 'keep'));
    await expect(
      writeDirAtomic(target, async (dir) => {
        await writeFile(join(dir, 'half.txt'), 'half');
        throw new Error('disk full');
      }),
    ).rejects.toThrow('disk full');
    expect(await readdir(target)).toEqual(['keep.txt']);
    expect(await readdir(root)).toEqual(['out']);
  });
});

describe('resolveAtomicDir', () => {
  it('reads the folder, else the .<name>.old copy left by an interrupted swap, else undefined', async () => {
    const target = join(root, 'checkpoint');
    expect(resolveAtomicDir(target)).toBeUndefined();
    await mkdir(join(root, '.checkpoint.old'));
    expect(resolveAtomicDir(target)).toBe(join(root, '.checkpoint.old'));
    await mkdir(target);
    expect(resolveAtomicDir(target)).toBe(target);
  });
});

describe('writeFileAtomic', () => {
  it('writes or replaces one file without leaving a temp file', async () => {
    const path = join(root, 'd', 'f.json');
    await writeFileAtomic(path, '{"a":1}');
    await writeFileAtomic(path, new TextEncoder().encode('{"a":2}'));
    expect(await readFile(path, 'utf8')).toBe('{"a":2}');
    expect(await readdir(join(root, 'd'))).toEqual(['f.json']);
    expect(existsSync(join(root, 'd', 'f.json'))).toBe(true);
  });
});
