#!/usr/bin/env node
/**
 * @file Parity check between core-flow (tfjs engine) and the PyTorch reference (unet_reference.py).
 *
 * Proves that the PyTorch benchmark times the same network with the same weights. For each case it runs
 * core-flow and the reference on identical inputs and compares:
 * - the UNet velocity `v(x, t)` on fixed random `x` (NHWC) and `t` (including t = 0 and t = 1);
 * - the class distances of 1-step Euler classification (`model.classify`) with the same mask noise;
 * - (random-weights case) the SFM loss and the gradient of every parameter (canonical layouts).
 *
 * Cases:
 * - `random-weights`: the architecture of `--model-dir` (or the default 2-class model), with EVERY weight
 *   drawn at random. A freshly initialised UNet outputs exactly zero (zero-initialised output convs), so a
 *   check on fresh weights alone would prove nothing.
 * - `model-weights`: the weights of `--model-dir` as they are (only when a model folder is given).
 *
 * Forward, distance and loss differences must be below `tolerance` (absolute, default 1e-4); gradients below
 * `gradTolerance` relative to the largest reference gradient (default 1e-3: the wasm engine computes conv
 * filter gradients with forward convs, which agree with exact gradients to ~3e-4).
 *
 * CLI (prints a report, exits 1 when parity fails):
 *   node bench/pytorch/parity.mjs [--model-dir DIR] [--batch 4] [--seed 0] [--engine wasm] [--json]
 *   node bench/pytorch/parity.mjs --write-model DIR [--num-classes 2] [--seed 0]   (a seeded default model)
 * Needs the built packages (`pnpm --filter @medsymmflow/core-flow... build`) and torch (ensure-torch.sh).
 *
 * @module bench/pytorch/parity
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
/** Debian's python, which has torch (a pyenv python3 on PATH usually has not). */
export const PYTHON = '/usr/bin/python3';
const REFERENCE = join(here, 'unet_reference.py');

/** Defaults of {@link checkParity}. */
export const PARITY_DEFAULTS = Object.freeze({
  batch: 4,
  seed: 0,
  tolerance: 1e-4,
  gradTolerance: 1e-3,
  numClasses: 2,
  threads: 2,
});

async function importBuilt(pkg) {
  const file = join(root, 'packages', pkg, 'dist', 'index.js');
  try {
    return await import(pathToFileURL(file).href);
  } catch (error) {
    throw new Error(
      `Cannot import ${file}. Build the packages first: cd ${root} && pnpm --filter @medsymmflow/core-flow... build`,
      { cause: error },
    );
  }
}

// ---- .npy (v1.0, little-endian float32, C order) --------------------------------------------------

function npyBytes(data, shape) {
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const unpadded = 10 + dict.length + 1;
  const header = dict + ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const out = Buffer.alloc(10 + header.length + data.length * 4);
  out.write('\x93NUMPY', 0, 'latin1');
  out[6] = 1;
  out[7] = 0;
  out.writeUInt16LE(header.length, 8);
  out.write(header, 10, 'latin1');
  const values = Buffer.from(Float32Array.from(data).buffer);
  values.copy(out, 10 + header.length);
  return out;
}

