/**
 * End-to-end tests of `medsymmflow export`, `medsymmflow evaluate --runtime ort|tfjs`, `medsymmflow sample` and
 * `medsymmflow classify` with the built binary
 * on a tiny initialised model (random, non-zero weights everywhere so predictions depend on the input) saved
 * by the test, evaluated on a slice of the real pneumoniamnist test split.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createFlowModel, loadFlowModel } from '@medsymmflow/core-flow';
import { createRandom, loadMedMnist } from '@medsymmflow/datasets-medmnist';
import { loadOrtModel } from '@medsymmflow/exporters';
import {
  distanceAuc,
  distanceProbabilities,
  expectedCalibrationError,
  fitRejectionThreshold,
  fitTemperature,
  highestSupportedAccuracy,
} from '@medsymmflow/uncertainty';
import { PNG } from 'pngjs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHARED_MEDMNIST_DIR, sharedMedmnistFile } from '../../../../test/shared-data';
import { runCli as run } from '../testing/run-cli';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..', '..', '..', '..');

let temp: string;
let modelDir: string;
beforeAll(async () => {
  sharedMedmnistFile('pneumoniamnist.npz');
  temp = await mkdtemp(join(tmpdir(), 'medsymmflow-export-cli-'));
  modelDir = join(temp, 'model');
  const model = await createFlowModel(
    {
      labels: ['normal', 'pneumonia'],
      imageSize: 28,
      imageChannels: 1,
      dataset: 'pneumoniamnist',
      architecture: {
        baseChannels: 8,
        channelMults: [1, 2],
        numResBlocks: 1,
        attentionResolutions: [],
        numHeadChannels: 8,
        normGroups: 4,
      },
    },
    { engine: 'wasm', seed: 7 },
  );
  try {
    // Zero-initialised output layers would make every prediction the same; give all weights small values.
    const random = createRandom(11);
    const weights = model.getWeights();
    for (const [name, values] of Object.entries(weights)) {
      if (values.every((v) => v === 0) && !name.endsWith('.beta')) {
        weights[name] = values.map(() => 0.1 * (2 * random.uniform() - 1));
      }
    }
    model.setWeights(weights);
    await model.save(modelDir);
  } finally {
    model.dispose();
  }
}, 120_000);
afterAll(async () => {
  await rm(temp, { recursive: true, force: true });
});

describe('medsymmflow export', () => {
  it('writes ONNX that ONNX Runtime loads with the same config, and a tfjs model that loads back', async () => {
    const onnxDir = join(temp, 'exported', 'onnx');
    const onnx = await run(['export', '--model', modelDir, '--format', 'onnx', '--out', onnxDir, '--json']);
    expect(onnx.code, onnx.stderr).toBe(0);
    const report = JSON.parse(onnx.stdout);
    expect(report).toMatchObject({ format: 'onnx', outDir: onnxDir });
    const onnxFiles = report.files.map((f: { path: string }) => f.path);
    expect(onnxFiles).toContain('model.onnx');
    for (const f of report.files) expect(f.bytes).toBeGreaterThan(0);
    const ort = await loadOrtModel(onnxDir);
    try {
      expect(ort.config.labels).toEqual(['normal', 'pneumonia']);
      expect(ort.config.dataset).toBe('pneumoniamnist');
    } finally {
      ort.dispose();
    }

    const tfjsDir = join(temp, 'exported', 'tfjs');
    const tfjs = await run(['export', '--model', modelDir, '--format', 'tfjs', '--out', tfjsDir]);
    expect(tfjs.code, tfjs.stderr).toBe(0);
    expect(tfjs.stdout).toMatch(/^Exported .* as tfjs to .*tfjs \(/);
    expect(tfjs.stdout).toContain('model.json');
    const [original, back] = await Promise.all([
      loadFlowModel(modelDir, { engine: 'wasm' }),
      loadFlowModel(tfjsDir, { engine: 'wasm' }),
    ]);
    try {
      const a = original.getWeights();
      const b = back.getWeights();
      expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
      for (const name of Object.keys(a)) expect(b[name]).toEqual(a[name]);
    } finally {
      original.dispose();
      back.dispose();
    }
  }, 120_000);

  it('fails clearly on an unknown format, a missing model and an existing --out, leaving nothing behind', async () => {
    const out = join(temp, 'nothing');
    const badFormat = await run(['export', '--model', modelDir, '--format', 'coreml', '--out', out]);
    expect(badFormat.code).toBe(2);
    expect(badFormat.stderr).toMatch(
      /^medsymmflow: Unknown export format "coreml"\.\nhint: Use --format onnx/,
    );
    const missing = await run([
      'export',
      '--model',
      join(temp, 'no-model'),
      '--format',
      'onnx',
      '--out',
      out,
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^medsymmflow: No model\.json in .*no-model/);
    expect(existsSync(out)).toBe(false);

    const existing = join(temp, 'existing');
    await mkdir(existing);
    await writeFile(join(existing, 'keep.txt'), 'keep');
    const refused = await run(['export', '--model', modelDir, '--format', 'onnx', '--out', existing]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^medsymmflow: Export to onnx failed: .*exists/);
    expect(refused.stderr).toMatch(/hint: Add --overwrite/);
    expect(await readdir(existing)).toEqual(['keep.txt']);
    const replaced = await run([
      'export',
      '--model',
      modelDir,
      '--format',
      'onnx',
      '--out',
      existing,
      '--overwrite',
    ]);
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(await readdir(existing)).toContain('model.onnx');
    expect(existsSync(join(existing, 'keep.txt'))).toBe(false);
  }, 120_000);
});

describe('medsymmflow evaluate --runtime', () => {
  it('gives the same predictions on ONNX Runtime (default) and tfjs', async () => {
    const csv = (name: string) => join(temp, `${name}.csv`);
    const common = [
      'evaluate',
      '--model',
      modelDir,
      '--root',
      SHARED_MEDMNIST_DIR,
      '--limit',
      '40',
      '--json',
    ];
    const [ort, tfjs] = [
      await run([...common, '--predictions', csv('ort')]),
      await run([...common, '--runtime', 'tfjs', '--engine', 'wasm', '--predictions', csv('tfjs')]),
    ];
    expect(ort.code, ort.stderr).toBe(0);
    expect(tfjs.code, tfjs.stderr).toBe(0);
    expect(JSON.parse(ort.stdout)).toMatchObject({ runtime: 'ort', n: 40 });
    expect(JSON.parse(tfjs.stdout)).toMatchObject({ runtime: 'tfjs', n: 40 });
    const rows = async (name: string) =>
      (await readFile(csv(name), 'utf8'))
        .trimEnd()
        .split('\n')
        .slice(1)
        .map((line) => line.split(',').map(Number));
    const [a, b] = [await rows('ort'), await rows('tfjs')];
    expect(a).toHaveLength(40);
    expect(b).toHaveLength(40);
    // The model must actually tell images apart for the comparison to mean something.
    expect(new Set(a.map((r) => r[3] - r[4])).size).toBeGreaterThan(1);
    let maxDiff = 0;
    for (let i = 0; i < a.length; i++) {
      expect(a[i].slice(0, 2)).toEqual(b[i].slice(0, 2));
      for (const k of [3, 4]) maxDiff = Math.max(maxDiff, Math.abs(a[i][k] - b[i][k]));
      // Labels agree unless the two class distances are within float tolerance of each other.
      if (Math.abs(b[i][3] - b[i][4]) > 1e-3) expect(a[i][2]).toBe(b[i][2]);
    }
    expect(maxDiff).toBeLessThan(1e-3);
  }, 120_000);

  it('reports ECE at the stored temperature and the uncertainty threshold of each selective point', async () => {
    const predictions = join(temp, 'ece.csv');
    const result = await run([
      'evaluate',
      '--model',
      modelDir,
      '--root',
      SHARED_MEDMNIST_DIR,
      '--limit',
      '50',
      '--json',
      '--predictions',
      predictions,
    ]);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    const rows = (await readFile(predictions, 'utf8'))
      .trimEnd()
      .split('\n')
      .slice(1)
      .map((line) => line.split(',').map(Number));
    const distances = Float32Array.from(rows.flatMap((r) => [r[3], r[4]]));
    const labels = rows.map((r) => r[1]);
    // The file holds the float32 distances exactly (no rounding), so metrics recomputed from it equal the report's.
    // (each field is the 9-digit form of a float32, which reads back to exactly that float32)
    for (const r of rows) for (const d of [r[3], r[4]]) expect(Number(Math.fround(d).toPrecision(9))).toBe(d);
    expect(distanceAuc(labels, distances, 2)).toBe(report.auc);
    expect(report.temperature).toBe(1); // not calibrated
    expect(report.ece).toBeCloseTo(
      expectedCalibrationError(distanceProbabilities(distances, 2, 1), labels, 2),
      5,
    );
    const uncertainty = rows.map((r) => Math.min(r[3], r[4])).sort((a, b) => a - b);
    for (const point of report.selective) {
      const kept = 50 - Math.floor(point.reject * 50 + 1e-9);
      expect(point.threshold).toBeCloseTo(uncertainty[kept - 1], 5);
    }
  }, 120_000);

  it('runs a model.onnx shipped in the model folder instead of exporting again', async () => {
    const shipped = join(temp, 'with-onnx');
    await mkdir(shipped, { recursive: true });
    for (const file of await readdir(modelDir)) {
      await writeFile(join(shipped, file), await readFile(join(modelDir, file)));
    }
    const exported = await run(['export', '--model', modelDir, '--format', 'onnx', '--out', join(temp, 'x')]);
    expect(exported.code, exported.stderr).toBe(0);
    await writeFile(join(shipped, 'model.onnx'), await readFile(join(temp, 'x', 'model.onnx')));
    const args = (dir: string) => [
      'evaluate',
      '--model',
      dir,
      '--root',
      SHARED_MEDMNIST_DIR,
      '--limit',
      '30',
      '--json',
    ];
    const [fresh, fromFile] = [await run(args(modelDir)), await run(args(shipped))];
    expect(fromFile.code, fromFile.stderr).toBe(0);
    const strip = (out: string) => {
      const { seconds: _s, model: _m, ...rest } = JSON.parse(out);
      return rest;
    };
    expect(strip(fromFile.stdout)).toEqual(strip(fresh.stdout));
    await writeFile(join(shipped, 'model.onnx'), 'not an onnx file');
    const corrupt = await run(args(shipped));
    expect(corrupt.code).toBe(1);
    expect(corrupt.stderr).toMatch(/Cannot open .*with-onnx\/model\.onnx on ONNX Runtime/);
    expect(corrupt.stderr).toMatch(/hint: .*--runtime tfjs/);
  }, 120_000);

  it('rejects an unknown runtime', async () => {
    const bad = await run(['evaluate', '--model', modelDir, '--runtime', 'coreml']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/'coreml' is invalid\. Allowed choices are ort, tfjs/);
  }, 60_000);
});

describe('medsymmflow evaluate --calibrate', () => {
  it('fits temperature and rejection thresholds on the validation split and stores them for classify', async () => {
    const calibrated = join(temp, 'calibrate-me');
    await mkdir(calibrated, { recursive: true });
    for (const file of await readdir(modelDir)) {
      await writeFile(join(calibrated, file), await readFile(join(modelDir, file)));
    }
    const predictions = join(temp, 'val.csv');
    const common = ['evaluate', '--model', calibrated, '--root', SHARED_MEDMNIST_DIR, '--limit', '60'];
    const result = await run([
      ...common,
      '--split',
      'val',
      '--calibrate',
      '--json',
      '--predictions',
      predictions,
    ]);
    expect(result.code, result.stderr).toBe(0);
    const stored = JSON.parse(await readFile(join(calibrated, 'model.json'), 'utf8')).config.metadata
      .calibration;
    expect(JSON.parse(result.stdout).calibration).toEqual(stored);
    expect(stored.fittedOn).toEqual({ dataset: 'pneumoniamnist', split: 'val', n: 60 });

    // The stored values are what the uncertainty package fits on the same validation results.
    const rows = (await readFile(predictions, 'utf8'))
      .trimEnd()
      .split('\n')
      .slice(1)
      .map((line) => line.split(',').map(Number));
    const labels = rows.map((r) => r[1]);
    const distances = Float32Array.from(rows.flatMap((r) => [r[3], r[4]]));
    const uncertainty = rows.map((r) => Math.min(r[3], r[4]));
    const correct = rows.map((r) => (r[1] === r[2] ? 1 : 0));
    expect(stored.temperature).toBeCloseTo(fitTemperature(distances, labels, 2).temperature, 4);
    for (const entry of stored.rejectionThresholds) {
      const rule = fitRejectionThreshold(uncertainty, correct, entry.targetAccuracy);
      expect(entry.confidence).toBe(0.95);
      if (rule.attained) expect(entry.threshold).toBeCloseTo(rule.threshold, 4);
      else expect(entry.threshold).toBeNull();
    }
    expect(stored.rejectionThresholds.map((e: { targetAccuracy: number }) => e.targetAccuracy)).toEqual([
      0.6, 0.7, 0.8, 0.9, 0.95, 0.99,
    ]);
    // The evidence is the validation results themselves, so any other target can be fitted later.
    expect(stored.evidence.confidence).toBe(0.95);
    expect(stored.evidence.correct).toEqual(correct);
    stored.evidence.uncertainty.forEach((u: number, i: number) => {
      expect(u).toBeCloseTo(uncertainty[i], 4);
    });

    const grey = join(temp, 'grey.png');
    await sharp({ create: { width: 28, height: 28, channels: 3, background: { r: 90, g: 90, b: 90 } } })
      .png()
      .toFile(grey);
    const classified = await run(['classify', '--model', calibrated, grey, '--json', '--target-acc', '0.9']);
    expect(classified.code, classified.stderr).toBe(0);
    const report = JSON.parse(classified.stdout);
    expect(report.temperature).toBe(stored.temperature);
    expect(typeof report.images[0].probability).toBe('number');

    const wrongSplit = await run([...common, '--split', 'test', '--calibrate']);
    expect(wrongSplit.code).toBe(2);
    expect(wrongSplit.stderr).toMatch(/--calibrate fits .* on the validation split/);
  }, 180_000);

  it('stores the classification settings it was fitted with; evaluate and classify use them unless overridden', async () => {
    const calibrated = join(temp, 'calibrate-samples');
    await mkdir(calibrated, { recursive: true });
    for (const file of await readdir(modelDir)) {
      await writeFile(join(calibrated, file), await readFile(join(modelDir, file)));
    }
    const common = [
      'evaluate',
      '--model',
      calibrated,
      '--root',
      SHARED_MEDMNIST_DIR,
      '--limit',
      '40',
      '--json',
    ];
    const fitted = await run([...common, '--split', 'val', '--samples', '3', '--steps', '2', '--calibrate']);
    expect(fitted.code, fitted.stderr).toBe(0);
    const stored = JSON.parse(await readFile(join(calibrated, 'model.json'), 'utf8')).config.metadata
      .calibration;
    expect(stored.classification).toEqual({ solver: 'euler', steps: 2, samples: 3 });

    // Without flags, evaluate classifies as the calibration was fitted: same numbers as the fitting run.
    const again = await run([...common, '--split', 'val']);
    expect(again.code, again.stderr).toBe(0);
    const [a, b] = [JSON.parse(fitted.stdout), JSON.parse(again.stdout)];
    expect({ steps: b.steps, samples: b.samples, solver: b.solver }).toEqual(stored.classification);
    expect(b.acc).toBe(a.acc);
    expect(b.auc).toBe(a.auc);
    // An explicit flag wins.
    const one = JSON.parse((await run([...common, '--split', 'val', '--samples', '1'])).stdout);
    expect({ steps: one.steps, samples: one.samples }).toEqual({ steps: 2, samples: 1 });

    const grey = join(temp, 'grey-samples.png');
    await sharp({ create: { width: 28, height: 28, channels: 3, background: { r: 120, g: 120, b: 120 } } })
      .png()
      .toFile(grey);
    const byDefault = JSON.parse((await run(['classify', '--model', calibrated, grey, '--json'])).stdout);
    expect({ solver: byDefault.solver, steps: byDefault.steps, samples: byDefault.samples }).toEqual(
      stored.classification,
    );
    expect(byDefault.notes.join(' ')).not.toMatch(/calibration was fitted with/);
    const overridden = JSON.parse(
      (await run(['classify', '--model', calibrated, grey, '--json', '--samples', '1'])).stdout,
    );
    expect(overridden.samples).toBe(1);
    expect(overridden.notes.join(' ')).toMatch(
      /fitted with euler, 2 step\(s\), 3 sample\(s\).*--samples override/,
    );
    expect(overridden.images[0].distances).not.toEqual(byDefault.images[0].distances);

    // sample --check classifies its images as classify does: with the stored settings.
    const out = join(temp, 'samples', 'calibrated.png');
    const checked = await run([
      'sample',
      '--model',
      calibrated,
      '--class',
      'all',
      '-n',
      '2',
      '--steps',
      '2',
      '--check',
      '--out',
      out,
      '--json',
    ]);
    expect(checked.code, checked.stderr).toBe(0);
    expect(JSON.parse(checked.stdout).check.settings).toEqual(stored.classification);
  }, 240_000);
});

describe('medsymmflow sample', () => {
  it('writes a PNG grid of generated images of a class given by name or index, seeded', async () => {
    const out = (name: string) => join(temp, 'samples', `${name}.png`);
    const byName = await run([
      'sample',
      '--model',
      modelDir,
      '--class',
      'Pneumonia',
      '-n',
      '6',
      '--steps',
      '3',
      '--scale',
      '2',
      '--out',
      out('a'),
      '--json',
    ]);
    expect(byName.code, byName.stderr).toBe(0);
    expect(byName.stderr).toBe('');
    // 6 images → 3 columns × 2 rows of 56 px cells with 2 px gaps
    expect(JSON.parse(byName.stdout)).toMatchObject({
      class: 1,
      label: 'pneumonia',
      n: 6,
      steps: 3,
      out: out('a'),
      width: 3 * 56 + 2 * 2,
      height: 2 * 56 + 2,
    });
    const png = PNG.sync.read(await readFile(out('a')));
    expect([png.width, png.height]).toEqual([172, 114]);
    // generated cells are not blank: pixel values vary inside the first cell
    const firstCell = new Set<number>();
    for (let y = 0; y < 56; y++)
      for (let x = 0; x < 56; x++) firstCell.add(png.data[(y * png.width + x) * 4]);
    expect(firstCell.size).toBeGreaterThan(10);

    const byIndex = await run([
      'sample',
      '--model',
      modelDir,
      '--class',
      '1',
      '-n',
      '6',
      '--steps',
      '3',
      '--scale',
      '2',
      '--out',
      out('b'),
    ]);
    expect(byIndex.code, byIndex.stderr).toBe(0);
    expect(byIndex.stdout).toMatch(/^Generated 6 pneumonia images \(euler, 3 steps, .* \(172×114\)\n$/);
    expect(await readFile(out('b'))).toEqual(await readFile(out('a'))); // same seed, same class
    const other = await run([
      'sample',
      '--model',
      modelDir,
      '--class',
      '0',
      '-n',
      '6',
      '--steps',
      '3',
      '--scale',
      '2',
      '--out',
      out('c'),
    ]);
    expect(other.code, other.stderr).toBe(0);
    expect(await readFile(out('c'))).not.toEqual(await readFile(out('a')));
  }, 120_000);

  it('writes one row per class with --class all and checks the samples with the same model on both runtimes', async () => {
    const args = (runtime: string, out: string) => [
      'sample',
      '--model',
      modelDir,
      '--class',
      'all',
      '-n',
      '4',
      '--steps',
      '3',
      '--check',
      '--runtime',
      runtime,
      '--engine',
      'wasm',
      '--out',
      join(temp, 'samples', out),
      '--json',
    ];
    const [ort, tfjs] = [await run(args('ort', 'all-ort.png')), await run(args('tfjs', 'all-tfjs.png'))];
    expect(ort.code, ort.stderr).toBe(0);
    expect(tfjs.code, tfjs.stderr).toBe(0);
    const a = JSON.parse(ort.stdout);
    const b = JSON.parse(tfjs.stdout);
    // 2 rows (classes) × 4 columns of 28 px cells with 2 px gaps
    expect(a).toMatchObject({ n: 4, width: 4 * 28 + 3 * 2, height: 2 * 28 + 2, runtime: 'ort' });
    expect(a.classes).toEqual([
      { class: 0, label: 'normal' },
      { class: 1, label: 'pneumonia' },
    ]);
    expect(a.check.perClass.map((p: { class: number }) => p.class)).toEqual([0, 1]);
    const mean = (a.check.perClass[0].asRequested + a.check.perClass[1].asRequested) / 2;
    expect(a.check.asRequested).toBeCloseTo(mean, 10);
    for (const p of a.check.perClass) expect([0, 0.25, 0.5, 0.75, 1]).toContain(p.asRequested);
    expect(b.check).toEqual(a.check); // the same seeded noise and the same network on both runtimes
    expect(a.check.ordinal).toBeUndefined(); // normal/pneumonia are not grades
    expect(a.check.settings).toEqual({ solver: 'euler', steps: 1, samples: 1 }); // uncalibrated: the paper's
    const text = await run(args('ort', 'all-text.png').filter((x) => x !== '--json'));
    expect(text.stdout).toMatch(
      /Generated 4 images of each of 2 classes .*\nClassified as the requested class by the same model: \d+\.\d% \(normal .*%, pneumonia .*%; euler, 1 step, 1 noise mask\)\n$/,
    );
  }, 180_000);

  it('fails clearly on an unknown class, a non-PNG --out and a zoo id without weights', async () => {
    const out = join(temp, 'samples', 'bad.png');
    const badClass = await run(['sample', '--model', modelDir, '--class', 'covid', '--out', out]);
    expect(badClass.code).toBe(2);
    expect(badClass.stderr).toMatch(
      /^medsymmflow: Unknown class "covid": the model has 2 classes\.\nhint: .*0 normal, 1 pneumonia/,
    );
    const outOfRange = await run(['sample', '--model', modelDir, '--class', '2', '--out', out]);
    expect(outOfRange.code).toBe(2);
    const notPng = await run(['sample', '--model', modelDir, '--class', '0', '--out', join(temp, 'g.jpg')]);
    expect(notPng.code).toBe(2);
    expect(notPng.stderr).toMatch(/--out must be a \.png file/);
    const zoo = await run([
      'sample',
      '--model',
      'dermamnist-rgb-28',
      '--class',
      '0',
      '--zoo-url',
      join(REPO, 'zoo'),
      '--cache-dir',
      join(temp, 'cache'),
      '--out',
      out,
    ]);
    expect(zoo.code).toBe(1);
    expect(zoo.stderr).toMatch(/^medsymmflow: Model dermamnist-rgb-28 has no weights yet/);
    expect(existsSync(out)).toBe(false);
  }, 120_000);
});

describe('medsymmflow classify', () => {
  it('classifies PNG/JPEG files of any size like evaluate does, with null calibration and a note', async () => {
    const test = await loadMedMnist({ flag: 'pneumoniamnist', split: 'test', root: SHARED_MEDMNIST_DIR });
    const raw = test.getImage(0);
    const first = join(temp, 'images', 'test0.png');
    await mkdir(dirname(first), { recursive: true });
    await sharp(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength), {
      raw: { width: 28, height: 28, channels: 1 },
    })
      .png()
      .toFile(first);
    const big = join(temp, 'images', 'big.jpg');
    await sharp(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength), {
      raw: { width: 28, height: 28, channels: 1 },
    })
      .resize(90, 61)
      .toColourspace('srgb')
      .jpeg()
      .toFile(big);

    const csv = join(temp, 'one.csv');
    const evaluated = await run([
      'evaluate',
      '--model',
      modelDir,
      '--root',
      SHARED_MEDMNIST_DIR,
      '--limit',
      '1',
      '--json',
      '--predictions',
      csv,
    ]);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    const row = (await readFile(csv, 'utf8')).trimEnd().split('\n')[1].split(',').map(Number);

    const result = await run(['classify', '--model', modelDir, first, big, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({
      runtime: 'ort',
      targetAccuracy: 0.95,
      temperature: null,
      threshold: null,
    });
    expect(report.notes).toHaveLength(2);
    expect(report.images).toHaveLength(2);
    const [a, b] = report.images;
    expect(a.file).toBe(first);
    // the 28×28 PNG of test image 0 gets the distances evaluate computes for it (same seed, same runtime)
    expect(a.distances.normal).toBeCloseTo(row[3], 4);
    expect(a.distances.pneumonia).toBeCloseTo(row[4], 4);
    expect(a.label).toBe(row[2]);
    for (const image of report.images) {
      const d = [image.distances.normal, image.distances.pneumonia];
      expect(image.label).toBe(d[1] < d[0] ? 1 : 0);
      expect(image.name).toBe(['normal', 'pneumonia'][image.label]);
      expect(image.uncertainty).toBeCloseTo(Math.min(...d), 5);
      expect(image.probability).toBeNull();
      expect(image.abstain).toBeNull();
    }
    expect(b.file).toBe(big);

    const text = await run(['classify', '--model', modelDir, first, '--runtime', 'tfjs']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(
      /^IMAGE\s+LABEL\s+D\(normal\)\s+D\(pneumonia\)\s+UNCERTAINTY\s+PROB\s+ABSTAIN/,
    );
    expect(text.stdout).toContain(first);
    expect(text.stderr).toMatch(/^note: the model stores no calibration temperature/);
  }, 120_000);

  it('uses a stored temperature and rejection threshold for probability and abstain', async () => {
    const first = join(temp, 'images', 'test0.png');
    const big = join(temp, 'images', 'big.jpg');
    const calibrated = join(temp, 'calibrated');
    await mkdir(calibrated, { recursive: true });
    for (const file of await readdir(modelDir)) {
      await writeFile(join(calibrated, file), await readFile(join(modelDir, file)));
    }
    const base = JSON.parse((await run(['classify', '--model', modelDir, first, big, '--json'])).stdout);
    const [u0, u1] = base.images.map((image: { uncertainty: number }) => image.uncertainty);
    expect(u0).not.toBe(u1);
    const threshold = (u0 + u1) / 2;
    const json = JSON.parse(await readFile(join(calibrated, 'model.json'), 'utf8'));
    json.config.metadata = {
      ...json.config.metadata,
      calibration: {
        temperature: 0.5,
        rejectionThresholds: [
          { targetAccuracy: 0.9, threshold: 1e9 },
          { targetAccuracy: 0.95, threshold },
          { targetAccuracy: 0.98, threshold: null, coverage: 0, accuracy: null, confidence: 0.95 },
        ],
      },
    };
    await writeFile(join(calibrated, 'model.json'), JSON.stringify(json));
    const result = await run(['classify', '--model', calibrated, first, big, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ temperature: 0.5, threshold, notes: [] });
    for (const [i, image] of report.images.entries()) {
      const d = [image.distances.normal, image.distances.pneumonia];
      const e = d.map((x) => Math.exp(-x / 0.5));
      expect(image.probability).toBeCloseTo(e[image.label] / (e[0] + e[1]), 5);
      expect(image.abstain).toBe([u0, u1][i] > threshold);
    }
    const loose = JSON.parse(
      (await run(['classify', '--model', calibrated, first, big, '--json', '--target-acc', '0.9'])).stdout,
    );
    expect(loose.images.map((image: { abstain: boolean }) => image.abstain)).toEqual([false, false]);
    const missing = JSON.parse(
      (await run(['classify', '--model', calibrated, first, '--json', '--target-acc', '0.99'])).stdout,
    );
    expect(missing.threshold).toBeNull();
    expect(missing.notes[0]).toMatch(
      /no rejection threshold for --target-acc 0\.99 \(stored: 0\.9, 0\.95, 0\.98; recalibrate with evaluate --split val --calibrate to use any target\)/,
    );
    const unsure = JSON.parse(
      (await run(['classify', '--model', calibrated, first, '--json', '--target-acc', '0.98'])).stdout,
    );
    expect(unsure.images[0].abstain).toBeNull();
    expect(unsure.notes[0]).toMatch(
      /did not reach 98% accuracy on its validation split with 95% confidence at any coverage, so no threshold decides for it: abstain is null \(pick a lower --target-acc\)/,
    );

    // With the validation evidence stored (as evaluate --calibrate does), any target works: by increasing
    // uncertainty the 40 validation images are right, wrong, 8 right, then 30 wrong.
    const valUncertainty = Array.from({ length: 40 }, (_, i) => i / 40);
    const valCorrect = valUncertainty.map((_, i) => (i === 0 || (i >= 2 && i < 10) ? 1 : 0));
    json.config.metadata.calibration.evidence = {
      uncertainty: valUncertainty,
      correct: valCorrect,
      confidence: 0.95,
    };
    await writeFile(join(calibrated, 'model.json'), JSON.stringify(json));
    const classifyAt = async (target: string) =>
      JSON.parse(
        (await run(['classify', '--model', calibrated, first, '--json', '--target-acc', target])).stdout,
      );
    const fitted = await classifyAt('0.6');
    expect(fitted.threshold).toBe(fitRejectionThreshold(valUncertainty, valCorrect, 0.6).threshold);
    expect(fitted.threshold).toBe(9 / 40); // the 10 most certain images, 9 of them right
    expect(fitted.notes).toEqual([]);
    const tooHigh = await classifyAt('0.7');
    expect(tooHigh.threshold).toBeNull();
    const supported = Math.floor(highestSupportedAccuracy(valUncertainty, valCorrect).accuracy * 1000) / 1000;
    expect(supported).toBeGreaterThan(0.6);
    expect(tooHigh.notes[0]).toContain(
      `did not reach 70% accuracy on its validation split with 95% confidence at any coverage; the highest target it supports is ${Number((supported * 100).toPrecision(3))}% (keeping 25% of images), so no threshold decides for it: abstain is null (pick --target-acc ${supported} or lower)`,
    );
    expect((await classifyAt(String(supported))).threshold).toBe(9 / 40); // the advice works
  }, 120_000);

  it('fails clearly on unreadable files and bad options', async () => {
    const notImage = join(temp, 'images', 'notes.png');
    await writeFile(notImage, 'not an image');
    const bad = await run(['classify', '--model', modelDir, notImage]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^medsymmflow: Cannot read image .*notes\.png/);
    const missing = await run(['classify', '--model', modelDir, join(temp, 'images', 'nope.png')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^medsymmflow: Cannot read image .*nope\.png/);
    const badTarget = await run(['classify', '--model', modelDir, notImage, '--target-acc', '1.5']);
    expect(badTarget.code).toBe(2);
    expect(badTarget.stderr).toMatch(/Invalid --target-acc "1\.5"/);
    const none = await run(['classify', '--model', modelDir]);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toMatch(/missing required argument 'image'/);
  }, 120_000);
});
