import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveTensors, randomData, seeded } from '../testing/helpers.js';
import type { FlowModel, FlowModelConfig } from './flow-model.js';
import { createFlowModel, loadFlowModel } from './flow-model-impl.js';
import { SHARD_BYTES } from './weights.js';

const TINY: FlowModelConfig = {
  labels: ['normal', 'pneumonia'],
  imageSize: 8,
  imageChannels: 1,
  conditioning: { name: 'rgb-palette', options: { beta: 4 } },
  architecture: {
    baseChannels: 8,
    channelMults: [1, 2],
    numResBlocks: 1,
    attentionResolutions: [4],
    numHeadChannels: 8,
    normGroups: 4,
  },
  dataset: 'pneumoniamnist',
  metadata: { note: 'unit test' },
};

// biome-ignore lint/suspicious/noExplicitAny: tests edit arbitrary parts of model.json.
type ModelJson = Record<string, any>;

let root: string;
let saved: string;
let model: FlowModel;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'core-flow-io-'));
  model = await createFlowModel(TINY, { engine: 'wasm', seed: 3 });
  saved = join(root, 'saved');
  await model.save(saved);
});

afterAll(async () => {
  model.dispose();
  await rm(root, { recursive: true, force: true });
});

/** A copy of the saved model folder with `model.json` changed by `edit`. */
async function variant(name: string, edit: (json: ModelJson) => void): Promise<string> {
  const dir = join(root, name);
  await rm(dir, { recursive: true, force: true });
  const { cp } = await import('node:fs/promises');
  await cp(saved, dir, { recursive: true });
  const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
  edit(json);
  await writeFile(join(dir, 'model.json'), JSON.stringify(json));
  return dir;
}

describe('createFlowModel', () => {
  it('resolves the config, derives UNet channels from the plugin and seeds the weights', async () => {
    expect(model.config).toMatchObject({
      numClasses: 2,
      labels: ['normal', 'pneumonia'],
      imageSize: 8,
      imageChannels: 1,
      dataset: 'pneumoniamnist',
      normalization: { inputRange: [0, 255], modelRange: [-1, 1] },
      conditioning: { name: 'rgb-palette', options: { beta: 4 } },
      architecture: { type: 'unet', inChannels: 4, outChannels: 4, imageSize: 8, baseChannels: 8 },
    });
    expect(model.engineInfo.name).toBe('wasm');
    const again = await createFlowModel(TINY, { engine: 'wasm', seed: 3 });
    const other = await createFlowModel(TINY, { engine: 'wasm', seed: 4 });
    const name = 'input.0.conv.kernel';
    expect(again.getWeights()[name]).toEqual(model.getWeights()[name]);
    expect(other.getWeights()[name]).not.toEqual(model.getWeights()[name]);
    again.dispose();
    other.dispose();
  });

  it.each([
    [
      { ...TINY, conditioning: 'checkerboard' },
      /'conditioning' is invalid: Unknown mask plugin .checkerboard./,
    ],
    [
      { ...TINY, architecture: { attentionResolutions: [5] } },
      /'architecture' is invalid: .*Valid sizes for imageSize 8/,
    ],
    [
      { ...TINY, architecture: { type: 'dit' } } as unknown as FlowModelConfig,
      /Unknown architecture type "dit". Should be one of: unet/,
    ],
    [{ imageSize: 8 }, /needs 'numClasses' or 'labels'/],
    [{ ...TINY, numClasses: 3 }, /2 labels but numClasses is 3/],
    [{ ...TINY, colour: true } as unknown as FlowModelConfig, /Unknown model config key 'colour'/],
  ])('rejects bad configs (%#)', async (config, message) => {
    await expect(createFlowModel(config, { engine: 'wasm' })).rejects.toThrow(message);
  });
});

