import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createMaskPlugin } from '@medsymmflow/conditioning-masks';
import { CodedError, getDatasetInfo } from '@medsymmflow/datasets-medmnist';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../../test/shared-data.js';
import { resolveFlowModelConfig } from '../io/config.js';
import { entryJson, manifestJson, metricsJson, standardFiles } from './__fixtures__/test-zoo.js';
import { UnknownModelError, ZooError } from './errors.js';
import {
  getZooEntry,
  isValidModelId,
  unsafeZooPathReason,
  validateModelId,
  validateZooManifest,
  zooEntryModelConfig,
} from './manifest.js';

function invalid(input: unknown): ZooError {
  try {
    validateZooManifest(input, { source: 'test.json' });
  } catch (error) {
    expect(error).toBeInstanceOf(ZooError);
    expect(error).toBeInstanceOf(CodedError); // shares the code/reason/hint shape with the dataset errors
    expect((error as ZooError).name).toBe('ZooError');
    expect((error as ZooError).code).toBe('ZOO_MANIFEST');
    return error as ZooError;
  }
  throw new Error('expected the manifest to be refused');
}

const withFile = (file: Record<string, unknown>) => {
  const entry = entryJson('m-1', standardFiles());
  (entry.files as Record<string, unknown>[])[0] = {
    ...(entry.files as Record<string, unknown>[])[0],
    ...file,
  };
  return manifestJson([entry]);
};

