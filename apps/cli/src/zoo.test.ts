/**
 * End-to-end tests of `medsymmflow zoo …` with the built binary (run `pnpm build` first), against a zoo served
 * by a 127.0.0.1 HTTP server that the test writes.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  entryJson,
  makeWorkspace,
  metricsJson,
  serveZoo,
  sha256,
  standardFiles,
  type Workspace,
} from '../../../packages/core-flow/src/hub/__fixtures__/test-zoo';
import { REPO_ROOT } from '../../../test/shared-data';
import { formatBytes } from './lib/format';
import { runCli } from './testing/run-cli';

const run = runCli;

const AVAILABLE = 'test-available-28';
const PLANNED = 'test-planned-28';
const files = standardFiles();
let ws: Workspace;
let server: Awaited<ReturnType<typeof serveZoo>>;

beforeAll(async () => {
  server = await serveZoo([
    {
      entry: entryJson(AVAILABLE, files, {
        metrics: metricsJson({ auc: 0.9123, acc: 0.8456 }),
      }),
      files,
    },
    { entry: entryJson(PLANNED, []) },
  ]);
});
afterAll(async () => server.close());
beforeEach(async () => {
  ws = await makeWorkspace();
});
afterEach(async () => ws.cleanup());

describe('medsymmflow zoo list', () => {
  it('lists models with status and test metrics from --zoo-url', async () => {
    const result = await run(['zoo', 'list', '--zoo-url', server.zooUrl]);
    expect(result.code).toBe(0);
    const rows = result.stdout.split('\n').map((line) => line.split(/\s{2,}/));
    expect(rows[0]).toEqual(['ID', 'DATASET', 'CONDITIONING', 'STATUS', 'TEST AUC', 'TEST ACC']);
    expect(rows[1]).toEqual([AVAILABLE, 'pneumoniamnist', 'rgb-palette', 'available', '91.2', '84.6']);
    expect(rows[2]).toEqual([PLANNED, 'pneumoniamnist', 'rgb-palette', 'not-trained', '—', '—']);
    expect(result.stdout).toContain(`2 models in ${server.zooUrl}manifest.json (--zoo-url); 1 with weights.`);
  });

  it('prints JSON and reads MEDSYMMFLOW_ZOO_URL', async () => {
    const result = await run(['zoo', 'list', '--json'], { env: { MEDSYMMFLOW_ZOO_URL: server.zooUrl } });
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.source).toEqual({
      kind: 'http',
      manifestUrl: `${server.zooUrl}manifest.json`,
      origin: 'MEDSYMMFLOW_ZOO_URL',
    });
    expect(json.models.map((m: { id: string; status: string }) => [m.id, m.status])).toEqual([
      [AVAILABLE, 'available'],
      [PLANNED, 'not-trained'],
    ]);
    expect(json.models[0].files[1]).toEqual({
      path: 'group1-shard1of1.bin',
      sha256: sha256(files[1].body),
      bytes: files[1].body.length,
      role: 'tfjs-weights',
    });
  });

  it("uses the checkout's zoo/ by default, and says what to set outside a checkout", async () => {
    const inside = await run(['zoo', 'list', '--json'], { cwd: REPO_ROOT });
    expect(inside.code).toBe(0);
    const json = JSON.parse(inside.stdout);
    expect(json.source.origin).toBe('checkout');
    expect(json.models).toHaveLength(6);
    const outside = await run(['zoo', 'list'], { cwd: ws.root });
    expect(outside.code).toBe(1);
    const [reason, hint] = outside.stderr.trim().split('\n');
    expect(reason).toBe(
      `medsymmflow: No model zoo is configured: no zooUrl, no MEDSYMMFLOW_ZOO_URL, and ${ws.root} is not inside a MedSymmFlow-TS checkout.`,
    );
    expect(hint).toMatch(/^hint: .*--zoo-url URL.*MEDSYMMFLOW_ZOO_URL/);
  });
});

describe('medsymmflow zoo pull / verify', () => {
  it('pulls into --cache-dir, reuses the cached copy, and verifies it', async () => {
    const pulled = await run([
      'zoo',
      'pull',
      AVAILABLE,
      '--zoo-url',
      server.zooUrl,
      '--cache-dir',
      ws.cacheDir,
    ]);
    expect(pulled.stderr).toBe('');
    expect(pulled.code).toBe(0);
    const dir = join(ws.cacheDir, 'models', AVAILABLE);
    const total = files.reduce((sum, file) => sum + file.body.length, 0);
    expect(pulled.stdout).toBe(
      `Pulled ${AVAILABLE} 1.0.0 from ${server.zooUrl}manifest.json (--zoo-url) into ${dir} (3 files, ${formatBytes(total)}, SHA-256 verified)\n`,
    );
    expect(new Uint8Array(await readFile(join(dir, 'group1-shard1of1.bin')))).toEqual(files[1].body);
    const again = await run(['zoo', 'pull', AVAILABLE, '--zoo-url', server.zooUrl], {
      env: { MEDSYMMFLOW_CACHE_DIR: ws.cacheDir },
    });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`${AVAILABLE} is already in ${dir} and matches the manifest`);

    const verified = await run(['zoo', 'verify', '--cache-dir', ws.cacheDir]);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain(`${AVAILABLE}: OK`);
    expect(verified.stdout).toMatch(/ok +onnx\/model\.onnx/);

    const shard = new Uint8Array(await readFile(join(dir, 'group1-shard1of1.bin')));
    shard[10] ^= 1;
    await writeFile(join(dir, 'group1-shard1of1.bin'), shard);
    const tampered = await run(['zoo', 'verify', '--cache-dir', ws.cacheDir]);
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toContain(`${AVAILABLE}: FAILED`);
    expect(tampered.stdout).toContain(
      `WRONG SHA-256  group1-shard1of1.bin (${sha256(shard)}, expected ${sha256(files[1].body)})`,
    );
    expect(tampered.stderr).toContain(`hint: Pull again: medsymmflow zoo pull ${AVAILABLE} --force`);
    const json = await run(['zoo', 'verify', AVAILABLE, '--json'], {
      env: { MEDSYMMFLOW_CACHE_DIR: ws.cacheDir },
    });
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout);
    expect(report.ok).toBe(false);
    expect(report.models[0].files.map((f: { status: string }) => f.status)).toEqual([
      'ok',
      'hash-mismatch',
      'ok',
    ]);
  });

  it('refuses a file with the wrong hash and leaves the cache empty', async () => {
    const bad = await serveZoo([{ entry: entryJson(AVAILABLE, files), files }], {
      [`/zoo/${AVAILABLE}/model.json`]: { body: files[0].body.map((b) => b ^ 2) },
    });
    try {
      const result = await run([
        'zoo',
        'pull',
        AVAILABLE,
        '--zoo-url',
        bad.zooUrl,
        '--cache-dir',
        ws.cacheDir,
      ]);
      expect(result.code).toBe(1);
      const [reason, hint] = result.stderr.trim().split('\n');
      expect(reason).toMatch(
        /^medsymmflow: Refused model\.json of test-available-28: .* has SHA-256 [0-9a-f]{64}, expected/,
      );
      expect(hint).toMatch(/^hint: Nothing was cached\./);
      expect(await readdir(join(ws.cacheDir, 'models'))).toEqual([]);
    } finally {
      await bad.close();
    }
  });

  it('explains a not-trained model, an unknown id and a bad id', async () => {
    const planned = await run([
      'zoo',
      'pull',
      PLANNED,
      '--zoo-url',
      server.zooUrl,
      '--cache-dir',
      ws.cacheDir,
    ]);
    expect(planned.code).toBe(1);
    expect(planned.stderr).toContain(`medsymmflow: Model ${PLANNED} has no weights yet:`);
    const unknown = await run(['zoo', 'pull', 'test-availble-28', '--zoo-url', server.zooUrl]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(`hint: Did you mean "${AVAILABLE}"?`);
    const badId = await run(['zoo', 'pull', '../../etc', '--zoo-url', server.zooUrl]);
    expect(badId.code).toBe(2);
    expect(badId.stderr).toContain('Invalid zoo model id "../../etc"');
    const empty = await run(['zoo', 'verify', '--cache-dir', ws.cacheDir]);
    expect(empty.code).toBe(0);
    expect(empty.stdout).toBe(
      `The cache ${join(ws.cacheDir, 'models')} holds no models (medsymmflow zoo pull <id> adds one).\n`,
    );
  });

  it('reports a missing file with its URL', async () => {
    const partial = await serveZoo([{ entry: entryJson(AVAILABLE, files), files: files.slice(0, 1) }]);
    try {
      const result = await run([
        'zoo',
        'pull',
        AVAILABLE,
        '--zoo-url',
        partial.zooUrl,
        '--cache-dir',
        ws.cacheDir,
      ]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        `Could not download group1-shard1of1.bin from ${partial.zooUrl}${AVAILABLE}/group1-shard1of1.bin: HTTP 404`,
      );
      expect(await readdir(join(ws.cacheDir, 'models'))).toEqual([]);
    } finally {
      await partial.close();
    }
  });
});
