/**
 * @file Where the zoo is (`resolveZooSource`) and reading its manifest (`loadZooManifest`, `listZoo`).
 *
 * Resolution order (the first that is set wins):
 * 1. the `zooUrl` option (CLI: `--zoo-url`);
 * 2. {@link HubSettings.zooUrl | hubEnv.zooUrl};
 * 3. the `MEDSYMMFLOW_ZOO_URL` environment variable;
 * 4. {@link HubSettings.localModelPath | hubEnv.localModelPath};
 * 5. the `zoo/` folder of the MedSymmFlow-TS checkout around the working directory: the nearest folder,
 *    walking up, that holds both `zoo/manifest.json` and `pnpm-workspace.yaml`;
 * 6. otherwise an error that says what to set.
 *
 * A source is an `http:`/`https:` URL, a `file:` URL or a folder path, pointing at the folder that holds
 * `manifest.json` (a URL ending in `/manifest.json` is accepted too). Model files are read from
 * `<source>/<id>/<path>`.
 *
 * @example
 * ```ts
 * import { listZoo } from '@medsymmflow/core-flow';
 *
 * const { source, models } = await listZoo({ zooUrl: 'https://example.org/medsymmflow/zoo/' });
 * source.manifestUrl; // 'https://example.org/medsymmflow/zoo/manifest.json'
 * models.map((m) => `${m.id}: ${m.status}`); // ['pneumoniamnist-rgb-28: not-trained', …]
 * ```
 * @module hub/source
 */

import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { FetchLike } from '@medsymmflow/datasets-medmnist';
import { ZooError } from './errors.js';
import { validateZooManifest, type ZooEntry, type ZooManifest } from './manifest.js';
import { expandHome, hubEnv, MEDSYMMFLOW_ZOO_URL_ENV } from './settings.js';

/** Which setting a zoo source came from. */
export type ZooSourceOrigin =
  | 'option'
  | 'hubEnv.zooUrl'
  | typeof MEDSYMMFLOW_ZOO_URL_ENV
  | 'hubEnv.localModelPath'
  | 'checkout';

/** A resolved zoo source. */
export interface ZooSource {
  /** `http` for `http:`/`https:` URLs, `file` for `file:` URLs and folders. */
  readonly kind: 'http' | 'file';
  /** Base URL of the zoo folder, always ending in `/` (`file:` URL for local folders). */
  readonly baseUrl: string;
  /** `<baseUrl>manifest.json`. */
  readonly manifestUrl: string;
  /** The local folder, for `file` sources. */
  readonly path?: string;
  /** Which setting it came from. */
  readonly origin: ZooSourceOrigin;
}

/** Options of {@link resolveZooSource}. */
export interface ResolveZooSourceOptions {
  /**
   * Zoo source: `http(s):` or `file:` URL, or folder path, of the folder holding `manifest.json`.
   * @defaultValue hubEnv.zooUrl, then MEDSYMMFLOW_ZOO_URL, then hubEnv.localModelPath, then the checkout's zoo/
   */
  zooUrl?: string;
  /**
   * Where the search for a checkout starts (and what relative folder paths are resolved against).
   * @defaultValue process.cwd()
   */
  cwd?: string;
}

/** Options of {@link loadZooManifest} and {@link listZoo}. */
export interface LoadZooManifestOptions extends ResolveZooSourceOptions {
  /** `fetch` for `http(s)` sources. @defaultValue hubEnv.fetch ?? globalThis.fetch */
  fetch?: FetchLike;
  /** Cancels the request. */
  signal?: AbortSignal;
}

/** A manifest and where it came from. */
export interface ZooListing {
  /** The source that was read. */
  readonly source: ZooSource;
  /** The validated manifest. */
  readonly manifest: ZooManifest;
  /** `manifest.models`. */
  readonly models: readonly ZooEntry[];
}

/** Largest manifest accepted (bytes). */
const MAX_MANIFEST_BYTES = 8 * 1024 * 1024;

const SET_A_SOURCE =
  `Set the zooUrl option (CLI: --zoo-url URL) or the ${MEDSYMMFLOW_ZOO_URL_ENV} environment variable to the ` +
  'http(s) URL, file: URL or folder that holds manifest.json, or run inside a MedSymmFlow-TS checkout (its zoo/ ' +
  'folder is used).';

