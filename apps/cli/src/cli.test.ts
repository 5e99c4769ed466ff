/**
 * End-to-end tests of the built `medsymmflow` binary (run `pnpm build` first; turbo does it for `test`).
 */
import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DATASET_FLAGS,
  encodeNpz,
  getDatasetInfo,
  loadMedMnist,
  MEDMNIST_INFO,
} from '@medsymmflow/datasets-medmnist';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHARED_MEDMNIST_DIR, sharedMedmnistFile } from '../../../test/shared-data';
import { packageJsonVersion } from '../../../test/version-check';
import { CLI_BIN, CLI_DIR, runCli } from './testing/run-cli';

/** Runs the built CLI with extra environment variables (`undefined` removes one). */
const run = (args: string[], env: Record<string, string | undefined> = {}) => runCli(args, { env });

let temp: string;
beforeAll(async () => {
  temp = await mkdtemp(join(tmpdir(), 'medsymmflow-cli-'));
});
afterAll(async () => {
  await rm(temp, { recursive: true, force: true });
});

describe('medsymmflow', () => {
  it('prints its version and help', async () => {
    const version = await run(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe(packageJsonVersion(CLI_DIR));
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('datasets');
    const datasetsHelp = await run(['datasets', '--help']);
    expect(datasetsHelp.stdout).toMatch(/list[\s\S]*info[\s\S]*download[\s\S]*verify[\s\S]*export/);
    expect(datasetsHelp.stdout).toContain('MEDMNIST_BASE_URL');
  });

  it('stops quietly when the reader closes the pipe early (medsymmflow train --help | head -1)', async () => {
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [CLI_BIN, 'train', '--help'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk) => {
        stderr += chunk;
      });
      // Close our end before the help text is written, as `head` does after its first line.
      child.stdout.destroy();
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stderr }));
    });
    expect(result.stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(result.code).toBe(0);
  });

  it('rejects unknown commands and options with one line and a hint', async () => {
    for (const args of [
      ['datasets', 'frobnicate'],
      ['datasets', 'list', '--bogus'],
    ]) {
      const result = await run(args);
      expect(result.code).toBe(2);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^medsymmflow: unknown (command|option)/);
      expect(lines[1]).toMatch(/^hint: /);
    }
  });
});

describe('datasets list / info', () => {
  it('lists every dataset in a table', async () => {
    const result = await run(['datasets', 'list']);
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^FLAG\s+TASK\s+CLASSES\s+CHANNELS\s+DIM\s+SIZES\s+TRAIN\s+VAL\s+TEST$/);
    for (const flag of DATASET_FLAGS) {
      const info = MEDMNIST_INFO[flag];
      const row = lines.find((line) => line.startsWith(`${flag} `));
      expect(row, flag).toBeDefined();
      expect(row?.split(/\s{2,}/)).toEqual([
        flag,
        info.task,
        String(info.numClasses),
        String(info.nChannels),
        `${info.dimensions}D`,
        info.sizes.join(','),
        String(info.nSamples.train),
        String(info.nSamples.val),
        String(info.nSamples.test),
      ]);
    }
  });

  it('lists every dataset as JSON', async () => {
    const result = await run(['datasets', 'list', '--json']);
    expect(result.code).toBe(0);
    const list = JSON.parse(result.stdout);
    expect(list.map((d: { flag: string }) => d.flag)).toEqual([...DATASET_FLAGS]);
    expect(list.find((d: { flag: string }) => d.flag === 'chestmnist')).toMatchObject({
      task: 'multi-label, binary-class',
      classes: 14,
      channels: 1,
      sizes: [28, 64, 128, 224],
      n_samples: { train: 78468, val: 11219, test: 22433 },
    });
  });

  it('shows labels, split sizes, MD5s and URLs of a dataset', async () => {
    const info = getDatasetInfo('bloodmnist');
    const result = await run(['datasets', 'info', 'bloodmnist']);
    expect(result.code).toBe(0);
    for (const [index, name] of info.labels.entries())
      expect(result.stdout).toMatch(new RegExp(`\\b${index}  ${name.replace(/[()]/g, '\\$&')}`));
    expect(result.stdout).toContain('Splits: train 11959, val 1712, test 3421');
    for (const size of info.sizes) {
      expect(result.stdout).toContain(info.files[size]?.md5);
      expect(result.stdout).toContain(info.files[size]?.url);
    }
    const json = await run(['datasets', 'info', 'BloodMNIST', '--json']);
    expect(JSON.parse(json.stdout)).toEqual(JSON.parse(JSON.stringify(info)));
  });

  it('fails on an unknown flag with a suggestion and no stack trace', async () => {
    const result = await run(['datasets', 'info', 'pneumonia']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe('medsymmflow: Unknown MedMNIST dataset "pneumonia".');
    expect(lines[1]).toMatch(/^hint: Did you mean "pneumoniamnist"\? Valid flags: pathmnist, /);
    const verbose = await run(['datasets', 'info', 'pneumonia', '--verbose']);
    expect(verbose.code).toBe(2);
    expect(verbose.stderr).toMatch(/UnknownDatasetError[\s\S]*\n\s+at /);
    const debug = await run(['datasets', 'info', 'pneumonia'], { DEBUG: '1' });
    expect(debug.stderr).toMatch(/\n\s+at /);
  });
});

