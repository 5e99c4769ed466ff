/**
 * @file The zoo manifest (`zoo/manifest.json`): the typed, validated table of pretrained models, one entry
 * per model id — the hub's `MODEL_INFO`, as in tfjs-models.
 *
 * An entry names its dataset, task, labels, conditioning plugin, architecture, the files to pull (each with
 * its SHA-256 and size), the test metrics `medsymmflow evaluate` reproduces, the licences and the citation.
 * Entries whose weights are not trained yet say so (`status: 'not-trained'`) and list no files and no metrics.
 *
 * File paths are relative to the model's folder (`<zoo>/<id>/` on the server, `<cache>/models/<id>/` in the
 * cache) and must be plain: forward slashes, names of `[A-Za-z0-9._-]` that do not start with a dot, no `..`,
 * no absolute paths, no backslashes. Anything else is refused when the manifest is read, before any download.
 *
 * @example
 * ```ts
 * import { validateZooManifest, getZooEntry } from '@medsymmflow/core-flow';
 *
 * const manifest = validateZooManifest(JSON.parse(text), { source: 'zoo/manifest.json' });
 * getZooEntry(manifest, 'pneumoniamnist-rgb-28').status; // 'not-trained'
 * ```
 * @module hub/manifest
 */

import { posix } from 'node:path';
import type { ArchitectureConfig, FlowModelConfig } from '../io/flow-model.js';
import { resolveUNetConfig } from '../model/unet.js';
import { UnknownModelError, ZooError } from './errors.js';

/** `format` field of a zoo manifest. */
export const ZOO_MANIFEST_FORMAT = 'medsymmflow-zoo';
/** The manifest `version` this package reads. */
export const ZOO_MANIFEST_VERSION = 1;
/** What a file of an entry is. */
export const ZOO_FILE_ROLES = Object.freeze(['onnx', 'tfjs-model', 'tfjs-weights', 'card', 'image'] as const);
/** A file role: `onnx`, `tfjs-model` (model.json), `tfjs-weights` (shards), `card` (model card), `image`. */
export type ZooFileRole = (typeof ZOO_FILE_ROLES)[number];
/** Whether an entry has weights. */
export const ZOO_MODEL_STATUSES = Object.freeze(['available', 'not-trained'] as const);
/** `available` (files published) or `not-trained` (no weights yet). */
export type ZooModelStatus = (typeof ZOO_MODEL_STATUSES)[number];
/** Splits that metrics may be reported on. */
export const ZOO_METRIC_SPLITS = Object.freeze(['test', 'val'] as const);
/** Pattern of model ids: lowercase letters and digits in groups joined by single dashes, at most 64 chars. */
export const ZOO_MODEL_ID_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** One file of a model. */
export interface ZooFile {
  /** Path relative to the model folder, e.g. `model.json` or `onnx/model.onnx`. */
  readonly path: string;
  /** SHA-256 of the file (64 lowercase hex digits). */
  readonly sha256: string;
  /** Size in bytes. */
  readonly bytes: number;
  /** What the file is. */
  readonly role: ZooFileRole;
}

/** One point of a selective-prediction curve: reject the most uncertain share, keep the rest. */
export interface ZooSelectivePoint {
  /** Share of images rejected, in [0, 1]. */
  readonly reject: number;
  /** Accuracy of the kept images. */
  readonly acc: number;
  /** Uncertainty (distance to the predicted class) above which images were rejected; `null` at reject 0. */
  readonly threshold: number | null;
}

/** How the metrics were computed (the `evaluate` options that matter for reproducing them). */
export interface ZooEvaluationSettings {
  /** `ort` or `tfjs`. */
  readonly runtime: string;
  /** ODE solver, e.g. `euler`. */
  readonly solver: string;
  /** Solver steps from t = 1 to t = 0. */
  readonly steps: number;
  /** Mask-noise samples per image. */
  readonly samples: number;
  /** Seed of the mask noise. */
  readonly seed: number;
}

