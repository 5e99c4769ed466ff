/**
 * @file Settings of the model zoo hub (`hubEnv`): where the zoo is, where pulled models are cached, whether
 * remote sources may be used, and which `fetch` to use — the hub's part of a transformers.js-style `env`.
 *
 * Cache folder, in order: the `cacheDir` option, {@link HubSettings.cacheDir}, the `MEDSYMMFLOW_CACHE_DIR`
 * environment variable, `~/.cache/medsymmflow`. Models live in `<cache>/models/<id>/`.
 *
 * @example
 * ```ts
 * import { hubEnv, resolveCacheDir } from '@medsymmflow/core-flow';
 *
 * hubEnv.cacheDir = '/data/medsymmflow-cache';   // instead of ~/.cache/medsymmflow
 * hubEnv.allowRemoteModels = false;              // only file: / folder zoo sources from now on
 * resolveCacheDir();                              // '/data/medsymmflow-cache'
 * ```
 * @module hub/settings
 */

import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FetchLike } from '@medsymmflow/datasets-medmnist';

/** Environment variable that sets the cache folder. */
export const MEDSYMMFLOW_CACHE_DIR_ENV = 'MEDSYMMFLOW_CACHE_DIR';
/** Environment variable that sets the zoo source (an `http(s):` or `file:` URL, or a folder path). */
export const MEDSYMMFLOW_ZOO_URL_ENV = 'MEDSYMMFLOW_ZOO_URL';

/** The shape of {@link hubEnv}. */
export interface HubSettings {
  /**
   * Cache folder for pulled models (`<cacheDir>/models/<id>/`). `undefined` uses `MEDSYMMFLOW_CACHE_DIR`, else
   * `~/.cache/medsymmflow`. A `cacheDir` option passed to a function wins over this.
   * @defaultValue undefined
   */
  cacheDir: string | undefined;
  /**
   * Zoo source: the folder or URL holding `manifest.json` (`https://…/zoo/`, `file:///…/zoo/`, or a folder
   * path). `undefined` uses `MEDSYMMFLOW_ZOO_URL`, then {@link HubSettings.localModelPath}, then the `zoo/`
   * folder of the MedSymmFlow-TS checkout around the working directory. A `zooUrl` option wins over this.
   * @defaultValue undefined
   */
  zooUrl: string | undefined;
  /**
   * A local zoo folder (holding `manifest.json`) used when neither `zooUrl` nor `MEDSYMMFLOW_ZOO_URL` is set.
   * `undefined` looks for a checkout's `zoo/` folder, walking up from the working directory.
   * @defaultValue undefined
   */
  localModelPath: string | undefined;
  /**
   * Whether `http:`/`https:` zoo sources may be used. With `false`, only `file:` URLs and folders are read, and
   * a remote source fails with an error that names this setting.
   * @defaultValue true
   */
  allowRemoteModels: boolean;
  /**
   * `fetch` used for the manifest and the files (e.g. to add headers or a proxy). A `fetch` option wins.
   * @defaultValue undefined (the global `fetch`)
   */
  fetch: FetchLike | undefined;
}

/** Defaults of {@link hubEnv}; {@link resetHubEnv} restores them. */
export const HUB_DEFAULTS: Readonly<HubSettings> = Object.freeze({
  cacheDir: undefined,
  zooUrl: undefined,
  localModelPath: undefined,
  allowRemoteModels: true,
  fetch: undefined,
});

/** The global, mutable hub settings. */
export const hubEnv: HubSettings = { ...HUB_DEFAULTS };

/** Restores every field of {@link hubEnv} to {@link HUB_DEFAULTS} (for tests and long-lived processes). */
export function resetHubEnv(): void {
  Object.assign(hubEnv, HUB_DEFAULTS);
}

/** `~/.cache/medsymmflow`, the default cache folder. */
export function defaultCacheDir(): string {
  return join(homedir(), '.cache', 'medsymmflow');
}

/** Expands a leading `~` to the home folder. @ignore */
export function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path;
}

/**
 * The cache folder as an absolute path: `cacheDir` if given, else {@link HubSettings.cacheDir}, else
 * `$MEDSYMMFLOW_CACHE_DIR`, else `~/.cache/medsymmflow`.
 *
 * @param cacheDir - explicit folder. @defaultValue see above
 * @throws {TypeError} for an empty or non-string folder.
 */
export function resolveCacheDir(cacheDir?: string): string {
  if (cacheDir !== undefined && (typeof cacheDir !== 'string' || cacheDir.length === 0)) {
    throw new TypeError(`cacheDir must be a non-empty folder path, got ${JSON.stringify(cacheDir)}.`);
  }
  const fromEnv = process.env[MEDSYMMFLOW_CACHE_DIR_ENV];
  return resolve(expandHome(cacheDir ?? hubEnv.cacheDir ?? (fromEnv ? fromEnv : defaultCacheDir())));
}
