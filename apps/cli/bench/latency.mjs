#!/usr/bin/env node
/**
 * End-to-end latency of classifying one image through the CLI, process start included: the default UNet (fresh
 * seeded weights — latency does not depend on training) saved as a model folder, one official PneumoniaMNIST test
 * image as PNG, then `medsymmflow classify --model DIR image.png --json` spawned RUNS times for each runtime.
 * Writes the medians to `cli_single_image` in bench/results/inference.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createFlowModel } from '@medsymmflow/core-flow';
import { loadMedMnist } from '@medsymmflow/datasets-medmnist';
import sharp from 'sharp';
import { updateResults } from '../../../bench/results-file.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, '..', 'bin', 'medsymmflow.mjs');
const shared =
  process.env.MEDMNIST_SHARED_DIR ?? resolve(here, '..', '..', '..', '..', 'shared', 'data', 'medmnist');
const RUNS = 7;

const work = mkdtempSync(join(tmpdir(), 'medsymmflow-latency-'));
try {
  const modelDir = join(work, 'model');
  const model = await createFlowModel(
    { labels: ['normal', 'pneumonia'], dataset: 'pneumoniamnist' },
    { seed: 0 },
  );
  await model.save(modelDir);
  const params = model.unet.numParameters;
  model.dispose();
  const test = await loadMedMnist({
    flag: 'pneumoniamnist',
    split: 'test',
    path: join(shared, 'pneumoniamnist.npz'),
  });
  const image = join(work, 'test_0000.png');
  await sharp(Buffer.from(test.images.subarray(0, 28 * 28)), { raw: { width: 28, height: 28, channels: 1 } })
    .png()
    .toFile(image);

  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const results = {};
  const loadAtStart = loadavg();
  for (const runtime of ['ort', 'tfjs']) {
    const seconds = [];
    for (let i = 0; i < RUNS; i++) {
      const started = performance.now();
      execFileSync(
        process.execPath,
        [bin, 'classify', '--model', modelDir, image, '--json', '--runtime', runtime],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      seconds.push((performance.now() - started) / 1000);
    }
    results[`${runtime}_seconds_median`] = Number(median(seconds).toFixed(3));
    results[`${runtime}_seconds`] = seconds.map((s) => Number(s.toFixed(3)));
    console.log(
      `classify 1 image via the CLI (${runtime}): median ${median(seconds).toFixed(3)} s over ${RUNS} runs`,
    );
  }
  const path = await updateResults('inference.json', {
    cli_single_image: {
      description:
        'wall time of `medsymmflow classify --model DIR image.png --json` (process start, model load, ONNX export for ort, 1 Euler step), default UNet',
      parameters: params,
      runs: RUNS,
      date: new Date().toISOString(),
      cpu: cpus()[0]?.model,
      node: process.version,
      loadAverageAtStart: loadAtStart,
      ...results,
    },
  });
  console.log(`written to ${path}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
