import { mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classify, generate, type TensorOps } from '@medsymmflow/core-flow';
import { createRandom } from '@medsymmflow/datasets-medmnist';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportModel } from '../exporter.js';
import { unetToOnnx } from '../onnx/unet-to-onnx.js';
import { makeNetwork, maxAbsDiff, TINY_UNET, tfjsOps, uniformData } from '../testing/fixtures.js';
import { loadOrtModel, type OrtFlowModel } from './ort-model.js';
import { createOrtSession, ortExecutionProviderStatus, resolveOrtSessionConfig } from './ort-session.js';

let tfjs: TensorOps<unknown>;
let net: ReturnType<typeof makeNetwork<unknown>>;
let dir: string;
let model: OrtFlowModel;
const work = mkdtempSync(join(tmpdir(), 'exporters-ort-'));

beforeAll(async () => {
  tfjs = await tfjsOps();
  net = makeNetwork(tfjs, TINY_UNET, { seed: 17, numClasses: 3 });
  dir = (await exportModel(net, { format: 'onnx', outDir: join(work, 'tiny') })).outDir;
  model = await loadOrtModel(dir, { intraOpNumThreads: 1 });
});
afterAll(() => {
  model?.dispose();
  rmSync(work, { recursive: true, force: true });
});

const images = (n: number, seed: number) => uniformData(n * 8 * 8, seed);

describe('loadOrtModel: core-flow classify/generate with ONNX Runtime evaluating the network', () => {
  it('reads the description from the .onnx file and restores the mask plugin', async () => {
    expect(model.config.numClasses).toBe(3);
    expect(model.config.labels).toEqual(['0', '1', '2']);
    expect(model.metadata.numParameters).toBe(net.unet.numParameters);
    expect(model.maskPlugin.toJSON()).toEqual(net.maskPlugin.toJSON());
    expect(model.session.inputs.map((i) => i.name)).toEqual(['x', 't']);
    expect(model.session.executionProviders).toEqual(['cpu']);
    const fromFile = await loadOrtModel(join(dir, 'model.onnx'), { intraOpNumThreads: 1 });
    expect(fromFile.metadata).toEqual(model.metadata);
    fromFile.dispose();
  });

  it('velocity() matches the tfjs network', () => {
    const x = uniformData(5 * 8 * 8 * 4, 2);
    const expected = tfjs.tidy(() =>
      tfjs.toNHWC(
        net.unet.forward(
          tfjs,
          net.params,
          tfjs.fromNHWC(x, [5, 8, 8, 4]),
          tfjs.constant(new Float32Array(5).fill(0.3), [5]),
        ),
      ),
    );
    expect(maxAbsDiff(model.velocity(x, 0.3), expected).abs).toBeLessThan(1e-4);
  });

  for (const [label, options] of [
    ['paper default: one Euler step', {}],
    [
      '4 RK4 steps, 2 noise samples, masks returned',
      { solver: 'rk4', steps: 4, numSamples: 2, returnMasks: true },
    ],
    ['adaptive dopri5', { solver: 'dopri5', rtol: 1e-3, atol: 1e-3 }],
  ] as const) {
    it(`classify (${label}) agrees with tfjs`, async () => {
      const x = images(7, 3);
      const expected = classify({ model: net, images: x, random: createRandom(4), batchSize: 4, ...options });
      const actual = await model.classify({ images: x, random: createRandom(4), batchSize: 4, ...options });
      expect(Array.from(actual.labels)).toEqual(Array.from(expected.labels));
      expect(maxAbsDiff(actual.distances, expected.distances).abs).toBeLessThan(1e-4);
      expect(maxAbsDiff(actual.uncertainty, expected.uncertainty).abs).toBeLessThan(1e-4);
      expect(actual.evaluations).toBe(expected.evaluations);
      if ('returnMasks' in options) expect(maxAbsDiff(actual.masks!, expected.masks!).abs).toBeLessThan(1e-4);
    });
  }

  it('generate (10 midpoint steps) agrees with tfjs', async () => {
    const labels = [0, 1, 2, 1];
    const expected = generate({ model: net, labels, steps: 10, solver: 'midpoint', random: createRandom(6) });
    const actual = await model.generate({ labels, steps: 10, solver: 'midpoint', random: createRandom(6) });
    expect(actual.shape).toEqual([4, 8, 8, 1]);
    const diff = maxAbsDiff(actual.images, expected.images);
    expect(diff.scale).toBeGreaterThan(0.1);
    expect(diff.abs).toBeLessThan(1e-4);
  });

  it('works with an NHWC graph', async () => {
    const nhwcDir = (
      await exportModel(net, { format: 'onnx', outDir: join(work, 'nhwc'), options: { layout: 'NHWC' } })
    ).outDir;
    const nhwc = await loadOrtModel(nhwcDir, { intraOpNumThreads: 1 });
    expect(nhwc.metadata.layout).toBe('NHWC');
    expect(nhwc.session.inputs[0].dims).toEqual(['batch', 8, 8, 4]);
    const x = images(3, 8);
    const a = await nhwc.classify({ images: x, random: createRandom(1) });
    const b = await model.classify({ images: x, random: createRandom(1) });
    expect(maxAbsDiff(a.distances, b.distances).abs).toBeLessThan(1e-5);
    nhwc.dispose();
  });

  it('fails clearly on files that are not MedSymmFlow exports or not ONNX at all', async () => {
    const plain = unetToOnnx(net.unet, net.paramData).bytes;
    await expect(loadOrtModel(plain)).rejects.toThrow(/no "medsymmflow" metadata/);
    const garbage = join(work, 'garbage.onnx');
    await writeFile(garbage, 'not a protobuf at all, just text');
    await expect(loadOrtModel(garbage)).rejects.toThrow(/not a valid ONNX model|no graph/);
    await expect(loadOrtModel(join(work, 'missing'))).rejects.toThrow(/Cannot read the ONNX model/);
    await expect(createOrtSession(plain.subarray(0, plain.length / 2))).rejects.toThrow(/rejected the model/);
  });

  it('runSync checks feeds; a disposed session refuses to run', async () => {
    const session = await createOrtSession(unetToOnnx(net.unet, net.paramData).bytes, {
      intraOpNumThreads: 1,
    });
    const t = { data: new Float32Array([0.5]), dims: [1] };
    expect(() => session.runSync({ t })).toThrow(/Missing feed for input "x"/);
    expect(() => session.runSync({ x: { data: new Float32Array(10), dims: [1, 4, 8, 8] }, t })).toThrow(
      /expects \[batch, 4, 8, 8\]/,
    );
    const x = { data: new Float32Array(256), dims: [1, 4, 8, 8] };
    expect(() => session.runSync({ x, t, extra: t })).toThrow(/Unknown feed "extra"/);
    expect((await session.run({ x, t })).v.dims).toEqual([1, 4, 8, 8]);
    session.dispose();
    expect(() => session.runSync({ x, t })).toThrow(/disposed/);
  });
});

