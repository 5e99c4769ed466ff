/**
 * @file The page's two charts as SVG markup (pure functions, so they are unit-tested without a browser):
 * per-class distances as horizontal bars, and the selective-prediction curve with a marker for one image.
 * @module lib/charts
 */
import { formatPercent } from './calibration';
import type { CurvePoint, CurvePosition } from './selective';

/** Escapes text for SVG/HTML. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3));

/** Options of {@link distanceBarsSvg}. */
export interface DistanceBarsOptions {
  /** Class names. */
  readonly labels: readonly string[];
  /** Distance of the image's predicted mask to each class (smaller = closer). */
  readonly distances: ArrayLike<number>;
  /** Predicted class (drawn highlighted). */
  readonly predicted: number;
  /** CSS colours per class (e.g. the palette colours), optional. */
  readonly colours?: readonly string[];
  /** Width in px. @defaultValue 420 */
  readonly width?: number;
}

/** Horizontal bars, one per class, longest = farthest; the predicted (closest) class is highlighted. */
export function distanceBarsSvg(options: DistanceBarsOptions): string {
  const { labels, distances, predicted, colours } = options;
  const width = options.width ?? 420;
  const row = 26;
  const labelWidth = Math.min(160, 24 + 8 * Math.max(...labels.map((l) => l.length)));
  const valueWidth = 56;
  const barMax = width - labelWidth - valueWidth;
  const max = Math.max(...Array.from(distances), 1e-9);
  const height = row * labels.length + 8;
  const bars = labels.map((label, i) => {
    const d = distances[i];
    const w = Math.max(1, (d / max) * barMax);
    const y = 4 + i * row;
    const isPredicted = i === predicted;
    return (
      `<g class="bar${isPredicted ? ' predicted' : ''}" data-class="${i}" data-distance="${d}">` +
      `<text x="${labelWidth - 8}" y="${y + 17}" text-anchor="end">${escapeXml(label)}</text>` +
      `<rect x="${labelWidth}" y="${y + 4}" width="${w.toFixed(1)}" height="${row - 8}" rx="3"` +
      `${colours?.[i] ? ` style="--swatch:${escapeXml(colours[i])}"` : ''}/>` +
      `<text class="value" x="${labelWidth + w + 6}" y="${y + 17}">${fmt(d)}</text></g>`
    );
  });
  return (
    `<svg class="chart distances" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" ` +
    `aria-label="Distance of the predicted mask to each class colour">${bars.join('')}</svg>`
  );
}

/** Options of {@link selectiveCurveSvg}. */
export interface SelectiveCurveOptions {
  readonly points: readonly CurvePoint[];
  /** This image's position, drawn as a marker. */
  readonly position?: CurvePosition | null;
  /** Accuracy target of the slider, drawn as a dashed line. */
  readonly targetAccuracy?: number;
  /** @defaultValue 420 */
  readonly width?: number;
  /** @defaultValue 220 */
  readonly height?: number;
}

/** Accuracy of the kept images (y) against the share rejected (x), with this image's marker. */
export function selectiveCurveSvg(options: SelectiveCurveOptions): string {
  const width = options.width ?? 420;
  const height = options.height ?? 220;
  const pad = { left: 44, right: 12, top: 12, bottom: 34 };
  const accs = options.points.map((p) => p.acc);
  const yMin = Math.max(0, Math.floor(Math.min(...accs, options.targetAccuracy ?? 1) * 10) / 10 - 0.05);
  const yMax = 1;
  const x = (reject: number) => pad.left + reject * (width - pad.left - pad.right);
  const y = (acc: number) => pad.top + ((yMax - acc) / (yMax - yMin)) * (height - pad.top - pad.bottom);
  const path = options.points
    .map((p, i) => `${i ? 'L' : 'M'}${x(p.reject).toFixed(1)},${y(p.acc).toFixed(1)}`)
    .join('');
  const ticks = [0, 0.25, 0.5, 0.75, 1].map(
    (t) => `<text class="tick" x="${x(t)}" y="${height - 18}" text-anchor="middle">${t * 100}%</text>`,
  );
  const yTicks = [yMin, (yMin + yMax) / 2, yMax].map(
    (t) =>
      `<text class="tick" x="${pad.left - 6}" y="${y(t) + 4}" text-anchor="end">${formatPercent(t)}</text>`,
  );
  const target =
    options.targetAccuracy === undefined || options.targetAccuracy < yMin
      ? ''
      : `<line class="target" x1="${pad.left}" x2="${width - pad.right}" y1="${y(options.targetAccuracy)}" y2="${y(options.targetAccuracy)}"/>`;
  const p = options.position;
  const marker = p
    ? `<g class="marker"><line x1="${x(p.reject)}" x2="${x(p.reject)}" y1="${pad.top}" y2="${height - pad.bottom}"/>` +
      `<circle cx="${x(p.reject).toFixed(1)}" cy="${y(p.acc).toFixed(1)}" r="6"/></g>`
    : '';
  return (
    `<svg class="chart selective" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" ` +
    `aria-label="Selective prediction: accuracy of kept images against the share rejected">` +
    `<rect class="frame" x="${pad.left}" y="${pad.top}" width="${width - pad.left - pad.right}" height="${height - pad.top - pad.bottom}"/>` +
    `${target}<path class="curve" d="${path}"/>${marker}${ticks.join('')}${yTicks.join('')}` +
    `<text class="axis" x="${(pad.left + width - pad.right) / 2}" y="${height - 3}" text-anchor="middle">share of test images rejected (most uncertain first)</text>` +
    `</svg>`
  );
}
