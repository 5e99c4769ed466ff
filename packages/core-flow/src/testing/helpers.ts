/** Test helpers (not part of the package build). */
import * as tf from '@tensorflow/tfjs-core';
import { resolveEngine } from '../engines/registry.js';
import { tfjsSeededUniform } from '../engines/tfjs/seeded-random.js';
import type { TfjsEngine } from '../engines/tfjs/tfjs-engine.js';

/** Reproducible uniform source for tests (tfjs's seeded generator). */
export const seeded = (seed: number): (() => number) => tfjsSeededUniform(seed);

/** The initialised tfjs engine of a backend ('wasm' or 'cpu'). */
export async function tfjsEngine(name: 'wasm' | 'cpu'): Promise<TfjsEngine> {
  return (await resolveEngine([name])).engine as unknown as TfjsEngine;
}

/** Live tensors now. */
export const liveTensors = (): number => tf.memory().numTensors;

/** Max |a − b| and max |b|. */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): { abs: number; scale: number } {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let abs = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    abs = Math.max(abs, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return { abs, scale };
}

/** Uniform [-1, 1) data. */
export function randomData(length: number, random: () => number): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = 2 * random() - 1;
  return out;
}
