import { readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ChecksumError, DownloadError } from '@medsymmflow/datasets-medmnist';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  bytesOf,
  entryJson,
  listTree,
  makeWorkspace,
  rejection,
  serveZoo,
  sha256,
  standardFiles,
  type Workspace,
  writeZoo,
} from './__fixtures__/test-zoo.js';
import { verifyCache } from './cache.js';
import { UnknownModelError, ZooError } from './errors.js';
import { type PullProgressEvent, pullModel } from './pull.js';
import { resetHubEnv } from './settings.js';

const ID = 'pneumoniamnist-rgb-28';
let ws: Workspace;
let server: Awaited<ReturnType<typeof serveZoo>> | undefined;

beforeEach(async () => {
  ws = await makeWorkspace();
});

afterEach(async () => {
  await server?.close();
  server = undefined;
  resetHubEnv();
  await ws.cleanup();
});

function zooError(error: Error, code: string): ZooError {
  expect(error).toBeInstanceOf(ZooError);
  expect((error as ZooError).code).toBe(code);
  return error as ZooError;
}

describe('pullModel from a 127.0.0.1 server', () => {
  it('downloads every file, verifies it, reports progress, and reuses the verified copy', async () => {
    const files = standardFiles();
    server = await serveZoo([{ entry: entryJson(ID, files), files }]);
    const events: PullProgressEvent[] = [];
    const result = await pullModel(ID, {
      zooUrl: server.zooUrl,
      cacheDir: ws.cacheDir,
      onProgress: (event) => events.push({ ...event }),
    });
    const dir = join(ws.cacheDir, 'models', ID);
    expect(result).toMatchObject({ id: ID, dir, downloaded: true });
    expect(result.source).toMatchObject({ kind: 'http', origin: 'option' });
    for (const file of files) {
      expect(new Uint8Array(await readFile(join(dir, file.path)))).toEqual(file.body);
    }
    expect(result.files.map((f) => f.localPath)).toEqual(files.map((f) => join(dir, f.path)));
    expect(await listTree(join(ws.cacheDir, 'models'))).toEqual([
      ID,
      `${ID}/.zoo-entry.json`,
      `${ID}/group1-shard1of1.bin`,
      `${ID}/model.json`,
      `${ID}/onnx`,
      `${ID}/onnx/model.onnx`,
    ]);
    const total = files.reduce((sum, f) => sum + f.body.length, 0);
    expect(events.at(-1)).toMatchObject({
      receivedBytes: total,
      totalBytes: total,
      fileIndex: 2,
      fileCount: 3,
    });
    for (let i = 1; i < events.length; i++) {
      expect(events[i].receivedBytes).toBeGreaterThan(events[i - 1].receivedBytes);
    }
    expect(server.requests).toEqual([
      '/zoo/manifest.json',
      `/zoo/${ID}/model.json`,
      `/zoo/${ID}/group1-shard1of1.bin`,
      `/zoo/${ID}/onnx/model.onnx`,
    ]);
    const report = await verifyCache({ cacheDir: ws.cacheDir });
    expect(report.ok).toBe(true);
    expect(report.models.map((m) => [m.id, m.files.map((f) => f.status)])).toEqual([
      [ID, ['ok', 'ok', 'ok']],
    ]);

    // cached and unchanged: only the manifest is read again
    const again = await pullModel(ID, { zooUrl: server.zooUrl, cacheDir: ws.cacheDir });
    expect(again.downloaded).toBe(false);
    expect(server.requests.slice(4)).toEqual(['/zoo/manifest.json']);
    const forced = await pullModel(ID, { zooUrl: server.zooUrl, cacheDir: ws.cacheDir, force: true });
    expect(forced.downloaded).toBe(true);
    expect(server.requests).toHaveLength(9);
    expect(await listTree(join(ws.cacheDir, 'models'))).toHaveLength(6);
  });

  it('refuses a file with the wrong hash and caches nothing', async () => {
    const files = standardFiles();
    files[1] = { ...files[1], sha256: sha256(bytesOf(150_000, 999)) };
    server = await serveZoo([{ entry: entryJson(ID, files), files }]);
    const error = zooError(
      await rejection(pullModel(ID, { zooUrl: server.zooUrl, cacheDir: ws.cacheDir })),
      'ZOO_CHECKSUM',
    );
    expect(error.cause).toBeInstanceOf(ChecksumError);
    expect(error.reason).toContain(`Refused group1-shard1of1.bin of ${ID}`);
    expect(error.reason).toContain(`has SHA-256 ${sha256(files[1].body)}, expected ${files[1].sha256}`);
    expect(error.hint).toContain('Nothing was cached');
    expect(await listTree(join(ws.cacheDir, 'models'))).toEqual([]);
    expect((await verifyCache({ cacheDir: ws.cacheDir })).models).toEqual([]);
  });

  it('keeps the previous good copy when an update fails', async () => {
    const v1 = standardFiles(1);
    server = await serveZoo([{ entry: entryJson(ID, v1), files: v1 }]);
    await pullModel(ID, { zooUrl: server.zooUrl, cacheDir: ws.cacheDir });
    await server.close();
    const v2 = standardFiles(2);
    server = await serveZoo([{ entry: entryJson(ID, v2, { version: '2.0.0' }), files: v2 }], {
      [`/zoo/${ID}/onnx/model.onnx`]: { body: bytesOf(40_000, 7) },
    });
    zooError(
      await rejection(pullModel(ID, { zooUrl: server.zooUrl, cacheDir: ws.cacheDir })),
      'ZOO_CHECKSUM',
    );
    const report = await verifyCache({ cacheDir: ws.cacheDir });
    expect(report.ok).toBe(true);
    expect(report.models[0].entry?.version).toBe('1.0.0');
    expect(new Uint8Array(await readFile(join(ws.cacheDir, 'models', ID, 'model.json')))).toEqual(v1[0].body);
    expect((await listTree(join(ws.cacheDir, 'models'))).filter((n) => !n.startsWith(`${ID}`))).toEqual([]);
  });

  it('reports a missing file (404) with the file and its URL, leaving nothing behind', async () => {
    const files = standardFiles();
    server = await serveZoo([{ entry: entryJson(ID, files), files: files.slice(0, 2) }]);
    const error = zooError(
      await rejection(pullModel(ID, { zooUrl: server.zooUrl, cacheDir: ws.cacheDir })),
      'ZOO_DOWNLOAD',
    );
    const url = `${server.zooUrl}${ID}/onnx/model.onnx`;
    expect(error.cause).toBeInstanceOf(DownloadError);
    expect(error.reason).toBe(
      `Could not pull ${ID}: Could not download model.onnx from ${url}: HTTP 404 Not Found (not found on the server).`,
    );
    expect(error.hint).toContain(`lists onnx/model.onnx but does not have it at ${url}`);
    expect(await listTree(join(ws.cacheDir, 'models'))).toEqual([]);
  });

  it('cleans up after a dropped connection', async () => {
    const files = standardFiles();
    server = await serveZoo([{ entry: entryJson(ID, files), files }], {
      [`/zoo/${ID}/group1-shard1of1.bin`]: { body: files[1].body, dropAfterBytes: 60_000 },
    });
    const error = zooError(
      await rejection(pullModel(ID, { zooUrl: server.zooUrl, cacheDir: ws.cacheDir })),
      'ZOO_DOWNLOAD',
    );
    expect(error.reason).toMatch(/group1-shard1of1\.bin from .* (failed|ended) after \d+ of 150000 bytes/);
    expect(await listTree(join(ws.cacheDir, 'models'))).toEqual([]);
  });

  it('stops when the server sends another size than the manifest lists', async () => {
    const files = standardFiles();
    server = await serveZoo([{ entry: entryJson(ID, files), files }], {
      [`/zoo/${ID}/model.json`]: { body: bytesOf(5_000, 3) },
    });
    const error = zooError(
      await rejection(pullModel(ID, { zooUrl: server.zooUrl, cacheDir: ws.cacheDir })),
      'ZOO_CHECKSUM',
    );
    expect(error.reason).toContain(
      `the server announces 5000 bytes, the manifest lists ${files[0].body.length}`,
    );
    expect(await listTree(join(ws.cacheDir, 'models'))).toEqual([]);
  });

  it('refuses a path-traversal file name before downloading anything', async () => {
    const files = standardFiles();
    const entry = entryJson(ID, files);
    (entry.files as { path: string }[])[1].path = '../../outside.bin';
    server = await serveZoo([{ entry, files: [] }], { '/outside.bin': { body: files[1].body } });
    const error = zooError(
      await rejection(pullModel(ID, { zooUrl: server.zooUrl, cacheDir: ws.cacheDir })),
      'ZOO_MANIFEST',
    );
    expect(error.reason).toContain(
      '"../../outside.bin" is not a safe relative path: it contains a ".." segment',
    );
    expect(server.requests).toEqual(['/zoo/manifest.json']);
    expect(await listTree(ws.cacheDir)).toEqual([]);
    expect(await listTree(ws.root)).toEqual([]);
  });

  it('explains that a not-trained model has no weights, without touching the cache', async () => {
    server = await serveZoo([{ entry: entryJson(ID, [], { notes: 'Planned for the next release.' }) }]);
    const error = zooError(
      await rejection(pullModel(ID, { zooUrl: server.zooUrl, cacheDir: ws.cacheDir })),
      'ZOO_NOT_TRAINED',
    );
    expect(error.reason).toBe(
      `Model ${ID} has no weights yet: the zoo at ${server.zooUrl} lists it as "not-trained" ` +
        '(pneumoniamnist, rgb-palette conditioning), so there is nothing to download.',
    );
    expect(error.hint).toContain('Planned for the next release.');
    expect(server.requests).toEqual(['/zoo/manifest.json']);
    expect(await listTree(ws.cacheDir)).toEqual([]);
  });

  it('rejects unknown and malformed ids', async () => {
    server = await serveZoo([{ entry: entryJson(ID, []) }]);
    const unknown = await rejection(
      pullModel('pneumoniamnist-rgb-64', { zooUrl: server.zooUrl, cacheDir: ws.cacheDir }),
    );
    expect(unknown).toBeInstanceOf(UnknownModelError);
    expect(unknown.message).toContain(`Did you mean "${ID}"?`);
    const requestsBefore = server.requests.length;
    await expect(pullModel('../x', { zooUrl: server.zooUrl, cacheDir: ws.cacheDir })).rejects.toThrow(
      RangeError,
    );
    expect(server.requests).toHaveLength(requestsBefore);
  });
});

