/**
 * @file The calibration a model carries in `config.metadata.calibration`: written by
 * `medsymmflow evaluate --split val --calibrate`, read by `medsymmflow classify` and the playground.
 *
 * The temperature and the rejection thresholds are fitted on distances produced with particular reverse-flow
 * settings (solver, steps, mask-noise samples): averaging 8 samples gives smaller distances than 1 sample, so a
 * threshold fitted on one is wrong for the other. The settings are therefore stored with the numbers, and
 * readers classify with them unless told otherwise.
 */

/** One stored rejection threshold. */
export interface StoredThreshold {
  /** Accuracy the threshold was fitted to reach on the validation split. */
  readonly targetAccuracy: number;
  /** Uncertainty above which to abstain; `null` when the target was not reachable on validation. */
  readonly threshold: number | null;
  /** Share of validation images kept at this threshold, when stored. */
  readonly coverage?: number;
  /** How sure the fit was that the kept images reach the target (`fitRejectionThreshold`), when stored. */
  readonly confidence?: number;
}

/** Reverse-flow settings of a classification: from `[x, ξm]` at t = 1 back to t = 0. */
export interface ClassificationSettings {
  /** ODE solver name, e.g. `'euler'`. */
  readonly solver: string;
  /** Solver steps from t = 1 to t = 0. */
  readonly steps: number;
  /** Mask-noise draws per image whose distances are averaged. */
  readonly samples: number;
}

/** The method's default classification: one Euler step, one noise draw. */
export const DEFAULT_CLASSIFICATION_SETTINGS: Readonly<ClassificationSettings> = Object.freeze({
  solver: 'euler',
  steps: 1,
  samples: 1,
});

/** A model's stored calibration, with malformed parts dropped. */
export interface StoredCalibration {
  /** Softmax temperature of `softmax(−distance / T)`, or `null` when the model stores none. */
  readonly temperature: number | null;
  /** Rejection thresholds sorted by target accuracy (may be empty). */
  readonly thresholds: readonly StoredThreshold[];
  /** Where the numbers were fitted, when recorded. */
  readonly fittedOn: { readonly dataset: string; readonly split: string; readonly n: number } | null;
  /**
   * Settings the temperature and thresholds were fitted with; `null` when the model predates recording them
   * (such calibrations were fitted with {@link DEFAULT_CLASSIFICATION_SETTINGS}).
   */
  readonly classification: ClassificationSettings | null;
}

const isPositiveInteger = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

/**
 * Reads `config.metadata.calibration`. Never throws: what is missing or malformed reads as absent
 * (`null` / empty), so a hand-edited model still classifies.
 *
 * @example
 * ```ts
 * const calibration = readStoredCalibration(model.config.metadata);
 * const settings = calibration.classification ?? DEFAULT_CLASSIFICATION_SETTINGS;
 * ```
 */
export function readStoredCalibration(metadata: unknown): StoredCalibration {
  const raw = (metadata as { calibration?: Record<string, unknown> } | null | undefined)?.calibration;
  const calibration = raw !== null && typeof raw === 'object' ? raw : undefined;
  const t = calibration?.temperature;
  const temperature = typeof t === 'number' && Number.isFinite(t) && t > 0 ? t : null;
  const entries: unknown[] = Array.isArray(calibration?.rejectionThresholds)
    ? calibration.rejectionThresholds
    : [];
  const thresholds = entries
    .filter(
      (e): e is StoredThreshold =>
        typeof (e as StoredThreshold | null)?.targetAccuracy === 'number' &&
        (typeof (e as StoredThreshold).threshold === 'number' || (e as StoredThreshold).threshold === null),
    )
    .map((e) => ({
      targetAccuracy: e.targetAccuracy,
      threshold: e.threshold,
      ...(typeof e.coverage === 'number' ? { coverage: e.coverage } : {}),
      ...(typeof e.confidence === 'number' ? { confidence: e.confidence } : {}),
    }))
    .sort((a, b) => a.targetAccuracy - b.targetAccuracy);
  const fitted = calibration?.fittedOn as
    | Partial<{ dataset: unknown; split: unknown; n: unknown }>
    | undefined;
  const fittedOn =
    typeof fitted?.dataset === 'string' && typeof fitted.split === 'string' && typeof fitted.n === 'number'
      ? { dataset: fitted.dataset, split: fitted.split, n: fitted.n }
      : null;
  const c = calibration?.classification as Partial<Record<keyof ClassificationSettings, unknown>> | undefined;
  const classification =
    typeof c?.solver === 'string' && isPositiveInteger(c.steps) && isPositiveInteger(c.samples)
      ? { solver: c.solver, steps: c.steps, samples: c.samples }
      : null;
  return { temperature, thresholds, fittedOn, classification };
}

/** The stored threshold fitted for exactly this target accuracy, if any. */
export function storedThresholdFor(
  calibration: StoredCalibration,
  targetAccuracy: number,
): StoredThreshold | undefined {
  return calibration.thresholds.find((e) => Math.abs(e.targetAccuracy - targetAccuracy) < 1e-9);
}

/**
 * The settings to classify with: each one given explicitly wins, else the calibration's, else the default.
 *
 * @example
 * ```ts
 * resolveClassificationSettings({ steps: undefined, samples: 4 }, calibration);
 * // → { solver: 'euler', steps: <stored or 1>, samples: 4 }
 * ```
 */
export function resolveClassificationSettings(
  given: Partial<ClassificationSettings>,
  calibration: StoredCalibration,
): ClassificationSettings {
  const base = calibration.classification ?? DEFAULT_CLASSIFICATION_SETTINGS;
  return {
    solver: given.solver ?? base.solver,
    steps: given.steps ?? base.steps,
    samples: given.samples ?? base.samples,
  };
}

/**
 * Explains why the stored temperature/thresholds do not describe a classification run with `used`, or returns
 * `null` when they do (or when nothing is stored).
 */
export function calibrationMismatch(
  calibration: StoredCalibration,
  used: ClassificationSettings,
): string | null {
  if (calibration.temperature === null && calibration.thresholds.length === 0) return null;
  const fitted = calibration.classification ?? DEFAULT_CLASSIFICATION_SETTINGS;
  const differ = (Object.keys(fitted) as (keyof ClassificationSettings)[]).filter(
    (k) => fitted[k] !== used[k],
  );
  if (differ.length === 0) return null;
  const show = (s: ClassificationSettings) => `${s.solver}, ${s.steps} step(s), ${s.samples} sample(s)`;
  return (
    `the calibration was fitted with ${show(fitted)} but this run uses ${show(used)}: probabilities and ` +
    `abstentions may be off (drop the --${differ.join('/--')} override, or recalibrate with these settings)`
  );
}
