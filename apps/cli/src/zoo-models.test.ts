/**
 * The published zoo, checked the way a user meets it: the manifest's command, run from the checkout with the
 * zoo id, reproduces the manifest metrics on the real test split; the demo images are the official test
 * images their labels.csv says; and classifying them with the zoo model agrees with `evaluate` on the same
 * images (same seed, same runtime).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getDatasetInfo, loadMedMnist } from '@medsymmflow/datasets-medmnist';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, SHARED_MEDMNIST_DIR, sharedMedmnistFile } from '../../../test/shared-data';
import { runCli, WASM_BATCHES_OF_16 } from './testing/run-cli';

interface ManifestEntry {
  id: string;
  status: string;
  dataset: string;
  metrics: null | (Record<string, unknown> & { command: string; selective: { threshold: number }[] });
}

const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'zoo', 'manifest.json'), 'utf8')) as {
  models: ManifestEntry[];
};
const available = manifest.models.filter((m) => m.status === 'available');
const DEMO_DIR = join(REPO_ROOT, 'zoo', 'demo');
const DEMO_DATASETS = readdirSync(DEMO_DIR, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);

let cacheDir: string;
const env = () => ({ MEDMNIST_ROOT: SHARED_MEDMNIST_DIR, MEDSYMMFLOW_CACHE_DIR: cacheDir });
beforeAll(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), 'medsymmflow-zoo-models-'));
});
afterAll(async () => {
  await rm(cacheDir, { recursive: true, force: true });
});

/** Splits a manifest command line into argv after `medsymmflow`. */
function argvOf(command: string): string[] {
  const [bin, ...argv] = command.trim().split(/\s+/);
  expect(bin).toBe('medsymmflow');
  return argv;
}

function demoRows(dataset: string): { index: number; file: string; label: number }[] {
  return readFileSync(join(DEMO_DIR, dataset, 'labels.csv'), 'utf8')
    .trimEnd()
    .split('\n')
    .slice(1)
    .map((line) => {
      const [index, file, label] = line.split(',');
      return { index: Number(index), file, label: Number(label) };
    });
}

describe('zoo models', () => {
  it('publishes trained models for PneumoniaMNIST and RetinaMNIST', () => {
    const ids = available.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(['pneumoniamnist-rgb-28', 'retinamnist-rgb-28']));
  });

  it.each(available.map((m) => [m.id, m] as const))(
    '%s: the manifest command reproduces the manifest metrics on the official test split',
    async (_id, entry) => {
      sharedMedmnistFile(`${entry.dataset}.npz`);
      const metrics = entry.metrics!;
      const run = await runCli(argvOf(metrics.command), { cwd: REPO_ROOT, env: env() });
      expect(run.code, run.stderr).toBe(0);
      const fresh = JSON.parse(run.stdout);
      // Counts and argmin-based numbers must be identical; continuous ones equal to float round-off
      // (ONNX Runtime may pick other kernels on another CPU).
      for (const key of ['split', 'n', 'acc', 'auc', 'temperature'])
        expect(fresh[key], key).toEqual(metrics[key]);
      // Per-class results (entries published since evaluate reports them): argmin-based, so identical.
      for (const key of ['balancedAccuracy', 'recall', 'confusion'])
        if (key in metrics) expect(fresh[key], key).toEqual(metrics[key]);
      for (const key of ['aurc', 'eAurc', 'ece']) {
        expect(fresh[key], key).toBeCloseTo(metrics[key] as number, 6);
      }
      // Graded datasets (RetinaMNIST) also get ordinal results, from the predictions behind the confusion matrix.
      if (getDatasetInfo(entry.dataset).task === 'ordinal-regression') {
        let [absoluteError, withinOne] = [0, 0];
        (fresh.confusion as number[][]).forEach((row, truth) => {
          row.forEach((count, predicted) => {
            absoluteError += Math.abs(truth - predicted) * count;
            if (Math.abs(truth - predicted) <= 1) withinOne += count;
          });
        });
        expect(fresh.ordinal.meanAbsoluteError).toBeCloseTo(absoluteError / fresh.n, 12);
        expect(fresh.ordinal.withinOneAccuracy).toBeCloseTo(withinOne / fresh.n, 12);
        expect(fresh.ordinal.quadraticWeightedKappa).toBeGreaterThan(-1);
        expect(fresh.ordinal.quadraticWeightedKappa).toBeLessThanOrEqual(1);
      } else {
        expect(fresh.ordinal).toBeUndefined();
      }
      expect(fresh.selective.map((p: { reject: number; acc: number }) => [p.reject, p.acc])).toEqual(
        (metrics.selective as unknown as { reject: number; acc: number }[]).map((p) => [p.reject, p.acc]),
      );
      expect(fresh.selective.map((p: { threshold: number }) => p.threshold)).toEqual(
        metrics.selective.map((p) => expect.closeTo(p.threshold, 5)),
      );
      const { runtime, solver, steps, samples, seed } = fresh;
      expect({ runtime, solver, steps, samples, seed }).toEqual(metrics.evaluation);
    },
    300_000,
  );

  it.each(DEMO_DATASETS.map((d) => [d] as const))(
    'demo images of %s are the official test images their labels.csv names',
    async (dataset) => {
      sharedMedmnistFile(`${dataset}.npz`);
      const rows = demoRows(dataset);
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.length).toBeLessThanOrEqual(16);
      const test = await loadMedMnist({ flag: dataset, split: 'test', root: SHARED_MEDMNIST_DIR });
      const [h, w, c] = [test.height, test.width, test.channels];
      for (const row of rows) {
        expect(row.label, row.file).toBe(test.labels[row.index]);
        const png = PNG.sync.read(readFileSync(join(DEMO_DIR, dataset, row.file)));
        expect([png.width, png.height], row.file).toEqual([w, h]);
        const original = test.images.subarray(row.index * h * w * c, (row.index + 1) * h * w * c);
        for (let p = 0; p < h * w; p++) {
          for (let k = 0; k < c; k++) {
            if (png.data[p * 4 + k] !== original[p * c + k]) {
              throw new Error(`${row.file}: pixel ${p} channel ${k} differs from test image ${row.index}`);
            }
          }
        }
      }
    },
    120_000,
  );

  it.each(available.map((m) => [m.id, m] as const))(
    '%s: classifying the demo PNGs agrees with evaluate on the same test images',
    async (id, entry) => {
      const rows = demoRows(entry.dataset);
      // The demo files are test images 0…k−1 in order, so both commands draw the same noise per image.
      expect(rows.map((r) => r.index)).toEqual(rows.map((_, i) => i));
      const files = rows.map((r) => join(DEMO_DIR, entry.dataset, r.file));
      const classified = await runCli(['classify', '--model', id, ...files, '--json'], {
        cwd: REPO_ROOT,
        env: env(),
      });
      expect(classified.code, classified.stderr).toBe(0);
      const report = JSON.parse(classified.stdout);
      const predictions = join(cacheDir, `${id}.csv`);
      const evaluated = await runCli(
        [
          'evaluate',
          '--model',
          id,
          '--split',
          'test',
          '--limit',
          String(rows.length),
          '--predictions',
          predictions,
        ],
        { cwd: REPO_ROOT, env: env() },
      );
      expect(evaluated.code, evaluated.stderr).toBe(0);
      const expected = readFileSync(predictions, 'utf8')
        .trimEnd()
        .split('\n')
        .slice(1)
        .map((line) => line.split(',').map(Number));
      expect(report.images).toHaveLength(rows.length);
      report.images.forEach((image: { label: number; distances: Record<string, number> }, i: number) => {
        expect(image.label, files[i]).toBe(expected[i][2]);
        Object.values(image.distances).forEach((d, k) => {
          expect(d).toBeCloseTo(expected[i][3 + k], 4);
        });
      });
      // The zoo models ship calibrated: every image gets a probability and an abstain decision.
      expect(report.temperature).toBeGreaterThan(0);
      for (const image of report.images) {
        expect(typeof image.probability).toBe('number');
        // A target the model never reached on validation has no threshold: abstain is null, with a note.
        if (report.threshold === null) expect(image.abstain).toBeNull();
        else expect(typeof image.abstain).toBe('boolean');
      }
      if (report.threshold === null) expect(report.notes.join(' ')).toMatch(/did not reach 95% accuracy/);
    },
    300_000,
  );
});

