import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sharedMedmnistFile } from '../../../test/shared-data';
import { listDir, makeTempDir, md5, rejection, sha256, tinyMedMnistNpz } from '../test/fixtures';
import { startTestServer, type TestServer } from '../test/http-server';
import {
  ChecksumError,
  DatasetFileNotFoundError,
  DownloadError,
  type DownloadProgress,
  downloadFile,
  downloadMedMnist,
  ensureDownloaded,
  getDownloadUrl,
  hashFile,
  md5File,
  resolveMedMnistRoot,
  verifyFile,
} from './index';

let temp: Awaited<ReturnType<typeof makeTempDir>>;
let server: TestServer | undefined;

beforeEach(async () => {
  temp = await makeTempDir();
});

afterEach(async () => {
  await server?.close();
  server = undefined;
  await temp.cleanup();
});

describe('downloadFile', () => {
  const body = tinyMedMnistNpz({ splits: { train: { count: 40 }, val: { count: 4 }, test: { count: 4 } } });

  it('saves the file when the MD5 matches, reporting progress', async () => {
    server = await startTestServer({ '/tiny.npz': { body } });
    const destination = join(temp.dir, 'cache', 'tiny.npz');
    const events: DownloadProgress[] = [];
    const result = await downloadFile({
      url: `${server.baseUrl}/tiny.npz`,
      destination,
      md5: md5(body),
      onProgress: (event) => events.push({ ...event }),
    });
    expect(result).toEqual({ path: destination, md5: md5(body), bytes: body.length });
    expect(new Uint8Array(await readFile(destination))).toEqual(body);
    expect(await listDir(join(temp.dir, 'cache'))).toEqual(['tiny.npz']);
    expect(events.length).toBeGreaterThan(0);
    expect(events.at(-1)).toEqual({ receivedBytes: body.length, totalBytes: body.length });
    for (let i = 1; i < events.length; i++)
      expect(events[i].receivedBytes).toBeGreaterThan(events[i - 1].receivedBytes);
  });

  it('discards the file when the MD5 differs', async () => {
    server = await startTestServer({ '/tiny.npz': { body } });
    const error = await rejection(
      downloadFile({
        url: `${server.baseUrl}/tiny.npz`,
        destination: join(temp.dir, 'tiny.npz'),
        md5: '0'.repeat(32),
      }),
    );
    expect(error).toBeInstanceOf(ChecksumError);
    expect(error.message).toContain(`has MD5 ${md5(body)}, expected ${'0'.repeat(32)}`);
    expect(await listDir(temp.dir)).toEqual([]);
  });

  it('cleans up when the connection drops halfway', async () => {
    server = await startTestServer({ '/tiny.npz': { body, dropAfterBytes: body.length >> 1 } });
    const error = await rejection(
      downloadFile({
        url: `${server.baseUrl}/tiny.npz`,
        destination: join(temp.dir, 'tiny.npz'),
        md5: md5(body),
      }),
    );
    expect(error).toBeInstanceOf(DownloadError);
    expect(error.message).toMatch(new RegExp(`failed after \\d+ of ${body.length} bytes|ended after`));
    expect(await listDir(temp.dir)).toEqual([]);
  });

  it('reports HTTP errors clearly and leaves nothing behind', async () => {
    server = await startTestServer({});
    const url = `${server.baseUrl}/missing.npz`;
    const error = await rejection(downloadFile({ url, destination: join(temp.dir, 'missing.npz') }));
    expect(error).toBeInstanceOf(DownloadError);
    expect((error as DownloadError).status).toBe(404);
    expect(error.message).toContain(`from ${url}: HTTP 404 Not Found (not found on the server)`);
    expect(await listDir(temp.dir)).toEqual([]);
  });

  it('uses a custom fetch and honours an aborted signal', async () => {
    const requested: string[] = [];
    const result = await downloadFile({
      url: 'https://example.invalid/tiny.npz',
      destination: join(temp.dir, 'tiny.npz'),
      fetch: async (url) => {
        requested.push(url);
        return new Response(body as Uint8Array<ArrayBuffer>);
      },
    });
    expect(requested).toEqual(['https://example.invalid/tiny.npz']);
    expect(result.md5).toBe(md5(body));
    server = await startTestServer({ '/tiny.npz': { body } });
    const controller = new AbortController();
    controller.abort();
    const error = await rejection(
      downloadFile({
        url: `${server.baseUrl}/tiny.npz`,
        destination: join(temp.dir, 'other.npz'),
        signal: controller.signal,
      }),
    );
    expect(error).toBeInstanceOf(DownloadError);
    expect(await listDir(temp.dir)).toEqual(['tiny.npz']);
  });
});