/** How well the model's generated images match the requested class (its own classifier as the judge). */
export interface ZooGenerationCheck {
  /** Images generated per class. */
  readonly perClass: number;
  /** ODE solver and steps used to generate. */
  readonly solver: string;
  readonly steps: number;
  /**
   * Share of generated images the same model classifies as the requested class, overall and per class
   * (`medsymmflow sample --check`: classified as `classify` does, with the model's stored settings — those of
   * {@link ZooMetrics.evaluation}).
   */
  readonly asRequested: number;
  readonly asRequestedPerClass: readonly number[];
}

/** Metrics of a published model, exactly as `medsymmflow evaluate --json` prints them for `command`. */
export interface ZooMetrics {
  /** Split they were measured on. */
  readonly split: (typeof ZOO_METRIC_SPLITS)[number];
  /** Number of images evaluated. */
  readonly n: number;
  /** Accuracy, in [0, 1]. */
  readonly acc: number;
  /** MedSymmFlow AUC (one-vs-rest over every class on the mask distances, averaged), in [0, 1]. */
  readonly auc: number;
  /** Area under the risk–coverage curve (lower is better). */
  readonly aurc: number;
  /** Excess AURC over an oracle ranking. */
  readonly eAurc: number;
  /** Expected calibration error of the temperature-scaled distance softmax (15 bins). */
  readonly ece: number;
  /** Temperature of that softmax (fitted on the validation split). */
  readonly temperature: number;
  /** Selective-prediction curve. */
  readonly selective: readonly ZooSelectivePoint[];
  /** Options of the evaluation. */
  readonly evaluation: ZooEvaluationSettings;
  /** The command line that reproduces the numbers, e.g. `medsymmflow evaluate --model <id> --split test --json`. */
  readonly command: string;
  /** Generated samples classified by the same model (optional). */
  readonly generation?: ZooGenerationCheck;
  /** Mean per-class recall (entries published before `evaluate` reported it have none of the per-class fields). */
  readonly balancedAccuracy?: number;
  /** Recall of each class; `null` for a class without test images. */
  readonly recall?: readonly (number | null)[];
  /** `confusion[truth][predicted]`: test images per true and predicted class. */
  readonly confusion?: readonly (readonly number[])[];
}

/** Licences of an entry. */
export interface ZooLicense {
  /** Licence of the training data, e.g. `CC BY 4.0`. */
  readonly data: string;
  /** Licence of the published weights; `null` while there are none. */
  readonly weights: string | null;
}

/** Conditioning plugin of an entry, as `createMaskPlugin` takes it. */
export interface ZooConditioning {
  /** Plugin name, e.g. `rgb-palette`. */
  readonly name: string;
  /** Plugin options. */
  readonly options: Readonly<Record<string, unknown>>;
  /** npm package of a third-party plugin. */
  readonly package?: string;
}

/** One model of the zoo. */
export interface ZooEntry {
  /** Model id, e.g. `pneumoniamnist-rgb-28` (see {@link ZOO_MODEL_ID_PATTERN}). */
  readonly id: string;
  /** `available` or `not-trained`. */
  readonly status: ZooModelStatus;
  /** Version of the published weights; `null` while there are none. */
  readonly version: string | null;
  /** One-paragraph description. */
  readonly description: string;
  /** Training dataset (MedMNIST flag, e.g. `pneumoniamnist`). */
  readonly dataset: string;
  /** Task of the dataset, e.g. `binary-class`. */
  readonly task: string;
  /** Height = width of the images. */
  readonly imageSize: number;
  /** Image channels (1 grey, 3 RGB). */
  readonly imageChannels: number;
  /** Class names; index = label. */
  readonly labels: readonly string[];
  /** Conditioning mask plugin. */
  readonly conditioning: ZooConditioning;
  /** UNet architecture (as `FlowModelConfig.architecture`). */
  readonly architecture: Readonly<ArchitectureConfig>;
  /** Pixel ranges. */
  readonly normalization: {
    readonly inputRange: readonly [number, number];
    readonly modelRange: readonly [number, number];
  };
  /** Files to pull; empty when `not-trained`. */
  readonly files: readonly ZooFile[];
  /** Reproducible metrics; `null` when `not-trained`. */
  readonly metrics: ZooMetrics | null;
  /** Licences. */
  readonly license: ZooLicense;
  /** How to cite the data (and the model, when published). */
  readonly citation: string;
  /** Free text, e.g. what is missing and how it will be produced. */
  readonly notes?: string;
}