describe('generated samples of a graded dataset', () => {
  it('sample --check says how many grades off the model classifies them', async () => {
    const args = ['sample', '--model', 'retinamnist-rgb-28', '--class', 'all', '-n', '4', '--steps', '5'];
    const out = join(cacheDir, 'retina-check.png');
    const json = await runCli([...args, '--check', '--out', out, '--json'], { cwd: REPO_ROOT, env: env() });
    expect(json.code, json.stderr).toBe(0);
    const { check } = JSON.parse(json.stdout);
    const wrong = 1 - check.asRequested;
    // Exact hits are within one grade; every miss is 1 to 4 grades off.
    expect(check.ordinal.withinOneAccuracy).toBeGreaterThanOrEqual(check.asRequested);
    expect(check.ordinal.meanAbsoluteError).toBeGreaterThanOrEqual(wrong - 1e-12);
    expect(check.ordinal.meanAbsoluteError).toBeLessThanOrEqual(4 * wrong + 1e-12);
    const text = await runCli([...args, '--check', '--out', out], { cwd: REPO_ROOT, env: env() });
    expect(text.stdout).toMatch(
      /\nWithin one grade of the requested one: \d+\.\d% \(mean absolute grade error \d\.\d\d\)\n$/,
    );
  }, 120_000);
});

describe('fine-tuning a zoo model', () => {
  it('starts from the zoo weights with train --init <id> and records the id with its version', async () => {
    const entry = manifest.models.find((m) => m.id === 'pneumoniamnist-rgb-28') as ManifestEntry & {
      version: string;
    };
    const out = join(cacheDir, 'tuned');
    const result = await runCli(
      [
        'train',
        '--dataset',
        'pneumoniamnist',
        '--init',
        'pneumoniamnist-rgb-28',
        '--limit',
        '16',
        '--epochs',
        '1',
        ...WASM_BATCHES_OF_16,
        '--out',
        out,
        '--json',
      ],
      { cwd: REPO_ROOT, env: env() },
    );
    expect(result.code, result.stderr).toBe(0);
    const saved = JSON.parse(readFileSync(join(out, 'final', 'model.json'), 'utf8')).config;
    expect(saved.metadata.training.initialWeights).toBe(`pneumoniamnist-rgb-28@${entry.version}`);
    const zooModel = JSON.parse(
      readFileSync(join(REPO_ROOT, 'zoo', 'pneumoniamnist-rgb-28', 'model.json'), 'utf8'),
    ).config;
    expect(saved.architecture).toEqual(zooModel.architecture);
    expect(saved.conditioning).toEqual(zooModel.conditioning);
  }, 300_000);
});
