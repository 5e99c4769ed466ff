#!/usr/bin/env node
/**
 * Training throughput of the default UNet (base 32, mults 1,2,2, attention at 7 px, 28×28, 1 image + 3 mask
 * channels, batch 64, 2 threads) with core-flow's `train()`, in one run:
 *   - ort:        the ONNX Runtime gradient engine of this package as `train` uses it by default: two
 *                 sessions in worker threads, 32 images each, the cores divided between them;
 *   - ort-main:   the same engine with `workers: 0`: one batch-64 session run on the main thread with every
 *                 core (intra-op threads = BENCH_THREADS or the machine's cores);
 *   - tfjs-wasm:  core-flow's wasm engine with 2 gradient workers (micro-batches of 32; one thread each);
 *   - pytorch:    the parity-checked PyTorch CPU reference (bench/pytorch), torch.set_num_threads(2).
 * Each of our engines runs in its own child process, so peak RSS is its own. Every timed step includes
 * AdamW and the EMA update, as PyTorch's does; like the PyTorch reference, img/s = batch / median step time
 * after 2 warm-up steps. Images are synthetic (speed does not depend on pixel values).
 *
 * Writes the `training` key of <repo>/bench/results/training.json, keeping every other key of the file.
 * Run after `pnpm build` (core-flow and exporters):  node bench/training.mjs [--steps 5] [--warmup 2] [--skip-pytorch]
 * [--profile <prefix>] (ORT profiler: op-type breakdown of the ORT engine's steps).
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { updateResults } from '../../../bench/results-file.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..', '..');
const RESULTS = join(repoRoot, 'bench', 'results', 'training.json');
const BATCH = 64;

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    child: { type: 'string' },
    profile: { type: 'string' },
    'skip-pytorch': { type: 'boolean', default: false },
    'skip-tfjs': { type: 'boolean', default: false },
    'skip-ort-main': { type: 'boolean', default: false },
  },
});
const STEPS = Number(args.steps);
const WARMUP = Number(args.warmup);

/** Op-type totals (ms per run) of an ONNX Runtime profile. */
async function profileBreakdown(file) {
  const events = JSON.parse(await readFile(file, 'utf8'));
  const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').length;
  const byOp = new Map();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    byOp.set(e.args.op_name, (byOp.get(e.args.op_name) ?? 0) + e.dur);
  }
  const total = [...byOp.values()].reduce((a, b) => a + b, 0);
  return {
    runs,
    kernelMsPerRun: total / runs / 1000,
    byOp: Object.fromEntries(
      [...byOp]
        .sort((a, b) => b[1] - a[1])
        .map(([op, us]) => [
          op,
          { msPerRun: +(us / runs / 1000).toFixed(2), share: +(us / total).toFixed(4) },
        ]),
    ),
  };
}

/** Child: trains `WARMUP + STEPS` steps on one engine and prints one JSON line. */
async function runChild(which) {
  const { train, trainingDataFromArrays } = await import('@medsymmflow/core-flow');
  const { createOrtGradientEngine } = await import('../dist/index.js');
  const size = 28;
  const n = BATCH * (WARMUP + STEPS);
  const images = new Uint8Array(n * size * size);
  for (let i = 0; i < images.length; i++) images[i] = (i * 2654435761) >>> 24;
  const labels = Int32Array.from({ length: n }, (_, i) => i % 2);
  const data = trainingDataFromArrays({ images, labels, imageShape: [size, size, 1], numClasses: 2 });
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 50);
  const threads = Number(process.env.BENCH_THREADS ?? 0);
  const isOrt = which === 'ort' || which === 'ort-main';
  let profiler;
  const gradientEngine = isOrt
    ? (() => {
        const engine = createOrtGradientEngine({
          ...(which === 'ort-main' ? { workers: 0, threads } : {}),
          profilePrefix: args.profile,
        });
        return {
          name: engine.name,
          async createComputer(setup) {
            profiler = await engine.createComputer(setup);
            return profiler;
          },
        };
      })()
    : undefined;
  const stepEnds = [];
  const started = performance.now();
  const result = await train({
    data,
    engine: 'wasm',
    workers: isOrt ? 0 : 2,
    batchSize: BATCH,
    microBatchSize: isOrt ? BATCH : 32,
    epochs: 1,
    seed: 0,
    ...(gradientEngine ? { gradientEngine } : {}),
    onProgress: (e) => {
      if (e.type === 'step') stepEnds.push(performance.now());
    },
  });
  const profileFiles = isOrt ? ((await profiler?.endProfiling?.()) ?? []) : [];
  const ortConfig = profiler?.config;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss, process.resourceUsage().maxRSS * 1024);
  result.model.dispose();
  const durations = stepEnds.map((t, i) => (t - (i === 0 ? started : stepEnds[i - 1])) / 1000);
  const measured = durations.slice(WARMUP);
  const secondsPerStep = [...measured].sort((a, b) => a - b)[Math.floor(measured.length / 2)];
  return {
    engine: which,
    trainerEngine: result.engine,
    batchSize: BATCH,
    warmupSteps: WARMUP,
    measuredSteps: measured.length,
    stepSeconds: durations,
    secondsPerStep,
    imagesPerSecond: BATCH / secondsPerStep,
    peakRssBytes: peakRss,
    finalLoss: result.losses.at(-1),
    ...(isOrt
      ? { workers: ortConfig.workers, threadsPerSession: ortConfig.threads }
      : { workers: 2, microBatchSize: 32 }),
    ...(profileFiles.length > 0
      ? { profile: await profileBreakdown(profileFiles.at(-1)), profileFiles }
      : {}),
  };
}

