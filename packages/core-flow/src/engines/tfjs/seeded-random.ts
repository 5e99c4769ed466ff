/**
 * @file A reproducible uniform stream backed by tfjs's own seeded generator (`tf.randomUniform` with a
 * seed, i.e. seedrandom's alea inside tfjs-core). Used for `createFlowModel({ seed })`; applications that
 * already have a project PRNG (`createRandom(seed)` from `@medsymmflow/datasets-medmnist`) pass that as
 * `random` instead.
 *
 * @module engines/tfjs/seeded-random
 */
import * as tf from '@tensorflow/tfjs-core';

const CHUNK = 1 << 16;

/** A function returning reproducible uniform [0, 1) numbers for `seed`. Needs an initialised tfjs backend. */
export function tfjsSeededUniform(seed: number): () => number {
  if (!Number.isFinite(seed))
    throw new RangeError(`'seed' must be a finite number; got ${JSON.stringify(seed)}.`);
  let chunk = 0;
  let values: Float32Array = new Float32Array(0);
  let index = 0;
  return () => {
    if (index >= values.length) {
      const tensor = tf.randomUniform([CHUNK], 0, 1, 'float32', `${seed}:${chunk++}`);
      values = tensor.dataSync() as Float32Array;
      tensor.dispose();
      index = 0;
    }
    // Float32 rounding can yield exactly 1; keep the [0, 1) contract.
    return Math.min(values[index++], 0.99999994);
  };
}
