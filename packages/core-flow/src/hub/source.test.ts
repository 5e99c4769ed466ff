import { mkdir, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../../test/shared-data.js';
import { makeWorkspace, rejection, type Workspace } from './__fixtures__/test-zoo.js';
import { ZooError } from './errors.js';
import { hubEnv, resetHubEnv, resolveCacheDir } from './settings.js';
import { findCheckoutZoo, listZoo, resolveZooSource } from './source.js';

const saved = { zoo: process.env.MEDSYMMFLOW_ZOO_URL, cache: process.env.MEDSYMMFLOW_CACHE_DIR };
let ws: Workspace;

beforeEach(async () => {
  delete process.env.MEDSYMMFLOW_ZOO_URL;
  delete process.env.MEDSYMMFLOW_CACHE_DIR;
  ws = await makeWorkspace();
});

afterEach(async () => {
  for (const [key, value] of [
    ['MEDSYMMFLOW_ZOO_URL', saved.zoo],
    ['MEDSYMMFLOW_CACHE_DIR', saved.cache],
  ] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  resetHubEnv();
  await ws.cleanup();
});

/** A fake checkout: `<root>/repo` with pnpm-workspace.yaml and zoo/manifest.json, and a nested folder. */
async function makeCheckout(withWorkspaceFile = true): Promise<{ repo: string; nested: string }> {
  const repo = join(ws.root, 'repo');
  const nested = join(repo, 'packages', 'x', 'src');
  await mkdir(join(repo, 'zoo'), { recursive: true });
  await mkdir(nested, { recursive: true });
  await writeFile(join(repo, 'zoo', 'manifest.json'), '{"format":"medsymmflow-zoo","version":1,"models":[]}');
  if (withWorkspaceFile) await writeFile(join(repo, 'pnpm-workspace.yaml'), 'packages: []\n');
  return { repo, nested };
}

describe('resolveZooSource', () => {
  it('follows option > hubEnv.zooUrl > MEDSYMMFLOW_ZOO_URL > hubEnv.localModelPath > checkout', async () => {
    const { repo, nested } = await makeCheckout();
    const cwd = nested;
    expect(resolveZooSource({ cwd })).toMatchObject({
      kind: 'file',
      origin: 'checkout',
      path: join(repo, 'zoo'),
      baseUrl: `${pathToFileURL(join(repo, 'zoo')).href}/`,
    });
    hubEnv.localModelPath = join(ws.root, 'local-zoo');
    expect(resolveZooSource({ cwd })).toMatchObject({
      origin: 'hubEnv.localModelPath',
      path: join(ws.root, 'local-zoo'),
    });
    process.env.MEDSYMMFLOW_ZOO_URL = 'http://127.0.0.1:9/env-zoo';
    expect(resolveZooSource({ cwd })).toMatchObject({
      kind: 'http',
      origin: 'MEDSYMMFLOW_ZOO_URL',
      baseUrl: 'http://127.0.0.1:9/env-zoo/',
      manifestUrl: 'http://127.0.0.1:9/env-zoo/manifest.json',
    });
    hubEnv.zooUrl = 'https://example.org/hub-zoo/manifest.json';
    expect(resolveZooSource({ cwd })).toMatchObject({
      origin: 'hubEnv.zooUrl',
      baseUrl: 'https://example.org/hub-zoo/',
    });
    expect(resolveZooSource({ cwd, zooUrl: 'relative/zoo' })).toMatchObject({
      origin: 'option',
      kind: 'file',
      path: join(nested, 'relative', 'zoo'),
    });
  });

  it('uses the real checkout when run inside this repository', () => {
    expect(findCheckoutZoo(join(REPO_ROOT, 'packages', 'core-flow', 'src', 'hub'))).toBe(
      join(REPO_ROOT, 'zoo'),
    );
    expect(resolveZooSource({ cwd: REPO_ROOT }).path).toBe(join(REPO_ROOT, 'zoo'));
  });

  it('needs both zoo/manifest.json and pnpm-workspace.yaml to call a folder a checkout', async () => {
    const { nested } = await makeCheckout(false);
    expect(findCheckoutZoo(nested)).toBeUndefined();
    const error = (() => {
      try {
        resolveZooSource({ cwd: nested });
      } catch (e) {
        return e as ZooError;
      }
    })();
    expect(error).toBeInstanceOf(ZooError);
    expect(error?.code).toBe('ZOO_SOURCE');
    expect(error?.reason).toContain(`${nested} is not inside a MedSymmFlow-TS checkout`);
    expect(error?.hint).toContain('--zoo-url');
    expect(error?.hint).toContain('MEDSYMMFLOW_ZOO_URL');
  });

  it('accepts file: URLs and ~ paths, and refuses other protocols and queries', () => {
    const folder = join(ws.root, 'zoo dir');
    expect(resolveZooSource({ zooUrl: pathToFileURL(folder).href })).toMatchObject({
      kind: 'file',
      path: folder,
    });
    expect(resolveZooSource({ zooUrl: pathToFileURL(join(folder, 'manifest.json')).href }).path).toBe(folder);
    expect(resolveZooSource({ zooUrl: '~/zoo' }).path).toBe(join(homedir(), 'zoo'));
    expect(() => resolveZooSource({ zooUrl: 'ftp://example.org/zoo' })).toThrow(
      /protocol must be one of http:, https:, file:/,
    );
    expect(() => resolveZooSource({ zooUrl: 'https://example.org/zoo?x=1' })).toThrow(TypeError);
    expect(() => resolveZooSource({ zooUrl: '' })).toThrow(TypeError);
  });

  it('refuses remote sources when hubEnv.allowRemoteModels is false, naming the setting', () => {
    hubEnv.allowRemoteModels = false;
    expect(() => resolveZooSource({ zooUrl: 'https://example.org/zoo/' })).toThrow(
      /hubEnv\.allowRemoteModels is false, but the zoo source \(option\) is remote: https:\/\/example\.org\/zoo\//,
    );
    expect(resolveZooSource({ zooUrl: ws.root }).kind).toBe('file');
  });
});

describe('listZoo', () => {
  it('reads the repository manifest from a folder source', async () => {
    const listing = await listZoo({ zooUrl: join(REPO_ROOT, 'zoo') });
    expect(listing.source.kind).toBe('file');
    expect(listing.models).toHaveLength(6);
    const trained = listing.models.filter((m) => m.status === 'available').map((m) => m.id);
    expect(trained).toEqual(expect.arrayContaining(['pneumoniamnist-rgb-28', 'retinamnist-rgb-28']));
    for (const m of listing.models) expect(m.status === 'available').toBe(m.files.length > 0);
  });

  it('says which manifest could not be read and where the source came from', async () => {
    process.env.MEDSYMMFLOW_ZOO_URL = join(ws.root, 'nowhere');
    const error = await rejection(listZoo());
    expect(error).toBeInstanceOf(ZooError);
    expect((error as ZooError).reason).toBe(
      `Could not read the zoo manifest ${pathToFileURL(join(ws.root, 'nowhere', 'manifest.json')).href} ` +
        '(from MEDSYMMFLOW_ZOO_URL): no such file.',
    );
    await mkdir(join(ws.root, 'bad'));
    await writeFile(join(ws.root, 'bad', 'manifest.json'), '{ not json');
    const bad = await rejection(listZoo({ zooUrl: join(ws.root, 'bad') }));
    expect((bad as ZooError).code).toBe('ZOO_MANIFEST');
    expect(bad.message).toContain('not JSON');
  });
});

describe('resolveCacheDir', () => {
  it('follows option > hubEnv.cacheDir > MEDSYMMFLOW_CACHE_DIR > ~/.cache/medsymmflow', () => {
    expect(resolveCacheDir()).toBe(join(homedir(), '.cache', 'medsymmflow'));
    process.env.MEDSYMMFLOW_CACHE_DIR = join(ws.root, 'env-cache');
    expect(resolveCacheDir()).toBe(join(ws.root, 'env-cache'));
    hubEnv.cacheDir = join(ws.root, 'hub-cache');
    expect(resolveCacheDir()).toBe(join(ws.root, 'hub-cache'));
    expect(resolveCacheDir(join(ws.root, 'option'))).toBe(join(ws.root, 'option'));
    expect(() => resolveCacheDir('')).toThrow(TypeError);
  });
});