describe('validateZooManifest', () => {
  it('accepts a valid manifest, returns a frozen normalised copy and leaves the input alone', () => {
    const input = manifestJson([entryJson('m-1', standardFiles()), entryJson('m-2', [], { notes: 'later' })]);
    (input.models as Record<string, unknown>[])[0].files = (
      (input.models as Record<string, unknown>[])[0].files as Record<string, unknown>[]
    ).map((f) => ({ ...f, sha256: String(f.sha256).toUpperCase() }));
    const before = structuredClone(input);
    const manifest = validateZooManifest(input);
    expect(input).toEqual(before);
    expect(manifest.models.map((m) => m.id)).toEqual(['m-1', 'm-2']);
    const [available, notTrained] = manifest.models;
    expect(available.files[0].sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(available.normalization).toEqual({ inputRange: [0, 255], modelRange: [-1, 1] });
    expect(notTrained.status).toBe('not-trained');
    expect(notTrained.notes).toBe('later');
    expect(Object.isFrozen(manifest.models)).toBe(true);
    expect(Object.isFrozen(available.files[0])).toBe(true);
  });

  it('refuses sha256 values that are not 64 hex digits', () => {
    for (const sha256 of ['abc', 'g'.repeat(64), '0'.repeat(63), 42]) {
      const error = invalid(withFile({ sha256 }));
      expect(error.reason).toContain('models[0] (m-1).files[0].sha256 must be 64 hex digits (SHA-256)');
      expect(error.reason).toContain(JSON.stringify(sha256));
    }
  });

  it('refuses bad ids and duplicate ids', () => {
    for (const id of ['Pneumonia', 'a_b', 'a--b', '-a', 'a-', '../a', 'a/b', '', 'x'.repeat(65)]) {
      const error = invalid(manifestJson([entryJson(id, [])]));
      expect(error.reason).toContain(`models[0].id ${JSON.stringify(id)} is not a valid model id`);
    }
    const error = invalid(manifestJson([entryJson('m-1', []), entryJson('m-1', [])]));
    expect(error.reason).toContain('lists the id "m-1" twice');
  });

  it('refuses file paths that could leave the model folder, with the reason', () => {
    const cases: [string, string][] = [
      ['../evil.bin', 'a ".." segment'],
      ['weights/../../evil.bin', 'a ".." segment'],
      ['/etc/passwd', 'absolute'],
      ['C:/evil.bin', 'absolute'],
      ['weights\\model.bin', 'backslash'],
      ['a//b.bin', 'empty or "." segment'],
      ['./a.bin', 'empty or "." segment'],
      ['.zoo-entry.json', 'starts with "."'],
      ['a/b c.bin', 'characters outside'],
      ['%2e%2e/x', 'characters outside'],
    ];
    for (const [path, reason] of cases) {
      const error = invalid(withFile({ path }));
      expect(error.reason).toContain(`files[0].path ${JSON.stringify(path)} is not a safe relative path`);
      expect(error.reason).toContain(reason);
      expect(unsafeZooPathReason(path)).toContain(reason);
    }
    expect(unsafeZooPathReason('onnx/model.onnx')).toBeUndefined();
    expect(unsafeZooPathReason('group1-shard1of2.bin')).toBeUndefined();
  });

  it('keeps not-trained entries honest: no files, metrics, version or weights licence', () => {
    const withFiles = entryJson('m-1', standardFiles(), { status: 'not-trained' });
    expect(invalid(manifestJson([withFiles])).reason).toMatch(
      /is "not-trained" but lists 3 file\(s\), reports metrics, has a weights version, has a weights licence/,
    );
    const withMetrics = entryJson('m-1', [], {
      metrics: metricsJson(),
    });
    expect(invalid(manifestJson([withMetrics])).reason).toContain('reports metrics');
  });

  it('requires what an available entry needs to be loaded and reproduced', () => {
    const [model, shard, onnx] = standardFiles();
    expect(invalid(manifestJson([entryJson('m-1', [shard])])).reason).toContain(
      'must include a "tfjs-model" or an "onnx" file',
    );
    expect(invalid(manifestJson([entryJson('m-1', [model, onnx])])).reason).toContain(
      'together with its "tfjs-weights" shards',
    );
    expect(invalid(manifestJson([entryJson('m-1', [onnx], { metrics: null })])).reason).toContain(
      'metrics are required',
    );
    expect(
      invalid(
        manifestJson([
          entryJson('m-1', [onnx], {
            metrics: metricsJson({ auc: 1.2 }),
          }),
        ]),
      ).reason,
    ).toContain('metrics.auc must be a number in [0, 1], got 1.2');
    const badPoint = metricsJson({ selective: [{ reject: 0.1, acc: 0.9, threshold: 'high' }] });
    expect(invalid(manifestJson([entryJson('m-1', [onnx], { metrics: badPoint })])).reason).toContain(
      'metrics.selective[0].threshold must be a finite number or null, got "high"',
    );
    const typo = metricsJson({ samples: 624 });
    expect(invalid(manifestJson([entryJson('m-1', [onnx], { metrics: typo })])).reason).toContain(
      'has an unknown field "samples"',
    );
    const twice = [onnx, { ...onnx, path: 'ONNX/MODEL.onnx' }];
    expect(invalid(manifestJson([entryJson('m-1', twice)])).reason).toContain('twice');
  });

  it('accepts per-class results only whole and consistent with n', () => {
    const [, , onnx] = standardFiles();
    const perClass = {
      balancedAccuracy: 0.75,
      recall: [0.5, 1],
      confusion: [
        [100, 100],
        [0, 424],
      ],
    };
    const manifest = validateZooManifest(
      manifestJson([entryJson('m-1', [onnx], { metrics: metricsJson(perClass) })]),
    );
    expect(manifest.models[0].metrics).toMatchObject(perClass);
    const metrics = (overrides: Record<string, unknown>) =>
      manifestJson([entryJson('m-1', [onnx], { metrics: metricsJson({ ...perClass, ...overrides }) })]);
    expect(invalid(metrics({ confusion: undefined })).reason).toContain(
      'has balancedAccuracy, recall but not all of balancedAccuracy, recall, confusion',
    );
    expect(invalid(metrics({ confusion: [[624, 0], [0]] })).reason).toContain(
      'metrics.confusion[1] must be an array of 2 image counts',
    );
    expect(
      invalid(
        metrics({
          confusion: [
            [1, 0],
            [0, 1],
          ],
        }),
      ).reason,
    ).toContain('metrics.confusion counts 2 images, but n is 624');
    expect(invalid(metrics({ recall: [0.5] })).reason).toContain(
      'metrics.recall must be an array of 2 recalls',
    );
    expect(invalid(metrics({ recall: [null, 1.5] })).reason).toContain(
      'metrics.recall[1] must be a number in [0, 1]',
    );
  });

  it('checks the format, version, unknown fields and the architecture', () => {
    expect(invalid({ ...manifestJson([]), format: 'other' }).reason).toContain(
      '"format" must be "medsymmflow-zoo"',
    );
    expect(invalid({ ...manifestJson([]), version: 2 }).reason).toContain(
      'newer than this package reads (1); update @medsymmflow/core-flow',
    );
    expect(invalid(manifestJson([entryJson('m-1', [], { sha265: 'x' })])).reason).toContain(
      'unknown field "sha265"',
    );
    expect(invalid(withFile({ role: 'weights' })).reason).toContain(
      'role must be one of "onnx", "tfjs-model", "tfjs-weights", "card", "image", got "weights"',
    );
    expect(
      invalid(manifestJson([entryJson('m-1', [], { architecture: { baseChannels: 31 } })])).reason,
    ).toContain('is not a valid UNet config');
    expect(
      invalid(manifestJson([entryJson('m-1', [], { architecture: { inChannels: 4 } })])).reason,
    ).toContain('must not set "inChannels"');
    expect(invalid('[]').reason).toContain('the top level must be an object');
  });
});

describe('ids and lookup', () => {
  const manifest = validateZooManifest(manifestJson([entryJson('pneumoniamnist-rgb-28', [])]));

  it('validates user-given ids as bad arguments', () => {
    expect(isValidModelId('bloodmnist-rgb-28')).toBe(true);
    expect(isValidModelId('Blood')).toBe(false);
    expect(() => validateModelId('../../etc')).toThrow(RangeError);
    expect(() => validateModelId('../../etc')).toThrow(/Invalid zoo model id "..\/..\/etc"/);
  });

  it('finds entries case-insensitively and suggests the closest id', () => {
    expect(getZooEntry(manifest, 'PneumoniaMNIST-RGB-28').id).toBe('pneumoniamnist-rgb-28');
    try {
      getZooEntry(manifest, 'pneumoniamnist-rgb-64', 'zoo.json');
      throw new Error('expected an error');
    } catch (error) {
      expect(error).toBeInstanceOf(UnknownModelError);
      expect(error).toBeInstanceOf(RangeError);
      expect((error as Error).message).toBe(
        'Unknown zoo model "pneumoniamnist-rgb-64" (not in zoo.json). Did you mean "pneumoniamnist-rgb-28"? ' +
          'Valid ids: pneumoniamnist-rgb-28.',
      );
    }
    expect(() => getZooEntry(manifest, 'octmnist-scalar-224')).toThrow(/^(?![\s\S]*Did you mean)/);
  });
});

describe('the repository zoo/manifest.json', () => {
  const text = readFileSync(join(REPO_ROOT, 'zoo', 'manifest.json'), 'utf8');
  const manifest = validateZooManifest(JSON.parse(text), { source: 'zoo/manifest.json' });

  it('lists the planned models', () => {
    expect(manifest.models.map((m) => m.id)).toEqual(
      expect.arrayContaining([
        'pneumoniamnist-rgb-28',
        'retinamnist-rgb-28',
        'pneumoniamnist-scalar-28',
        'retinamnist-scalar-28',
        'dermamnist-rgb-28',
        'bloodmnist-rgb-28',
      ]),
    );
    for (const model of manifest.models) expect(model.citation).toContain('MedMNIST v2');
  });

  it('publishes exactly the files it lists: available entries hash-match zoo/<id>/, others have no folder', () => {
    for (const model of manifest.models) {
      const dir = join(REPO_ROOT, 'zoo', model.id);
      if (model.status === 'not-trained') {
        expect(existsSync(dir), `${dir} exists but ${model.id} is not-trained`).toBe(false);
        continue;
      }
      for (const file of model.files) {
        const bytes = readFileSync(join(dir, file.path));
        expect(bytes.length, `${model.id}/${file.path}`).toBe(file.bytes);
        expect(createHash('sha256').update(bytes).digest('hex'), `${model.id}/${file.path}`).toBe(
          file.sha256,
        );
      }
    }
  });

  it('describes each available model as its model.json does (architecture, conditioning, labels, size)', async () => {
    for (const model of manifest.models.filter((m) => m.status === 'available')) {
      const saved = JSON.parse(readFileSync(join(REPO_ROOT, 'zoo', model.id, 'model.json'), 'utf8')).config;
      const fromModel = (await resolveFlowModelConfig({ ...saved, metadata: undefined })).config;
      const fromEntry = (await resolveFlowModelConfig({ ...zooEntryModelConfig(model), metadata: undefined }))
        .config;
      expect(fromEntry, model.id).toEqual(fromModel);
    }
  });

  it('matches the dataset registry (labels, task, channels, data licence) and the id', () => {
    for (const model of manifest.models) {
      const info = getDatasetInfo(model.dataset);
      expect(model.labels).toEqual(info.labels);
      expect(model.task).toBe(info.task);
      expect(model.imageChannels).toBe(info.nChannels);
      expect(model.license.data).toBe(info.license);
      const kind = model.conditioning.name === 'rgb-palette' ? 'rgb' : model.conditioning.name;
      expect(model.id).toBe(`${model.dataset}-${kind}-${model.imageSize}`);
    }
    expect(manifest.models.find((m) => m.dataset === 'dermamnist')?.license.data).toBe('CC BY-NC 4.0');
  });

  it('describes configs that build a model (conditioning plugin and UNet resolve)', async () => {
    for (const model of manifest.models) {
      expect(createMaskPlugin(model.conditioning, model.labels.length).name).toBe(model.conditioning.name);
      const { config } = await resolveFlowModelConfig(zooEntryModelConfig(model));
      expect(config.numClasses).toBe(model.labels.length);
      expect(config.architecture.inChannels).toBe(
        model.imageChannels + (model.conditioning.name === 'rgb-palette' ? 3 : 1),
      );
      expect(config.dataset).toBe(model.dataset);
    }
  });
});
