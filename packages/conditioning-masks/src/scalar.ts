/**
 * @file `scalar`: the one-channel ordinal grey-level mask of the SymmFlow baseline.
 *
 * Class `k` of `n` is the grey level `(β/2) · (2k/(n−1) − 1)` (evenly spaced in [−β/2, β/2]) plus uniform
 * noise of full width `(β/2)/(n−1)` on every pixel: `m = level + (β/2)/(n−1) · (U − 0.5)`.
 */
import { quote } from './checks';
import { defineMaskPlugin } from './define-mask-plugin';

/** How the `scalar` plugin measures distances. */
export type ScalarDistance = 'pixel' | 'mean-level';

/** Valid values of the `scalar` plugin's `distance` option. */
export const SCALAR_DISTANCES: readonly ScalarDistance[] = Object.freeze(['pixel', 'mean-level']);

/** User options of the `scalar` plugin. */
export interface ScalarConfig {
  /**
   * Spread of the grey levels: classes span [−β/2, β/2]. β = 4 is what the official SymmFlow recipes
   * pass for class-conditional training (MNIST, CIFAR-10); the official argparse default is 15.
   * @defaultValue 4
   */
  beta?: number;
  /**
   * `'pixel'`: mean over pixels of |m − level_k| (the same rule as every plugin, the L2 distance of one
   * channel). `'mean-level'`: the official SymmFlow rule, |ℓ̄ − k| where ℓ̄ = (mean(m)/(β/2) · 0.5 + 0.5) · (n−1)
   * is the mask's mean grey level in class units.
   * @defaultValue 'pixel'
   */
  distance?: ScalarDistance;
}

/** Resolved `scalar` options. */
export type ResolvedScalarConfig = Required<ScalarConfig>;

/** Defaults of the `scalar` plugin. */
export const SCALAR_DEFAULTS: Readonly<ResolvedScalarConfig> = Object.freeze({ beta: 4, distance: 'pixel' });

/** The `scalar` plugin definition. */
export const scalarMaskPlugin = defineMaskPlugin<'scalar', ResolvedScalarConfig>({
  name: 'scalar',
  description: 'One-channel mask: ordinal grey level per class plus uniform noise (SymmFlow baseline).',
  defaults: SCALAR_DEFAULTS,
  validate(options) {
    if (!Number.isFinite(options.beta) || options.beta <= 0) {
      throw new RangeError(`scalar option 'beta' must be a finite number > 0, got ${quote(options.beta)}.`);
    }
    if (!SCALAR_DISTANCES.includes(options.distance)) {
      throw new RangeError(
        `scalar option 'distance' must be one of ${SCALAR_DISTANCES.map((d) => `'${d}'`).join(', ')}, ` +
          `got ${quote(options.distance)}.`,
      );
    }
  },
  setup(numClasses, { beta, distance }) {
    const half = beta / 2;
    const targets = new Float32Array(numClasses);
    for (let k = 0; k < numClasses; k++) targets[k] = half * ((2 * k) / (numClasses - 1) - 1);
    const setup = { channels: 1, targets, noiseWidth: half / (numClasses - 1) };
    if (distance === 'pixel') return setup;
    return {
      ...setup,
      distances(mask, { n, height, width }) {
        const pixels = height * width;
        const out = new Float32Array(n * numClasses);
        for (let b = 0; b < n; b++) {
          let sum = 0;
          for (let p = 0; p < pixels; p++) sum += mask[b * pixels + p];
          const level = ((sum / pixels / half) * 0.5 + 0.5) * (numClasses - 1);
          for (let k = 0; k < numClasses; k++) out[b * numClasses + k] = Math.abs(level - k);
        }
        return out;
      },
    };
  },
});
