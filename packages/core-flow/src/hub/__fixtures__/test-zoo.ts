/**
 * Test helpers of the hub: a zoo folder written by the test (manifest + model files), served by the
 * 127.0.0.1 test server of `@medsymmflow/datasets-medmnist`, and a temporary cache.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  type Route,
  startTestServer,
  type TestServer,
} from '../../../../datasets-medmnist/test/http-server.js';

export const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Deterministic bytes (a small LCG), so tests need no fixture files. */
export function bytesOf(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state >>> 24;
  }
  return out;
}

export interface FixtureFile {
  path: string;
  role: 'onnx' | 'tfjs-model' | 'tfjs-weights' | 'card' | 'image';
  body: Uint8Array;
  /** Overrides of the manifest line (e.g. a wrong sha256). */
  sha256?: string;
  bytes?: number;
}

/** A manifest entry as JSON (not validated), with sensible defaults. */
/** Valid manifest `metrics` (as `evaluate --json` prints them), with overrides. */
export function metricsJson(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    split: 'test',
    n: 624,
    acc: 0.8,
    auc: 0.9,
    aurc: 0.08,
    eAurc: 0.05,
    ece: 0.04,
    temperature: 0.5,
    selective: [
      { reject: 0, acc: 0.8, threshold: null },
      { reject: 0.5, acc: 0.9, threshold: 0.42 },
    ],
    evaluation: { runtime: 'ort', solver: 'euler', steps: 1, samples: 1, seed: 0 },
    command: 'medsymmflow evaluate --split test --json',
    ...overrides,
  };
}

export function entryJson(
  id: string,
  files: readonly FixtureFile[],
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  const available = files.length > 0;
  return {
    id,
    status: available ? 'available' : 'not-trained',
    version: available ? '1.0.0' : null,
    description: `Test model ${id}.`,
    dataset: 'pneumoniamnist',
    task: 'binary-class',
    imageSize: 28,
    imageChannels: 1,
    labels: ['normal', 'pneumonia'],
    conditioning: { name: 'rgb-palette', options: { beta: 4 } },
    architecture: { type: 'unet', baseChannels: 32, channelMults: [1, 2, 2] },
    files: files.map((file) => ({
      path: file.path,
      sha256: file.sha256 ?? sha256(file.body),
      bytes: file.bytes ?? file.body.length,
      role: file.role,
    })),
    metrics: available ? metricsJson({ command: `medsymmflow evaluate --model ${id}` }) : null,
    license: { data: 'CC BY 4.0', weights: available ? 'CC BY 4.0' : null },
    citation: 'Test citation.',
    ...overrides,
  };
}

/** A manifest as JSON around some entries. */
export function manifestJson(models: unknown[]): Record<string, unknown> {
  return { format: 'medsymmflow-zoo', version: 1, models };
}

/** The usual files of a published model: model.json, one shard, an ONNX file in a subfolder. */
export function standardFiles(seed = 1): FixtureFile[] {
  return [
    {
      path: 'model.json',
      role: 'tfjs-model',
      body: new TextEncoder().encode(`{"format":"test","seed":${seed}}`),
    },
    { path: 'group1-shard1of1.bin', role: 'tfjs-weights', body: bytesOf(150_000, seed) },
    { path: 'onnx/model.onnx', role: 'onnx', body: bytesOf(40_000, seed + 100) },
  ];
}

export interface Workspace {
  root: string;
  /** Zoo folder (`<root>/zoo`). */
  zooDir: string;
  /** Cache folder (`<root>/cache`). */
  cacheDir: string;
  cleanup(): Promise<void>;
}

export async function makeWorkspace(): Promise<Workspace> {
  const root = await mkdtemp(join(tmpdir(), 'medsymmflow-hub-'));
  return {
    root,
    zooDir: join(root, 'zoo'),
    cacheDir: join(root, 'cache'),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

/** Writes `<zooDir>/manifest.json` and the files of each model (`<zooDir>/<id>/<path>`). */
export async function writeZoo(
  zooDir: string,
  models: { entry: Record<string, unknown>; files?: readonly FixtureFile[] }[],
): Promise<void> {
  await mkdir(zooDir, { recursive: true });
  await writeFile(
    join(zooDir, 'manifest.json'),
    JSON.stringify(manifestJson(models.map((m) => m.entry)), null, 2),
  );
  for (const model of models) {
    for (const file of model.files ?? []) {
      const path = join(zooDir, String(model.entry.id), file.path);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, file.body);
    }
  }
}

/** Serves a zoo under `/zoo/`: the manifest and each model's files; `routes` adds or overrides paths. */
export async function serveZoo(
  models: { entry: Record<string, unknown>; files?: readonly FixtureFile[] }[],
  routes: Record<string, Route> = {},
): Promise<TestServer & { zooUrl: string }> {
  const all: Record<string, Route> = {
    '/zoo/manifest.json': {
      body: new TextEncoder().encode(JSON.stringify(manifestJson(models.map((m) => m.entry)))),
    },
  };
  for (const model of models) {
    for (const file of model.files ?? [])
      all[`/zoo/${String(model.entry.id)}/${file.path}`] = { body: file.body };
  }
  Object.assign(all, routes);
  const server = await startTestServer(all);
  return Object.assign(server, { zooUrl: `${server.baseUrl}/zoo/` });
}

/** Every name under `dir`, recursively, hidden ones included, sorted; `[]` when it does not exist. */
export async function listTree(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { recursive: true })).map(String).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

export { rejection } from '../../../../../test/rejection';
