/**
 * The async (browser) model path against the synchronous node one: the same exported file run through
 * onnxruntime-node's public async API (the same `InferenceSession`/`Tensor` API as onnxruntime-web) must give
 * the same labels, distances and images as `loadOrtModel` for the same seed; bad files fail with clear
 * errors. The browser build of `./web` must import no Node built-in, no onnxruntime-node and no tfjs.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRandom } from '@medsymmflow/datasets-medmnist';
import * as ortNode from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportModel } from '../exporter.js';
import { loadOrtModel, type OrtFlowModel } from '../runtime/ort-model.js';
import { makeNetwork, TINY_UNET, tfjsOps, uniformData } from '../testing/fixtures.js';
import { loadOrtWebModel, type OrtWebFlowModel, type OrtWebModule } from './ort-web-model.js';

const ort = ortNode as unknown as OrtWebModule;
const work = mkdtempSync(join(tmpdir(), 'exporters-web-'));
let bytes: Uint8Array;
let reference: OrtFlowModel;
let model: OrtWebFlowModel;

beforeAll(async () => {
  const net = makeNetwork(await tfjsOps(), TINY_UNET, { seed: 23, numClasses: 3 });
  const dir = (await exportModel(net, { format: 'onnx', outDir: join(work, 'tiny') })).outDir;
  bytes = new Uint8Array(readFileSync(join(dir, 'model.onnx')));
  reference = await loadOrtModel(dir, { intraOpNumThreads: 1 });
  model = await loadOrtWebModel(bytes, { ort, sessionOptions: { intraOpNumThreads: 1 }, name: 'tiny.onnx' });
});
afterAll(async () => {
  reference?.dispose();
  await model?.dispose();
  rmSync(work, { recursive: true, force: true });
});

describe('loadOrtWebModel on an async ONNX Runtime session', () => {
  it('reads the config and mask plugin from the file', () => {
    expect(model.config).toEqual(reference.config);
    expect(model.maskPlugin.toJSON()).toEqual(reference.maskPlugin.toJSON());
    expect(model.network).toMatchObject({ imageSize: 8, imageChannels: 1 });
    expect(model.session.inputNames).toEqual(['x', 't']);
  });

  it('classifies exactly as the node runtime for the same seed', async () => {
    const images = uniformData(6 * 8 * 8, 4);
    for (const options of [{}, { steps: 2, numSamples: 2, batchSize: 4 }]) {
      const expected = await reference.classify({
        images,
        random: createRandom(0),
        returnMasks: true,
        ...options,
      });
      const result = await model.classify({ images, random: createRandom(0), returnMasks: true, ...options });
      expect(Array.from(result.labels)).toEqual(Array.from(expected.labels));
      expect(Array.from(result.distances)).toEqual(Array.from(expected.distances));
      expect(Array.from(result.masks!)).toEqual(Array.from(expected.masks!));
    }
  });

  it('handles NHWC exports (layout from the metadata)', async () => {
    const net = makeNetwork(await tfjsOps(), TINY_UNET, { seed: 23, numClasses: 3 });
    const dir = (
      await exportModel(net, { format: 'onnx', outDir: join(work, 'nhwc'), options: { layout: 'NHWC' } })
    ).outDir;
    const nhwc = await loadOrtWebModel(new Uint8Array(readFileSync(join(dir, 'model.onnx'))), { ort });
    expect(nhwc.metadata.layout).toBe('NHWC');
    const images = uniformData(3 * 8 * 8, 9);
    const expected = await reference.classify({ images, random: createRandom(2) });
    const result = await nhwc.classify({ images, random: createRandom(2) });
    expect(Array.from(result.labels)).toEqual(Array.from(expected.labels));
    for (let i = 0; i < expected.distances.length; i++) {
      expect(Math.abs(result.distances[i] - expected.distances[i])).toBeLessThan(1e-5);
    }
    await nhwc.dispose();
  });

  it('generates exactly as the node runtime and reports each solver step', async () => {
    const steps: number[] = [];
    const expected = await reference.generate({ labels: [0, 2], steps: 3, random: createRandom(5) });
    const result = await model.generate({
      labels: [0, 2],
      steps: 3,
      random: createRandom(5),
      onProgress: (e) => e.step !== undefined && steps.push(e.step),
    });
    expect(Array.from(result.images)).toEqual(Array.from(expected.images));
    expect(steps).toEqual([1, 2, 3]);
  });

  it('refuses bad input with messages that say what is wrong', async () => {
    await expect(
      loadOrtWebModel(new TextEncoder().encode('hello, not a model'), { ort, name: 'notes.txt' }),
    ).rejects.toThrow(/notes\.txt is not a readable ONNX file/);
    await expect(
      loadOrtWebModel(bytes.subarray(0, bytes.length >> 1), { ort, name: 'half.onnx' }),
    ).rejects.toThrow(/half\.onnx/);
    await expect(loadOrtWebModel(new Uint8Array(0), { ort })).rejects.toThrow(/non-empty Uint8Array/);
    await expect(loadOrtWebModel(bytes, {} as never)).rejects.toThrow(
      /needs the ONNX Runtime module as \{ ort \}/,
    );
    const failing: OrtWebModule = {
      ...ort,
      InferenceSession: { create: () => Promise.reject(new Error('no wasm backend')) },
    };
    await expect(loadOrtWebModel(bytes, { ort: failing, name: 'm.onnx' })).rejects.toThrow(
      'ONNX Runtime could not load m.onnx: no wasm backend',
    );
  });
});

describe('the browser build of @medsymmflow/exporters/web', () => {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

  it.each(['import', 'require'] as const)('(%s) loads only browser-safe modules', (condition) => {
    const code = readFileSync(join(root, pkg.exports['./web'][condition].default), 'utf8');
    const loaded = [
      ...code.matchAll(
        /^\s*import\s+(?:[\w*{}\s,$]+\s+from\s+)?["']([^"']+)["']|\brequire\(["']([^"']+)["']\)|\bimport\(["']([^"']+)["']\)/gm,
      ),
    ].map((m) => m[1] ?? m[2] ?? m[3]);
    expect(loaded.length).toBeGreaterThan(0);
    expect(loaded.filter((s) => builtins.has(s) || /onnxruntime-node|tfjs/.test(s))).toEqual([]);
    expect(new Set(loaded)).toEqual(
      new Set(['protobufjs/light.js', '@medsymmflow/conditioning-masks', '@medsymmflow/core-flow/flow']),
    );
  });
});
