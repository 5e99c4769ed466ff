/**
 * @file Decisions from the calibration stored with a model (`config.metadata.calibration`, read by
 * `readStoredCalibration` of @medsymmflow/uncertainty, as `medsymmflow classify` does): the slider's
 * thresholds, probability = temperature-scaled softmax of −distances; abstain = uncertainty > threshold.
 * @module lib/calibration
 */
import {
  describeUnreachableTarget,
  distanceProbabilities,
  rejectionThresholdFor,
  type StoredCalibration,
  type StoredThreshold,
} from '@medsymmflow/uncertainty';

/** The default target accuracy, as `medsymmflow classify --target-acc`. */
export const DEFAULT_TARGET_ACCURACY = 0.95;

/** `pneumoniamnist val, n = 524`, or `null` when the calibration does not say where it was fitted. */
export function describeFittedOn(calibration: StoredCalibration): string | null {
  const f = calibration.fittedOn;
  return f ? `${f.dataset} ${f.split}, n = ${f.n}` : null;
}

/** The slider's range with validation evidence: 50 % … 99 %, in steps of 1 %. */
const SLIDER_TARGETS = Array.from({ length: 50 }, (_, i) => (50 + i) / 100);

/**
 * The target-accuracy slider's steps, each with its threshold. With the validation evidence stored (models
 * calibrated since it is), every target from 50 % to 99 % in 1 % steps, fitted on the evidence as
 * `medsymmflow classify --target-acc` fits it; else the stored targets only.
 */
export function sliderTargets(calibration: StoredCalibration): StoredThreshold[] {
  if (!calibration.evidence) return [...calibration.thresholds];
  return SLIDER_TARGETS.map((target) => rejectionThresholdFor(calibration, target) as StoredThreshold);
}

/** The slider position closest to a target accuracy (index into `thresholds`), preferring the CLI default. */
export function defaultSliderIndex(
  thresholds: readonly StoredThreshold[],
  target = DEFAULT_TARGET_ACCURACY,
): number {
  if (thresholds.length === 0) return -1;
  let best = 0;
  for (let i = 1; i < thresholds.length; i++) {
    if (Math.abs(thresholds[i].targetAccuracy - target) < Math.abs(thresholds[best].targetAccuracy - target))
      best = i;
  }
  return best;
}

/** The decision for one image at a stored threshold: abstain, predict, or unknown (no threshold). */
export type AbstainDecision =
  | { readonly kind: 'predict'; readonly threshold: number }
  | { readonly kind: 'abstain'; readonly threshold: number }
  | { readonly kind: 'unknown'; readonly reason: string };

/**
 * Abstains when the uncertainty exceeds the threshold (`medsymmflow classify`'s rule). A target the model cannot
 * reach is explained in the CLI's words, naming the highest target the model supports.
 */
export function abstainDecision(
  uncertainty: number,
  entry: StoredThreshold | undefined,
  calibration: StoredCalibration,
): AbstainDecision {
  if (!entry) {
    return {
      kind: 'unknown',
      reason: 'The model stores no rejection thresholds (calibrate it with evaluate --calibrate).',
    };
  }
  if (entry.threshold === null) {
    const reason = describeUnreachableTarget(entry, calibration);
    return { kind: 'unknown', reason: `${reason[0].toUpperCase()}${reason.slice(1)}.` };
  }
  return uncertainty > entry.threshold
    ? { kind: 'abstain', threshold: entry.threshold }
    : { kind: 'predict', threshold: entry.threshold };
}

/** Calibrated probability of the predicted class (`null` without a temperature). */
export function predictedProbability(
  distances: Float32Array,
  label: number,
  temperature: number | null,
): number | null {
  if (temperature === null) return null;
  return distanceProbabilities(distances, distances.length, temperature)[label];
}

/** `0.95` → `95%`, `0.999` → `99.9%`. */
export function formatPercent(value: number): string {
  return `${Number((value * 100).toPrecision(3))}%`;
}