describe('pullModel from a local zoo (file: URL or folder)', () => {
  it('copies and verifies the files from a folder or a file: URL', async () => {
    const files = standardFiles();
    await writeZoo(ws.zooDir, [{ entry: entryJson(ID, files), files }]);
    const fromFolder = await pullModel(ID, { zooUrl: ws.zooDir, cacheDir: ws.cacheDir });
    expect(fromFolder.source).toMatchObject({ kind: 'file', path: ws.zooDir });
    expect(new Uint8Array(await readFile(join(fromFolder.dir, 'onnx', 'model.onnx')))).toEqual(files[2].body);
    const fromUrl = await pullModel(ID, {
      zooUrl: pathToFileURL(ws.zooDir).href,
      cacheDir: join(ws.root, 'cache2'),
    });
    expect(fromUrl.downloaded).toBe(true);
    expect((await verifyCache({ cacheDir: join(ws.root, 'cache2') })).ok).toBe(true);
  });

  it('refuses a local file whose hash differs from the manifest', async () => {
    const files = standardFiles();
    await writeZoo(ws.zooDir, [{ entry: entryJson(ID, files), files }]);
    await writeFile(
      join(ws.zooDir, ID, 'model.json'),
      files[0].body.map((b) => b ^ 1),
    );
    zooError(await rejection(pullModel(ID, { zooUrl: ws.zooDir, cacheDir: ws.cacheDir })), 'ZOO_CHECKSUM');
    expect(await listTree(join(ws.cacheDir, 'models'))).toEqual([]);
  });
});

