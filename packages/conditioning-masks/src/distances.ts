/**
 * @file Distance helpers shared by the built-in plugins (internal).
 */

/**
 * Mean over pixels of the L2 distance between each pixel's channel vector and each class target.
 * @returns `Float32Array` `[n, numClasses]`.
 */
export function meanPixelL2(
  mask: ArrayLike<number>,
  n: number,
  pixels: number,
  channels: number,
  targets: Float32Array,
  numClasses: number,
): Float32Array {
  const out = new Float32Array(n * numClasses);
  const sums = new Float64Array(numClasses);
  for (let b = 0; b < n; b++) {
    sums.fill(0);
    const base = b * pixels * channels;
    for (let p = 0; p < pixels; p++) {
      const off = base + p * channels;
      for (let k = 0; k < numClasses; k++) {
        let sq = 0;
        const t = k * channels;
        for (let c = 0; c < channels; c++) {
          const d = mask[off + c] - targets[t + c];
          sq += d * d;
        }
        sums[k] += Math.sqrt(sq);
      }
    }
    for (let k = 0; k < numClasses; k++) out[b * numClasses + k] = sums[k] / pixels;
  }
  return out;
}

/** Row-wise argmin; ties go to the lowest index. */
export function argminRows(distances: ArrayLike<number>, numClasses: number): Int32Array {
  const n = distances.length / numClasses;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestValue = distances[i * numClasses];
    for (let k = 1; k < numClasses; k++) {
      const v = distances[i * numClasses + k];
      if (v < bestValue) {
        bestValue = v;
        best = k;
      }
    }
    out[i] = best;
  }
  return out;
}
