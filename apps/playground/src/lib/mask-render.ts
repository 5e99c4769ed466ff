/**
 * @file Predicted masks for display: an RGB-palette mask is shown in its palette colours (mask values are
 * colours mapped to [−1, 1], so `(m + 1) · 127.5`); a one-channel (scalar) mask as grey, spanning the
 * range of the class grey levels.
 * @module lib/mask-render
 */

/** Minimal view of a mask plugin: channels and the noise-free class targets `[numClasses, channels]`. */
export interface MaskTargets {
  readonly channels: number;
  classTargets(): Float32Array;
}

/** A mask `[size, size, channels]` (NHWC, one image) → RGBA bytes. */
export function maskToRgba(mask: ArrayLike<number>, size: number, plugin: MaskTargets): Uint8ClampedArray {
  const { channels } = plugin;
  if (mask.length !== size * size * channels) {
    throw new RangeError(`Expected ${size * size * channels} mask values; got ${mask.length}.`);
  }
  const rgba = new Uint8ClampedArray(size * size * 4);
  if (channels === 3) {
    for (let p = 0; p < size * size; p++) {
      for (let k = 0; k < 3; k++) rgba[4 * p + k] = Math.round((mask[3 * p + k] + 1) * 127.5);
      rgba[4 * p + 3] = 255;
    }
    return rgba;
  }
  const targets = plugin.classTargets();
  let lo = Math.min(...targets);
  let hi = Math.max(...targets);
  if (!(hi > lo)) [lo, hi] = [lo - 1, hi + 1];
  for (let p = 0; p < size * size; p++) {
    const v = Math.round(((mask[p * channels] - lo) / (hi - lo)) * 255);
    rgba[4 * p] = rgba[4 * p + 1] = rgba[4 * p + 2] = v;
    rgba[4 * p + 3] = 255;
  }
  return rgba;
}

/** CSS colour of each class target (palette colours; greys for scalar masks). */
export function classColours(plugin: MaskTargets): string[] {
  const targets = plugin.classTargets();
  const k = plugin.channels;
  return Array.from({ length: targets.length / k }, (_, c) => {
    const [r, g, b] = maskToRgba(targets.subarray(c * k, (c + 1) * k), 1, plugin);
    return `rgb(${r}, ${g}, ${b})`;
  });
}
