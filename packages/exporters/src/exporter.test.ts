import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFlowModel, loadFlowModel, type TensorOps } from '@medsymmflow/core-flow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUILTIN_EXPORTERS,
  defineExporter,
  exportModel,
  listExporters,
  registerExporter,
  resolveExporter,
  unregisterExporter,
} from './exporter.js';
import { readOnnxModel } from './onnx/read-onnx.js';
import { makeNetwork, maxAbsDiff, TINY_UNET, tfjsOps, uniformData } from './testing/fixtures.js';

let tfjs: TensorOps<unknown>;
let net: ReturnType<typeof makeNetwork<unknown>>;
const work = mkdtempSync(join(tmpdir(), 'exporters-export-'));

beforeAll(async () => {
  tfjs = await tfjsOps();
  net = makeNetwork(tfjs, TINY_UNET, { seed: 3 });
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Entries of a folder, ignoring nothing: leftovers of failed exports would show up here. */
const entries = (dir: string) => readdirSync(dir).sort();

describe('exporter registry', () => {
  it('has frozen built-ins onnx and tfjs', () => {
    expect(Object.isFrozen(BUILTIN_EXPORTERS)).toBe(true);
    expect(listExporters().slice(0, 2)).toEqual(['onnx', 'tfjs']);
    expect(resolveExporter('onnx')).toBe(BUILTIN_EXPORTERS.onnx);
  });

  it('an unknown format is an error that lists the formats', async () => {
    expect(() => resolveExporter('coreml')).toThrow(
      /Unknown export format "coreml". Should be one of: 'onnx', 'tfjs'/,
    );
    await expect(exportModel(net, { format: 'coreml', outDir: join(work, 'x') })).rejects.toThrow(RangeError);
    expect(existsSync(join(work, 'x'))).toBe(false);
  });

  it('validates definitions and registers third-party exporters once', async () => {
    expect(() => defineExporter({ name: 'Bad Name' } as never)).toThrow(/kebab-case/);
    expect(() => defineExporter({ name: 'npz', description: 'd', files: [] } as never)).toThrow(
      /export\(model, outDir, options\)/,
    );
    const shapes = defineExporter({
      name: 'shapes',
      description: 'parameter shapes as JSON',
      files: ['shapes.json'],
      async export(model, outDir, options: { indent?: number } = {}) {
        const shapesByName = Object.fromEntries(model.unet.paramSpecs.map((s) => [s.name, s.shape]));
        await writeFile(join(outDir, 'shapes.json'), JSON.stringify(shapesByName, null, options.indent));
      },
    });
    registerExporter(shapes);
    expect(() => registerExporter(shapes)).toThrow(/already registered/);
    expect(() => registerExporter({ ...BUILTIN_EXPORTERS.onnx })).toThrow(/already registered \(built-in\)/);
    expect(() => unregisterExporter('onnx')).toThrow(/built in/);
    const result = await exportModel(net, {
      format: 'shapes',
      outDir: join(work, 'shapes'),
      options: { indent: 1 },
    });
    expect(result.files.map((f) => f.path)).toEqual(['shapes.json']);
    expect(JSON.parse(readFileSync(join(result.outDir, 'shapes.json'), 'utf8'))['out.conv.kernel']).toEqual([
      3, 3, 8, 4,
    ]);
    expect(unregisterExporter('shapes')).toBe(true);
    expect(listExporters()).not.toContain('shapes');
  });
});

describe('exportModel: atomic output folders', () => {
  it('writes the onnx format (model.onnx + medsymmflow.json) and lists the files', async () => {
    const result = await exportModel(net, { format: 'onnx', outDir: join(work, 'onnx', 'nested') });
    expect(result.format).toBe('onnx');
    expect(result.files.map((f) => f.path)).toEqual(['medsymmflow.json', 'model.onnx']);
    const model = readOnnxModel(readFileSync(join(result.outDir, 'model.onnx')));
    const sidecar = JSON.parse(readFileSync(join(result.outDir, 'medsymmflow.json'), 'utf8'));
    expect(JSON.parse(model.metadata.medsymmflow)).toEqual(sidecar);
    expect(sidecar).toMatchObject({
      format: 'medsymmflow-onnx',
      opset: 17,
      layout: 'NCHW',
      numParameters: net.unet.numParameters,
    });
    expect(sidecar.config).toMatchObject({
      numClasses: 2,
      imageChannels: 1,
      imageSize: 8,
      labels: ['0', '1'],
    });
    expect(sidecar.config.architecture).toMatchObject({ ...net.unet.config, type: 'unet' });
    expect(entries(join(work, 'onnx'))).toEqual(['nested']);
  });

  it('refuses an existing folder without overwrite and leaves it untouched', async () => {
    const outDir = join(work, 'existing');
    mkdirSync(outDir);
    writeFileSync(join(outDir, 'keep.txt'), 'precious');
    await expect(exportModel(net, { format: 'tfjs', outDir })).rejects.toThrow(
      /already exists. Pass overwrite: true/,
    );
    expect(entries(outDir)).toEqual(['keep.txt']);
    expect(entries(work).filter((e) => e.startsWith('.existing'))).toEqual([]);
  });

  it('replaces an existing folder with overwrite: true', async () => {
    const outDir = join(work, 'replace');
    mkdirSync(outDir);
    writeFileSync(join(outDir, 'old.txt'), 'old');
    const result = await exportModel(net, { format: 'tfjs', outDir, overwrite: true });
    expect(entries(outDir)).toEqual(['group1-shard1of1.bin', 'model.json']);
    expect(result.files.map((f) => f.path)).toEqual(['group1-shard1of1.bin', 'model.json']);
    expect(entries(work).filter((e) => e.startsWith('.replace'))).toEqual([]);
  });

  it('a failing export leaves no folder and no temporary files, and keeps an existing folder', async () => {
    registerExporter(
      defineExporter({
        name: 'half-then-fail',
        description: 'writes one file, then fails',
        files: ['a.bin'],
        async export(_model, outDir) {
          await writeFile(join(outDir, 'a.bin'), new Uint8Array(10));
          throw new Error('disk full (simulated)');
        },
      }),
    );
    try {
      await expect(
        exportModel(net, { format: 'half-then-fail', outDir: join(work, 'failed') }),
      ).rejects.toThrow(/disk full/);
      expect(existsSync(join(work, 'failed'))).toBe(false);
      const kept = join(work, 'kept');
      mkdirSync(kept);
      writeFileSync(join(kept, 'model.json'), '{}');
      await expect(
        exportModel(net, { format: 'half-then-fail', outDir: kept, overwrite: true }),
      ).rejects.toThrow(/disk full/);
      expect(entries(kept)).toEqual(['model.json']);
      expect(entries(work).filter((e) => e.startsWith('.'))).toEqual([]);
    } finally {
      unregisterExporter('half-then-fail');
    }
  });

  it('NaN weights fail the export with the parameter name and write nothing', async () => {
    const bad = makeNetwork(tfjs, TINY_UNET, { seed: 3 });
    const values = bad.paramData['input.1.res.emb.weight'].slice();
    values[5] = Number.NaN;
    const params = { ...bad.params, 'input.1.res.emb.weight': tfjs.constant(values, [32, 8]) };
    for (const format of ['onnx', 'tfjs']) {
      await expect(
        exportModel({ ...bad, params }, { format, outDir: join(work, `nan-${format}`) }),
      ).rejects.toThrow(/"input\.1\.res\.emb\.weight" contains NaN at index 5/);
      expect(existsSync(join(work, `nan-${format}`))).toBe(false);
    }
    await expect(
      exportModel({ ...bad, params: {} }, { format: 'onnx', outDir: join(work, 'empty') }),
    ).rejects.toThrow(/no tensor for parameter/);
    await expect(
      exportModel({ foo: 1 } as never, { format: 'onnx', outDir: join(work, 'junk') }),
    ).rejects.toThrow(/must be a FlowModel or FlowNetwork/);
  });
});

describe('tfjs format (core-flow saved model)', () => {
  it('round-trips a FlowNetwork through exportModel and loadFlowModel: same weights, same outputs', async () => {
    const { outDir } = await exportModel(net, { format: 'tfjs', outDir: join(work, 'tfjs-roundtrip') });
    const json = JSON.parse(readFileSync(join(outDir, 'model.json'), 'utf8'));
    expect(json.format).toBe('medsymmflow-flow-model');
    expect(json.weightsManifest[0].weights).toHaveLength(net.unet.paramSpecs.length);
    const loaded = await loadFlowModel(outDir, { engine: 'wasm' });
    const { type: _type, ...architecture } = loaded.config.architecture;
    expect(architecture).toEqual(net.unet.config);
    expect(loaded.maskPlugin.toJSON()).toEqual(net.maskPlugin.toJSON());
    const weights = loaded.getWeights();
    for (const spec of net.unet.paramSpecs) expect(weights[spec.name]).toEqual(net.paramData[spec.name]);
    const x = uniformData(2 * 8 * 8 * 4, 4);
    const run = (m: { unet: typeof net.unet; params: typeof net.params; ops: TensorOps<unknown> }) =>
      m.ops.tidy(() =>
        m.ops.toNHWC(
          m.unet.forward(m.ops, m.params, m.ops.fromNHWC(x, [2, 8, 8, 4]), m.ops.constant([0.2, 0.8], [2])),
        ),
      );
    expect(maxAbsDiff(run(loaded as never), run(net)).abs).toBe(0);
    loaded.dispose();
  });

  it('exports a core-flow FlowModel with its own config (labels, dataset) in both formats', async () => {
    const flow = await createFlowModel(
      {
        labels: ['normal', 'pneumonia'],
        dataset: 'pneumoniamnist',
        imageSize: 8,
        architecture: {
          baseChannels: 8,
          channelMults: [1, 2],
          numResBlocks: 1,
          attentionResolutions: [4],
          numHeadChannels: 8,
          normGroups: 4,
        },
        metadata: { run: 'unit-test' },
      },
      { engine: 'wasm', seed: 3 },
    );
    try {
      const tfjsDir = (await exportModel(flow, { format: 'tfjs', outDir: join(work, 'flow-tfjs') })).outDir;
      const reloaded = await loadFlowModel(tfjsDir, { engine: 'wasm' });
      expect(reloaded.config).toEqual(flow.config);
      reloaded.dispose();
      const onnxDir = (await exportModel(flow, { format: 'onnx', outDir: join(work, 'flow-onnx') })).outDir;
      const sidecar = JSON.parse(readFileSync(join(onnxDir, 'medsymmflow.json'), 'utf8'));
      expect(sidecar.config).toEqual(JSON.parse(JSON.stringify(flow.config)));
    } finally {
      flow.dispose();
    }
  });
});