describe('ONNX Runtime session options', () => {
  it("defaults to ['cpu'] unless the CUDA provider libraries are installed", async () => {
    const providers = await ortExecutionProviderStatus();
    expect(providers.find((p) => p.name === 'cpu')?.available).toBe(true);
    const cuda = providers.find((p) => p.name === 'cuda');
    const resolved = resolveOrtSessionConfig({}, providers);
    expect(resolved.executionProviders).toEqual(cuda?.available ? ['cuda', 'cpu'] : ['cpu']);
    // With CUDA libraries present, 'auto' puts CUDA first.
    expect(
      resolveOrtSessionConfig({}, [
        ...providers.filter((p) => p.name !== 'cuda'),
        { name: 'cuda', available: true },
      ]).executionProviders,
    ).toEqual(['cuda', 'cpu']);
  });

  it('rejects unknown or uninstalled providers and bad thread counts with the fix', () => {
    const providers = [
      { name: 'cpu', available: true },
      { name: 'cuda', available: false },
    ];
    expect(() => resolveOrtSessionConfig({ executionProviders: ['tpu'] }, providers)).toThrow(
      /Unknown execution provider "tpu".*cpu, cuda/,
    );
    expect(() => resolveOrtSessionConfig({ executionProviders: ['cuda'] }, providers)).toThrow(
      /--onnxruntime-node-install=cuda12/,
    );
    expect(() => resolveOrtSessionConfig({ intraOpNumThreads: -1 }, providers)).toThrow(/intraOpNumThreads/);
    expect(() => resolveOrtSessionConfig({ graphOptimizationLevel: 'max' as never }, providers)).toThrow(
      /disabled, basic, extended, all/,
    );
    expect(resolveOrtSessionConfig({ intraOpNumThreads: 2 }, providers).intraOpNumThreads).toBe(2);
  });
});
