/**
 * End-to-end test of the first-use download of `medsymmflow train` / `evaluate` / `datasets download` for
 * DermaMNIST, whose official file is not on this machine. A 127.0.0.1 server plays a mirror that serves its own
 * small DermaMNIST-shaped file (7 classes, 28×28×3 uint8, 4/2/2 images per class in train/val/test, written
 * here with writeNpz) plus its SHA-256 list, named by MEDMNIST_CHECKSUMS. The fixture cannot have the official
 * MD5, so it is only accepted through that list; the same fixture from a mirror without a list (official MD5)
 * or with bytes that differ from the list is refused and nothing is left in the dataset folder.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getDatasetFile, getDatasetInfo, writeNpz } from '@medsymmflow/datasets-medmnist';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../../packages/datasets-medmnist/test/http-server';
import { type CliRun, runCli, TINY_UNET_ARGS } from './testing/run-cli';

const CLASSES = 7;
const PER_CLASS = { train: 4, val: 2, test: 2 } as const;
const OFFICIAL_MD5 = getDatasetFile('dermamnist', 28).md5;

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Writes the fixture: class k is tinted towards its own colour so the images differ by class. */
async function writeDermaFixture(path: string): Promise<Uint8Array> {
  const arrays: Parameters<typeof writeNpz>[1] = {};
  for (const [split, perClass] of Object.entries(PER_CLASS)) {
    const count = perClass * CLASSES;
    const pixels = new Uint8Array(count * 28 * 28 * 3);
    const labels = new Uint8Array(count);
    let p = 0;
    for (let i = 0; i < count; i++) {
      const label = i % CLASSES;
      labels[i] = label;
      for (let y = 0; y < 28; y++)
        for (let x = 0; x < 28; x++)
          for (let c = 0; c < 3; c++) pixels[p++] = (label * 36 + c * 60 + ((x * 5 + y * 3 + i) % 40)) % 256;
    }
    arrays[`${split}_images`] = { data: pixels, shape: [count, 28, 28, 3] };
    arrays[`${split}_labels`] = { data: labels, shape: [count, 1] };
  }
  await writeNpz(path, arrays);
  return new Uint8Array(await readFile(path));
}

let temp: string;
let server: TestServer;
let fixture: Uint8Array;
/** Mirror serving the fixture and its SHA-256 list. */
let goodMirror: string;
/** Mirror whose file differs from its list by one byte. */
let badMirror: string;
/** Mirror serving the fixture without a list (so the official MD5 applies). */
let plainMirror: string;
let trainRoot: string;
let runDir: string;
let trainRun: CliRun;

const mirrorEnv = (base: string) => ({ MEDMNIST_BASE_URL: base, MEDMNIST_CHECKSUMS: `${base}/SHA256SUMS` });

async function listDir(dir: string): Promise<string[]> {
  return existsSync(dir) ? (await readdir(dir)).sort() : [];
}

beforeAll(async () => {
  temp = await mkdtemp(join(tmpdir(), 'medsymmflow-derma-cli-'));
  fixture = await writeDermaFixture(join(temp, 'fixture', 'dermamnist.npz'));
  const damaged = fixture.slice();
  damaged[damaged.length - 200] ^= 0xff;
  const list = new TextEncoder().encode(`${sha256(fixture)}  dermamnist.npz\n`);
  server = await startTestServer({
    '/good/dermamnist.npz': { body: fixture },
    '/good/SHA256SUMS': { body: list },
    '/bad/dermamnist.npz': { body: damaged },
    '/bad/SHA256SUMS': { body: list },
    '/plain/dermamnist.npz': { body: fixture },
  });
  goodMirror = `${server.baseUrl}/good`;
  badMirror = `${server.baseUrl}/bad`;
  plainMirror = `${server.baseUrl}/plain`;
  trainRoot = join(temp, 'train-root');
  runDir = join(temp, 'run');
  trainRun = await runCli(
    [
      'train',
      '--dataset',
      'dermamnist',
      '--root',
      trainRoot,
      '--no-strict',
      '--max-steps',
      '2',
      '--batch-size',
      '8',
      '--engine',
      'ort',
      '--seed',
      '1',
      ...TINY_UNET_ARGS,
      '--out',
      runDir,
    ],
    { env: mirrorEnv(goodMirror) },
  );
}, 120_000);

