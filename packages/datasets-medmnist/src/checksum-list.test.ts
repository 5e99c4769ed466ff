import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listDir, makeTempDir, md5, rejection, sha256, tinyMedMnistNpz } from '../test/fixtures';
import { startTestServer, type TestServer } from '../test/http-server';
import {
  ChecksumError,
  DownloadError,
  downloadMedMnist,
  getDatasetFile,
  loadChecksumList,
  loadMedMnistSplits,
  parseChecksumList,
  resolveDownloadSource,
} from './index';

/** A DermaMNIST-shaped archive (7 classes, 28×28×3) far smaller than the official one. */
const derma = tinyMedMnistNpz({
  channels: 3,
  classes: 7,
  splits: { train: { count: 14 }, val: { count: 7 }, test: { count: 7 } },
});
const officialDermaMd5 = getDatasetFile('dermamnist', 28).md5;

describe('parseChecksumList', () => {
  const a = 'a'.repeat(32);
  const b = 'B'.repeat(64);

  it('reads GNU (text and binary mode) and BSD lines, MD5 and SHA-256, skipping comments and blanks', () => {
    const list = parseChecksumList(
      `\uFEFF# mirror of 2024-01\n${a}  dermamnist.npz\r\n\n${b} *bloodmnist.npz\nMD5 (pathmnist.npz) = ${a}\n` +
        `SHA256 (my file.npz) = ${b}\n`,
      'SUMS',
    );
    expect(Object.fromEntries(list)).toEqual({
      'dermamnist.npz': { algorithm: 'md5', expected: a },
      'bloodmnist.npz': { algorithm: 'sha256', expected: b.toLowerCase() },
      'pathmnist.npz': { algorithm: 'md5', expected: a },
      'my file.npz': { algorithm: 'sha256', expected: b.toLowerCase() },
    });
  });

  it('prefers the SHA-256 when a file is listed with both', () => {
    const list = parseChecksumList(`${b}  x.npz\n${a}  x.npz\n`, 'SUMS');
    expect(list.get('x.npz')?.algorithm).toBe('sha256');
  });

  it('rejects lines that are not checksum lines, naming the list and the line', () => {
    const error = parseError(`${a}  ok.npz\nnot a checksum\n`);
    expect(error).toBeInstanceOf(DownloadError);
    expect(error.message).toMatch(
      /^Line 2 of the checksum list SUMS is not a checksum line: "not a checksum"/,
    );
    expect(parseError(`${'a'.repeat(31)}  short.npz\n`).message).toMatch(/Line 1/);
    expect(parseError(`MD5 (x.npz) = ${b}\n`).message).toMatch(/Line 1/); // MD5 label, SHA-256 digest
  });

  it('rejects a file listed twice with different digests', () => {
    expect(parseError(`${a}  x.npz\n${'c'.repeat(32)}  x.npz\n`).message).toMatch(
      /gives x\.npz two different MD5s/,
    );
  });

  function parseError(text: string): Error {
    try {
      parseChecksumList(text, 'SUMS');
    } catch (error) {
      return error as Error;
    }
    throw new Error('expected parseChecksumList to throw');
  }
});

