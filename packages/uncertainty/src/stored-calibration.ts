/**
 * @file The calibration a model carries in `config.metadata.calibration`: written by
 * `medsymmflow evaluate --split val --calibrate`, read by `medsymmflow classify` and the playground.
 *
 * The temperature and the rejection thresholds are fitted on distances produced with particular reverse-flow
 * settings (solver, steps, mask-noise samples): averaging 8 samples gives smaller distances than 1 sample, so a
 * threshold fitted on one is wrong for the other. The settings are therefore stored with the numbers, and
 * readers classify with them unless told otherwise.
 *
 * Thresholds are stored for a few target accuracies; the validation evidence they were fitted on (uncertainty and
 * correctness per image) is stored too, so {@link rejectionThresholdFor} can fit any other target the same way.
 */
import { quote } from './checks';
import {
  fitRejectionThreshold,
  highestSupportedAccuracy,
  type SupportedAccuracy,
} from './selective-prediction';

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

/** The validation results the thresholds were fitted on: one entry per validation image. */
export interface RejectionEvidence {
  /** Uncertainty (distance to the predicted class colour) per image. */
  readonly uncertainty: Float64Array;
  /** 1 where the prediction was right, else 0. */
  readonly correct: Uint8Array;
  /** Confidence of the thresholds' binomial test (`fitRejectionThreshold`). */
  readonly confidence: number;
}

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
  /** Validation evidence to fit thresholds for other targets, or `null` when the model predates storing it. */
  readonly evidence: RejectionEvidence | null;
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
  return { temperature, thresholds, fittedOn, classification, evidence: readEvidence(calibration?.evidence) };
}

/** `calibration.evidence`: `{ uncertainty: number[], correct: (0 | 1)[], confidence }`, else `null`. */
function readEvidence(raw: unknown): RejectionEvidence | null {
  const e = raw as Partial<Record<keyof RejectionEvidence, unknown>> | null | undefined;
  if (!Array.isArray(e?.uncertainty) || !Array.isArray(e.correct)) return null;
  const { uncertainty, correct, confidence } = e as {
    uncertainty: unknown[];
    correct: unknown[];
    confidence: unknown;
  };
  if (
    uncertainty.length === 0 ||
    uncertainty.length !== correct.length ||
    !uncertainty.every((u) => typeof u === 'number' && Number.isFinite(u)) ||
    !correct.every((c) => c === 0 || c === 1) ||
    typeof confidence !== 'number' ||
    !(confidence >= 0 && confidence < 1)
  ) {
    return null;
  }
  return {
    uncertainty: Float64Array.from(uncertainty as number[]),
    correct: Uint8Array.from(correct as number[]),
    confidence,
  };
}

/**
 * The evidence in the form `evaluate --calibrate` stores it (`metadata.calibration.evidence`).
 *
 * @example
 * ```ts
 * calibration.evidence = rejectionEvidenceJson(valUncertainty, valCorrect, 0.95);
 * ```
 */
export function rejectionEvidenceJson(
  uncertainty: ArrayLike<number>,
  correct: ArrayLike<number | boolean>,
  confidence: number,
): { uncertainty: number[]; correct: number[]; confidence: number } {
  return { uncertainty: Array.from(uncertainty), correct: Array.from(correct, Number), confidence };
}

/** The stored threshold fitted for exactly this target accuracy, if any. */
export function storedThresholdFor(
  calibration: StoredCalibration,
  targetAccuracy: number,
): StoredThreshold | undefined {
  return calibration.thresholds.find((e) => Math.abs(e.targetAccuracy - targetAccuracy) < 1e-9);
}

/**
 * The rejection threshold for any target accuracy: the stored one when that target was stored, else one fitted
 * on the stored validation evidence exactly as `evaluate --calibrate` fits (same test, same confidence), else
 * `undefined` (an old model without evidence).
 *
 * @param targetAccuracy - in (0, 1].
 * @example
 * ```ts
 * const entry = rejectionThresholdFor(calibration, 0.7);
 * const abstain = entry?.threshold == null ? null : uncertainty > entry.threshold;
 * ```
 */
export function rejectionThresholdFor(
  calibration: StoredCalibration,
  targetAccuracy: number,
): StoredThreshold | undefined {
  if (typeof targetAccuracy !== 'number' || !(targetAccuracy > 0 && targetAccuracy <= 1)) {
    throw new RangeError(`targetAccuracy must be a number in (0, 1], got ${quote(targetAccuracy)}.`);
  }
  const stored = storedThresholdFor(calibration, targetAccuracy);
  if (stored || !calibration.evidence) return stored;
  const { uncertainty, correct, confidence } = calibration.evidence;
  const rule = fitRejectionThreshold(uncertainty, correct, targetAccuracy, { confidence });
  return {
    targetAccuracy,
    threshold: rule.attained ? rule.threshold : null,
    coverage: rule.attained ? rule.coverage : 0,
    confidence,
  };
}

/** The highest target accuracy the stored evidence supports (`highestSupportedAccuracy`), or `null` without evidence. */
export function supportedAccuracy(calibration: StoredCalibration): SupportedAccuracy | null {
  const e = calibration.evidence;
  return e ? highestSupportedAccuracy(e.uncertainty, e.correct, { confidence: e.confidence }) : null;
}

/**
 * Why a target has no threshold, in one sentence shared by the CLI and the playground, e.g. "the model did not
 * reach 95% accuracy on its validation split with 95% confidence at any coverage; the highest target it
 * supports is 63.2% (keeping 41% of images)". The supported target is rounded down, so it is itself reachable.
 */
export function describeUnreachableTarget(
  entry: StoredThreshold,
  calibration: StoredCalibration,
  supported: SupportedAccuracy | null = supportedAccuracy(calibration), // pass it when the caller has it already
): string {
  const sure = entry.confidence ? ` with ${percent(entry.confidence)} confidence` : '';
  const reached = `the model did not reach ${percent(entry.targetAccuracy)} accuracy on its validation split${sure} at any coverage`;
  if (!supported) return reached;
  if (supported.accuracy === 0) return `${reached}; no rule keeps a right prediction`;
  return (
    `${reached}; the highest target it supports is ${percent(floorSupported(supported.accuracy))} ` +
    `(keeping ${percent(supported.coverage)} of images)`
  );
}

/** A supported accuracy rounded down to 0.001, a target the evidence still supports (e.g. for `--target-acc`). */
export function floorSupported(accuracy: number): number {
  return Math.floor(accuracy * 1000) / 1000;
}

/** `0.95` → `95%`, `0.632` → `63.2%`. */
function percent(value: number): string {
  return `${Number((value * 100).toPrecision(3))}%`;
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