describe('verifyCache', () => {
  it('detects tampered, truncated and deleted files, and folders without a record', async () => {
    const files = standardFiles();
    await writeZoo(ws.zooDir, [
      { entry: entryJson(ID, files), files },
      { entry: entryJson('other-model', files), files },
    ]);
    await pullModel(ID, { zooUrl: ws.zooDir, cacheDir: ws.cacheDir });
    await pullModel('other-model', { zooUrl: ws.zooDir, cacheDir: ws.cacheDir });
    const dir = join(ws.cacheDir, 'models', ID);
    const shard = new Uint8Array(await readFile(join(dir, 'group1-shard1of1.bin')));
    shard[1234] ^= 0xff;
    await writeFile(join(dir, 'group1-shard1of1.bin'), shard);
    await truncate(join(dir, 'model.json'), 3);
    await rm(join(dir, 'onnx', 'model.onnx'));
    await rm(join(ws.cacheDir, 'models', 'other-model', '.zoo-entry.json'));

    const report = await verifyCache({ cacheDir: ws.cacheDir });
    expect(report.ok).toBe(false);
    const [other, tampered] = report.models;
    expect(tampered.files.map((f) => [f.path, f.status])).toEqual([
      ['model.json', 'size-mismatch'],
      ['group1-shard1of1.bin', 'hash-mismatch'],
      ['onnx/model.onnx', 'missing'],
    ]);
    expect(tampered.files[1].actualSha256).toBe(sha256(shard));
    expect(tampered.files[1].expectedSha256).toBe(sha256(files[1].body));
    expect(tampered.files[0]).toMatchObject({ actualBytes: 3, expectedBytes: files[0].body.length });
    expect(other.ok).toBe(false);
    expect(other.problems[0]).toContain('no .zoo-entry.json record');

    // pulling again repairs it
    await pullModel(ID, { zooUrl: ws.zooDir, cacheDir: ws.cacheDir });
    expect((await verifyCache({ cacheDir: ws.cacheDir, ids: [ID] })).ok).toBe(true);
  });

  it('is ok for an empty cache and reports models that are not cached when asked for', async () => {
    expect(await verifyCache({ cacheDir: ws.cacheDir })).toMatchObject({ ok: true, models: [] });
    const report = await verifyCache({ cacheDir: ws.cacheDir, ids: [ID] });
    expect(report.ok).toBe(false);
    expect(report.models[0].problems[0]).toContain(`${ID} is not in the cache`);
  });
});
