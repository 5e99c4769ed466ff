/**
 * @file SVG plots of selective prediction, risk–coverage and calibration, as strings (no DOM needed).
 */

import type { ReliabilityDiagram } from '../calibration';
import { quote } from '../checks';
import type { RiskCoverageCurve, SelectivePredictionCurve } from '../selective-prediction';
import { type ChartLine, niceDomain, renderChart, SERIES_COLORS } from './svg-chart';

/** Options shared by every plot. */
export interface PlotConfig {
  /**
   * Width of the SVG in pixels.
   * @defaultValue 640
   */
  width?: number;
  /**
   * Height of the SVG in pixels.
   * @defaultValue 420
   */
  height?: number;
  /** Title above the plot; each plot has its own default. */
  title?: string;
}

/** Plot defaults. */
export const PLOT_DEFAULTS: Readonly<Required<Omit<PlotConfig, 'title'>>> = Object.freeze({
  width: 640,
  height: 420,
});

/** A curve with a legend label, for plots that compare several models or splits. */
export interface LabelledCurve<Curve> {
  /** Legend label. */
  label: string;
  /** The curve. */
  curve: Curve;
}

/** Options of {@link selectivePredictionSvg}. */
export interface SelectivePredictionPlotConfig extends PlotConfig {
  /**
   * Highlight one point, e.g. where an image sits on the curve (`rejectionRateAt(valUncertainty, u)`).
   * Without `accuracy` the marker is placed on the first curve (linear interpolation).
   */
  marker?: { rejectionRate: number; accuracy?: number; label?: string };
}

const percent = (digits: number) => (v: number) => `${(v * 100).toFixed(digits).replace(/\.0+$/, '')}%`;

function dimensions(config: PlotConfig): { width: number; height: number } {
  const width = config.width ?? PLOT_DEFAULTS.width;
  const height = config.height ?? PLOT_DEFAULTS.height;
  for (const [name, value] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isFinite(value) || value < 200) {
      throw new RangeError(`Plot ${name} must be a number >= 200 (pixels), got ${quote(value)}.`);
    }
  }
  return { width, height };
}

function asList<Curve>(
  curves: Curve | readonly LabelledCurve<Curve>[],
  what: string,
): LabelledCurve<Curve>[] {
  const list = Array.isArray(curves) ? [...curves] : [{ label: 'model', curve: curves as Curve }];
  if (list.length === 0) throw new RangeError(`${what} needs at least one curve.`);
  for (const item of list as unknown[]) {
    const entry = item as Partial<LabelledCurve<Curve>> | null;
    if (entry === null || typeof entry !== 'object' || typeof entry.label !== 'string' || !entry.curve) {
      throw new TypeError(`${what} takes a curve or an array of { label, curve }, got ${quote(item)}.`);
    }
  }
  return list;
}

function interpolate(points: readonly (readonly [number, number])[], x: number): number {
  const sorted = [...points].sort((a, b) => a[0] - b[0]);
  if (x <= sorted[0][0]) return sorted[0][1];
  for (let i = 1; i < sorted.length; i++) {
    const [xa, ya] = sorted[i - 1];
    const [xb, yb] = sorted[i];
    if (x <= xb) return xb === xa ? yb : ya + ((x - xa) / (xb - xa)) * (yb - ya);
  }
  return sorted[sorted.length - 1][1];
}

/**
 * Accuracy versus rejection rate (selective prediction), optionally with a highlighted point.
 *
 * @param curves - a result of `selectivePrediction`, or several as `{ label, curve }`.
 * @returns an SVG document string.
 * @example
 * ```ts
 * const svg = selectivePredictionSvg(selectivePrediction(u, correct), {
 *   marker: { rejectionRate: rejectionRateAt(u, 0.42), label: 'this image' },
 * });
 * ```
 */
