// Child process for the resume-after-SIGKILL test: trains a tiny UNet on a slice of real pneumoniamnist
// with the built package and prints one JSON line per progress event.
// Usage: node train-child.mjs <npz path> <outDir> <resume: 0|1> <workers>
import { loadMedMnist } from '@medsymmflow/datasets-medmnist';
import { subsetTrainingData, train, trainingDataFromMedmnist } from '../../../dist/index.js';

const [npzPath, outDir, resume, workers] = process.argv.slice(2);
const split = await loadMedMnist({ flag: 'pneumoniamnist', split: 'train', path: npzPath });
const data = subsetTrainingData(
  trainingDataFromMedmnist(split),
  Array.from({ length: 40 }, (_, i) => i),
);
const result = await train({
  data,
  architecture: {
    baseChannels: 8,
    channelMults: [1, 2],
    numResBlocks: 1,
    attentionResolutions: [],
    numHeadChannels: 8,
    normGroups: 4,
  },
  batchSize: 8,
  microBatchSize: 8,
  epochs: 2,
  learningRate: 2e-3,
  seed: 7,
  workers: Number(workers),
  engine: 'wasm',
  outDir,
  resume: resume === '1',
  checkpointEvery: 3,
  onProgress: (event) => process.stdout.write(`${JSON.stringify(event)}\n`),
});
process.stdout.write(`${JSON.stringify({ type: 'result', steps: result.steps, losses: result.losses })}\n`);