function spawnChild(which) {
  return new Promise((resolvePromise, reject) => {
    const argv = [
      fileURLToPath(import.meta.url),
      '--child',
      which,
      '--steps',
      String(STEPS),
      '--warmup',
      String(WARMUP),
    ];
    if (args.profile && which.startsWith('ort')) argv.push('--profile', args.profile);
    const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`${which} benchmark child exited with code ${code}`));
      else resolvePromise(JSON.parse(out.trim().split('\n').at(-1)));
    });
  });
}

if (args.child) {
  process.stdout.write(`${JSON.stringify(await runChild(args.child))}\n`);
  process.exit(0);
}

const loadAtStart = os.loadavg();
const log = (line) => process.stderr.write(`${line}\n`);
log(`ORT engine: ${WARMUP} warm-up + ${STEPS} timed steps of batch ${BATCH} …`);
const ort = await spawnChild('ort');
log(`  ${ort.imagesPerSecond.toFixed(1)} img/s, peak RSS ${(ort.peakRssBytes / 2 ** 30).toFixed(2)} GiB`);
let ortMain;
if (!args['skip-ort-main']) {
  log('ORT engine, one session on the main thread (workers: 0) …');
  ortMain = await spawnChild('ort-main');
  log(
    `  ${ortMain.imagesPerSecond.toFixed(1)} img/s, peak RSS ${(ortMain.peakRssBytes / 2 ** 30).toFixed(2)} GiB`,
  );
}
let tfjs;
if (!args['skip-tfjs']) {
  log('tfjs-wasm engine (2 workers) …');
  tfjs = await spawnChild('tfjs-wasm');
  log(`  ${tfjs.imagesPerSecond.toFixed(1)} img/s, peak RSS ${(tfjs.peakRssBytes / 2 ** 30).toFixed(2)} GiB`);
}
let pytorch;
if (!args['skip-pytorch']) {
  const { runPytorchReference } = await import(join(repoRoot, 'bench', 'pytorch', 'run-reference.mjs'));
  pytorch = await runPytorchReference({ batch: BATCH, threads: 2, measure: ['train'], log });
  log(`  PyTorch ${pytorch.train_img_s.toFixed(1)} img/s`);
}

const training = {
  description:
    'train() throughput of the default UNet (base 32, mults 1,2,2, attention at 7 px, 28×28, 1 image + 3 mask ' +
    'channels), batch 64, 2 threads; each step includes AdamW and EMA; img/s = 64 / median step time after ' +
    `${WARMUP} warm-up steps. ORT = ONNX Runtime gradient engine ` +
    '(@medsymmflow/exporters) as train() uses it (2 sessions in worker threads, 1 thread and 32 images each), ' +
    'ORT main thread = the same engine with workers: 0 (one 2-thread session, 64 images), tfjs-wasm = core-flow wasm engine with 2 gradient workers, PyTorch = bench/pytorch reference.',
  date: new Date().toISOString(),
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.availableParallelism(),
  loadAverageAtStart: loadAtStart,
  loadAverageAtEnd: os.loadavg(),
  node: process.version,
  ort_img_s: ort.imagesPerSecond,
  ort_main_thread_img_s: ortMain?.imagesPerSecond ?? null,
  tfjs_wasm_img_s: tfjs?.imagesPerSecond ?? null,
  pytorch_img_s: pytorch?.train_img_s ?? null,
  ratio_ort_vs_pytorch: pytorch ? ort.imagesPerSecond / pytorch.train_img_s : null,
  ratio_ort_vs_tfjs_wasm: tfjs ? ort.imagesPerSecond / tfjs.imagesPerSecond : null,
  ort_peak_rss_bytes: ort.peakRssBytes,
  tfjs_wasm_peak_rss_bytes: tfjs?.peakRssBytes ?? null,
  pytorch_peak_rss_bytes: pytorch ? Math.round(pytorch.peak_rss_mb * 2 ** 20) : null,
  goals: { ratio_ort_vs_pytorch: 1.5, ort_peak_rss_bytes_below: 4 * 2 ** 30 },
  ort,
  ort_main_thread: ortMain ?? null,
  tfjs_wasm: tfjs ?? null,
  pytorch: pytorch
    ? {
        torch: pytorch.torch_version,
        threads: pytorch.threads,
        parameters: pytorch.parameters,
        train_run_s: pytorch.train_run_s,
        load_avg: pytorch.load_avg,
        parity: pytorch.parity?.passed,
      }
    : null,
};

await updateResults('training.json', { training });
log(`wrote the 'training' key of ${RESULTS}`);
