/** Test fixtures for the trainer: a tiny UNet and a small synthetic two-class data set. */
import { createRandom } from '@medsymmflow/datasets-medmnist';
import type { ArchitectureConfig } from '../../io/flow-model.js';
import { type TrainingData, trainingDataFromArrays } from '../training-data.js';

/** A UNet small enough for unit tests (8 px, ~20k parameters). */
export const TINY_UNET: ArchitectureConfig = Object.freeze({
  baseChannels: 8,
  channelMults: [1, 2],
  numResBlocks: 1,
  attentionResolutions: [],
  numHeadChannels: 8,
  normGroups: 4,
});

/** `n` images of `size`×`size`×1: class 0 dark with a bright left half, class 1 bright with a dark top half. */
export function syntheticData(n: number, seed = 1, size = 8): TrainingData {
  const random = createRandom(seed);
  const images = new Uint8Array(n * size * size);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    labels[i] = label;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const on = label === 0 ? x < size / 2 : y >= size / 2;
        const value = (on ? 200 : 40) + 30 * (random.uniform() - 0.5);
        images[(i * size + y) * size + x] = Math.round(value);
      }
    }
  }
  return trainingDataFromArrays({ images, labels, imageShape: [size, size, 1], numClasses: 2 });
}