describe('downloadFile with a SHA-256 checksum and file: URLs', () => {
  const body = tinyMedMnistNpz({ splits: { train: { count: 12 } } });

  it('saves the file when the SHA-256 matches and returns both digests', async () => {
    server = await startTestServer({ '/tiny.npz': { body } });
    const destination = join(temp.dir, 'tiny.npz');
    const result = await downloadFile({
      url: `${server.baseUrl}/tiny.npz`,
      destination,
      checksum: { algorithm: 'sha256', expected: sha256(body).toUpperCase() },
    });
    expect(result).toEqual({ path: destination, md5: md5(body), sha256: sha256(body), bytes: body.length });
    expect(await hashFile(destination, 'sha256')).toBe(sha256(body));
    expect(await md5File(destination)).toBe(md5(body));
  });

  it('discards the file when the SHA-256 differs, even if the MD5 matches', async () => {
    server = await startTestServer({ '/tiny.npz': { body } });
    const wrong = sha256(new Uint8Array([1, 2, 3]));
    const error = await rejection(
      downloadFile({
        url: `${server.baseUrl}/tiny.npz`,
        destination: join(temp.dir, 'tiny.npz'),
        md5: md5(body),
        checksum: { algorithm: 'sha256', expected: wrong },
      }),
    );
    expect(error).toBeInstanceOf(ChecksumError);
    expect((error as ChecksumError).algorithm).toBe('sha256');
    expect((error as ChecksumError).expected).toBe(wrong);
    expect(error.message).toContain(`has SHA-256 ${sha256(body)}, expected ${wrong}`);
    expect(await listDir(temp.dir)).toEqual([]);
  });

  it('rejects malformed checksums before touching the network', async () => {
    const destination = join(temp.dir, 'x.npz');
    let calls = 0;
    const fetch = async () => {
      calls++;
      return new Response('');
    };
    await expect(
      downloadFile({
        url: 'http://x.invalid/a',
        destination,
        fetch,
        checksum: { algorithm: 'sha256', expected: 'abc' },
      }),
    ).rejects.toThrow(/checksum\.expected must be 64 hex digits \(SHA-256\), got "abc"/);
    await expect(
      downloadFile({
        url: 'http://x.invalid/a',
        destination,
        fetch,
        checksum: { algorithm: 'sha1' as 'sha256', expected: '0'.repeat(40) },
      }),
    ).rejects.toThrow(/checksum\.algorithm must be one of md5, sha256, got "sha1"/);
    await expect(downloadFile({ url: 'http://x.invalid/a', destination, fetch, md5: 'xyz' })).rejects.toThrow(
      /md5 must be 32 hex digits/,
    );
    expect(calls).toBe(0);
  });

  it('copies file: URLs through a temporary file with checksum and progress', async () => {
    const source = join(temp.dir, 'source', 'tiny.npz');
    await mkdir(join(temp.dir, 'source'));
    await writeFile(source, body);
    const destination = join(temp.dir, 'cache', 'tiny.npz');
    const events: DownloadProgress[] = [];
    const result = await downloadFile({
      url: pathToFileURL(source).href,
      destination,
      checksum: { algorithm: 'sha256', expected: sha256(body) },
      onProgress: (event) => events.push({ ...event }),
    });
    expect(result.sha256).toBe(sha256(body));
    expect(new Uint8Array(await readFile(destination))).toEqual(body);
    expect(events.at(-1)).toEqual({ receivedBytes: body.length, totalBytes: body.length });

    const wrong = await rejection(
      downloadFile({
        url: pathToFileURL(source).href,
        destination: join(temp.dir, 'other', 'tiny.npz'),
        checksum: { algorithm: 'sha256', expected: '0'.repeat(64) },
      }),
    );
    expect(wrong).toBeInstanceOf(ChecksumError);
    expect(await listDir(join(temp.dir, 'other'))).toEqual([]);

    const missingUrl = pathToFileURL(join(temp.dir, 'source', 'missing.npz')).href;
    const missing = await rejection(
      downloadFile({ url: missingUrl, destination: join(temp.dir, 'other', 'm.npz') }),
    );
    expect(missing).toBeInstanceOf(DownloadError);
    expect(missing.message).toBe(`Could not copy m.npz from ${missingUrl}: no such file.`);
    expect(await listDir(join(temp.dir, 'other'))).toEqual([]);
  });
});

