/**
 * @file Calibrated class probabilities from distances (temperature scaling) and calibration metrics
 * (ECE, reliability diagram).
 *
 * Probabilities are `softmax(−distance / T)`. The temperature T is fitted on the validation split by
 * minimising the negative log-likelihood with a golden-section search over log T — the NLL is convex in
 * 1/T, hence unimodal in log T, so the search finds the global minimum inside the bracket.
 */
import { assertInteger, assertMatrix, quote, toLabels } from './checks';

/** Options of {@link fitTemperature}. */
export interface TemperatureFitConfig {
  /**
   * Smallest temperature searched.
   * @defaultValue 1e-4
   */
  minTemperature?: number;
  /**
   * Largest temperature searched.
   * @defaultValue 1e4
   */
  maxTemperature?: number;
  /**
   * Stop when the log-temperature bracket is narrower than this.
   * @defaultValue 1e-6
   */
  tolerance?: number;
}

/** Resolved {@link TemperatureFitConfig}. */
export type ResolvedTemperatureFitConfig = Required<TemperatureFitConfig>;

/** Defaults of {@link fitTemperature}. */
export const TEMPERATURE_FIT_DEFAULTS: Readonly<ResolvedTemperatureFitConfig> = Object.freeze({
  minTemperature: 1e-4,
  maxTemperature: 1e4,
  tolerance: 1e-6,
});

/** Result of {@link fitTemperature}. */
export interface TemperatureFit {
  /** The fitted temperature T. */
  temperature: number;
  /** Mean negative log-likelihood at T. */
  nll: number;
  /** Mean negative log-likelihood at T = 1, for comparison. */
  initialNll: number;
  /** True when T hit `minTemperature` or `maxTemperature` (e.g. perfectly separated validation data). */
  atBoundary: boolean;
  /** Golden-section iterations used. */
  iterations: number;
}

/** Options of {@link reliabilityDiagram} and {@link expectedCalibrationError}. */
export interface CalibrationConfig {
  /**
   * Number of equal-width confidence bins on [0, 1]; bin b holds confidences in (b/B, (b+1)/B].
   * @defaultValue 15
   */
  bins?: number;
}

/** Defaults of the calibration metrics. */
export const CALIBRATION_DEFAULTS: Readonly<Required<CalibrationConfig>> = Object.freeze({ bins: 15 });

/** One confidence bin of a reliability diagram. */
export interface ReliabilityBin {
  /** Lower edge (exclusive, except for the first bin). */
  lower: number;
  /** Upper edge (inclusive). */
  upper: number;
  /** Samples whose confidence falls in the bin. */
  count: number;
  /** Accuracy of those samples (NaN when empty). */
  accuracy: number;
  /** Mean confidence of those samples (NaN when empty). */
  confidence: number;
}

/** Reliability diagram data and the calibration errors it implies. */
export interface ReliabilityDiagram {
  /** Number of samples. */
  n: number;
  /** Bins from low to high confidence. */
  bins: ReliabilityBin[];
  /** Expected calibration error: Σ_b (count_b / n) · |accuracy_b − confidence_b|. */
  ece: number;
  /** Maximum calibration error over non-empty bins. */
  mce: number;
  /** Overall accuracy of the argmax predictions. */
  accuracy: number;
  /** Overall mean confidence (max probability). */
  confidence: number;
}

function nllUnchecked(
  distances: ArrayLike<number>,
  labels: Int32Array,
  numClasses: number,
  temperature: number,
): number {
  let total = 0;
  for (let i = 0; i < labels.length; i++) {
    const row = i * numClasses;
    let min = distances[row];
    for (let k = 1; k < numClasses; k++) min = Math.min(min, distances[row + k]);
    let sum = 0;
    for (let k = 0; k < numClasses; k++) sum += Math.exp(-(distances[row + k] - min) / temperature);
    // −log p_y = (d_y − min) / T + log Σ exp(−(d_k − min) / T)
    total += (distances[row + labels[i]] - min) / temperature + Math.log(sum);
  }
  return total / labels.length;
}

/**
 * Mean negative log-likelihood of `labels` under `softmax(−distances / temperature)`.
 */
export function negativeLogLikelihood(
  distances: ArrayLike<number>,
  labels: ArrayLike<number>,
  numClasses: number,
  temperature = 1,
): number {
  const n = assertMatrix('distances', distances, numClasses);
  const truth = toLabels('labels', labels, numClasses, n);
  if (!(temperature > 0) || !Number.isFinite(temperature)) {
    throw new RangeError(`temperature must be a finite number > 0, got ${quote(temperature)}.`);
  }
  return nllUnchecked(distances, truth, numClasses, temperature);
}

/**
 * Fits the softmax temperature on validation distances by minimising the NLL (golden-section search on
 * log T). Use the result with `distanceProbabilities(testDistances, numClasses, fit.temperature)`.
 *
 * @param distances - validation distances `[n, numClasses]`.
 * @param labels - validation labels.
 * @example
 * ```ts
 * // Every sample is nearer class 0 by 1, and 3 of 4 are class 0: the best T solves σ(1/T) = 0.75.
 * fitTemperature([0, 1, 0, 1, 0, 1, 0, 1], [0, 0, 0, 1], 2).temperature; // 1 / ln 3 = 0.9102
 * ```
 */
