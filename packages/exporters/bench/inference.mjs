// Benchmark: classification throughput of the default UNet (base 32, mults 1,2,2; 28×28, grey image +
// RGB palette mask) with one Euler step at batch 64, on ONNX Runtime (this package) versus tfjs-wasm
// (core-flow's engine), with the same weights. Also compares the two GroupNorm encodings of the ONNX export.
// Then, in the same run and on the same weights (saved as a core-flow model folder), the PyTorch CPU reference
// of the same network (<repo>/bench/pytorch, parity-checked before timing; needs Debian's python3-torch).
// Run: pnpm --filter @medsymmflow/exporters bench (after pnpm build). Writes <repo>/bench/results/inference.json.
// Options (env): BENCH_IMAGES (default 320), BENCH_RUNS (default 5), BENCH_THREADS (ORT intra-op threads, default 0 = ORT's choice).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { createMaskPlugin } from '@medsymmflow/conditioning-masks';
import {
  classify,
  env as coreEnv,
  createUNet,
  initParamData,
  paramsFromData,
  resolveEngine,
} from '@medsymmflow/core-flow';
import { createRandom } from '@medsymmflow/datasets-medmnist';
import { runPytorchReference } from '../../../bench/pytorch/run-reference.mjs';
import { updateResults } from '../../../bench/results-file.mjs';
import { exportModel, loadOrtModel, SUPPORTED_ORT_VERSION, version } from '../dist/index.js';

const IMAGES = Number(process.env.BENCH_IMAGES ?? 320);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const THREADS = Number(process.env.BENCH_THREADS ?? 0);
const BATCH = 64;
const loadAtStart = os.loadavg()[0];

const { engine, info } = await resolveEngine(['wasm']);
const ops = engine.ops;
const unet = createUNet({ inChannels: 4 });
const params = initParamData(unet.paramSpecs, createRandom(0));
// Zero-initialised layers make the network output 0 regardless of input; give them values so every layer
// runs on real numbers (throughput does not depend on them, but it keeps the comparison honest).
for (const spec of unet.paramSpecs) {
  if (spec.init.kind === 'zeros' && !spec.name.endsWith('.beta')) {
    const random = createRandom(spec.name.length);
    params[spec.name] = params[spec.name].map(() => 0.05 * (2 * random.uniform() - 1));
  }
}
const model = {
  ops,
  unet,
  params: paramsFromData(ops, unet.paramSpecs, params),
  maskPlugin: createMaskPlugin('rgb-palette', 2),
  imageChannels: 1,
};
const imageRandom = createRandom(1);
const images = Float32Array.from({ length: IMAGES * 28 * 28 }, () => 2 * imageRandom.uniform() - 1);

/** Median img/s of each runner; runs are interleaved so machine load affects all runners alike. */
async function throughputs(runners) {
  for (const { run } of runners) await run(BATCH); // warm-up on one batch
  const rates = runners.map(() => []);
  for (let r = 0; r < RUNS; r++) {
    for (const [i, { run }] of runners.entries()) {
      const start = process.hrtime.bigint();
      await run(IMAGES);
      rates[i].push(IMAGES / (Number(process.hrtime.bigint() - start) / 1e9));
    }
  }
  return runners.map(({ name }, i) => {
    const sorted = [...rates[i]].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    console.log(
      `${name.padEnd(70)} ${median.toFixed(1).padStart(8)} img/s  (runs: ${rates[i].map((x) => x.toFixed(1)).join(', ')})`,
    );
    return { name, imgPerSecond: Number(median.toFixed(2)), runs: rates[i].map((x) => Number(x.toFixed(2))) };
  });
}

const classifyOptions = (n) => ({
  images: images.subarray(0, n * 28 * 28),
  batchSize: BATCH,
  steps: 1,
  random: createRandom(2),
});