describe('downloadMedMnist / ensureDownloaded', () => {
  it('downloads the official file from a mirror into the cache root, verified by its official MD5', async () => {
    const official = await readFile(sharedMedmnistFile('pneumoniamnist.npz'));
    server = await startTestServer({ '/mirror/pneumoniamnist.npz': { body: official } });
    const root = join(temp.dir, 'root');
    const path = await downloadMedMnist({
      flag: 'pneumoniamnist',
      root,
      baseUrl: `${server.baseUrl}/mirror/`,
    });
    expect(path).toBe(join(root, 'pneumoniamnist.npz'));
    expect(await listDir(root)).toEqual(['pneumoniamnist.npz']);
    const report = await verifyFile({ flag: 'pneumoniamnist', root });
    expect(report.ok).toBe(true);
    // present: no second request unless forced
    await downloadMedMnist({ flag: 'pneumoniamnist', root, baseUrl: `${server.baseUrl}/mirror` });
    expect(server.requests).toEqual(['/mirror/pneumoniamnist.npz']);
    await ensureDownloaded({
      flag: 'pneumoniamnist',
      root,
      baseUrl: `${server.baseUrl}/mirror`,
      force: true,
      download: true,
    });
    expect(server.requests.length).toBe(2);
  });

  it('refuses a mirror file that is not the official one and leaves the cache empty', async () => {
    server = await startTestServer({ '/pneumoniamnist.npz': { body: tinyMedMnistNpz({}) } });
    const root = join(temp.dir, 'root');
    const error = await rejection(
      downloadMedMnist({ flag: 'pneumoniamnist', root, baseUrl: server.baseUrl }),
    );
    expect(error).toBeInstanceOf(ChecksumError);
    expect(error.message).toContain('expected 28209eda62fecd6e6a2d98b1501bb15f');
    expect(await listDir(root)).toEqual([]);
  });

  it('explains how to get the file by hand when offline', async () => {
    server = await startTestServer({});
    const baseUrl = server.baseUrl;
    await server.close();
    server = undefined;
    const root = join(temp.dir, 'root');
    const error = await rejection(downloadMedMnist({ flag: 'retinamnist', size: 64, root, baseUrl }));
    expect(error).toBeInstanceOf(DownloadError);
    expect(error.message).toContain(`${baseUrl}/retinamnist_64.npz`);
    expect(error.message).toContain('If this machine is offline');
    expect(error.message).toContain(
      'https://zenodo.org/records/10519652/files/retinamnist_64.npz?download=1',
    );
    expect(error.message).toContain(join(root, 'retinamnist_64.npz'));
    expect(await listDir(root)).toEqual([]);
  });

  it('fails with the file, URL and destination when missing and download is false', async () => {
    const error = await rejection(ensureDownloaded({ flag: 'bloodmnist', root: temp.dir }));
    expect(error).toBeInstanceOf(DatasetFileNotFoundError);
    expect(error.message).toContain('bloodmnist.npz');
    expect(error.message).toContain('https://zenodo.org/records/10519652/files/bloodmnist.npz?download=1');
    expect(error.message).toContain('7053d0359d879ad8a5505303e11de1dc');
    expect(error.message).toContain(join(temp.dir, 'bloodmnist.npz'));
  });
});

describe('roots and URLs', () => {
  const saved = { root: process.env.MEDMNIST_ROOT, base: process.env.MEDMNIST_BASE_URL };
  afterEach(() => {
    for (const [key, value] of [
      ['MEDMNIST_ROOT', saved.root],
      ['MEDMNIST_BASE_URL', saved.base],
    ] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  it('resolves the root: option > MEDMNIST_ROOT > ~/.medmnist', () => {
    delete process.env.MEDMNIST_ROOT;
    expect(resolveMedMnistRoot()).toBe(join(homedir(), '.medmnist'));
    process.env.MEDMNIST_ROOT = '/tmp/from-env';
    expect(resolveMedMnistRoot()).toBe('/tmp/from-env');
    expect(resolveMedMnistRoot('relative/dir')).toBe(resolve('relative/dir'));
    expect(() => resolveMedMnistRoot('')).toThrow(TypeError);
  });

  it('builds mirror URLs from baseUrl or MEDMNIST_BASE_URL', () => {
    delete process.env.MEDMNIST_BASE_URL;
    expect(getDownloadUrl('pathmnist', 128)).toBe(
      'https://zenodo.org/records/10519652/files/pathmnist_128.npz?download=1',
    );
    expect(getDownloadUrl('pathmnist', 28, 'http://127.0.0.1:9/data')).toBe(
      'http://127.0.0.1:9/data/pathmnist.npz',
    );
    process.env.MEDMNIST_BASE_URL = 'http://mirror.local/medmnist/';
    expect(getDownloadUrl('chestmnist', 64)).toBe('http://mirror.local/medmnist/chestmnist_64.npz');
    expect(() => getDownloadUrl('chestmnist', 28, 'not a url')).toThrow(/Invalid base URL/);
  });
});