describe('mirror checksum lists', () => {
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

  it("downloads a mirror's own file checked against the mirror's SHA-256, and loads it with strict: false", async () => {
    server = await startTestServer({
      '/dermamnist.npz': { body: derma },
      '/SHA256SUMS': { body: new TextEncoder().encode(`${sha256(derma)}  dermamnist.npz\n`) },
    });
    const root = join(temp.dir, 'root');
    const config = {
      flag: 'dermamnist',
      root,
      baseUrl: server.baseUrl,
      checksums: `${server.baseUrl}/SHA256SUMS`,
    };
    const source = await resolveDownloadSource(config);
    expect(source).toMatchObject({
      fileName: 'dermamnist.npz',
      path: join(root, 'dermamnist.npz'),
      url: `${server.baseUrl}/dermamnist.npz`,
      mirror: true,
      checksum: { algorithm: 'sha256', expected: sha256(derma) },
      checksumOrigin: 'mirror',
      checksumList: `${server.baseUrl}/SHA256SUMS`,
    });
    // Passing the resolved source on reads the list once (a front end shows it first, then downloads).
    expect(await downloadMedMnist({ ...config, source })).toBe(join(root, 'dermamnist.npz'));
    expect(server.requests).toEqual(['/SHA256SUMS', '/dermamnist.npz']);
    expect(await listDir(root)).toEqual(['dermamnist.npz']);
    await expect(downloadMedMnist({ ...config, flag: 'bloodmnist', source, force: true })).rejects.toThrow(
      /source is for dermamnist at 28px, not bloodmnist/,
    );
    const { train, test } = await loadMedMnistSplits({ flag: 'dermamnist', root, strict: false });
    expect([train.length, test.length, train.channels]).toEqual([14, 7, 3]);
  });

  it('refuses bytes that differ from the list, naming the file and the list, and leaves nothing behind', async () => {
    const other = derma.slice();
    other[other.length - 100] ^= 0xff;
    server = await startTestServer({ '/dermamnist.npz': { body: other } });
    const list = join(temp.dir, 'MD5SUMS');
    await writeFile(list, `${md5(derma)}  dermamnist.npz\n`);
    const root = join(temp.dir, 'root');
    const error = await rejection(
      downloadMedMnist({
        flag: 'dermamnist',
        root,
        baseUrl: server.baseUrl,
        checksums: pathToFileURL(list).href,
      }),
    );
    expect(error).toBeInstanceOf(ChecksumError);
    expect((error as ChecksumError).reason).toBe(
      `Downloaded dermamnist.npz from ${server.baseUrl}/dermamnist.npz has MD5 ${md5(other)}, expected ${md5(derma)} ` +
        `(from the mirror's checksum list ${pathToFileURL(list).href}); it was discarded and nothing was saved in ${root}.`,
    );
    expect((error as ChecksumError).hint).toMatch(/fix the mirror, or download from the official URL/);
    expect(await listDir(root)).toEqual([]);
  });

  it('checks files the list does not name against the official MD5 (so a fixture is refused)', async () => {
    server = await startTestServer({ '/dermamnist.npz': { body: derma } });
    const list = join(temp.dir, 'SUMS');
    await writeFile(list, `${md5(derma)}  bloodmnist.npz\n`);
    const root = join(temp.dir, 'root');
    const config = { flag: 'dermamnist', root, baseUrl: server.baseUrl, checksums: list };
    expect((await resolveDownloadSource(config)).checksumOrigin).toBe('official');
    const error = await rejection(downloadMedMnist(config));
    expect(error).toBeInstanceOf(ChecksumError);
    expect((error as ChecksumError).reason).toContain(`expected ${officialDermaMd5} (the official MD5)`);
    expect(await listDir(root)).toEqual([]);
  });

  it('tells a mirror without a list that it does not hold the official file and names MEDMNIST_CHECKSUMS', async () => {
    server = await startTestServer({ '/dermamnist.npz': { body: derma } });
    const root = join(temp.dir, 'root');
    const error = await rejection(downloadMedMnist({ flag: 'dermamnist', root, baseUrl: server.baseUrl }));
    expect(error).toBeInstanceOf(ChecksumError);
    expect((error as ChecksumError).hint).toMatch(
      /does not hold the official dermamnist\.npz.*MEDMNIST_CHECKSUMS/,
    );
    expect(await listDir(root)).toEqual([]);
  });

  it('refuses a checksum list without a mirror: the official URL is always checked against the official MD5', async () => {
    const list = join(temp.dir, 'SUMS');
    await writeFile(list, `${md5(derma)}  dermamnist.npz\n`);
    const fetch = () => Promise.reject(new Error('no request may be made'));
    for (const baseUrl of [undefined, 'https://zenodo.org/records/10519652/files/']) {
      const error = await rejection(
        downloadMedMnist({ flag: 'dermamnist', root: temp.dir, baseUrl, checksums: list, fetch }),
      );
      expect(error).toBeInstanceOf(RangeError);
      expect(error.message).toMatch(/only honoured for downloads from a mirror.*official MD5 0744692d/);
    }
  });

  it('reports an unreadable list with its location', async () => {
    server = await startTestServer({});
    const missing = await rejection(loadChecksumList({ location: `${server.baseUrl}/SUMS` }));
    expect(missing).toBeInstanceOf(DownloadError);
    expect(missing.message).toContain(`Could not read the checksum list ${server.baseUrl}/SUMS: HTTP 404`);
    const noFile = await rejection(loadChecksumList({ location: join(temp.dir, 'nope') }));
    expect(noFile.message).toContain('no such file');
  });
});
