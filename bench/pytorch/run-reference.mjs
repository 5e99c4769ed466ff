#!/usr/bin/env node
/**
 * @file Runs the PyTorch CPU reference for the benchmarks: makes sure torch is installed, checks parity
 * with core-flow on the model being timed (and aborts if it fails), then measures PyTorch classification
 * and training throughput on the same weights.
 *
 * Everything heavy runs in child processes (`node parity.mjs`, `/usr/bin/python3 throughput.py`), so the
 * caller's own tfjs or onnxruntime state and its memory measurements are untouched. throughput.py runs with
 * `OMP_WAIT_POLICY=PASSIVE` unless the environment sets it (see README.md: spinning OpenMP threads collapse
 * when another process shares the 2 cores).
 *
 * @example
 * ```js
 * import { runPytorchReference } from '../../../bench/pytorch/run-reference.mjs';
 * const ref = await runPytorchReference({ modelDir, batch: 64, steps: 1, measure: ['classify'] });
 * console.log(ref.classify_img_s, ref.parity.forwardMaxAbsDiff);
 * // 21.4 2.6e-6
 * ```
 *
 * CLI: node bench/pytorch/run-reference.mjs [--model-dir DIR] [--batch 64] [--steps 1] [--threads 2]
 *        [--warmup 2] [--runs 5] [--measure classify,train] [--skip-parity]      (prints the JSON result)
 *
 * @module bench/pytorch/run-reference
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PYTHON } from './parity.mjs';

const here = dirname(fileURLToPath(import.meta.url));

/** Defaults of {@link runPytorchReference}. */
export const REFERENCE_DEFAULTS = Object.freeze({
  batch: 64,
  steps: 1,
  threads: 2,
  warmup: 2,
  runs: 5,
  measure: Object.freeze(['classify', 'train']),
  numClasses: 2,
  parity: true,
});

const MEASURES = ['classify', 'train'];

function defaultLog(line) {
  process.stderr.write(`[pytorch-reference] ${line}\n`);
}

function run(command, args, { log, echo = false } = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      if (echo) for (const line of String(d).split('\n').filter(Boolean)) log(line);
    });
    child.stderr.on('data', (d) => {
      stderr += d;
      if (echo) for (const line of String(d).split('\n').filter(Boolean)) log(line);
    });
    child.on('error', (error) =>
      reject(new Error(`Cannot start ${command}: ${error.message}`, { cause: error })),
    );
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

function lastJsonLine(text, what) {
  const line = text.trim().split('\n').pop();
  try {
    return JSON.parse(line);
  } catch (error) {
    throw new Error(`${what} printed no JSON result; its output ended with: ${line}`, { cause: error });
  }
}

function positiveInteger(name, value) {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(
      `runPytorchReference: '${name}' must be a positive integer; got ${JSON.stringify(value)}.`,
    );
  }
  return value;
}

/**
 * Makes sure `/usr/bin/python3` can import torch, installing Debian's `python3-torch` when running as root
 * (see ensure-torch.sh). Resolves to the torch version; rejects with the fix when it cannot.
 */
export async function ensureTorch({ log = defaultLog } = {}) {
  const { code, stdout, stderr } = await run('bash', [join(here, 'ensure-torch.sh')], { log, echo: true });
  if (code !== 0) {
    throw new Error(
      `PyTorch is not available for the reference benchmark:\n${stderr.trim() || stdout.trim()}`,
    );
  }
  const match = /torch (\S+)/.exec(stdout.trim().split('\n').pop() ?? '');
  return match ? match[1] : 'unknown';
}

/**
 * Runs parity (unless `parity: false`) and the PyTorch throughput measurement on a core-flow model folder.
 *
 * @param {object} [options]
 * @param {string} [options.modelDir] folder written by core-flow's `model.save()`; omitted: a seeded
 *   default model (2 classes, rgb-palette, default UNet) is written to a temp folder and removed afterwards.
 * @param {number} [options.batch=64] images per classification batch and per training step.
 * @param {number} [options.steps=1] Euler steps per classification.
 * @param {number} [options.threads=2] `torch.set_num_threads`.
 * @param {number} [options.warmup=2] untimed iterations before each measurement.
 * @param {number} [options.runs=5] timed iterations; img/s uses the median.
 * @param {Array<'classify'|'train'>} [options.measure=['classify','train']] what to time.
 * @param {boolean} [options.parity=true] check parity first; the run aborts (rejects) if it fails.
 * @param {(line: string) => void} [options.log] progress lines; defaults to stderr.
 * @returns {Promise<object>} throughput.py's JSON (`torch_version`, `threads`, `classify_img_s`,
 *   `train_img_s`, `peak_rss_mb`, per-run times, `load_avg`, …) plus `parity` (the worst differences).
 */