/** A validated zoo manifest. */
export interface ZooManifest {
  /** Always {@link ZOO_MANIFEST_FORMAT}. */
  readonly format: typeof ZOO_MANIFEST_FORMAT;
  /** Always {@link ZOO_MANIFEST_VERSION}. */
  readonly version: typeof ZOO_MANIFEST_VERSION;
  /** What this zoo is. */
  readonly description?: string;
  /** The models, in manifest order. */
  readonly models: readonly ZooEntry[];
}

/** Options of {@link validateZooManifest}. */
export interface ValidateZooManifestOptions {
  /**
   * Where the manifest came from; quoted in errors.
   * @defaultValue 'zoo manifest'
   */
  source?: string;
}

const MANIFEST_KEYS = ['$comment', 'format', 'version', 'description', 'models'];
const ENTRY_KEYS = [
  'id',
  'status',
  'version',
  'description',
  'dataset',
  'task',
  'imageSize',
  'imageChannels',
  'labels',
  'conditioning',
  'architecture',
  'normalization',
  'files',
  'metrics',
  'license',
  'citation',
  'notes',
];
const FILE_KEYS = ['path', 'sha256', 'bytes', 'role'];
const METRIC_KEYS = [
  'split',
  'n',
  'acc',
  'auc',
  'aurc',
  'eAurc',
  'ece',
  'temperature',
  'selective',
  'evaluation',
  'command',
  'generation',
  'balancedAccuracy',
  'recall',
  'confusion',
];
const OPTIONAL_METRIC_KEYS = ['generation', 'balancedAccuracy', 'recall', 'confusion'];
const MAX_ID_LENGTH = 64;
const SAFE_SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

const quote = (value: unknown): string => {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
};

/** `true` when `id` is a well-formed model id. */
export function isValidModelId(id: unknown): id is string {
  return typeof id === 'string' && id.length <= MAX_ID_LENGTH && ZOO_MODEL_ID_PATTERN.test(id);
}

/**
 * Checks a model id given by a user.
 * @throws {RangeError} naming the rule, e.g. for `'Pneumonia_MNIST'` or `'../x'`.
 */
export function validateModelId(id: unknown): string {
  if (!isValidModelId(id)) {
    throw new RangeError(
      `Invalid zoo model id ${quote(id)}: ids are lowercase letters and digits joined by single dashes, ` +
        `at most ${MAX_ID_LENGTH} characters, e.g. "pneumoniamnist-rgb-28".`,
    );
  }
  return id;
}

/**
 * Why `path` is not a safe file path for a zoo entry, or `undefined` when it is. Safe paths are relative,
 * use `/`, and consist of names of `[A-Za-z0-9._-]` that do not start with a dot (so no `.`/`..` segments and
 * no hidden files, which the cache reserves for itself).
 */
export function unsafeZooPathReason(path: unknown): string | undefined {
  if (typeof path !== 'string' || path.length === 0) return 'it must be a non-empty string';
  if (path.includes('\\')) return 'it contains a backslash (use "/")';
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) return 'it is absolute';
  if (path.includes('\0')) return 'it contains a NUL character';
  const segments = path.split('/');
  if (segments.some((segment) => segment === '..')) return 'it contains a ".." segment';
  if (segments.some((segment) => segment === '' || segment === '.')) return 'it has an empty or "." segment';
  if (segments.some((segment) => segment.startsWith('.'))) return 'a name starts with "." (reserved)';
  const bad = segments.find((segment) => !SAFE_SEGMENT.test(segment));
  if (bad !== undefined) return `the name ${quote(bad)} has characters outside [A-Za-z0-9._-]`;
  if (path.length > 255) return 'it is longer than 255 characters';
  if (posix.normalize(path) !== path) return 'it is not in normal form';
  return undefined;
}

