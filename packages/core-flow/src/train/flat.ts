/**
 * @file Small helpers over lists of `Float32Array` buffers (parameters, gradients, moments).
 * @module train/flat
 * @internal
 */

/** Deep copy. */
export function cloneArrays(arrays: readonly Float32Array[]): Float32Array[] {
  return arrays.map((a) => a.slice());
}

/** Global L2 norm over all arrays (computed in float64). */
export function globalNorm(arrays: readonly Float32Array[]): number {
  let sum = 0;
  for (const a of arrays) for (let j = 0; j < a.length; j++) sum += a[j] * a[j];
  return Math.sqrt(sum);
}

/** In place: multiplies every value by `factor`. */
export function scaleArrays(arrays: readonly Float32Array[], factor: number): void {
  for (const a of arrays) for (let j = 0; j < a.length; j++) a[j] *= factor;
}

/**
 * In place: scales `grads` so that their global norm is at most `maxNorm` (as PyTorch's
 * `clip_grad_norm_`). Returns the norm before clipping.
 */
export function clipGlobalNorm(grads: readonly Float32Array[], maxNorm: number): number {
  const norm = globalNorm(grads);
  if (norm > maxNorm) scaleArrays(grads, maxNorm / (norm + 1e-6));
  return norm;
}
