/**
 * @file `rgb-palette`: the MedSymmFlow RGB palette mask (the paper's default conditioning).
 *
 * Class `k` is the palette colour `paletteClassColors(n)[k]` mapped to [−1, 1] by `v / 127.5 − 1`, plus
 * uniform dequantisation noise on every element: `m = colour + β · (U − 0.5) / 127.5`, U ~ U[0, 1), so
 * `|m − colour| ≤ β / 2 / 127.5`. Distances are the mean over pixels of the RGB L2 distance to each class
 * colour (as the official implementation's `distance_to_classes`).
 */
import { assertInteger, quote } from './checks';
import { defineMaskPlugin } from './define-mask-plugin';
import { PALETTE_DEFAULTS, paletteClassColors } from './palette';

/** User options of the `rgb-palette` plugin. */
export interface RgbPaletteConfig {
  /**
   * Dequantisation strength on the 0–255 scale: noise `β · (U − 0.5) / 127.5` on every element.
   * @defaultValue 4
   */
  beta?: number;
  /**
   * Values per channel; the palette has `levels³` colours and at most that many classes.
   * @defaultValue 4
   */
  levels?: number;
  /**
   * Spacing of the channel values on the 0–255 scale; `step · (levels − 1) ≤ 255`.
   * @defaultValue 75
   */
  step?: number;
}

/** Resolved `rgb-palette` options. */
export type ResolvedRgbPaletteConfig = Required<RgbPaletteConfig>;

/** Defaults of the `rgb-palette` plugin: the paper's β = 4 and 64-colour palette. */
export const RGB_PALETTE_DEFAULTS: Readonly<ResolvedRgbPaletteConfig> = Object.freeze({
  beta: 4,
  levels: PALETTE_DEFAULTS.levels,
  step: PALETTE_DEFAULTS.step,
});

/** The `rgb-palette` plugin definition. */
export const rgbPaletteMaskPlugin = defineMaskPlugin<'rgb-palette', ResolvedRgbPaletteConfig>({
  name: 'rgb-palette',
  description:
    'Three-channel mask: each class is a colour of a levels³ RGB palette, plus uniform noise (MedSymmFlow).',
  defaults: RGB_PALETTE_DEFAULTS,
  validate(options, numClasses) {
    if (!Number.isFinite(options.beta) || options.beta <= 0) {
      throw new RangeError(
        `rgb-palette option 'beta' must be a finite number > 0, got ${quote(options.beta)}. The paper uses 4.`,
      );
    }
    assertInteger(`rgb-palette option 'levels'`, options.levels, 2);
    assertInteger(`rgb-palette option 'step'`, options.step, 1);
    const size = options.levels ** 3;
    if (numClasses > size) {
      throw new RangeError(
        `rgb-palette with levels = ${options.levels} has ${size} colours, fewer than numClasses = ${numClasses}. ` +
          `Fix: raise 'levels' to at least ${Math.ceil(Math.cbrt(numClasses) - 1e-9)}.`,
      );
    }
  },
  setup(numClasses, options) {
    const colours = paletteClassColors(numClasses, options);
    const targets = new Float32Array(numClasses * 3);
    for (let i = 0; i < targets.length; i++) targets[i] = colours[i] / 127.5 - 1;
    return { channels: 3, targets, noiseWidth: options.beta / 127.5 };
  },
});