class ManifestChecker {
  constructor(private readonly source: string) {}

  fail(where: string, problem: string): never {
    throw new ZooError('ZOO_MANIFEST', `Invalid zoo manifest ${this.source}: ${where} ${problem}.`, {
      hint:
        'Fix the manifest (its format is described in zoo/README.md of MedSymmFlow-TS) or point zooUrl / ' +
        'MEDSYMMFLOW_ZOO_URL at a valid zoo.',
    });
  }

  object(where: string, value: unknown, keys: readonly string[], required: readonly string[] = keys) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.fail(where, `must be an object, got ${quote(value)}`);
    }
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (!keys.includes(key))
        this.fail(where, `has an unknown field ${quote(key)} (valid: ${keys.join(', ')})`);
    }
    for (const key of required) {
      if (!(key in record)) this.fail(where, `is missing the field ${quote(key)}`);
    }
    return record;
  }

  string(where: string, value: unknown): string {
    if (typeof value !== 'string' || value.trim().length === 0) {
      this.fail(where, `must be a non-empty string, got ${quote(value)}`);
    }
    return value;
  }

  integer(where: string, value: unknown, min: number): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
      this.fail(where, `must be an integer ≥ ${min}, got ${quote(value)}`);
    }
    return value;
  }

  fraction(where: string, value: unknown): number {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
      this.fail(where, `must be a number in [0, 1], got ${quote(value)}`);
    }
    return value;
  }

  oneOf<T extends string>(where: string, value: unknown, valid: readonly T[]): T {
    if (!valid.includes(value as T)) {
      this.fail(where, `must be one of ${valid.map((v) => quote(v)).join(', ')}, got ${quote(value)}`);
    }
    return value as T;
  }

  range(where: string, value: unknown, fallback: readonly [number, number]): readonly [number, number] {
    if (value === undefined) return Object.freeze([fallback[0], fallback[1]] as const);
    if (
      !Array.isArray(value) ||
      value.length !== 2 ||
      !value.every((v) => typeof v === 'number' && Number.isFinite(v)) ||
      !(value[0] < value[1])
    ) {
      this.fail(where, `must be [min, max] with min < max, got ${quote(value)}`);
    }
    return Object.freeze([value[0], value[1]] as const);
  }

  file(where: string, value: unknown): ZooFile {
    const record = this.object(where, value, FILE_KEYS);
    const reason = unsafeZooPathReason(record.path);
    if (reason !== undefined) {
      this.fail(
        `${where}.path`,
        `${quote(record.path)} is not a safe relative path: ${reason}. File paths are relative to the model ` +
          'folder, use "/" and names of [A-Za-z0-9._-] that do not start with "."',
      );
    }
    if (typeof record.sha256 !== 'string' || !/^[0-9a-fA-F]{64}$/.test(record.sha256)) {
      this.fail(`${where}.sha256`, `must be 64 hex digits (SHA-256), got ${quote(record.sha256)}`);
    }
    return Object.freeze({
      path: record.path as string,
      sha256: record.sha256.toLowerCase(),
      bytes: this.integer(`${where}.bytes`, record.bytes, 0),
      role: this.oneOf(`${where}.role`, record.role, ZOO_FILE_ROLES),
    });
  }

  metrics(where: string, value: unknown): ZooMetrics {
    const record = this.object(
      where,
      value,
      METRIC_KEYS,
      METRIC_KEYS.filter((k) => !OPTIONAL_METRIC_KEYS.includes(k)),
    );
    if (!Array.isArray(record.selective) || record.selective.length === 0) {
      this.fail(`${where}.selective`, `must be a non-empty array of { reject, acc, threshold }`);
    }
    const selective = (record.selective as unknown[]).map((point, i) => {
      const at = `${where}.selective[${i}]`;
      const p = this.object(at, point, ['reject', 'acc', 'threshold']);
      if (p.threshold !== null && (typeof p.threshold !== 'number' || !Number.isFinite(p.threshold))) {
        this.fail(`${at}.threshold`, `must be a finite number or null, got ${quote(p.threshold)}`);
      }
      return Object.freeze({
        reject: this.fraction(`${at}.reject`, p.reject),
        acc: this.fraction(`${at}.acc`, p.acc),
        threshold: p.threshold as number | null,
      });
    });
    const evaluation = this.object(`${where}.evaluation`, record.evaluation, [
      'runtime',
      'solver',
      'steps',
      'samples',
      'seed',
    ]);
    const n = this.integer(`${where}.n`, record.n, 1);
    const metrics: ZooMetrics = {
      split: this.oneOf(`${where}.split`, record.split, ZOO_METRIC_SPLITS),
      n,
      acc: this.fraction(`${where}.acc`, record.acc),
      auc: this.fraction(`${where}.auc`, record.auc),
      aurc: this.fraction(`${where}.aurc`, record.aurc),
      eAurc: this.fraction(`${where}.eAurc`, record.eAurc),
      ece: this.fraction(`${where}.ece`, record.ece),
      temperature: this.positive(`${where}.temperature`, record.temperature),
      selective: Object.freeze(selective),
      evaluation: Object.freeze({
        runtime: this.string(`${where}.evaluation.runtime`, evaluation.runtime),
        solver: this.string(`${where}.evaluation.solver`, evaluation.solver),
        steps: this.integer(`${where}.evaluation.steps`, evaluation.steps, 1),
        samples: this.integer(`${where}.evaluation.samples`, evaluation.samples, 1),
        seed: this.integer(`${where}.evaluation.seed`, evaluation.seed, 0),
      }),
      command: this.string(`${where}.command`, record.command),
      ...this.perClass(where, record, n),
    };
    if (record.generation !== undefined) {
      const g = this.object(`${where}.generation`, record.generation, [
        'perClass',
        'solver',
        'steps',
        'asRequested',
        'asRequestedPerClass',
      ]);
      if (!Array.isArray(g.asRequestedPerClass)) {
        this.fail(`${where}.generation.asRequestedPerClass`, 'must be an array of shares in [0, 1]');
      }
      return Object.freeze({
        ...metrics,
        generation: Object.freeze({
          perClass: this.integer(`${where}.generation.perClass`, g.perClass, 1),
          solver: this.string(`${where}.generation.solver`, g.solver),
          steps: this.integer(`${where}.generation.steps`, g.steps, 1),
          asRequested: this.fraction(`${where}.generation.asRequested`, g.asRequested),
          asRequestedPerClass: Object.freeze(
            (g.asRequestedPerClass as unknown[]).map((v, i) =>
              this.fraction(`${where}.generation.asRequestedPerClass[${i}]`, v),
            ),
          ),
        }),
      });
    }
    return Object.freeze(metrics);
  }

  /** The optional per-class fields of metrics: all three or none, a square confusion matrix of `n` images. */
  perClass(
    where: string,
    record: Record<string, unknown>,
    n: number,
  ): Pick<ZooMetrics, 'balancedAccuracy' | 'recall' | 'confusion'> {
    const present = ['balancedAccuracy', 'recall', 'confusion'].filter((key) => record[key] !== undefined);
    if (present.length === 0) return {};
    if (present.length < 3) {
      this.fail(where, `has ${present.join(', ')} but not all of balancedAccuracy, recall, confusion`);
    }
    const { recall, confusion } = record;
    if (!Array.isArray(confusion) || confusion.length < 2) {
      this.fail(`${where}.confusion`, 'must be a square array of image counts, one row per class');
    }
    const rows = (confusion as unknown[]).map((row, k) => {
      if (!Array.isArray(row) || row.length !== confusion.length) {
        this.fail(`${where}.confusion[${k}]`, `must be an array of ${confusion.length} image counts`);
      }
      return Object.freeze(row.map((v, j) => this.integer(`${where}.confusion[${k}][${j}]`, v, 0)));
    });
    const total = rows.flat().reduce((a, b) => a + b, 0);
    if (total !== n) this.fail(`${where}.confusion`, `counts ${total} images, but n is ${n}`);
    if (!Array.isArray(recall) || recall.length !== rows.length) {
      this.fail(
        `${where}.recall`,
        `must be an array of ${rows.length} recalls (null for a class without images)`,
      );
    }
    return {
      balancedAccuracy: this.fraction(`${where}.balancedAccuracy`, record.balancedAccuracy),
      recall: Object.freeze(
        (recall as unknown[]).map((v, k) => (v === null ? null : this.fraction(`${where}.recall[${k}]`, v))),
      ),
      confusion: Object.freeze(rows),
    };
  }

  positive(where: string, value: unknown): number {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      this.fail(where, `must be a positive number, got ${quote(value)}`);
    }
    return value;
  }

  conditioning(where: string, value: unknown): ZooConditioning {
    const record = this.object(where, value, ['name', 'options', 'package'], ['name']);
    const options = record.options ?? {};
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      this.fail(`${where}.options`, `must be an object, got ${quote(options)}`);
    }
    const result: ZooConditioning = {
      name: this.string(`${where}.name`, record.name),
      options: Object.freeze(structuredClone(options) as Record<string, unknown>),
      ...(record.package === undefined ? {} : { package: this.string(`${where}.package`, record.package) }),
    };
    return Object.freeze(result);
  }

  architecture(where: string, value: unknown, imageSize: number): Readonly<ArchitectureConfig> {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.fail(where, `must be an object, got ${quote(value)}`);
    }
    const { type = 'unet', ...unet } = structuredClone(value) as Record<string, unknown>;
    if (type !== 'unet') this.fail(`${where}.type`, `must be "unet", got ${quote(type)}`);
    for (const derived of ['inChannels', 'outChannels', 'imageSize']) {
      if (derived in unet) {
        this.fail(
          where,
          `must not set ${quote(derived)}: it follows from imageSize, imageChannels and conditioning`,
        );
      }
    }
    try {
      resolveUNetConfig({ ...unet, imageSize });
    } catch (error) {
      this.fail(where, `is not a valid UNet config: ${(error as Error).message}`);
    }
    return Object.freeze({ type: 'unet', ...unet }) as Readonly<ArchitectureConfig>;
  }

  entry(where: string, value: unknown): ZooEntry {
    const record = this.object(
      where,
      value,
      ENTRY_KEYS,
      ENTRY_KEYS.filter((key) => key !== 'notes' && key !== 'normalization'),
    );
    const id = record.id;
    if (!isValidModelId(id)) {
      this.fail(
        `${where}.id`,
        `${quote(id)} is not a valid model id (lowercase letters and digits joined by single dashes, at most ${MAX_ID_LENGTH} characters)`,
      );
    }
    const at = `${where} (${id})`;
    const status = this.oneOf(`${at}.status`, record.status, ZOO_MODEL_STATUSES);
    const imageSize = this.integer(`${at}.imageSize`, record.imageSize, 1);
    if (!Array.isArray(record.labels) || record.labels.length < 2) {
      this.fail(`${at}.labels`, `must be an array of at least 2 class names, got ${quote(record.labels)}`);
    }
    const labels = record.labels.map((label, i) => this.string(`${at}.labels[${i}]`, label));
    if (!Array.isArray(record.files))
      this.fail(`${at}.files`, `must be an array, got ${quote(record.files)}`);
    const files = record.files.map((file, i) => this.file(`${at}.files[${i}]`, file));
    const seen = new Set<string>();
    for (const file of files) {
      const key = file.path.toLowerCase();
      if (seen.has(key))
        this.fail(`${at}.files`, `lists ${quote(file.path)} twice (paths are compared case-insensitively)`);
      seen.add(key);
    }
    const metrics = record.metrics === null ? null : this.metrics(`${at}.metrics`, record.metrics);
    const licenseRecord = this.object(`${at}.license`, record.license, ['data', 'weights']);
    const license: ZooLicense = Object.freeze({
      data: this.string(`${at}.license.data`, licenseRecord.data),
      weights:
        licenseRecord.weights === null ? null : this.string(`${at}.license.weights`, licenseRecord.weights),
    });
    const version = record.version === null ? null : this.string(`${at}.version`, record.version);
    if (status === 'not-trained') {
      const extra = [
        files.length > 0 ? `lists ${files.length} file(s)` : undefined,
        metrics !== null ? 'reports metrics' : undefined,
        version !== null ? 'has a weights version' : undefined,
        license.weights !== null ? 'has a weights licence' : undefined,
      ].filter(Boolean);
      if (extra.length > 0) {
        this.fail(
          at,
          `is "not-trained" but ${extra.join(', ')}; an entry without weights has files [], metrics null, ` +
            'version null and license.weights null (set status to "available" when publishing weights)',
        );
      }
    } else {
      if (!files.some((file) => file.role === 'tfjs-model' || file.role === 'onnx')) {
        this.fail(`${at}.files`, 'of an "available" model must include a "tfjs-model" or an "onnx" file');
      }
      if (
        files.some((file) => file.role === 'tfjs-model') !==
        files.some((file) => file.role === 'tfjs-weights')
      ) {
        this.fail(
          `${at}.files`,
          'must list a "tfjs-model" (model.json) together with its "tfjs-weights" shards',
        );
      }
      if (metrics === null)
        this.fail(
          `${at}.metrics`,
          'are required for an "available" model (the numbers `medsymmflow evaluate` reproduces)',
        );
      if (version === null) this.fail(`${at}.version`, 'is required for an "available" model');
      if (license.weights === null)
        this.fail(`${at}.license.weights`, 'is required for an "available" model');
    }
    const normalization =
      record.normalization === undefined
        ? {}
        : this.object(`${at}.normalization`, record.normalization, ['inputRange', 'modelRange'], []);
    const entry: ZooEntry = {
      id,
      status,
      version,
      description: this.string(`${at}.description`, record.description),
      dataset: this.string(`${at}.dataset`, record.dataset),
      task: this.string(`${at}.task`, record.task),
      imageSize,
      imageChannels: this.integer(`${at}.imageChannels`, record.imageChannels, 1),
      labels: Object.freeze(labels),
      conditioning: this.conditioning(`${at}.conditioning`, record.conditioning),
      architecture: this.architecture(`${at}.architecture`, record.architecture, imageSize),
      normalization: Object.freeze({
        inputRange: this.range(`${at}.normalization.inputRange`, normalization.inputRange, [0, 255]),
        modelRange: this.range(`${at}.normalization.modelRange`, normalization.modelRange, [-1, 1]),
      }),
      files: Object.freeze(files),
      metrics,
      license,
      citation: this.string(`${at}.citation`, record.citation),
      ...(record.notes === undefined ? {} : { notes: this.string(`${at}.notes`, record.notes) }),
    };
    return Object.freeze(entry);
  }

  manifest(value: unknown): ZooManifest {
    const record = this.object('the top level', value, MANIFEST_KEYS, ['format', 'version', 'models']);
    if (record.format !== ZOO_MANIFEST_FORMAT) {
      this.fail('"format"', `must be ${quote(ZOO_MANIFEST_FORMAT)}, got ${quote(record.format)}`);
    }
    if (record.version !== ZOO_MANIFEST_VERSION) {
      const newer = typeof record.version === 'number' && record.version > ZOO_MANIFEST_VERSION;
      this.fail(
        '"version"',
        newer
          ? `is ${record.version}, newer than this package reads (${ZOO_MANIFEST_VERSION}); update @medsymmflow/core-flow`
          : `must be ${ZOO_MANIFEST_VERSION}, got ${quote(record.version)}`,
      );
    }
    if (!Array.isArray(record.models)) this.fail('"models"', `must be an array, got ${quote(record.models)}`);
    const models = record.models.map((entry, i) => this.entry(`models[${i}]`, entry));
    const ids = new Set<string>();
    for (const model of models) {
      if (ids.has(model.id)) this.fail('"models"', `lists the id ${quote(model.id)} twice`);
      ids.add(model.id);
    }
    const manifest: ZooManifest = {
      format: ZOO_MANIFEST_FORMAT,
      version: ZOO_MANIFEST_VERSION,
      ...(record.description === undefined
        ? {}
        : { description: this.string('"description"', record.description) }),
      models: Object.freeze(models),
    };
    return Object.freeze(manifest);
  }
}

