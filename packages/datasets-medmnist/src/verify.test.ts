import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHARED_MEDMNIST_DIR, sharedMedmnistFile } from '../../../test/shared-data';
import { makeTempDir, tinyMedMnistNpz } from '../test/fixtures';
import { DatasetFileNotFoundError, getDatasetFile, md5File, verifyFile } from './index';

describe('verifyFile', () => {
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  beforeAll(async () => {
    temp = await makeTempDir();
  });
  afterAll(async () => temp.cleanup());

  it.each([
    ['pneumoniamnist', { train: 4708, val: 524, test: 624 }],
    ['retinamnist', { train: 1080, val: 120, test: 400 }],
  ])('accepts the official %s file', async (flag, counts) => {
    const report = await verifyFile({ flag, root: SHARED_MEDMNIST_DIR });
    expect(report.md5).toBe(getDatasetFile(flag).md5);
    expect(await md5File(sharedMedmnistFile(`${flag}.npz`))).toBe(report.md5);
    expect(report).toMatchObject({
      md5Ok: true,
      structureOk: true,
      countsOk: true,
      ok: true,
      counts,
      problems: [],
    });
  });

  it('rejects a corrupted copy: wrong MD5 and a damaged member', async () => {
    const bytes = new Uint8Array(await readFile(sharedMedmnistFile('pneumoniamnist.npz')));
    bytes[2_000_000] ^= 0x55;
    const path = join(temp.dir, 'pneumoniamnist.npz');
    await writeFile(path, bytes);
    const report = await verifyFile({ flag: 'pneumoniamnist', root: temp.dir });
    expect(report.ok).toBe(false);
    expect(report.md5Ok).toBe(false);
    expect(report.structureOk).toBe(false);
    expect(report.problems.join('\n')).toMatch(
      /MD5 is [0-9a-f]{32}, the official pneumoniamnist\.npz has 28209eda/,
    );
    expect(report.problems.join('\n')).toMatch(/member train_images\.npy/);
  });

  it('rejects a well-formed file that is not the official one', async () => {
    const path = join(temp.dir, 'subset.npz');
    await writeFile(path, tinyMedMnistNpz({}));
    const report = await verifyFile({ flag: 'pneumoniamnist', path });
    expect(report).toMatchObject({ md5Ok: false, structureOk: true, countsOk: false, ok: false });
    expect(report.counts).toEqual({ train: 6, val: 3, test: 4 });
    expect(report.problems.at(-1)).toMatch(/differ from the official train 4708/);
  });

  it('reports a missing file with where to get it', async () => {
    await expect(verifyFile({ flag: 'retinamnist', root: join(temp.dir, 'nowhere') })).rejects.toThrow(
      DatasetFileNotFoundError,
    );
    await expect(verifyFile({ flag: 'retinamnist', path: join(temp.dir, 'nope.npz') })).rejects.toThrow(
      /Cannot verify .*nope\.npz: no such file/,
    );
    await copyFile(sharedMedmnistFile('retinamnist.npz'), join(temp.dir, 'retinamnist.npz'));
    expect((await verifyFile({ flag: 'retinamnist', root: temp.dir })).ok).toBe(true);
  });
});