export async function runPytorchReference(options = {}) {
  const opts = {
    ...REFERENCE_DEFAULTS,
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v != null)),
  };
  for (const key of ['batch', 'steps', 'threads', 'runs']) positiveInteger(key, opts[key]);
  if (!Number.isInteger(opts.warmup) || opts.warmup < 0) {
    throw new RangeError(
      `runPytorchReference: 'warmup' must be an integer ≥ 0; got ${JSON.stringify(opts.warmup)}.`,
    );
  }
  const measure = [...opts.measure];
  const bad = measure.filter((m) => !MEASURES.includes(m));
  if (bad.length > 0 || measure.length === 0) {
    throw new RangeError(
      `runPytorchReference: 'measure' must list some of ${MEASURES.join(', ')}; got ${JSON.stringify(opts.measure)}.`,
    );
  }
  const log = opts.log ?? defaultLog;
  await ensureTorch({ log });

  let modelDir = opts.modelDir ? resolve(opts.modelDir) : undefined;
  let temp;
  try {
    if (!modelDir) {
      temp = await mkdtemp(join(tmpdir(), 'msf-pytorch-model-'));
      modelDir = join(temp, 'model');
      log(`writing a seeded default ${opts.numClasses}-class model to ${modelDir}`);
      const made = await run(process.execPath, [
        join(here, 'parity.mjs'),
        '--write-model',
        modelDir,
        '--num-classes',
        String(opts.numClasses),
      ]);
      if (made.code !== 0) throw new Error(`Cannot write the default model:\n${made.stderr.trim()}`);
    }

    let parity;
    if (opts.parity) {
      log(`parity check against core-flow on ${modelDir}`);
      const checked = await run(process.execPath, [
        join(here, 'parity.mjs'),
        '--model-dir',
        modelDir,
        '--threads',
        String(opts.threads),
        '--json',
      ]);
      if (checked.code === 2 || !checked.stdout.trim()) {
        throw new Error(`The parity check could not run:\n${checked.stderr.trim()}`);
      }
      const report = lastJsonLine(checked.stdout, 'parity.mjs');
      if (!report.passed) {
        throw new Error(
          `PyTorch reference parity FAILED, so its timings would not compare the same network: ${report.failures.join('; ')}. ` +
            'Fix bench/pytorch/unet_reference.py to match core-flow before benchmarking.',
        );
      }
      const worst = (key) => Math.max(...report.cases.map((c) => c[key] ?? 0));
      parity = {
        passed: true,
        engine: report.engine,
        tolerance: report.tolerance,
        forwardMaxAbsDiff: worst('forwardMaxAbsDiff'),
        distancesMaxAbsDiff: worst('distancesMaxAbsDiff'),
        lossAbsDiff: worst('lossAbsDiff'),
        gradRelDiff: worst('gradRelDiff'),
        cases: report.cases,
      };
      log(
        `parity OK: forward max|Δ| ${parity.forwardMaxAbsDiff.toExponential(2)}, distances ` +
          `${parity.distancesMaxAbsDiff.toExponential(2)}, loss ${parity.lossAbsDiff.toExponential(2)}, ` +
          `gradients ${parity.gradRelDiff.toExponential(2)} relative`,
      );
    }

    log(`timing ${measure.join(' + ')} at batch ${opts.batch}, ${opts.threads} threads (${opts.runs} runs)`);
    const timed = await run(PYTHON, [
      join(here, 'throughput.py'),
      '--model-dir',
      modelDir,
      '--batch',
      String(opts.batch),
      '--steps',
      String(opts.steps),
      '--threads',
      String(opts.threads),
      '--warmup',
      String(opts.warmup),
      '--runs',
      String(opts.runs),
      '--measure',
      measure.join(','),
    ]);
    if (timed.code !== 0)
      throw new Error(`throughput.py failed (exit ${timed.code}):\n${timed.stderr.trim()}`);
    const result = lastJsonLine(timed.stdout, 'throughput.py');
    return { ...result, modelDir: opts.modelDir ? modelDir : null, ...(parity ? { parity } : {}) };
  } finally {
    if (temp) await rm(temp, { recursive: true, force: true });
  }
}

async function main() {
  const { values } = parseArgs({
    options: {
      'model-dir': { type: 'string' },
      batch: { type: 'string' },
      steps: { type: 'string' },
      threads: { type: 'string' },
      warmup: { type: 'string' },
      runs: { type: 'string' },
      measure: { type: 'string' },
      'skip-parity': { type: 'boolean', default: false },
    },
  });
  const num = (v) => (v === undefined ? undefined : Number(v));
  const result = await runPytorchReference({
    modelDir: values['model-dir'],
    batch: num(values.batch),
    steps: num(values.steps),
    threads: num(values.threads),
    warmup: num(values.warmup),
    runs: num(values.runs),
    measure: values.measure?.split(','),
    parity: !values['skip-parity'],
  });
  console.log(JSON.stringify(result, null, 2));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