export function selectivePredictionSvg(
  curves: SelectivePredictionCurve | readonly LabelledCurve<SelectivePredictionCurve>[],
  config: SelectivePredictionPlotConfig = {},
): string {
  const { width, height } = dimensions(config);
  const list = asList(curves, 'selectivePredictionSvg()');
  const lines: ChartLine[] = list.map(({ label, curve }, i) => ({
    label,
    color: SERIES_COLORS[i % SERIES_COLORS.length],
    dots: true,
    points: [...curve.points]
      .sort((a, b) => a.rejectionRate - b.rejectionRate)
      .map((p) => [p.rejectionRate, p.accuracy] as const),
  }));
  const ys = lines.flatMap((l) => l.points.map((p) => p[1]));
  const markers = [];
  if (config.marker) {
    const { rejectionRate } = config.marker;
    if (typeof rejectionRate !== 'number' || !(rejectionRate >= 0 && rejectionRate <= 1)) {
      throw new RangeError(`marker.rejectionRate must be a number in [0, 1], got ${quote(rejectionRate)}.`);
    }
    const accuracy = config.marker.accuracy ?? interpolate(lines[0].points, rejectionRate);
    ys.push(accuracy);
    markers.push({
      x: rejectionRate,
      y: accuracy,
      label: config.marker.label ?? 'selected',
      color: '#d62728',
    });
  }
  return renderChart({
    width,
    height,
    title: config.title ?? 'Selective prediction',
    subtitle: 'most uncertain samples rejected first',
    xLabel: 'Rejection rate',
    yLabel: 'Accuracy of kept samples',
    xDomain: [0, 1],
    yDomain: niceDomain(Math.min(...ys), Math.max(...ys), 0, 1),
    formatX: percent(0),
    formatY: percent(1),
    lines,
    markers,
    legend: 'top-left',
  });
}

/**
 * Risk (error rate of the kept samples) versus coverage, with AURC in the legend.
 *
 * @param curves - a result of `riskCoverageCurve`, or several as `{ label, curve }`.
 * @returns an SVG document string.
 */
export function riskCoverageSvg(
  curves: RiskCoverageCurve | readonly LabelledCurve<RiskCoverageCurve>[],
  config: PlotConfig = {},
): string {
  const { width, height } = dimensions(config);
  const list = asList(curves, 'riskCoverageSvg()');
  const lines: ChartLine[] = list.map(({ label, curve }, i) => ({
    label: `${label} (AURC ${curve.aurc.toFixed(4)}, E-AURC ${curve.eAurc.toFixed(4)})`,
    color: SERIES_COLORS[i % SERIES_COLORS.length],
    points: curve.points.map((p) => [p.coverage, p.risk] as const),
  }));
  const ys = lines.flatMap((l) => l.points.map((p) => p[1]));
  return renderChart({
    width,
    height,
    title: config.title ?? 'Risk–coverage curve',
    xLabel: 'Coverage',
    yLabel: 'Risk (error rate of kept samples)',
    xDomain: [0, 1],
    yDomain: niceDomain(0, Math.max(...ys, 0.01), 0, 1),
    formatX: percent(0),
    formatY: percent(1),
    lines,
    legend: 'top-left',
  });
}

/**
 * Reliability diagram: per-bin accuracy bars, the gap to the mean confidence, and the diagonal of perfect
 * calibration; ECE and MCE in the subtitle.
 *
 * @param diagram - a result of `reliabilityDiagram`.
 * @returns an SVG document string.
 */
export function reliabilityDiagramSvg(diagram: ReliabilityDiagram, config: PlotConfig = {}): string {
  const { width, height } = dimensions(config);
  if (diagram === null || typeof diagram !== 'object' || !Array.isArray(diagram.bins)) {
    throw new TypeError(
      `reliabilityDiagramSvg() takes the result of reliabilityDiagram(), got ${quote(diagram)}.`,
    );
  }
  const filled = diagram.bins.filter((b) => b.count > 0);
  return renderChart({
    width,
    height,
    title: config.title ?? 'Reliability diagram',
    subtitle: `ECE ${(diagram.ece * 100).toFixed(2)}%  ·  MCE ${(diagram.mce * 100).toFixed(2)}%  ·  n = ${diagram.n}`,
    xLabel: 'Confidence (max class probability)',
    yLabel: 'Accuracy',
    xDomain: [0, 1],
    yDomain: [0, 1],
    formatX: (v) => v.toFixed(1),
    formatY: (v) => v.toFixed(1),
    bars: [
      {
        label: 'Accuracy',
        color: '#1f77b4',
        items: filled.map((b) => ({ x0: b.lower, x1: b.upper, y0: 0, y1: b.accuracy })),
      },
      {
        label: 'Gap to confidence',
        color: '#d62728',
        opacity: 0.3,
        stroke: '#d62728',
        items: filled.map((b) => ({ x0: b.lower, x1: b.upper, y0: b.accuracy, y1: b.confidence })),
      },
    ],
    lines: [
      {
        label: 'Perfect calibration',
        color: '#555555',
        dashed: true,
        points: [
          [0, 0],
          [1, 1],
        ],
      },
    ],
    legend: 'top-left',
  });
}