const work = await mkdtemp(join(os.tmpdir(), 'medsymmflow-bench-'));
const results = [];
try {
  const variants = [
    { label: 'ORT, opset 17, GroupNorm as Reshape+InstanceNormalization (default)', options: {} },
    { label: 'ORT, opset 21, native GroupNormalization', options: { opset: 21, groupNorm: 'native' } },
  ];
  const runners = [];
  const ortModels = [];
  for (const [i, variant] of variants.entries()) {
    const { outDir } = await exportModel(model, {
      format: 'onnx',
      outDir: join(work, `m${i}`),
      options: variant.options,
    });
    const ortModel = await loadOrtModel(outDir, { intraOpNumThreads: THREADS });
    ortModels.push(ortModel);
    runners.push({ name: variant.label, run: (n) => ortModel.classify(classifyOptions(n)) });
  }
  runners.push({
    name: `tfjs-${info.backend} (core-flow engine)`,
    run: async (n) => classify({ model, ...classifyOptions(n) }),
  });
  const measured = await throughputs(runners);
  for (const m of ortModels) m.dispose();
  results.push(...measured);
  const ortResults = measured.slice(0, variants.length);
  const tfjsResult = measured[variants.length];
  const ratio = ortResults[0].imgPerSecond / tfjsResult.imgPerSecond;
  console.log(`ORT (default export) / tfjs-${info.backend}: ${ratio.toFixed(2)}×`);

  // PyTorch reference on the same weights: after our own timings (it also uses both cores).
  const { outDir: modelDir } = await exportModel(model, { format: 'tfjs', outDir: join(work, 'tfjs-model') });
  const ref = await runPytorchReference({ modelDir, batch: BATCH, steps: 1, measure: ['classify'] });
  const pytorchImgS = ref.classify_img_s;
  for (const r of results) r.ratioToPytorch = Number((r.imgPerSecond / pytorchImgS).toFixed(3));
  const ratioOrtPytorch = ortResults[0].imgPerSecond / pytorchImgS;
  const ratioTfjsPytorch = tfjsResult.imgPerSecond / pytorchImgS;
  console.log(
    `${'PyTorch CPU reference (same network and weights)'.padEnd(70)} ${pytorchImgS.toFixed(1).padStart(8)} img/s`,
  );
  console.log(`ORT (default export) / PyTorch: ${ratioOrtPytorch.toFixed(2)}×`);
  console.log(`tfjs-${info.backend} / PyTorch: ${ratioTfjsPytorch.toFixed(2)}×`);
  const out = {
    package: '@medsymmflow/exporters',
    version,
    date: new Date().toISOString(),
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    loadAverage1m: { start: Number(loadAtStart.toFixed(2)), end: Number(os.loadavg()[0].toFixed(2)) },
    platform: `${process.platform} ${process.arch}`,
    onnxruntimeNode: SUPPORTED_ORT_VERSION,
    tfjs: coreEnv.versions.tfjs,
    task: 'classification, default UNet (1.62M params, 28×28, 4 channels), 1 Euler step, batch 64, 2 classes',
    images: IMAGES,
    ortIntraOpNumThreads: THREADS,
    results,
    ort_img_s: ortResults[0].imgPerSecond,
    tfjs_wasm_img_s: tfjsResult.imgPerSecond,
    ratio_ort_over_tfjs_wasm: Number(ratio.toFixed(3)),
    pytorch_img_s: pytorchImgS,
    ratio_ort_vs_pytorch: Number(ratioOrtPytorch.toFixed(3)),
    ratio_tfjs_wasm_vs_pytorch: Number(ratioTfjsPytorch.toFixed(3)),
    pytorch: {
      torch: ref.torch_version,
      threads: ref.threads,
      peakRssMb: ref.peak_rss_mb,
      parity: ref.parity,
    },
    pytorch_note:
      'bench/pytorch/run-reference.mjs: our UNet re-implemented in PyTorch, parity-checked against core-flow on the same saved weights, timed after the ORT/tfjs runs in the same process run.',
  };
  console.log(`wrote ${await updateResults('inference.json', out)}`);
} finally {
  await rm(work, { recursive: true, force: true });
}
