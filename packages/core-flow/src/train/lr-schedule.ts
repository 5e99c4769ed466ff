/**
 * @file One-cycle cosine learning-rate schedule with warm-up.
 *
 * The rate rises from `initialLr` to `maxLr` along a half cosine over the warm-up steps, then falls
 * back to `finalLr` along a half cosine over the remaining steps — the shape of PyTorch's
 * `OneCycleLR(anneal_strategy='cos', cycle_momentum=False)` that the official MedSymmFlow runs use
 * (there `initialLr = finalLr = 1e-6`).
 *
 * @module train/lr-schedule
 */

/** Options of {@link oneCycleLr}. */
export interface OneCycleConfig {
  /** Peak learning rate, reached at the end of the warm-up. */
  maxLr: number;
  /** Number of optimizer steps of the whole run (≥ 1). */
  totalSteps: number;
  /**
   * Share of `totalSteps` spent warming up, in [0, 1).
   * @defaultValue 0.1
   */
  warmupFraction?: number;
  /**
   * Learning rate of step 0.
   * @defaultValue 1e-6
   */
  initialLr?: number;
  /**
   * Learning rate of the last step.
   * @defaultValue 1e-6
   */
  finalLr?: number;
}

/** Defaults of the optional {@link OneCycleConfig} fields. */
export const ONE_CYCLE_DEFAULTS = Object.freeze({ warmupFraction: 0.1, initialLr: 1e-6, finalLr: 1e-6 });

function cosineBetween(from: number, to: number, fraction: number): number {
  return to + ((from - to) / 2) * (1 + Math.cos(Math.PI * fraction));
}

/**
 * Learning rate of optimizer step `step` (0-based) under a one-cycle cosine schedule. Steps past the end
 * keep `finalLr`.
 *
 * @example
 * ```ts
 * oneCycleLr(0, { maxLr: 4e-4, totalSteps: 100 });  // 1e-6
 * oneCycleLr(10, { maxLr: 4e-4, totalSteps: 100 }); // 4e-4 (end of warm-up)
 * oneCycleLr(99, { maxLr: 4e-4, totalSteps: 100 }); // 1e-6
 * ```
 */
export function oneCycleLr(step: number, config: OneCycleConfig): number {
  const { maxLr, totalSteps } = config;
  const warmupFraction = config.warmupFraction ?? ONE_CYCLE_DEFAULTS.warmupFraction;
  const initialLr = config.initialLr ?? ONE_CYCLE_DEFAULTS.initialLr;
  const finalLr = config.finalLr ?? ONE_CYCLE_DEFAULTS.finalLr;
  if (!Number.isInteger(totalSteps) || totalSteps < 1) {
    throw new RangeError(`oneCycleLr 'totalSteps' must be an integer ≥ 1, got ${String(totalSteps)}.`);
  }
  if (!(warmupFraction >= 0 && warmupFraction < 1)) {
    throw new RangeError(`oneCycleLr 'warmupFraction' must be in [0, 1), got ${String(warmupFraction)}.`);
  }
  for (const [name, value] of [
    ['maxLr', maxLr],
    ['initialLr', initialLr],
    ['finalLr', finalLr],
  ] as const) {
    if (!Number.isFinite(value) || value < 0) {
      throw new RangeError(`oneCycleLr '${name}' must be a finite number ≥ 0, got ${String(value)}.`);
    }
  }
  if (!Number.isInteger(step) || step < 0) {
    throw new RangeError(`oneCycleLr 'step' must be an integer ≥ 0, got ${String(step)}.`);
  }
  const last = totalSteps - 1;
  if (step >= last) return last === 0 ? maxLr : finalLr;
  const warmupSteps = Math.round(warmupFraction * totalSteps);
  if (step < warmupSteps) return cosineBetween(initialLr, maxLr, step / warmupSteps);
  return cosineBetween(maxLr, finalLr, (step - warmupSteps) / (last - warmupSteps));
}
