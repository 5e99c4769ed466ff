#!/usr/bin/env node
/**
 * Training throughput and peak memory of the default UNet (base 32, mults 1,2,2, 28×28, 1 image + 3 mask
 * channels) at batch 64 (micro-batches of 32) with `train()`, for each available engine:
 *   wasm on the main thread, wasm with 1 and 2 worker threads, cpu (one 4-image step only: it is ~340×
 *   slower), tfjs-node when installed (recorded as skipped otherwise).
 * Every configuration runs in its own child process so peak RSS is its own. Images are synthetic (speed does
 * not depend on pixel values). Writes /work/main/bench/results/training.json (the repository's bench/results).
 * Run after `pnpm build`:  node bench/training.mjs [--steps 4] [--only wasm-2-workers]
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { updateResults } from '../../../bench/results-file.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const RESULTS = resolve(here, '..', '..', '..', 'bench', 'results', 'training.json');

const CONFIGS = [
  { name: 'wasm-main-thread', engine: 'wasm', workers: 0, batchSize: 64, microBatchSize: 32, steps: 4 },
  { name: 'wasm-1-worker', engine: 'wasm', workers: 1, batchSize: 64, microBatchSize: 32, steps: 4 },
  { name: 'wasm-2-workers', engine: 'wasm', workers: 2, batchSize: 64, microBatchSize: 32, steps: 4 },
  // cpu: one step of 4 images, timed from the start (measured: 336 s for an 8-image step, ~340× slower
  // than wasm; the first step costs the same as later ones there, so no warm-up step is needed)
  {
    name: 'cpu-main-thread',
    engine: 'cpu',
    workers: 0,
    batchSize: 4,
    microBatchSize: 4,
    steps: 1,
    warmup: false,
  },
  {
    name: 'tfjs-node-main-thread',
    engine: 'tfjs-node',
    workers: 0,
    batchSize: 64,
    microBatchSize: 64,
    steps: 4,
  },
];

/** Child: one configuration; prints one JSON line. */
async function runOne(config) {
  const { train, trainingDataFromArrays, resolveEngine } = await import('../dist/index.js');
  try {
    await resolveEngine(config.engine);
  } catch (error) {
    return { ...config, skipped: error.message };
  }
  const size = 28;
  const warmup = config.warmup !== false;
  const n = config.batchSize * (config.steps + (warmup ? 1 : 0));
  const images = new Uint8Array(n * size * size);
  for (let i = 0; i < images.length; i++) images[i] = (i * 2654435761) >>> 24;
  const labels = Int32Array.from({ length: n }, (_, i) => i % 2);
  const data = trainingDataFromArrays({ images, labels, imageShape: [size, size, 1], numClasses: 2 });
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 100);
  const stepEnds = [];
  let numParameters = 0;
  const started = performance.now();
  const result = await train({
    data,
    engine: config.engine,
    workers: config.workers,
    batchSize: config.batchSize,
    microBatchSize: config.microBatchSize,
    maxSteps: config.steps + (warmup ? 1 : 0),
    onProgress: (event) => {
      if (event.type === 'step') stepEnds.push(performance.now());
      if (event.type === 'start') numParameters = event.numParameters;
    },
  });
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  let wasmHeapBytes = null;
  if (config.engine === 'wasm' && config.workers === 0) {
    // The main thread's WebAssembly memory (tfjs-backend-wasm keeps the module on the backend object).
    const { engine } = await resolveEngine('wasm');
    wasmHeapBytes = engine.tf?.backend()?.wasm?.HEAPU8?.byteLength ?? null;
  }
  result.model.dispose();
  // Step 1 includes warm-up (kernel compilation, first allocations); measure steps 2…N+1 (or all steps,
  // from the start of train(), without warm-up).
  const from = warmup ? stepEnds[0] : started;
  const measuredSteps = warmup ? stepEnds.length - 1 : stepEnds.length;
  const measured = (stepEnds.at(-1) - from) / 1000;
  return {
    ...config,
    numParameters,
    firstStepSeconds: (stepEnds[0] - started) / 1000,
    measuredSteps,
    secondsPerStep: measured / measuredSteps,
    imagesPerSecond: (config.batchSize * measuredSteps) / measured,
    peakRssBytes: peakRss,
    wasmHeapBytes,
    finalLoss: result.losses.at(-1),
  };
}

function runChild(config) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(
      process.execPath,
      [fileURLToPath(import.meta.url), '--child', JSON.stringify(config)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.trim().split('\n').at(-1);
      if (code !== 0 || !line) reject(new Error(`benchmark ${config.name} exited with code ${code}`));
      else resolvePromise(JSON.parse(line));
    });
  });
}

const { values } = parseArgs({
  options: { child: { type: 'string' }, steps: { type: 'string' }, only: { type: 'string' } },
});
if (values.child) {
  process.stdout.write(`${JSON.stringify(await runOne(JSON.parse(values.child)))}\n`);
  process.exit(0);
}

// With --only, results of the other configurations are kept from the previous report.
let previous = [];
if (values.only) {
  try {
    previous = JSON.parse(await readFile(RESULTS, 'utf8')).results ?? [];
  } catch {
    previous = [];
  }
}
const results = [];
for (const base of CONFIGS) {
  if (values.only && !values.only.split(',').includes(base.name)) continue;
  const config = values.steps && base.engine !== 'cpu' ? { ...base, steps: Number(values.steps) } : base;
  process.stderr.write(`training bench: ${config.name} …\n`);
  const loadBefore = loadavg()[0];
  const result = await runChild(config);
  // 1-minute load average before and after: other processes competing for the 2 cores skew the numbers.
  results.push({ ...result, loadAverage1m: { before: loadBefore, after: loadavg()[0] } });
  process.stderr.write(
    result.skipped
      ? `  skipped: ${result.skipped}\n`
      : `  ${result.imagesPerSecond.toFixed(2)} img/s, ${result.secondsPerStep.toFixed(2)} s/step, ` +
          `peak RSS ${(result.peakRssBytes / 2 ** 20).toFixed(0)} MiB` +
          (result.wasmHeapBytes ? `, wasm heap ${(result.wasmHeapBytes / 2 ** 20).toFixed(0)} MiB` : '') +
          '\n',
  );
}
const report = {
  benchmark: 'training',
  description:
    'train() throughput of the default UNet (base 32, mults 1,2,2, attention at 7 px, 28×28, 1 image + 3 mask ' +
    'channels) on synthetic data; images/s over the steps after the first (warm-up) step.',
  date: new Date().toISOString(),
  machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryBytes: totalmem() },
  node: process.version,
  results: CONFIGS.map(
    (c) => results.find((r) => r.name === c.name) ?? previous.find((r) => r.name === c.name),
  ).filter(Boolean),
};
// Merge: packages/exporters/bench/training.mjs writes the `training` key of the same file.
process.stderr.write(`wrote ${await updateResults('training.json', report)}\n`);