export function fitTemperature(
  distances: ArrayLike<number>,
  labels: ArrayLike<number>,
  numClasses: number,
  config: TemperatureFitConfig = {},
): TemperatureFit {
  const n = assertMatrix('distances', distances, numClasses);
  const truth = toLabels('labels', labels, numClasses, n);
  const { minTemperature, maxTemperature, tolerance } = { ...TEMPERATURE_FIT_DEFAULTS, ...config };
  if (!(minTemperature > 0 && maxTemperature > minTemperature && Number.isFinite(maxTemperature))) {
    throw new RangeError(
      `Need 0 < minTemperature < maxTemperature < Infinity, got ${quote(minTemperature)} and ${quote(maxTemperature)}.`,
    );
  }
  if (!(tolerance > 0)) throw new RangeError(`tolerance must be > 0, got ${quote(tolerance)}.`);
  const f = (logT: number) => nllUnchecked(distances, truth, numClasses, Math.exp(logT));
  const invPhi = (Math.sqrt(5) - 1) / 2;
  let a = Math.log(minTemperature);
  let b = Math.log(maxTemperature);
  let c = b - invPhi * (b - a);
  let d = a + invPhi * (b - a);
  let fc = f(c);
  let fd = f(d);
  let iterations = 0;
  while (b - a > tolerance && iterations < 200) {
    iterations++;
    if (fc <= fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - invPhi * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + invPhi * (b - a);
      fd = f(d);
    }
  }
  let logT = (a + b) / 2;
  let nll = f(logT);
  // The ends of the bracket are never evaluated by the search itself; check them.
  for (const end of [Math.log(minTemperature), Math.log(maxTemperature)]) {
    const value = f(end);
    if (value < nll) {
      nll = value;
      logT = end;
    }
  }
  const edge = 10 * tolerance;
  return {
    temperature: Math.exp(logT),
    nll,
    initialNll: f(0),
    atBoundary: logT - Math.log(minTemperature) < edge || Math.log(maxTemperature) - logT < edge,
    iterations,
  };
}

/**
 * Reliability diagram: samples binned by confidence (max probability), with per-bin accuracy and mean
 * confidence, plus ECE and MCE. Predictions are the argmax (lowest index on ties).
 *
 * @param probabilities - `[n, numClasses]` row-major, e.g. from `distanceProbabilities`.
 * @param labels - `n` class indices.
 * @example
 * ```ts
 * const diagram = reliabilityDiagram([0.9, 0.1, 0.8, 0.2, 0.3, 0.7, 0.4, 0.6], [0, 1, 1, 1], 2, { bins: 5 });
 * diagram.ece; // (1·0.4 + 2·0.25 + 1·0.1) / 4 = 0.25
 * ```
 */
export function reliabilityDiagram(
  probabilities: ArrayLike<number>,
  labels: ArrayLike<number>,
  numClasses: number,
  config: CalibrationConfig = {},
): ReliabilityDiagram {
  const n = assertMatrix('probabilities', probabilities, numClasses);
  const truth = toLabels('labels', labels, numClasses, n);
  const binCount = assertInteger('bins', config.bins ?? CALIBRATION_DEFAULTS.bins, 1);
  for (let i = 0; i < probabilities.length; i++) {
    if (probabilities[i] < 0 || probabilities[i] > 1 + 1e-6) {
      throw new RangeError(
        `probabilities[${i}] = ${quote(probabilities[i])} is not in [0, 1]. ` +
          'Fix: pass probabilities (e.g. distanceProbabilities(distances, numClasses, T)), not distances or scores.',
      );
    }
  }
  const counts = new Float64Array(binCount);
  const hits = new Float64Array(binCount);
  const confidenceSums = new Float64Array(binCount);
  let totalHits = 0;
  let totalConfidence = 0;
  for (let i = 0; i < n; i++) {
    const row = i * numClasses;
    let predicted = 0;
    for (let k = 1; k < numClasses; k++)
      if (probabilities[row + k] > probabilities[row + predicted]) predicted = k;
    const confidence = Math.min(1, probabilities[row + predicted]);
    const bin = Math.min(binCount - 1, Math.max(0, Math.ceil(confidence * binCount - 1e-9) - 1));
    const hit = predicted === truth[i] ? 1 : 0;
    counts[bin]++;
    hits[bin] += hit;
    confidenceSums[bin] += confidence;
    totalHits += hit;
    totalConfidence += confidence;
  }
  let ece = 0;
  let mce = 0;
  const bins: ReliabilityBin[] = [];
  for (let b = 0; b < binCount; b++) {
    const count = counts[b];
    const accuracy = count > 0 ? hits[b] / count : Number.NaN;
    const confidence = count > 0 ? confidenceSums[b] / count : Number.NaN;
    if (count > 0) {
      const gap = Math.abs(accuracy - confidence);
      ece += (count / n) * gap;
      mce = Math.max(mce, gap);
    }
    bins.push({ lower: b / binCount, upper: (b + 1) / binCount, count, accuracy, confidence });
  }
  return { n, bins, ece, mce, accuracy: totalHits / n, confidence: totalConfidence / n };
}

/**
 * Expected calibration error (15 equal-width bins by default); see {@link reliabilityDiagram}.
 */
export function expectedCalibrationError(
  probabilities: ArrayLike<number>,
  labels: ArrayLike<number>,
  numClasses: number,
  config: CalibrationConfig = {},
): number {
  return reliabilityDiagram(probabilities, labels, numClasses, config).ece;
}
