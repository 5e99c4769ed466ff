import { describe, expect, it } from 'vitest';
import {
  closestPublishedSize,
  DATASET_FLAGS,
  DATASET_FLAGS_2D,
  DATASET_FLAGS_3D,
  getDatasetFile,
  getDatasetInfo,
  isDatasetFlag,
  MEDMNIST_INFO,
  resolveImageSize,
  UnknownDatasetError,
} from './index';

describe('registry', () => {
  it('lists the 12 2D and 6 3D MedMNIST v2 datasets in the official order', () => {
    expect(DATASET_FLAGS_2D).toEqual([
      'pathmnist',
      'chestmnist',
      'dermamnist',
      'octmnist',
      'pneumoniamnist',
      'retinamnist',
      'breastmnist',
      'bloodmnist',
      'tissuemnist',
      'organamnist',
      'organcmnist',
      'organsmnist',
    ]);
    expect(DATASET_FLAGS_3D).toEqual([
      'organmnist3d',
      'nodulemnist3d',
      'adrenalmnist3d',
      'fracturemnist3d',
      'vesselmnist3d',
      'synapsemnist3d',
    ]);
    expect(DATASET_FLAGS).toEqual([...DATASET_FLAGS_2D, ...DATASET_FLAGS_3D]);
  });

  it('has a Zenodo URL and an MD5 for every size, consistent with the file names', () => {
    const md5s = new Set<string>();
    for (const flag of DATASET_FLAGS) {
      const info = MEDMNIST_INFO[flag];
      expect(info.sizes).toEqual(info.dimensions === 2 ? [28, 64, 128, 224] : [28, 64]);
      for (const size of info.sizes) {
        const file = info.files[size];
        expect(file?.fileName).toBe(size === 28 ? `${flag}.npz` : `${flag}_${size}.npz`);
        expect(file?.url).toBe(`https://zenodo.org/records/10519652/files/${file?.fileName}?download=1`);
        expect(file?.md5).toMatch(/^[0-9a-f]{32}$/);
        md5s.add(file?.md5 as string);
      }
      expect(info.labels.length).toBe(info.numClasses);
      expect([1, 3]).toContain(info.nChannels);
      expect(info.nSamples.train).toBeGreaterThan(info.nSamples.val);
    }
    expect(md5s.size).toBe(12 * 4 + 6 * 2);
  });

  it('matches the values recorded independently in shared/data/medmnist/SOURCES.md', () => {
    const pneumonia = getDatasetInfo('pneumoniamnist');
    expect(pneumonia.files[28]?.md5).toBe('28209eda62fecd6e6a2d98b1501bb15f');
    expect(pneumonia.nSamples).toEqual({ train: 4708, val: 524, test: 624 });
    expect(pneumonia.labels).toEqual(['normal', 'pneumonia']);
    expect(pneumonia.task).toBe('binary-class');
    const retina = getDatasetInfo('retinamnist');
    expect(retina.files[28]?.md5).toBe('bd4c0672f1bba3e3a89f0e4e876791e4');
    expect(retina.nSamples).toEqual({ train: 1080, val: 120, test: 400 });
    expect(retina.task).toBe('ordinal-regression');
    expect(retina.nChannels).toBe(3);
    expect(getDatasetInfo('dermamnist').files[28]?.md5).toBe('0744692d530f8e62ec473284d019b0c7');
    expect(getDatasetInfo('bloodmnist').files[28]?.md5).toBe('7053d0359d879ad8a5505303e11de1dc');
  });

  it('marks ChestMNIST as the multi-label task', () => {
    const multi = DATASET_FLAGS.filter((flag) => MEDMNIST_INFO[flag].multiLabel);
    expect(multi).toEqual(['chestmnist']);
    expect(MEDMNIST_INFO.chestmnist.task).toBe('multi-label, binary-class');
    expect(MEDMNIST_INFO.chestmnist.numClasses).toBe(14);
  });

  it('is frozen', () => {
    const info = getDatasetInfo('pneumoniamnist');
    expect(Object.isFrozen(MEDMNIST_INFO)).toBe(true);
    expect(Object.isFrozen(info)).toBe(true);
    expect(Object.isFrozen(info.labels)).toBe(true);
    expect(Object.isFrozen(info.files[28])).toBe(true);
    expect(() => {
      (info.labels as string[]).push('x');
    }).toThrow(TypeError);
  });

  it('accepts the Python class spelling and rejects unknown flags with a suggestion', () => {
    expect(getDatasetInfo('PneumoniaMNIST').flag).toBe('pneumoniamnist');
    expect(isDatasetFlag('PneumoniaMNIST')).toBe(false);
    let error: unknown;
    try {
      getDatasetInfo('pneumonia');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UnknownDatasetError);
    expect(error).toBeInstanceOf(RangeError);
    const unknown = error as UnknownDatasetError;
    expect(unknown.suggestion).toBe('pneumoniamnist');
    expect(unknown.message).toContain('"pneumonia"');
    expect(unknown.message).toContain('Did you mean "pneumoniamnist"?');
    for (const flag of DATASET_FLAGS) expect(unknown.message).toContain(flag);
    expect(() => getDatasetInfo('bloodmnsit')).toThrow(/Did you mean "bloodmnist"/);
    expect(() => getDatasetInfo('imagenet')).not.toThrow(/Did you mean/);
    expect(() => getDatasetInfo('imagenet')).toThrow(/Valid flags: pathmnist/);
  });

  it('validates sizes per dataset', () => {
    expect(resolveImageSize('pathmnist', 224)).toBe(224);
    expect(resolveImageSize('pathmnist', '64')).toBe(64);
    expect(() => resolveImageSize('vesselmnist3d', 128)).toThrow(/Should be one of 28, 64/);
    expect(() => getDatasetFile('pneumoniamnist', 32)).toThrow(RangeError);
    expect(getDatasetFile('organmnist3d', 64).fileName).toBe('organmnist3d_64.npz');
  });

  it('reads the closest published size for other model sizes, as the official loaders', () => {
    expect(closestPublishedSize('retinamnist', 32)).toBe(28);
    expect(closestPublishedSize('retinamnist', 64)).toBe(64);
    expect(closestPublishedSize('retinamnist', 46)).toBe(28); // a tie goes to the smaller file
    expect(closestPublishedSize('retinamnist', 47)).toBe(64);
    expect(closestPublishedSize('retinamnist', 500)).toBe(224);
    expect(closestPublishedSize('vesselmnist3d', 200)).toBe(64);
    expect(() => closestPublishedSize('retinamnist', 0)).toThrow(/Invalid image size 0/);
  });
});