function parseNpy(buffer, file) {
  if (buffer.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${file} is not a .npy file.`);
  const major = buffer[6];
  const headerLength = major === 1 ? buffer.readUInt16LE(8) : buffer.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + headerLength;
  const header = buffer.toString('latin1', major === 1 ? 10 : 12, start);
  if (!header.includes("'<f4'") || header.includes("'fortran_order': True")) {
    throw new Error(`${file}: expected little-endian float32 in C order; header ${header.trim()}`);
  }
  const bytes = buffer.subarray(start);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

// ---- helpers ----------------------------------------------------------------------------------------

function maxAbs(a) {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

function maxAbsDiff(a, b, what) {
  if (a.length !== b.length)
    throw new Error(`${what}: ${a.length} values from core-flow, ${b.length} from PyTorch.`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
  }
  return m;
}

function run(command, args, options = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', (error) =>
      reject(new Error(`Cannot start ${command}: ${error.message}`, { cause: error })),
    );
    child.on('close', (code) => {
      if (code === 0) resolvePromise({ stdout, stderr });
      else
        reject(
          new Error(`${command} ${args.join(' ')} exited with ${code}:\n${stderr.trim() || stdout.trim()}`),
        );
    });
  });
}

/** Every weight drawn at random (non-zero everywhere, GroupNorm affine away from 1/0). */
function randomWeights(specs, random) {
  const out = {};
  for (const spec of specs) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    const last = spec.name.slice(spec.name.lastIndexOf('.') + 1);
    const fanIn = spec.shape.length > 1 ? size / spec.shape[spec.shape.length - 1] : 0;
    for (let i = 0; i < size; i++) {
      const u = 2 * random.uniform() - 1;
      if (last === 'gamma') values[i] = 1 + 0.25 * u;
      else if (fanIn > 0) values[i] = u / Math.sqrt(fanIn);
      else values[i] = 0.1 * u; // biases and GroupNorm beta
    }
    out[spec.name] = values;
  }
  return out;
}

async function readModelConfig(modelDir) {
  const file = join(modelDir, 'model.json');
  let json;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new Error(`Cannot read ${file}: ${error.message}. Pass a folder written by model.save().`, {
      cause: error,
    });
  }
  return json.config;
}

/**
 * Writes a seeded, freshly initialised model with core-flow's default config (`numClasses` classes,
 * rgb-palette mask, 28×28 grey images, default UNet) to `dir`.
 */
export async function writeDefaultModel(
  dir,
  { numClasses = PARITY_DEFAULTS.numClasses, seed = 0, engine } = {},
) {
  const core = await importBuilt('core-flow');
  const model = await core.createFlowModel({ numClasses }, { seed, ...(engine ? { engine } : {}) });
  try {
    await model.save(dir, { overwrite: true });
  } finally {
    model.dispose();
  }
  return dir;
}

// ---- one case ---------------------------------------------------------------------------------------

async function runCase({ name, core, datasets, model, resolved, modelDir, options, withLoss }) {
  const { batch, seed, threads } = options;
  const { unet, ops, maskPlugin, imageChannels } = model;
  const size = unet.config.imageSize;
  const channels = unet.config.inChannels;
  const maskChannels = maskPlugin.channels;
  const random = datasets.createRandom(seed + 101);
  const data = await mkdtemp(join(tmpdir(), 'msf-parity-data-'));
  try {
    const files = {};
    const ours = {};
    // Forward on x ~ N(0, 1), t ∈ {0, 1, U(0,1)…}.
    const x = core.normalArray(batch * size * size * channels, random);
    const t = Float32Array.from({ length: batch }, (_, i) => (i === 0 ? 1 : i === 1 ? 0 : random.uniform()));
    files.x = npyBytes(x, [batch, size, size, channels]);
    files.t = npyBytes(t, [batch]);
    ours.forward = ops.tidy(() => {
      const y = unet.forward(
        ops,
        model.params,
        ops.fromNHWC(x, [batch, size, size, channels]),
        ops.constant(t, [batch]),
      );
      return ops.toNHWC(y);
    });
    // Classification: images in [-1, 1], mask noise exactly as classify() draws it from the same seed.
    const images = Float32Array.from(
      { length: batch * size * size * imageChannels },
      () => 2 * random.uniform() - 1,
    );
    const noise = core.normalArray(batch * size * size * maskChannels, datasets.createRandom(seed + 202));
    const classified = model.classify({
      images,
      random: datasets.createRandom(seed + 202),
      batchSize: batch,
    });
    ours.distances = classified.distances;
    files.images = npyBytes(images, [batch, size, size, imageChannels]);
    files.noise = npyBytes(noise, [batch, size, size, maskChannels]);
    // Loss and gradients on a labelled batch.
    if (withLoss) {
      const lossImages = Float32Array.from(
        { length: batch * size * size * imageChannels },
        () => 2 * random.uniform() - 1,
      );
      const labels = Int32Array.from({ length: batch }, () => random.int(maskPlugin.numClasses));
      const masks = maskPlugin.encode(labels, { height: size, width: size, random: () => random.uniform() });
      const shape = { n: batch, height: size, width: size, imageChannels, maskChannels };
      const noiseData = core.sampleSfmNoise(shape, random);
      const { value, grads } = resolved.engine.valueAndGrads((params) => {
        const batchTensors = {
          images: ops.fromNHWC(lossImages, [batch, size, size, imageChannels]),
          masks: ops.fromNHWC(masks, [batch, size, size, maskChannels]),
        };
        return core.sfmLoss(ops, unet, params, batchTensors, core.sfmNoiseTensors(ops, noiseData, shape))
          .loss;
      }, model.params);
      ours.loss = new Float32Array([ops.readScalar(value)]);
      const flat = [];
      for (const spec of unet.paramSpecs) flat.push(ops.read(grads[spec.name]));
      ours.grads = new Float32Array(flat.reduce((n, g) => n + g.length, 0));
      let offset = 0;
      for (const g of flat) {
        ours.grads.set(g, offset);
        offset += g.length;
      }
      ops.dispose([value, grads]);
      files.loss_images = npyBytes(lossImages, [batch, size, size, imageChannels]);
      files.loss_masks = npyBytes(masks, [batch, size, size, maskChannels]);
      files.loss_xi_x = npyBytes(noiseData.xiX, [batch, size, size, imageChannels]);
      files.loss_xi_m = npyBytes(noiseData.xiM, [batch, size, size, maskChannels]);
      files.loss_t = npyBytes(noiseData.t, [batch]);
    }
    for (const [key, bytes] of Object.entries(files)) await writeFile(join(data, `${key}.npy`), bytes);
    const { stdout } = await run(PYTHON, [
      REFERENCE,
      'parity',
      '--model-dir',
      modelDir,
      '--data-dir',
      data,
      '--threads',
      String(threads),
    ]);
    const info = JSON.parse(stdout.trim().split('\n').pop());
    const theirs = {};
    for (const key of Object.keys(ours)) {
      const file = join(data, `${key}.out.npy`);
      theirs[key] = parseNpy(await readFile(file), file);
    }
    const referenceLabels = [];
    const k = maskPlugin.numClasses;
    for (let i = 0; i < batch; i++) {
      const row = theirs.distances.subarray(i * k, (i + 1) * k);
      referenceLabels.push(row.indexOf(Math.min(...row)));
    }
    const result = {
      name,
      torchVersion: info.torch_version,
      parameters: info.parameters,
      forwardMaxAbsDiff: maxAbsDiff(ours.forward, theirs.forward, 'forward'),
      forwardMaxAbs: maxAbs(theirs.forward),
      distancesMaxAbsDiff: maxAbsDiff(ours.distances, theirs.distances, 'distances'),
      labelsAgree: referenceLabels.every((label, i) => label === classified.labels[i]),
    };
    if (withLoss) {
      const gradMaxAbs = maxAbs(theirs.grads);
      const gradMaxAbsDiff = maxAbsDiff(ours.grads, theirs.grads, 'gradients');
      Object.assign(result, {
        loss: theirs.loss[0],
        lossAbsDiff: Math.abs(ours.loss[0] - theirs.loss[0]),
        gradMaxAbsDiff,
        gradMaxAbs,
        gradRelDiff: gradMaxAbs > 0 ? gradMaxAbsDiff / gradMaxAbs : gradMaxAbsDiff,
      });
    }
    return result;
  } finally {
    await rm(data, { recursive: true, force: true });
  }
}

/**
 * Runs the parity cases and returns a report; `passed` is false when any difference exceeds its tolerance
 * (the report's `failures` says which). Throws only when something cannot run (no build, no torch).
 *
 * @param {object} [options]
 * @param {string} [options.modelDir] model folder to check; omitted: the default 2-class config.
 * @param {number} [options.batch=4] images per check.
 * @param {number} [options.seed=0] seed of weights and inputs.
 * @param {string|string[]} [options.engine] core-flow engine hints; omitted: core-flow's default.
 * @param {number} [options.tolerance=1e-4] max abs difference of outputs, distances and loss.
 * @param {number} [options.gradTolerance=1e-3] max gradient difference relative to the largest gradient.
 * @param {number} [options.threads=2] PyTorch threads.
 */
export async function checkParity(options = {}) {
  const opts = {
    ...PARITY_DEFAULTS,
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v != null)),
  };
  const core = await importBuilt('core-flow');
  const datasets = await importBuilt('datasets-medmnist');
  const resolved = await core.resolveEngine(opts.engine);
  const config = opts.modelDir ? await readModelConfig(opts.modelDir) : { numClasses: opts.numClasses };
  const work = await mkdtemp(join(tmpdir(), 'msf-parity-model-'));
  const cases = [];
  try {
    // random-weights: the same architecture with every weight random.
    const model = await core.createFlowModel(config, { engine: resolved, seed: opts.seed });
    try {
      model.setWeights(randomWeights(model.unet.paramSpecs, datasets.createRandom(opts.seed + 7)));
      await model.save(work, { overwrite: true });
      cases.push(
        await runCase({
          name: 'random-weights',
          core,
          datasets,
          model,
          resolved,
          modelDir: work,
          options: opts,
          withLoss: true,
        }),
      );
    } finally {
      model.dispose();
    }
    if (opts.modelDir) {
      const loaded = await core.loadFlowModel(opts.modelDir, { engine: resolved });
      try {
        cases.push(
          await runCase({
            name: 'model-weights',
            core,
            datasets,
            model: loaded,
            resolved,
            modelDir: resolve(opts.modelDir),
            options: opts,
            withLoss: false,
          }),
        );
      } finally {
        loaded.dispose();
      }
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  const failures = [];
  for (const c of cases) {
    const check = (key, limit) => {
      if (c[key] !== undefined && !(c[key] < limit)) failures.push(`${c.name}: ${key} ${c[key]} ≥ ${limit}`);
    };
    check('forwardMaxAbsDiff', opts.tolerance);
    check('distancesMaxAbsDiff', opts.tolerance);
    check('lossAbsDiff', opts.tolerance);
    check('gradRelDiff', opts.gradTolerance);
    if (!c.labelsAgree) failures.push(`${c.name}: predicted labels differ`);
  }
  return {
    engine: resolved.info.name,
    torchVersion: cases[0]?.torchVersion,
    batch: opts.batch,
    seed: opts.seed,
    tolerance: opts.tolerance,
    gradTolerance: opts.gradTolerance,
    cases,
    passed: failures.length === 0,
    failures,
  };
}

function formatReport(report) {
  const lines = [`PyTorch ${report.torchVersion} vs core-flow (${report.engine}), batch ${report.batch}:`];
  for (const c of report.cases) {
    lines.push(
      `  ${c.name}: forward max|Δ| ${c.forwardMaxAbsDiff.toExponential(2)} (max|v| ${c.forwardMaxAbs.toFixed(3)}), ` +
        `distances max|Δ| ${c.distancesMaxAbsDiff.toExponential(2)}, labels ${c.labelsAgree ? 'agree' : 'DIFFER'}` +
        (c.lossAbsDiff !== undefined
          ? `, loss ${c.loss.toFixed(5)} |Δ| ${c.lossAbsDiff.toExponential(2)}, grads max|Δ| ` +
            `${c.gradMaxAbsDiff.toExponential(2)} (${c.gradRelDiff.toExponential(2)} of max|g| ${c.gradMaxAbs.toFixed(4)})`
          : ''),
    );
  }
  lines.push(
    report.passed
      ? `parity OK (tolerance ${report.tolerance}, gradients ${report.gradTolerance} relative)`
      : `parity FAILED: ${report.failures.join('; ')}`,
  );
  return lines.join('\n');
}

async function main() {
  const { values } = parseArgs({
    options: {
      'model-dir': { type: 'string' },
      'write-model': { type: 'string' },
      'num-classes': { type: 'string' },
      batch: { type: 'string' },
      seed: { type: 'string' },
      engine: { type: 'string' },
      threads: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const num = (v) => (v === undefined ? undefined : Number(v));
  if (values['write-model']) {
    const dir = resolve(values['write-model']);
    await writeDefaultModel(dir, {
      numClasses: num(values['num-classes']),
      seed: num(values.seed),
      engine: values.engine,
    });
    console.log(JSON.stringify({ modelDir: dir }));
    return;
  }
  const report = await checkParity({
    modelDir: values['model-dir'],
    batch: num(values.batch),
    seed: num(values.seed),
    engine: values.engine,
    threads: num(values.threads),
    numClasses: num(values['num-classes']),
  });
  console.log(values.json ? JSON.stringify(report) : formatReport(report));
  if (!report.passed) process.exitCode = 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  });
}
