/**
 * @file Registers tfjs-core's own gradient definitions for the kernels our models use.
 *
 * `@tensorflow/tfjs-core`'s Node entry (and its other bundles) ship no gradients; the union package
 * `@tensorflow/tfjs` normally registers them. We take the official definitions from tfjs-core's ESM sources
 * (bundled into this package at build time) and register only those that are still missing, so loading
 * `@tensorflow/tfjs` or `tfjs-node` as well is harmless. Gradients are backend-independent; what a backend
 * must provide are the kernels they call, which `tfjs-ops.test.ts` checks on wasm.
 *
 * @module engines/tfjs/register-gradients
 */
import * as tf from '@tensorflow/tfjs-core';
import { absGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Abs_grad.js';
import { addGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Add_grad.js';
import { addNGradConfig } from '@tensorflow/tfjs-core/dist/gradients/AddN_grad.js';
import { batchMatMulGradConfig } from '@tensorflow/tfjs-core/dist/gradients/BatchMatMul_grad.js';
import { broadcastToGradConfig } from '@tensorflow/tfjs-core/dist/gradients/BroadcastTo_grad.js';
import { castGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Cast_grad.js';
import { concatGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Concat_grad.js';
import { conv2DGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Conv2D_grad.js';
import { cosGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Cos_grad.js';
import { expGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Exp_grad.js';
import { expandDimsGradConfig } from '@tensorflow/tfjs-core/dist/gradients/ExpandDims_grad.js';
import { identityGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Identity_grad.js';
import { logGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Log_grad.js';
import { maximumGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Maximum_grad.js';
import { meanGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Mean_grad.js';
import { multiplyGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Multiply_grad.js';
import { negGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Neg_grad.js';
import { padV2GradConfig } from '@tensorflow/tfjs-core/dist/gradients/PadV2_grad.js';
import { divGradConfig } from '@tensorflow/tfjs-core/dist/gradients/RealDiv_grad.js';
import { reshapeGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Reshape_grad.js';
import { resizeNearestNeighborGradConfig } from '@tensorflow/tfjs-core/dist/gradients/ResizeNearestNeighbor_grad.js';
import { rsqrtGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Rsqrt_grad.js';
import { sigmoidGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Sigmoid_grad.js';
import { sinGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Sin_grad.js';
import { sliceGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Slice_grad.js';
import { softmaxGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Softmax_grad.js';
import { splitVGradConfig } from '@tensorflow/tfjs-core/dist/gradients/SplitV_grad.js';
import { sqrtGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Sqrt_grad.js';
import { squareGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Square_grad.js';
import { squaredDifferenceGradConfig } from '@tensorflow/tfjs-core/dist/gradients/SquaredDifference_grad.js';
import { subGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Sub_grad.js';
import { sumGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Sum_grad.js';
import { tileGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Tile_grad.js';
import { transposeGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Transpose_grad.js';

const CONFIGS: readonly tf.GradConfig[] = [
  absGradConfig,
  addGradConfig,
  addNGradConfig,
  batchMatMulGradConfig,
  broadcastToGradConfig,
  castGradConfig,
  concatGradConfig,
  conv2DGradConfig,
  cosGradConfig,
  expGradConfig,
  expandDimsGradConfig,
  identityGradConfig,
  logGradConfig,
  maximumGradConfig,
  meanGradConfig,
  multiplyGradConfig,
  negGradConfig,
  padV2GradConfig,
  divGradConfig,
  reshapeGradConfig,
  resizeNearestNeighborGradConfig,
  rsqrtGradConfig,
  sigmoidGradConfig,
  sinGradConfig,
  sliceGradConfig,
  softmaxGradConfig,
  splitVGradConfig,
  sqrtGradConfig,
  squareGradConfig,
  squaredDifferenceGradConfig,
  subGradConfig,
  sumGradConfig,
  tileGradConfig,
  transposeGradConfig,
];

/** Kernels whose gradients this package registers (when nothing else has). */
export const REGISTERED_GRADIENT_KERNELS: readonly string[] = Object.freeze(CONFIGS.map((c) => c.kernelName));

let registered = false;

/** Registers the gradients above that no one has registered yet. Idempotent. */
export function registerMissingGradients(): void {
  if (registered) return;
  registered = true;
  for (const config of CONFIGS) {
    if (!tf.getGradient(config.kernelName)) tf.registerGradient(config);
  }
}