afterAll(async () => {
  await server?.close();
  await rm(temp, { recursive: true, force: true });
});

describe('medsymmflow train downloads a missing dataset file on first use', () => {
  it('fetches dermamnist.npz into the empty root, checks it against the mirror list, and trains', async () => {
    expect(trainRun.code, trainRun.stderr).toBe(0);
    expect(server.requests).toContain('/good/SHA256SUMS');
    expect(server.requests.filter((path) => path === '/good/dermamnist.npz')).toHaveLength(1);
    expect(await listDir(trainRoot)).toEqual(['dermamnist.npz']); // official name, no temporary left
    expect(sha256(new Uint8Array(await readFile(join(trainRoot, 'dermamnist.npz'))))).toBe(sha256(fixture));
    expect(trainRun.stderr).toContain(
      `note: checking dermamnist.npz against SHA-256 ${sha256(fixture)} from the mirror's checksum list ` +
        `${goodMirror}/SHA256SUMS (MEDMNIST_CHECKSUMS), not against the official MD5 ${OFFICIAL_MD5}`,
    );
    expect(trainRun.stderr).toContain(
      `dermamnist.npz is not in ${trainRoot}; downloading it from ${goodMirror}/dermamnist.npz (SHA-256 `,
    );
    expect(trainRun.stderr).toContain(
      `Saved ${join(trainRoot, 'dermamnist.npz')} (SHA-256 ${sha256(fixture)} verified)`,
    );
    expect(trainRun.stdout).toMatch(/^Trained dermamnist: step 2\/2 /);
    expect(existsSync(join(runDir, 'final', 'model.json'))).toBe(true);
    const config = JSON.parse(await readFile(join(runDir, 'final', 'model.json'), 'utf8'));
    expect(JSON.stringify(config)).toContain('"dermamnist"');
  });

  it('names --no-strict when the downloaded file is not the official one and --no-strict is missing', async () => {
    const run = await runCli(
      ['train', '--dataset', 'dermamnist', '--root', trainRoot, '--out', join(temp, 'strict-run')],
      { env: mirrorEnv(goodMirror) },
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('has 28 images but the official dermamnist train split has 7007');
    expect(run.stderr).toContain('--no-strict');
  });

  it('evaluate downloads into its own empty root too and reports metrics over the 7 classes', async () => {
    const root = join(temp, 'eval-root');
    const predictions = join(temp, 'predictions.csv');
    const evaluated = await runCli(
      [
        'evaluate',
        '--model',
        join(runDir, 'final'),
        '--root',
        root,
        '--no-strict',
        '--split',
        'test',
        '--predictions',
        predictions,
        '--json',
      ],
      { env: mirrorEnv(goodMirror) },
    );
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect(await listDir(root)).toEqual(['dermamnist.npz']);
    // --json: only the provenance note on stderr, no progress lines
    expect(evaluated.stderr).toMatch(
      /^note: checking dermamnist\.npz against SHA-256 [0-9a-f]{64} from the mirror/,
    );
    expect(evaluated.stderr).not.toContain('downloading');
    const report = JSON.parse(evaluated.stdout);
    expect(report).toMatchObject({ dataset: 'dermamnist', split: 'test', n: PER_CLASS.test * CLASSES });
    expect(report.acc).toBeGreaterThanOrEqual(0);
    expect(report.acc).toBeLessThanOrEqual(1);
    expect(report.auc).toBeGreaterThanOrEqual(0); // defined: every class is in the split
    expect(report.auc).toBeLessThanOrEqual(1);
    const [header, ...rows] = (await readFile(predictions, 'utf8')).trimEnd().split('\n');
    const distanceColumns = header?.split(',').filter((name) => name.startsWith('distance_')) ?? [];
    expect(distanceColumns).toHaveLength(CLASSES);
    expect(distanceColumns[0]).toBe(`distance_0_${getDatasetInfo('dermamnist').labels[0]}`);
    expect(rows).toHaveLength(PER_CLASS.test * CLASSES);
    for (const row of rows) {
      const [, label, prediction] = row.split(',').map(Number);
      expect(label).toBeGreaterThanOrEqual(0);
      expect(label).toBeLessThan(CLASSES);
      expect(prediction).toBeGreaterThanOrEqual(0);
      expect(prediction).toBeLessThan(CLASSES);
    }
  }, 60_000);

  it('refuses bytes that differ from the checksum list, naming the file and the fix, and saves nothing', async () => {
    const root = join(temp, 'bad-root');
    const out = join(temp, 'bad-run');
    const run = await runCli(
      ['train', '--dataset', 'dermamnist', '--root', root, '--no-strict', '--max-steps', '1', '--out', out],
      { env: mirrorEnv(badMirror) },
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(
        `medsymmflow: Downloaded dermamnist\\.npz from ${badMirror}/dermamnist\\.npz has SHA-256 [0-9a-f]{64}, ` +
          `expected ${sha256(fixture)} \\(from the mirror's checksum list ${badMirror}/SHA256SUMS\\); it was ` +
          `discarded and nothing was saved in ${root}\\.\\nhint: The mirror's file or its checksum list is wrong`,
      ),
    );
    expect(await listDir(root)).toEqual([]);
    expect(existsSync(out)).toBe(false);
  });

  it('checks a mirror without a checksum list against the official MD5, so the fixture is refused', async () => {
    const root = join(temp, 'plain-root');
    const run = await runCli(['datasets', 'download', 'dermamnist', '--root', root], {
      env: { MEDMNIST_BASE_URL: plainMirror },
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`expected ${OFFICIAL_MD5} (the official MD5)`);
    expect(run.stderr).toMatch(
      /hint: The mirror does not hold the official dermamnist\.npz\..*MEDMNIST_CHECKSUMS/,
    );
    expect(await listDir(root)).toEqual([]);
  });

  it('honours a checksum list only together with a mirror, before any request', async () => {
    const requests = server.requests.length;
    const run = await runCli(['datasets', 'download', 'dermamnist', '--root', join(temp, 'no-mirror')], {
      env: { MEDMNIST_CHECKSUMS: `${goodMirror}/SHA256SUMS` },
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^medsymmflow: A checksum list .* is only honoured for downloads from a mirror/,
    );
    expect(run.stderr).toContain(`official MD5 ${OFFICIAL_MD5}`);
    expect(server.requests.length).toBe(requests);
  });

  it('--no-download turns a missing file into an error that says how to get it, without any request', async () => {
    const requests = server.requests.length;
    const root = join(temp, 'offline-root');
    const run = await runCli(
      [
        'train',
        '--dataset',
        'dermamnist',
        '--root',
        root,
        '--no-download',
        '--out',
        join(temp, 'offline-run'),
      ],
      { env: mirrorEnv(goodMirror) },
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `medsymmflow: dermamnist.npz (dermamnist, 28px) is not in ${root}, and --no-download forbids fetching it.`,
    );
    expect(run.stderr).toContain(`medsymmflow datasets download dermamnist --root ${root}`);
    expect(run.stderr).toContain(`MD5 ${OFFICIAL_MD5}`);
    expect(server.requests.length).toBe(requests);
    expect(await listDir(root)).toEqual([]);
  });
});

describe('medsymmflow datasets download from a mirror with its own checksum list', () => {
  it('saves the file and says which checksum was verified', async () => {
    const root = join(temp, 'download-root');
    const run = await runCli([
      'datasets',
      'download',
      'dermamnist',
      '--root',
      root,
      '--base-url',
      goodMirror,
      '--checksums',
      `${goodMirror}/SHA256SUMS`,
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(
      `Saved ${join(root, 'dermamnist.npz')} (SHA-256 ${sha256(fixture)} verified, from the mirror's checksum list)\n`,
    );
    expect(run.stderr).toContain('note: checking dermamnist.npz against SHA-256');
    expect(await listDir(root)).toEqual(['dermamnist.npz']);
    const again = await runCli(['datasets', 'download', 'dermamnist', '--root', root]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('dermamnist.npz is already in');
  });
});
