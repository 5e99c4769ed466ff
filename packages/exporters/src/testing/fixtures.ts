/** Test fixtures (not part of the package build): engines, non-trivial weights, models, comparisons. */
import { createMaskPlugin } from '@medsymmflow/conditioning-masks';
import {
  createUNet,
  type FlowNetwork,
  type ParamSpec,
  paramsFromData,
  resolveEngine,
  type TensorOps,
  type UNetConfig,
} from '@medsymmflow/core-flow';
import { createRandom } from '@medsymmflow/datasets-medmnist';

/** tfjs ops on the wasm backend (the reference engine of the parity tests). */
export async function tfjsOps(): Promise<TensorOps<unknown>> {
  return (await resolveEngine(['wasm'])).engine.ops as TensorOps<unknown>;
}

/**
 * Parameter values that make every layer matter: PyTorch-style uniform(±1/√fanIn) for every weight and
 * bias, including the layers the UNet initialises to zero, and GroupNorm gamma/beta around 1/0. (With
 * the real initialisation the output conv is zero and the network outputs exactly 0, which would make any
 * parity test pass.)
 */
export function randomParamData(specs: readonly ParamSpec[], seed: number): Record<string, Float32Array> {
  const random = createRandom(seed);
  const out: Record<string, Float32Array> = {};
  for (const spec of specs) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(size);
    const last = spec.name.split('.').pop();
    if (last === 'gamma') {
      for (let i = 0; i < size; i++) data[i] = 1 + 0.2 * (random.uniform() - 0.5);
    } else if (last === 'beta') {
      for (let i = 0; i < size; i++) data[i] = 0.2 * (random.uniform() - 0.5);
    } else {
      const fanIn = spec.shape.length === 4 ? spec.shape[0] * spec.shape[1] * spec.shape[2] : spec.shape[0];
      const kernelFanIn =
        last === 'bias' ? (spec.init.kind === 'uniform' ? 1 / spec.init.bound ** 2 : fanIn) : fanIn;
      const bound = 1 / Math.sqrt(kernelFanIn);
      for (let i = 0; i < size; i++) data[i] = (2 * random.uniform() - 1) * bound;
    }
    out[spec.name] = data;
  }
  return out;
}

/** A tiny UNet config with every block type (res, attention, down, up) at 8 px. */
export const TINY_UNET: UNetConfig = Object.freeze({
  imageSize: 8,
  inChannels: 4,
  baseChannels: 8,
  channelMults: [1, 2],
  numResBlocks: 1,
  attentionResolutions: [4],
  numHeadChannels: 8,
  normGroups: 4,
});

/** A FlowNetwork (grey image + RGB palette mask) with non-trivial weights on `ops`. */
export function makeNetwork<T>(
  ops: TensorOps<T>,
  config: UNetConfig = {},
  options: { seed?: number; numClasses?: number } = {},
): FlowNetwork<T> & { paramData: Record<string, Float32Array> } {
  const unet = createUNet({ inChannels: 4, ...config });
  const paramData = randomParamData(unet.paramSpecs, options.seed ?? 1);
  return {
    ops,
    unet,
    params: paramsFromData(ops, unet.paramSpecs, paramData),
    maskPlugin: createMaskPlugin('rgb-palette', options.numClasses ?? 2),
    imageChannels: 1,
    paramData,
  };
}

/** Uniform [-1, 1) data from a seed. */
export function uniformData(length: number, seed: number): Float32Array {
  const random = createRandom(seed);
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = 2 * random.uniform() - 1;
  return out;
}

/** Max |a − b| and max |b|. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): { abs: number; scale: number } {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let abs = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    abs = Math.max(abs, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return { abs, scale };
}