describe('datasets verify', () => {
  it.each([
    ['pneumoniamnist', { train: 4708, val: 524, test: 624 }, 'env'],
    ['retinamnist', { train: 1080, val: 120, test: 400 }, 'option'],
  ] as const)('accepts the official %s file (root from %s)', async (flag, counts, how) => {
    const result =
      how === 'env'
        ? await run(['datasets', 'verify', flag, '--json'], { MEDMNIST_ROOT: SHARED_MEDMNIST_DIR })
        : await run(['datasets', 'verify', flag, '--json', '--root', SHARED_MEDMNIST_DIR]);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ flag, size: 28, md5_ok: true, counts, ok: true });
    expect(report.md5).toBe(getDatasetInfo(flag).files[28]?.md5);
  });

  it('--root wins over MEDMNIST_ROOT', async () => {
    const result = await run(['datasets', 'verify', 'retinamnist', '--root', SHARED_MEDMNIST_DIR], {
      MEDMNIST_ROOT: join(temp, 'does-not-exist'),
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('OK: the official retinamnist file (28px).');
  });

  it('fails on a corrupted copy', async () => {
    const root = join(temp, 'corrupt');
    await mkdir(root);
    const bytes = await readFile(sharedMedmnistFile('pneumoniamnist.npz'));
    bytes[3_000_000] ^= 0x20;
    await writeFile(join(root, 'pneumoniamnist.npz'), bytes);
    const json = await run(['datasets', 'verify', 'pneumoniamnist', '--root', root, '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ md5_ok: false, ok: false });
    const text = await run(['datasets', 'verify', 'pneumoniamnist', '--root', root]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('MISMATCH (official 28209eda62fecd6e6a2d98b1501bb15f)');
    expect(text.stderr).toContain(
      `medsymmflow: ${join(root, 'pneumoniamnist.npz')} is not the official pneumoniamnist 28px file.`,
    );
    expect(text.stderr).not.toMatch(/\n\s+at /);
  });

  it('says where to get a missing file', async () => {
    const root = join(temp, 'empty');
    const result = await run(['datasets', 'verify', 'dermamnist', '--root', root]);
    expect(result.code).toBe(1);
    const [reason, hint] = result.stderr.trim().split('\n');
    expect(reason).toBe(
      `medsymmflow: MedMNIST file dermamnist.npz (dermamnist, 28px) is missing from ${root}.`,
    );
    expect(hint).toContain(`medsymmflow datasets download dermamnist --root ${root}`);
    expect(hint).toContain('https://zenodo.org/records/10519652/files/dermamnist.npz?download=1');
    expect(hint).toContain(join(root, 'dermamnist.npz'));
  });

  it('rejects sizes the dataset does not publish', async () => {
    const result = await run(['datasets', 'verify', 'vesselmnist3d', '--size', '128']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Size 128 is not published for vesselmnist3d.');
    expect((await run(['datasets', 'verify', 'pneumoniamnist', '--size', 'big'])).code).toBe(2);
  });
});

describe('datasets export', () => {
  it.each(['retinamnist', 'pneumoniamnist'])(
    'writes 5 %s test images as PNG plus labels.csv',
    async (flag) => {
      const out = join(temp, `export-${flag}`);
      const result = await run([
        'datasets',
        'export',
        flag,
        '--split',
        'test',
        '--out',
        out,
        '--limit',
        '5',
        '--root',
        SHARED_MEDMNIST_DIR,
      ]);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`Wrote 5 PNG files`);
      const dataset = await loadMedMnist({ flag, split: 'test', root: SHARED_MEDMNIST_DIR });
      const files = (await readdir(out)).sort();
      expect(files).toEqual([
        'labels.csv',
        'test_0000.png',
        'test_0001.png',
        'test_0002.png',
        'test_0003.png',
        'test_0004.png',
      ]);
      const csv = (await readFile(join(out, 'labels.csv'), 'utf8')).trim().split('\n');
      expect(csv[0]).toBe('index,file,label,label_name');
      for (let i = 0; i < 5; i++) {
        const label = dataset.getLabel(i);
        expect(csv[i + 1]).toBe(`${i},test_000${i}.png,${label},${dataset.labelNames[label]}`);
        const png = PNG.sync.read(await readFile(join(out, `test_000${i}.png`)));
        expect([png.width, png.height]).toEqual([28, 28]);
        const expected = dataset.getImage(i);
        for (let p = 0; p < 28 * 28; p++) {
          for (let k = 0; k < 3; k++) {
            const value = dataset.channels === 1 ? expected[p] : expected[p * 3 + k];
            if (png.data[p * 4 + k] !== value)
              throw new Error(`pixel ${p} channel ${k} of image ${i} differs`);
          }
        }
      }
      // no temporary folders left next to the output
      expect((await readdir(temp)).filter((name) => name.includes('.partial-'))).toEqual([]);
    },
  );

  it('quotes label names with commas and refuses a non-empty folder without --force', async () => {
    const root = join(temp, 'breast');
    await mkdir(root, { recursive: true });
    const images = new Uint8Array(2 * 28 * 28).fill(9);
    await writeFile(
      join(root, 'breastmnist.npz'),
      encodeNpz({
        train_images: { data: images, shape: [2, 28, 28] },
        val_images: { data: images, shape: [2, 28, 28] },
        test_images: { data: images, shape: [2, 28, 28] },
        train_labels: { data: new Uint8Array([1, 0]), shape: [2, 1] },
        val_labels: { data: new Uint8Array([1, 0]), shape: [2, 1] },
        test_labels: { data: new Uint8Array([1, 0]), shape: [2, 1] },
      }),
    );
    const out = join(temp, 'export-breast');
    // not the official split sizes: the CLI refuses unless --no-strict
    const strict = await run([
      'datasets',
      'export',
      'breastmnist',
      '--split',
      'test',
      '--out',
      out,
      '--root',
      root,
    ]);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain('has 2 images but the official breastmnist test split has 156');
    const relaxed = await run([
      'datasets',
      'export',
      'breastmnist',
      '--split',
      'test',
      '--out',
      out,
      '--root',
      root,
      '--no-strict',
    ]);
    expect(relaxed.code).toBe(0);
    expect(await readFile(join(out, 'labels.csv'), 'utf8')).toBe(
      'index,file,label,label_name\n0,test_0000.png,1,"normal, benign"\n1,test_0001.png,0,malignant\n',
    );
    const png = PNG.sync.read(await readFile(join(out, 'test_0000.png')));
    expect(png.data.every((v, i) => v === (i % 4 === 3 ? 255 : 9))).toBe(true);
    await rm(out, { recursive: true });
    await copyFile(sharedMedmnistFile('retinamnist.npz'), join(root, 'retinamnist.npz'));
    const first = await run([
      'datasets',
      'export',
      'retinamnist',
      '--split',
      'val',
      '--out',
      out,
      '--limit',
      '1',
      '--root',
      root,
    ]);
    expect(first.code).toBe(0);
    const again = await run([
      'datasets',
      'export',
      'retinamnist',
      '--split',
      'val',
      '--out',
      out,
      '--limit',
      '2',
      '--root',
      root,
    ]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('is not empty');
    expect((await readdir(out)).length).toBe(2);
    const forced = await run([
      'datasets',
      'export',
      'retinamnist',
      '--split',
      'val',
      '--out',
      out,
      '--limit',
      '2',
      '--root',
      root,
      '--force',
    ]);
    expect(forced.code).toBe(0);
    expect((await readdir(out)).length).toBe(3);
  });

  it('requires --split and --out', async () => {
    const result = await run(['datasets', 'export', 'retinamnist', '--out', join(temp, 'x')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("required option '--split <split>' not specified");
  });
});

describe('datasets download', () => {
  let server: Server;
  let baseUrl: string;
  const official = readFile(sharedMedmnistFile('pneumoniamnist.npz'));

  beforeAll(async () => {
    const body = await official;
    const wrong = encodeNpz({ x: { data: new Uint8Array(10), shape: [10] } });
    server = createServer((request, response) => {
      const routes: Record<string, Uint8Array> = {
        '/mirror/pneumoniamnist.npz': body,
        '/bad/pneumoniamnist.npz': wrong,
      };
      const data = routes[request.url ?? ''];
      if (!data) {
        response.writeHead(404).end('not found');
        return;
      }
      response.writeHead(200, { 'content-length': String(data.length) });
      response.end(data);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('downloads from MEDMNIST_BASE_URL into --root, verified', async () => {
    const root = join(temp, 'download-ok');
    const result = await run(['datasets', 'download', 'pneumoniamnist', '--root', root], {
      MEDMNIST_BASE_URL: `${baseUrl}/mirror`,
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `Saved ${join(root, 'pneumoniamnist.npz')} (MD5 28209eda62fecd6e6a2d98b1501bb15f verified)`,
    );
    expect(await readdir(root)).toEqual(['pneumoniamnist.npz']);
    expect((await run(['datasets', 'verify', 'pneumoniamnist', '--root', root])).code).toBe(0);
    const again = await run(['datasets', 'download', 'pneumoniamnist', '--root', root]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already in');
  });

  it('refuses a file with the wrong MD5 and leaves nothing behind', async () => {
    const root = join(temp, 'download-bad');
    const result = await run([
      'datasets',
      'download',
      'pneumoniamnist',
      '--root',
      root,
      '--base-url',
      `${baseUrl}/bad`,
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /medsymmflow: Downloaded pneumoniamnist\.npz from .* has MD5 [0-9a-f]{32}, expected 28209eda/,
    );
    expect(await readdir(root)).toEqual([]);
  });

  it('reports HTTP errors with the URL and how to get the file by hand', async () => {
    const root = join(temp, 'download-404');
    const result = await run(['datasets', 'download', 'retinamnist', '--root', root], {
      MEDMNIST_BASE_URL: baseUrl,
    });
    expect(result.code).toBe(1);
    const [reason, hint] = result.stderr.trim().split('\n').slice(-2);
    expect(reason).toBe(
      `medsymmflow: Could not download retinamnist.npz from ${baseUrl}/retinamnist.npz: HTTP 404 Not Found (not found on the server).`,
    );
    expect(hint).toContain('https://zenodo.org/records/10519652/files/retinamnist.npz?download=1');
    expect(hint).toContain(join(root, 'retinamnist.npz'));
    expect(await readdir(root)).toEqual([]);
  });
});
