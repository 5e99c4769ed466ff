// Benchmark: reading MedMNIST 28px files with @medsymmflow/datasets-medmnist (built dist).
// Run: pnpm --filter @medsymmflow/datasets-medmnist bench (after pnpm build).
// Prints a table and writes <repo>/bench/results/datasets.json with the CPU model and date.
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { updateResults } from '../../../bench/results-file.mjs';
import {
  createRandom,
  loadMedMnist,
  loadMedMnistSplits,
  openNpz,
  verifyFile,
  version,
} from '../dist/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..', '..');
const root = process.env.MEDMNIST_SHARED_DIR ?? resolve(repoRoot, '..', 'shared', 'data', 'medmnist');
const WARMUP = 2;
const RUNS = 15;

async function measure(name, fn, extra = () => ({})) {
  for (let i = 0; i < WARMUP; i++) await fn();
  const times = [];
  let last;
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    last = await fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  const result = {
    name,
    runs: RUNS,
    medianMs: Number(times[Math.floor(RUNS / 2)].toFixed(2)),
    minMs: Number(times[0].toFixed(2)),
    maxMs: Number(times[RUNS - 1].toFixed(2)),
    ...extra(last, times[Math.floor(RUNS / 2)]),
  };
  console.log(
    `${name.padEnd(62)} median ${String(result.medianMs).padStart(8)} ms   min ${String(result.minMs).padStart(8)} ms`,
  );
  return result;
}

const results = [];
results.push(
  await measure('pneumoniamnist 28: openNpz + read all 6 arrays', async () => {
    const npz = await openNpz(join(root, 'pneumoniamnist.npz'));
    const arrays = await npz.readAll();
    await npz.close();
    return arrays;
  }),
);
results.push(
  await measure('pneumoniamnist 28: loadMedMnistSplits (train+val+test)', () =>
    loadMedMnistSplits({ flag: 'pneumoniamnist', root }),
  ),
);
results.push(
  await measure('pneumoniamnist 28: loadMedMnist train', () =>
    loadMedMnist({ flag: 'pneumoniamnist', split: 'train', root }),
  ),
);
results.push(
  await measure('retinamnist 28: loadMedMnistSplits (train+val+test)', () =>
    loadMedMnistSplits({ flag: 'retinamnist', root }),
  ),
);
results.push(
  await measure('pneumoniamnist 28: verifyFile (MD5 + full structure check)', () =>
    verifyFile({ flag: 'pneumoniamnist', root }),
  ),
);
const train = await loadMedMnist({ flag: 'pneumoniamnist', split: 'train', root });
results.push(
  await measure(
    'pneumoniamnist 28 train: one epoch of batches (64, shuffle, flips)',
    () => {
      let images = 0;
      for (const batch of train.batches({
        batchSize: 64,
        shuffle: true,
        random: createRandom(1),
        horizontalFlip: true,
      })) {
        images += batch.shape[0];
      }
      return images;
    },
    (images, medianMs) => ({ imagesPerSecond: Math.round(images / (medianMs / 1000)) }),
  ),
);

const report = {
  package: '@medsymmflow/datasets-medmnist',
  version,
  date: new Date().toISOString(),
  node: process.version,
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.cpus().length,
  platform: `${os.platform()} ${os.arch()}`,
  dataDir: root,
  results,
};
const written = await updateResults('datasets.json', report);
console.log(`\nCPU ${report.cpu} (${report.cores} cores), Node ${report.node}. Written to ${written}`);
