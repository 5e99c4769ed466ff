/**
 * @file The project's seeded pseudo-random number generator (xoshiro128**, seeded through splitmix32).
 *
 * Every MedSymmFlow package that needs randomness takes either a `random: () => number` (uniform in [0, 1))
 * or a {@link Random} from here. The state is a small JSON-serialisable object, so training can be resumed
 * exactly from a checkpoint. Methods are bound closures: `rng.uniform` can be passed around as a function.
 *
 * @example
 * ```ts
 * import { createRandom } from '@medsymmflow/datasets-medmnist';
 *
 * const rng = createRandom(42);
 * rng.uniform(); // a number in [0, 1)
 * rng.normal(); // a standard normal sample
 * const saved = JSON.stringify(rng.getState());
 * const a = rng.int(10);
 * rng.setState(JSON.parse(saved));
 * rng.int(10) === a; // true
 * ```
 * @module random
 */

/** Name of the algorithm, stored in {@link RandomState}. */
export const RANDOM_ALGORITHM = 'xoshiro128**' as const;

/** Serialisable generator state (plain JSON). */
export interface RandomState {
  /** Always `'xoshiro128**'`. */
  readonly algorithm: typeof RANDOM_ALGORITHM;
  /** The four 32-bit state words (unsigned). */
  readonly state: readonly [number, number, number, number];
  /** The second Box–Muller sample waiting to be returned by `normal()`, or `null`. */
  readonly spareNormal: number | null;
}

/** A seeded generator. */
export interface Random {
  /** Uniform sample in `[0, 1)` (32 bits of randomness); with arguments, in `[min, max)`. */
  uniform(min?: number, max?: number): number;
  /** Normal sample (Box–Muller), standard unless `mean`/`std` are given. */
  normal(mean?: number, std?: number): number;
  /** Uniform integer in `[0, n)`, without modulo bias. `n` must be an integer in `[1, 2^32]`. */
  int(n: number): number;
  /** Shuffles `array` in place (Fisher–Yates) and returns it. */
  shuffle<T extends { length: number; [index: number]: unknown }>(array: T): T;
  /** A random permutation of `0 … n-1`. */
  permutation(n: number): Int32Array;
  /** Next raw 32-bit output (unsigned). */
  nextUint32(): number;
  /** A copy of the current state (plain JSON). */
  getState(): RandomState;
  /** Restores a state from `getState()` (possibly after a JSON round trip). */
  setState(state: RandomState): void;
  /** An independent generator starting from the same state. */
  clone(): Random;
}

function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

function seedState(seed: number): [number, number, number, number] {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) {
    throw new TypeError(`createRandom: seed must be a safe integer, got ${JSON.stringify(seed)}.`);
  }
  const low = seed >>> 0;
  const high = Math.floor(seed / 2 ** 32) >>> 0;
  const next = splitmix32(low ^ Math.imul(high, 0x27d4eb2d) ^ (high === 0 ? 0 : 0x165667b1));
  const words: [number, number, number, number] = [next(), next(), next(), next()];
  if ((words[0] | words[1] | words[2] | words[3]) === 0) words[0] = 1;
  return words;
}

function checkState(state: RandomState): void {
  const words = state?.state;
  if (
    state?.algorithm !== RANDOM_ALGORITHM ||
    !Array.isArray(words) ||
    words.length !== 4 ||
    words.some((w) => !Number.isInteger(w) || w < 0 || w > 0xffffffff) ||
    words.every((w) => w === 0) ||
    !(state.spareNormal === null || Number.isFinite(state.spareNormal))
  ) {
    throw new TypeError(
      `setState: invalid state ${JSON.stringify(state)}. Pass a value returned by getState() ` +
        `({ algorithm: '${RANDOM_ALGORITHM}', state: [4 non-zero uint32], spareNormal }).`,
    );
  }
}

function fromState(initial: RandomState): Random {
  let s0 = initial.state[0] >>> 0;
  let s1 = initial.state[1] >>> 0;
  let s2 = initial.state[2] >>> 0;
  let s3 = initial.state[3] >>> 0;
  let spare: number | null = initial.spareNormal;

  const nextUint32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return result;
  };

  const unit = (): number => nextUint32() / 4294967296;

  const uniform = (min = 0, max = 1): number => min + (max - min) * unit();

  const normal = (mean = 0, std = 1): number => {
    if (spare !== null) {
      const value = spare;
      spare = null;
      return mean + std * value;
    }
    const u1 = 1 - unit(); // (0, 1]: log is finite
    const u2 = unit();
    const radius = Math.sqrt(-2 * Math.log(u1));
    const angle = 2 * Math.PI * u2;
    spare = radius * Math.sin(angle);
    return mean + std * radius * Math.cos(angle);
  };

  const int = (n: number): number => {
    if (!Number.isInteger(n) || n < 1 || n > 4294967296) {
      throw new RangeError(`int(n): n must be an integer in [1, 2^32], got ${JSON.stringify(n)}.`);
    }
    if (n === 4294967296) return nextUint32();
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const x = nextUint32();
      if (x < limit) return x % n;
    }
  };

  const shuffle = <T extends { length: number; [index: number]: unknown }>(array: T): T => {
    for (let i = array.length - 1; i > 0; i--) {
      const j = int(i + 1);
      const tmp = array[i];
      array[i] = array[j];
      array[j] = tmp;
    }
    return array;
  };

  const permutation = (n: number): Int32Array => {
    if (!Number.isInteger(n) || n < 0)
      throw new RangeError(`permutation(n): n must be a non-negative integer.`);
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    return shuffle(out);
  };

  const getState = (): RandomState => ({
    algorithm: RANDOM_ALGORITHM,
    state: [s0 >>> 0, s1 >>> 0, s2 >>> 0, s3 >>> 0],
    spareNormal: spare,
  });

  const setState = (state: RandomState): void => {
    checkState(state);
    [s0, s1, s2, s3] = state.state.map((w) => w >>> 0) as [number, number, number, number];
    spare = state.spareNormal;
  };

  return {
    uniform,
    normal,
    int,
    shuffle,
    permutation,
    nextUint32,
    getState,
    setState,
    clone: () => fromState(getState()),
  };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * Creates a seeded generator, or one restored from a saved state.
 *
 * @param seed - any safe integer, or a {@link RandomState} from `getState()`.
 * @throws {TypeError} for a non-integer seed or an invalid state.
 */
export function createRandom(seed: number | RandomState): Random {
  if (typeof seed === 'object' && seed !== null) {
    checkState(seed);
    return fromState(seed);
  }
  return fromState({ algorithm: RANDOM_ALGORITHM, state: seedState(seed), spareNormal: null });
}