/** One validation of a training run, as core-flow's trainer records it (`result.validations`). */
export interface LearningCurvePoint {
  /** Optimizer step. */
  step: number;
  /** Accuracy on the validation images, in [0, 1]. */
  accuracy: number;
  /** Balanced accuracy (mean per-class recall) on the validation images. */
  balancedAccuracy?: number;
  /** Accuracy on a fixed subset of the training images. */
  trainingAccuracy?: number;
  /** Balanced accuracy on those training images. */
  trainingBalancedAccuracy?: number;
}

/** Options of {@link learningCurveSvg}. */
export interface LearningCurvePlotConfig extends PlotConfig {
  /** Step of the selected weights, marked on the validation curve. */
  selectedStep?: number;
}

/**
 * Accuracy on validation and on training images by training step: the picture that tells underfitting (both
 * low) from overfitting (training rising while validation falls). Balanced accuracies are dashed; series a
 * run did not record are left out.
 *
 * @param points - the validations of a run, in step order.
 * @returns an SVG document string.
 * @example
 * ```ts
 * const result = await train({ data, validation, outDir: 'runs/a' });
 * writeFileSync('runs/a/learning-curve.svg', learningCurveSvg(result.validations, { selectedStep: result.bestStep ?? undefined }));
 * ```
 */
export function learningCurveSvg(
  points: readonly LearningCurvePoint[],
  config: LearningCurvePlotConfig = {},
): string {
  const { width, height } = dimensions(config);
  if (!Array.isArray(points) || points.length === 0) {
    throw new RangeError(`learningCurveSvg() needs at least one validation record, got ${quote(points)}.`);
  }
  for (const p of points as unknown[]) {
    const r = p as Partial<LearningCurvePoint> | null;
    if (r === null || typeof r !== 'object' || !Number.isFinite(r.step) || !Number.isFinite(r.accuracy)) {
      throw new TypeError(
        `learningCurveSvg() takes records { step, accuracy, … } with finite numbers, got ${quote(p)}.`,
      );
    }
  }
  const series: [keyof LearningCurvePoint, string, string, boolean][] = [
    ['accuracy', 'validation accuracy', SERIES_COLORS[0], false],
    ['balancedAccuracy', 'validation balanced accuracy', SERIES_COLORS[0], true],
    ['trainingAccuracy', 'training-image accuracy', SERIES_COLORS[1], false],
    ['trainingBalancedAccuracy', 'training-image balanced accuracy', SERIES_COLORS[1], true],
  ];
  const lines: ChartLine[] = [];
  for (const [key, label, color, dashed] of series) {
    const kept = points.filter((p) => Number.isFinite(p[key]));
    if (kept.length === 0) continue;
    lines.push({
      label,
      color,
      dashed,
      dots: !dashed,
      points: kept.map((p) => [p.step, p[key] as number] as const),
    });
  }
  const steps = points.map((p) => p.step);
  const ys = lines.flatMap((l) => l.points.map((p) => p[1]));
  const markers = [];
  if (config.selectedStep !== undefined) {
    const selected = points.find((p) => p.step === config.selectedStep);
    if (!selected) {
      throw new RangeError(
        `selectedStep ${quote(config.selectedStep)} is not one of the validated steps (${steps.join(', ')}).`,
      );
    }
    markers.push({ x: selected.step, y: selected.accuracy, label: 'selected', color: '#d62728' });
  }
  const first = Math.min(0, ...steps);
  const last = Math.max(...steps, first + 1);
  return renderChart({
    width,
    height,
    title: config.title ?? 'Learning curve',
    subtitle: 'validation vs training images; balanced = mean per-class recall (dashed)',
    xLabel: 'Training step',
    yLabel: 'Accuracy',
    xDomain: [first, last],
    yDomain: niceDomain(Math.min(...ys), Math.max(...ys), 0, 1),
    formatX: (v) => `${Math.round(v)}`,
    formatY: percent(0),
    lines,
    markers,
    legend: 'auto', // curves can sit anywhere: put the legend where it hides least
  });
}
