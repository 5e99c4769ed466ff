/**
 * @file Adapters over the project's randomness convention.
 *
 * Packages never create their own generator: they take `random`, either a function returning uniform
 * numbers in `[0, 1)` or an object with `uniform()` (and optionally `normal()`), such as the seeded
 * `createRandom(seed)` of `@medsymmflow/datasets-medmnist`.
 *
 * @module ops/random
 */

/** A source of uniform `[0, 1)` numbers: a function or an object with `uniform()` and optional `normal()`. */
export type RandomSource = (() => number) | { uniform(): number; normal?(): number };

/** The uniform `[0, 1)` sampler of a {@link RandomSource}. */
export function uniformSampler(random: RandomSource): () => number {
  if (typeof random === 'function') return random;
  if (random && typeof random.uniform === 'function') return () => random.uniform();
  throw new TypeError(
    `'random' must be a function returning numbers in [0, 1) or an object with uniform(); got ${describe(random)}. ` +
      'Fix by passing createRandom(seed) from @medsymmflow/datasets-medmnist or Math.random.',
  );
}

/** A standard-normal sampler: the source's own `normal()` when it has one, else Box–Muller on `uniform()`. */
export function normalSampler(random: RandomSource): () => number {
  if (typeof random !== 'function' && random && typeof random.normal === 'function') {
    const source = random;
    return () => source.normal!();
  }
  const uniform = uniformSampler(random);
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const value = spare;
      spare = undefined;
      return value;
    }
    let u = uniform();
    while (u <= Number.MIN_VALUE) u = uniform();
    const radius = Math.sqrt(-2 * Math.log(u));
    const angle = 2 * Math.PI * uniform();
    spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  };
}

/** A Float32Array of `length` standard-normal samples. */
export function normalArray(length: number, random: RandomSource): Float32Array {
  const normal = normalSampler(random);
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = normal();
  return out;
}

/** A 31-bit integer seed drawn from a random source (for engine ops that take a seed). */
export function drawSeed(random: RandomSource): number {
  return Math.floor(uniformSampler(random)() * 2147483647);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object without uniform()' : `${typeof value} ${String(value)}`;
}
