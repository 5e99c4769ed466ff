/**
 * @file The model's selective-prediction curve from the zoo manifest (`metrics.selective`: reject the most
 * uncertain share of the test split, report the accuracy on the rest, with the uncertainty threshold of each
 * share) and where one image's uncertainty falls on it.
 * @module lib/selective
 */

/** One point of the curve. */
export interface CurvePoint {
  /** Share of test images rejected, in [0, 1]. */
  readonly reject: number;
  /** Accuracy on the kept images. */
  readonly acc: number;
  /** Uncertainty above which images are rejected at this share (`null` where not reported). */
  readonly threshold: number | null;
}

/** The curve, or why there is none. */
export type SelectiveCurve =
  | {
      readonly available: true;
      readonly points: readonly CurvePoint[];
      readonly split: string;
      readonly n: number | null;
    }
  | { readonly available: false; readonly reason: string };

/** Reads `metrics.selective`, sorted by reject share; degrades to a reason when absent or malformed. */
export function readSelectiveCurve(metrics: unknown): SelectiveCurve {
  const m = metrics as { selective?: unknown; split?: unknown; n?: unknown } | null | undefined;
  if (!m || !Array.isArray(m.selective) || m.selective.length < 2) {
    return {
      available: false,
      reason:
        'This model’s zoo entry has no selective-prediction curve (metrics.selective), so it is not shown.',
    };
  }
  const points = (m.selective as Partial<CurvePoint>[])
    .filter((p) => typeof p?.reject === 'number' && typeof p.acc === 'number')
    .map((p) => ({
      reject: p.reject as number,
      acc: p.acc as number,
      threshold: typeof p.threshold === 'number' ? p.threshold : null,
    }))
    .sort((a, b) => a.reject - b.reject);
  if (points.length < 2) {
    return {
      available: false,
      reason: 'The zoo entry’s selective-prediction curve is malformed, so it is not shown.',
    };
  }
  return {
    available: true,
    points,
    split: typeof m.split === 'string' ? m.split : 'test',
    n: typeof m.n === 'number' ? m.n : null,
  };
}

/** Where an image sits on the curve. */
export interface CurvePosition {
  /** Reject share from which on this image would be rejected (interpolated between points). */
  readonly reject: number;
  /** Accuracy of the curve at that share. */
  readonly acc: number;
  /** The image is more certain than every rejection threshold on the curve (kept at every share shown). */
  readonly keptEverywhere: boolean;
  /** The image is less certain than the reject-0 threshold (more uncertain than any test image). */
  readonly beyondCurve: boolean;
}

/**
 * The reject share at which an image with this uncertainty would be rejected: the curve's thresholds fall as
 * the share grows; the image is rejected once its uncertainty exceeds the threshold. `null` when the curve
 * reports no thresholds.
 */
export function positionOnCurve(points: readonly CurvePoint[], uncertainty: number): CurvePosition | null {
  const withThreshold = points.filter((p): p is CurvePoint & { threshold: number } => p.threshold !== null);
  if (withThreshold.length === 0 || !Number.isFinite(uncertainty)) return null;
  const first = withThreshold[0];
  if (uncertainty > first.threshold) {
    return { reject: first.reject, acc: first.acc, keptEverywhere: false, beyondCurve: true };
  }
  for (let i = 1; i < withThreshold.length; i++) {
    const a = withThreshold[i - 1];
    const b = withThreshold[i];
    if (uncertainty > b.threshold) {
      const span = a.threshold - b.threshold;
      const f = span > 0 ? (a.threshold - uncertainty) / span : 1;
      return {
        reject: a.reject + f * (b.reject - a.reject),
        acc: a.acc + f * (b.acc - a.acc),
        keptEverywhere: false,
        beyondCurve: false,
      };
    }
  }
  const last = withThreshold[withThreshold.length - 1];
  return { reject: last.reject, acc: last.acc, keptEverywhere: true, beyondCurve: false };
}