/**
 * Validates a parsed manifest and returns a frozen copy (SHA-256 digests lowercased, normalisation ranges
 * filled in). The input is never mutated.
 *
 * @throws {ZooError} with code `ZOO_MANIFEST`, naming the field, quoting the bad value and giving the rule —
 * e.g. a file path with `..`, an id with capitals, a SHA-256 of the wrong length, or metrics on a
 * `not-trained` entry.
 */
export function validateZooManifest(input: unknown, options: ValidateZooManifestOptions = {}): ZooManifest {
  return new ManifestChecker(options.source ?? 'zoo manifest').manifest(input);
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/**
 * The entry with `id`.
 * @param where - where the manifest came from, for the error. @defaultValue 'the zoo manifest'
 * @throws {RangeError} for a malformed id; {@link UnknownModelError} (a `RangeError`) listing the valid ids
 * and the closest match for an unknown one.
 */
export function getZooEntry(manifest: ZooManifest, id: string, where = 'the zoo manifest'): ZooEntry {
  const wanted = typeof id === 'string' ? id.trim().toLowerCase() : id;
  validateModelId(wanted);
  const entry = manifest.models.find((model) => model.id === wanted);
  if (entry) return entry;
  const ids = manifest.models.map((model) => model.id);
  let suggestion: string | undefined;
  let best = Number.POSITIVE_INFINITY;
  for (const candidate of ids) {
    const distance = editDistance(wanted, candidate);
    if (distance < best) {
      best = distance;
      suggestion = candidate;
    }
  }
  if (best > Math.max(3, Math.floor(wanted.length / 3))) suggestion = undefined;
  throw new UnknownModelError(id, ids, suggestion, where);
}

/**
 * The {@link FlowModelConfig} an entry describes (labels, image size and channels, conditioning, architecture,
 * dataset, normalisation) — what `createFlowModel()` takes and what a pulled `model.json` must agree with.
 */
export function zooEntryModelConfig(entry: ZooEntry): FlowModelConfig {
  return {
    labels: [...entry.labels],
    imageSize: entry.imageSize,
    imageChannels: entry.imageChannels,
    conditioning: structuredClone({ ...entry.conditioning, options: { ...entry.conditioning.options } }),
    architecture: structuredClone({ ...entry.architecture }) as ArchitectureConfig,
    dataset: entry.dataset,
    normalization: {
      inputRange: [entry.normalization.inputRange[0], entry.normalization.inputRange[1]],
      modelRange: [entry.normalization.modelRange[0], entry.normalization.modelRange[1]],
    },
    metadata: { zooId: entry.id, zooVersion: entry.version },
  };
}