describe('save and load', () => {
  it('writes model.json + tfjs-format shards and nothing else', async () => {
    const files = (await readdir(saved)).sort();
    expect(files).toEqual(['group1-shard1of1.bin', 'model.json']);
    const json = JSON.parse(await readFile(join(saved, 'model.json'), 'utf8'));
    expect(json).toMatchObject({ format: 'medsymmflow-flow-model', formatVersion: 1 });
    expect(json.weightsManifest[0].paths).toEqual(['group1-shard1of1.bin']);
    expect(json.weightsManifest[0].weights[0]).toEqual({
      name: 'time.linear1.weight',
      shape: [8, 32],
      dtype: 'float32',
    });
    const bytes = (await readFile(join(saved, 'group1-shard1of1.bin'))).byteLength;
    expect(bytes).toBe(model.unet.numParameters * 4);
    expect((await readdir(root)).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('round-trips config and weights, and the loaded model classifies identically', async () => {
    const before = liveTensors();
    const loaded = await loadFlowModel(saved, { engine: 'wasm' });
    expect(loaded.config).toEqual(model.config);
    const a = model.getWeights();
    const b = loaded.getWeights();
    for (const spec of model.unet.paramSpecs) expect(b[spec.name]).toEqual(a[spec.name]);
    const images = randomData(3 * 64, seeded(9));
    expect(loaded.classify({ images, random: seeded(1) }).distances).toEqual(
      model.classify({ images, random: seeded(1) }).distances,
    );
    loaded.dispose();
    expect(liveTensors()).toBe(before);
  });

  it('splits weights into 4 MiB shards like tf.io and reads them back', async () => {
    const big = await createFlowModel(
      { numClasses: 2, architecture: { baseChannels: 32 } },
      { engine: 'wasm', seed: 1 },
    );
    const dir = join(root, 'big');
    await big.save(dir);
    const count = Math.ceil((big.unet.numParameters * 4) / SHARD_BYTES);
    expect(count).toBeGreaterThan(1);
    expect((await readdir(dir)).filter((f) => f.endsWith('.bin')).sort()).toEqual(
      Array.from({ length: count }, (_, i) => `group1-shard${i + 1}of${count}.bin`).sort(),
    );
    const loaded = await loadFlowModel(dir, { engine: 'wasm' });
    expect(loaded.getWeights()['out.norm.gamma']).toEqual(big.getWeights()['out.norm.gamma']);
    expect(loaded.getWeights()['middle.attn.qkv.kernel']).toEqual(big.getWeights()['middle.attn.qkv.kernel']);
    loaded.dispose();
    big.dispose();
  });

  it('refuses to overwrite unless asked, then replaces the folder atomically', async () => {
    await expect(model.save(saved)).rejects.toThrow(/already exists. Pass \{ overwrite: true \}/);
    const weights = model.getWeights();
    weights['out.conv.bias'] = Float32Array.from(weights['out.conv.bias'], () => 0.25);
    const dir = join(root, 'overwrite');
    await model.save(dir);
    const copy = await loadFlowModel(dir, { engine: 'wasm' });
    copy.setWeights(weights);
    await copy.save(dir, { overwrite: true });
    expect(
      (await loadFlowModel(dir, { engine: 'wasm' })).getWeights()['out.conv.bias'].every((v) => v === 0.25),
    ).toBe(true);
    expect((await readdir(root)).filter((f) => f.includes('.tmp-') || f.includes('.old-'))).toEqual([]);
    expect(() => copy.setWeights({})).toThrow(/setWeights: "time.linear1.weight" must be a Float32Array/);
    copy.dispose();
  });

  it('fails clearly on a missing folder, bad JSON, wrong format or version', async () => {
    await expect(loadFlowModel(join(root, 'nope'))).rejects.toThrow(/No model.json in .*nope/);
    const badJson = join(root, 'bad-json');
    await variant('bad-json', () => {});
    await writeFile(join(badJson, 'model.json'), '{ nope');
    await expect(loadFlowModel(badJson)).rejects.toThrow(/is not valid JSON/);
    await expect(loadFlowModel(await variant('fmt', (j) => (j.format = 'tfjs-layers')))).rejects.toThrow(
      /is not a MedSymmFlow model/,
    );
    await expect(loadFlowModel(await variant('ver', (j) => (j.formatVersion = 99)))).rejects.toThrow(
      /formatVersion 99; .* reads version 1/,
    );
  });

  it('fails clearly on an unknown plugin or a bad architecture', async () => {
    await expect(
      loadFlowModel(
        await variant('plugin', (j) => (j.config.conditioning = { name: 'hexagon', options: {} })),
      ),
    ).rejects.toThrow(/'conditioning' is invalid: Unknown mask plugin .hexagon./);
    await expect(
      loadFlowModel(await variant('arch', (j) => (j.config.architecture.numHeadChannels = 3))),
    ).rejects.toThrow(/'architecture' is invalid: .*not divisible by numHeadChannels 3/);
    await expect(
      loadFlowModel(await variant('chan', (j) => (j.config.architecture.inChannels = 2))),
    ).rejects.toThrow(/'architecture.inChannels' is 2, but the model needs 4/);
  });

  it('fails clearly on weights that do not match the architecture', async () => {
    await expect(
      loadFlowModel(await variant('shape', (j) => (j.weightsManifest[0].weights[0].shape = [32, 8]))),
    ).rejects.toThrow(/weight "time.linear1.weight" has shape \[32, 8\]; the architecture needs \[8, 32\]/);
    await expect(
      loadFlowModel(
        await variant('rename', (j) => (j.weightsManifest[0].weights[2].name = 'time.mlp.weight')),
      ),
    ).rejects.toThrow(/unexpected weight "time.mlp.weight".*missing weight "time.linear2.weight"/);
    await expect(
      loadFlowModel(await variant('dtype', (j) => (j.weightsManifest[0].weights[1].dtype = 'int32'))),
    ).rejects.toThrow(/weight "time.linear1.bias" has dtype "int32"/);
    await expect(
      loadFlowModel(
        await variant('extra', (j) =>
          j.weightsManifest[0].weights.push({ name: 'x', shape: [1], dtype: 'float32' }),
        ),
      ),
    ).rejects.toThrow(/truncated or do not belong/);
  });

  it('fails clearly on missing, truncated or non-finite weight files', async () => {
    const missing = await variant('missing-shard', () => {});
    await rm(join(missing, 'group1-shard1of1.bin'));
    await expect(loadFlowModel(missing)).rejects.toThrow(
      /weight file group1-shard1of1.bin is missing or unreadable \(ENOENT\)/,
    );
    const truncated = await variant('truncated', () => {});
    const bytes = await readFile(join(truncated, 'group1-shard1of1.bin'));
    await writeFile(join(truncated, 'group1-shard1of1.bin'), bytes.subarray(0, bytes.length - 4));
    await expect(loadFlowModel(truncated)).rejects.toThrow(/truncated or do not belong to this model.json/);
    const nan = await variant('nan', () => {});
    const data = Buffer.from(bytes);
    data.writeFloatLE(Number.NaN, 4 * 8 * 32 + 4 * 5); // time.linear1.bias[5]
    await writeFile(join(nan, 'group1-shard1of1.bin'), data);
    await expect(loadFlowModel(nan)).rejects.toThrow(/weight "time.linear1.bias" contains NaN at index 5/);
    await expect(
      loadFlowModel(await variant('escape', (j) => (j.weightsManifest[0].paths = ['../secret.bin']))),
    ).rejects.toThrow(/shards must be plain file names/);
  });
});