/**
 * The nearest folder at or above `cwd` that holds `zoo/manifest.json` and `pnpm-workspace.yaml` (a
 * MedSymmFlow-TS checkout), as the path of its `zoo/` folder; `undefined` when there is none.
 */
export function findCheckoutZoo(cwd: string = process.cwd()): string | undefined {
  let dir = resolve(cwd);
  for (;;) {
    if (existsSync(join(dir, 'zoo', 'manifest.json')) && existsSync(join(dir, 'pnpm-workspace.yaml'))) {
      return join(dir, 'zoo');
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function fromFolder(path: string, origin: ZooSourceOrigin): ZooSource {
  const folder = resolve(path);
  let baseUrl = pathToFileURL(folder).href;
  if (!baseUrl.endsWith('/')) baseUrl += '/';
  return { kind: 'file', baseUrl, manifestUrl: `${baseUrl}manifest.json`, path: folder, origin };
}

function parseSource(value: string, origin: ZooSourceOrigin, cwd: string): ZooSource {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new TypeError(
      `The zoo source (${origin}) must be a non-empty URL or folder path, got ${JSON.stringify(value)}.`,
    );
  }
  const text = value.trim();
  const looksLikeUrl = /^[A-Za-z][A-Za-z0-9+.-]+:/.test(text) && !/^[A-Za-z]:[\\/]/.test(text);
  if (!looksLikeUrl) {
    const folder = resolve(cwd, expandHome(text));
    return fromFolder(folder.endsWith('manifest.json') ? dirname(folder) : folder, origin);
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch (error) {
    throw new TypeError(`Invalid zoo URL ${JSON.stringify(text)} (${origin}): ${(error as Error).message}.`, {
      cause: error,
    });
  }
  if (url.protocol === 'file:') {
    const path = fileURLToPath(url);
    return fromFolder(path.endsWith('manifest.json') ? dirname(path) : path, origin);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(
      `Unsupported zoo URL ${JSON.stringify(text)} (${origin}): the protocol must be one of http:, https:, file: ` +
        '(or give a folder path).',
    );
  }
  if (url.search || url.hash) {
    throw new TypeError(
      `The zoo URL ${JSON.stringify(text)} (${origin}) must not have a query or fragment; give the folder that holds manifest.json.`,
    );
  }
  if (url.pathname.endsWith('/manifest.json')) url.pathname = url.pathname.slice(0, -'manifest.json'.length);
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  if (!hubEnv.allowRemoteModels) {
    throw new ZooError(
      'ZOO_REMOTE_DISABLED',
      `hubEnv.allowRemoteModels is false, but the zoo source (${origin}) is remote: ${url.href}.`,
      {
        hint: 'Fix by setting hubEnv.allowRemoteModels = true, or point the zoo source at a local folder or file: URL.',
      },
    );
  }
  return { kind: 'http', baseUrl: url.href, manifestUrl: `${url.href}manifest.json`, origin };
}

/**
 * Where the zoo is: `zooUrl` option > `hubEnv.zooUrl` > `MEDSYMMFLOW_ZOO_URL` > `hubEnv.localModelPath` >
 * the checkout's `zoo/` folder (see the module description).
 *
 * @throws {TypeError} for a malformed URL or an unsupported protocol; {@link ZooError} `ZOO_SOURCE` when
 * nothing is set and there is no checkout, `ZOO_REMOTE_DISABLED` for a remote source while
 * `hubEnv.allowRemoteModels` is false.
 */
export function resolveZooSource(options: ResolveZooSourceOptions = {}): ZooSource {
  const cwd = options.cwd ?? process.cwd();
  if (options.zooUrl !== undefined) return parseSource(options.zooUrl, 'option', cwd);
  if (hubEnv.zooUrl !== undefined) return parseSource(hubEnv.zooUrl, 'hubEnv.zooUrl', cwd);
  const fromEnv = process.env[MEDSYMMFLOW_ZOO_URL_ENV];
  if (fromEnv) return parseSource(fromEnv, MEDSYMMFLOW_ZOO_URL_ENV, cwd);
  if (hubEnv.localModelPath !== undefined) {
    return parseSource(hubEnv.localModelPath, 'hubEnv.localModelPath', cwd);
  }
  const checkout = findCheckoutZoo(cwd);
  if (checkout !== undefined) return fromFolder(checkout, 'checkout');
  throw new ZooError(
    'ZOO_SOURCE',
    `No model zoo is configured: no zooUrl, no ${MEDSYMMFLOW_ZOO_URL_ENV}, and ${resolve(cwd)} is not inside a MedSymmFlow-TS checkout.`,
    { hint: SET_A_SOURCE },
  );
}

function describeCause(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  const code = cause?.code ?? (error as { code?: string })?.code;
  const message = cause?.message ?? (error as Error)?.message ?? String(error);
  return code && !message.includes(code) ? `${message} (${code})` : message;
}

async function readManifestText(source: ZooSource, options: LoadZooManifestOptions): Promise<string> {
  const from = `${source.manifestUrl} (from ${source.origin})`;
  if (source.kind === 'file') {
    const path = fileURLToPath(source.manifestUrl);
    try {
      if (statSync(path).size > MAX_MANIFEST_BYTES) {
        throw new Error(`larger than ${MAX_MANIFEST_BYTES} bytes`);
      }
      return await readFile(path, 'utf8');
    } catch (error) {
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      throw new ZooError(
        'ZOO_SOURCE',
        `Could not read the zoo manifest ${from}: ${missing ? 'no such file' : describeCause(error)}.`,
        {
          hint: `Check that ${source.path} is a zoo folder with a manifest.json. ${SET_A_SOURCE}`,
          cause: error,
        },
      );
    }
  }
  const fetchImpl: FetchLike = options.fetch ?? hubEnv.fetch ?? ((url, init) => globalThis.fetch(url, init));
  let response: Response;
  try {
    response = await fetchImpl(source.manifestUrl, { signal: options.signal });
  } catch (error) {
    throw new ZooError(
      'ZOO_SOURCE',
      `Could not download the zoo manifest ${from}: ${describeCause(error)}.`,
      {
        hint: `Check the URL and the network. ${SET_A_SOURCE}`,
        cause: error,
      },
    );
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    throw new ZooError(
      'ZOO_SOURCE',
      `Could not download the zoo manifest ${from}: HTTP ${response.status}` +
        `${response.statusText ? ` ${response.statusText}` : ''}.`,
      { hint: `Check that the URL points at the folder holding manifest.json. ${SET_A_SOURCE}` },
    );
  }
  const length = Number(response.headers.get('content-length') ?? 0);
  if (length > MAX_MANIFEST_BYTES) {
    await response.body?.cancel().catch(() => {});
    throw new ZooError('ZOO_SOURCE', `The zoo manifest ${from} is larger than ${MAX_MANIFEST_BYTES} bytes.`);
  }
  try {
    return await response.text();
  } catch (error) {
    throw new ZooError(
      'ZOO_SOURCE',
      `Could not download the zoo manifest ${from}: ${describeCause(error)}.`,
      {
        cause: error,
      },
    );
  }
}

/**
 * Resolves the zoo source, reads `manifest.json` and validates it.
 *
 * @throws {ZooError} `ZOO_SOURCE` when the manifest cannot be read (naming the URL and the setting it came
 * from), `ZOO_MANIFEST` when it is not valid JSON or not a valid manifest.
 */
export async function loadZooManifest(options: LoadZooManifestOptions = {}): Promise<ZooListing> {
  const source = resolveZooSource(options);
  const text = await readManifestText(source, options);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ZooError(
      'ZOO_MANIFEST',
      `Invalid zoo manifest ${source.manifestUrl}: not JSON (${(error as Error).message}).`,
      { hint: 'Check that the zoo source serves manifest.json as published.', cause: error },
    );
  }
  const manifest = validateZooManifest(parsed, { source: source.manifestUrl });
  return { source, manifest, models: manifest.models };
}

/** The models of the zoo (see {@link loadZooManifest}). */
export async function listZoo(options: LoadZooManifestOptions = {}): Promise<ZooListing> {
  return loadZooManifest(options);
}

/** URL of a model file in the zoo: `<baseUrl><id>/<path>` (`id` and `path` must be validated). @ignore */
export function zooFileUrl(source: ZooSource, id: string, path: string): string {
  return new URL(`${id}/${path}`, source.baseUrl).href;
}
