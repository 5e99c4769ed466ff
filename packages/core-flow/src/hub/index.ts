/**
 * @file The model zoo hub of `@medsymmflow/core-flow`: the typed zoo manifest, where the zoo is, pulling
 * verified models into the cache, and re-checking the cache. Re-exported by the package index.
 *
 * - **Manifest** (`zoo/manifest.json`): one entry per model id with dataset, task, labels, conditioning,
 *   architecture, files (path, SHA-256, bytes, role), metrics, licences and citation. Entries without weights
 *   say `status: 'not-trained'` and list no files and no metrics. See {@link validateZooManifest}.
 * - **Source**: `zooUrl` option > `hubEnv.zooUrl` > `MEDSYMMFLOW_ZOO_URL` > `hubEnv.localModelPath` > the
 *   `zoo/` folder of the checkout around the working directory. `http(s):`, `file:` or a folder path.
 *   See {@link resolveZooSource}.
 * - **Cache**: `cacheDir` option > `hubEnv.cacheDir` > `MEDSYMMFLOW_CACHE_DIR` > `~/.cache/medsymmflow`; models
 *   in `<cache>/models/<id>/<file>`. {@link pullModel} downloads atomically with SHA-256 checks;
 *   {@link verifyCache} re-hashes what is cached.
 *
 * @example
 * ```ts
 * import { listZoo, pullModel, verifyCache } from '@medsymmflow/core-flow';
 *
 * const { models } = await listZoo();                 // the checkout's zoo/, or MEDSYMMFLOW_ZOO_URL
 * models.filter((m) => m.status === 'available');     // [] until weights are published
 * await pullModel('pneumoniamnist-rgb-28');
 * // ZooError: Model pneumoniamnist-rgb-28 has no weights yet: the zoo at file:///…/zoo/ lists it as "not-trained" …
 * (await verifyCache()).ok;                           // true when every cached file still matches
 * ```
 * @module hub
 */

// Cache
export {
  CACHE_RECORD_FILE,
  type CachedFileReport,
  type CachedFileStatus,
  type CachedModelReport,
  type CacheRecord,
  type CacheReport,
  modelCacheDir,
  modelsCacheDir,
  type VerifyCacheOptions,
  verifyCache,
  verifyCachedModel,
} from './cache.js';
// Errors
export { UnknownModelError, ZooError, type ZooErrorCode } from './errors.js';
// Manifest
export {
  getZooEntry,
  isValidModelId,
  unsafeZooPathReason,
  type ValidateZooManifestOptions,
  validateModelId,
  validateZooManifest,
  ZOO_FILE_ROLES,
  ZOO_MANIFEST_FORMAT,
  ZOO_MANIFEST_VERSION,
  ZOO_METRIC_SPLITS,
  ZOO_MODEL_ID_PATTERN,
  ZOO_MODEL_STATUSES,
  type ZooConditioning,
  type ZooEntry,
  type ZooEvaluationSettings,
  type ZooFile,
  type ZooFileRole,
  type ZooGenerationCheck,
  type ZooLicense,
  type ZooManifest,
  type ZooMetrics,
  type ZooModelStatus,
  type ZooSelectivePoint,
  zooEntryModelConfig,
} from './manifest.js';
// Pulling
export {
  PULL_DEFAULTS,
  type PulledFile,
  type PullModelOptions,
  type PullProgressEvent,
  type PullResult,
  pullModel,
} from './pull.js';
// Settings
export {
  defaultCacheDir,
  HUB_DEFAULTS,
  type HubSettings,
  hubEnv,
  MEDSYMMFLOW_CACHE_DIR_ENV,
  MEDSYMMFLOW_ZOO_URL_ENV,
  resetHubEnv,
  resolveCacheDir,
} from './settings.js';
// Source
export {
  findCheckoutZoo,
  type LoadZooManifestOptions,
  listZoo,
  loadZooManifest,
  type ResolveZooSourceOptions,
  resolveZooSource,
  type ZooListing,
  type ZooSource,
  type ZooSourceOrigin,
} from './source.js';
