/**
 * @file The MedSymmFlow colour palette and how classes pick colours from it.
 *
 * The palette enumerates every RGB colour whose channels take the values `0, step, 2·step, …,
 * (levels−1)·step`, red varying slowest and blue fastest: index `i = r·levels² + g·levels + b` has colour
 * `[r·step, g·step, b·step]`. The paper's palette is `levels = 4`, `step = 75`: 64 colours with channel
 * values {0, 75, 150, 225}. Class `k` of `n` takes palette index `floor(linspace(0, size − 1, n)[k])`, which
 * spreads the classes over the palette to push their colours apart.
 */
import { assertInteger } from './checks';

/** Options of the palette. */
export interface PaletteConfig {
  /**
   * Number of values per channel; the palette has `levels³` colours.
   * @defaultValue 4
   */
  levels?: number;
  /**
   * Distance between consecutive channel values (0–255 scale); `step · (levels − 1)` must be ≤ 255.
   * @defaultValue 75
   */
  step?: number;
}

/** Palette defaults: the paper's 64-colour palette. */
export const PALETTE_DEFAULTS: Readonly<Required<PaletteConfig>> = Object.freeze({ levels: 4, step: 75 });

function resolvePalette(config: PaletteConfig = {}): Required<PaletteConfig> {
  const levels = assertInteger('Palette levels', config.levels ?? PALETTE_DEFAULTS.levels, 2);
  const step = assertInteger('Palette step', config.step ?? PALETTE_DEFAULTS.step, 1);
  if (step * (levels - 1) > 255) {
    throw new RangeError(
      `Palette step * (levels - 1) must be <= 255 so colours stay 8-bit, got ${step} * ${levels - 1} = ` +
        `${step * (levels - 1)}. Fix: lower 'step' (at most ${Math.floor(255 / (levels - 1))} for ${levels} levels).`,
    );
  }
  return { levels, step };
}

/**
 * The full palette as 8-bit RGB values, red slowest and blue fastest.
 * @returns a `Uint8Array` of shape `[levels³, 3]`.
 * @example
 * ```ts
 * const p = buildPalette();          // 64 colours
 * Array.from(p.subarray(3 * 5, 3 * 6)); // index 5 = r0 g1 b1 → [0, 75, 75]
 * ```
 */
export function buildPalette(config?: PaletteConfig): Uint8Array {
  const { levels, step } = resolvePalette(config);
  const size = levels ** 3;
  const out = new Uint8Array(size * 3);
  for (let i = 0; i < size; i++) {
    out[3 * i] = step * Math.floor(i / (levels * levels));
    out[3 * i + 1] = step * (Math.floor(i / levels) % levels);
    out[3 * i + 2] = step * (i % levels);
  }
  return out;
}

/**
 * Palette index of each class: `floor(linspace(0, paletteSize − 1, numClasses)[k])`, computed exactly in
 * rational arithmetic as `floor(k · (paletteSize − 1) / (numClasses − 1))`.
 * @returns an `Int32Array` of `numClasses` palette indices.
 * @example
 * ```ts
 * Array.from(paletteIndices(5, 64)); // [0, 15, 31, 47, 63]
 * ```
 */
export function paletteIndices(numClasses: number, paletteSize: number): Int32Array {
  assertInteger('paletteSize', paletteSize, 2);
  assertInteger('numClasses', numClasses, 2, paletteSize);
  const out = new Int32Array(numClasses);
  for (let k = 0; k < numClasses; k++) out[k] = Math.floor((k * (paletteSize - 1)) / (numClasses - 1));
  return out;
}

/**
 * The 8-bit RGB colour of every class (before mapping to [−1, 1]), e.g. for legends and plots.
 * @returns a `Uint8Array` of shape `[numClasses, 3]`.
 * @example
 * ```ts
 * Array.from(paletteClassColors(2)); // [0, 0, 0, 225, 225, 225]
 * ```
 */
export function paletteClassColors(numClasses: number, config?: PaletteConfig): Uint8Array {
  const palette = buildPalette(config);
  const indices = paletteIndices(numClasses, palette.length / 3);
  const out = new Uint8Array(numClasses * 3);
  for (let k = 0; k < numClasses; k++) out.set(palette.subarray(3 * indices[k], 3 * indices[k] + 3), 3 * k);
  return out;
}
