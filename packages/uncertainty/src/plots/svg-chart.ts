/**
 * @file A small line/bar chart renderer that writes SVG strings (internal; no DOM needed).
 */

/** Colours for successive series (colour-blind friendly Tableau 10 order). */
export const SERIES_COLORS = Object.freeze([
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
]);

export interface ChartLine {
  label: string;
  points: readonly (readonly [number, number])[];
  color: string;
  dashed?: boolean;
  dots?: boolean;
}

export interface ChartBars {
  label: string;
  color: string;
  opacity?: number;
  stroke?: string;
  items: readonly { x0: number; x1: number; y0: number; y1: number }[];
}

export interface ChartMarker {
  x: number;
  y: number;
  label: string;
  color: string;
}

/** Where the legend box goes; `auto` takes the corner that hides the fewest data points. */
export type LegendPosition = 'top-left' | 'top-right' | 'bottom-left' | 'bottom-right' | 'auto';

export interface ChartSpec {
  width: number;
  height: number;
  title: string;
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  xDomain: readonly [number, number];
  yDomain: readonly [number, number];
  formatX: (value: number) => string;
  formatY: (value: number) => string;
  lines: readonly ChartLine[];
  bars?: readonly ChartBars[];
  markers?: readonly ChartMarker[];
  legend: LegendPosition;
}

/** Escapes text for SVG element content and attribute values. */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const round = (v: number) => Math.round(v * 100) / 100;

/** About `count` round tick values covering [min, max] (steps of 1, 2 or 5 × 10^k). */
export function niceTicks(min: number, max: number, count = 5): number[] {
  const span = max - min;
  if (!(span > 0)) return [min];
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => span / s <= count + 0.5) ?? 10 * power;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step - 1e-9) * step; v <= max + step * 1e-9; v += step) {
    ticks.push(Math.round(v / step) * step);
  }
  return ticks;
}

/** Expands [min, max] to round tick values, clamped to [lowest, highest]. */
export function niceDomain(min: number, max: number, lowest: number, highest: number): [number, number] {
  if (!(max > min)) {
    const pad = Math.max(Math.abs(min) * 0.05, 0.01);
    return [Math.max(lowest, min - pad), Math.min(highest, max + pad)];
  }
  const ticks = niceTicks(min, max, 5);
  const step = ticks.length > 1 ? ticks[1] - ticks[0] : max - min;
  return [Math.max(lowest, Math.floor(min / step) * step), Math.min(highest, Math.ceil(max / step) * step)];
}

let chartCount = 0;

/** Renders a chart to a standalone SVG document string. */
export function renderChart(spec: ChartSpec): string {
  // A distinct clip-path id per chart, so several SVGs can be inlined in one HTML page.
  const clipId = `medsymmflow-plot-${++chartCount}`;
  const { width, height } = spec;
  const margin = { left: 70, right: 24, top: spec.subtitle ? 62 : 48, bottom: 58 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const [x0, x1] = spec.xDomain;
  const [y0, y1] = spec.yDomain;
  const sx = (x: number) => round(margin.left + ((x - x0) / (x1 - x0 || 1)) * plotW);
  // Data span the plot height minus a small inset, so points at the domain's top stay off the frame.
  const inset = 8;
  const sy = (y: number) => round(margin.top + plotH - ((y - y0) / (y1 - y0 || 1)) * (plotH - inset));
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="DejaVu Sans, Helvetica, Arial, sans-serif" role="img" aria-label="${escapeXml(spec.title)}">`,
  );
  out.push(`<title>${escapeXml(spec.title)}</title>`);
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(
    `<text x="${round(width / 2)}" y="28" text-anchor="middle" font-size="17" font-weight="bold" fill="#222">` +
      `${escapeXml(spec.title)}</text>`,
  );
  if (spec.subtitle) {
    out.push(
      `<text x="${round(width / 2)}" y="48" text-anchor="middle" font-size="12" fill="#555">` +
        `${escapeXml(spec.subtitle)}</text>`,
    );
  }

  // Grid, ticks and axes.
  out.push('<g class="grid" stroke="#e5e5e5" stroke-width="1">');
  const xTicks = niceTicks(x0, x1, 6);
  const yTicks = niceTicks(y0, y1, 5);
  for (const t of xTicks)
    out.push(`<line x1="${sx(t)}" y1="${margin.top}" x2="${sx(t)}" y2="${margin.top + plotH}"/>`);
  for (const t of yTicks)
    out.push(`<line x1="${margin.left}" y1="${sy(t)}" x2="${margin.left + plotW}" y2="${sy(t)}"/>`);
  out.push('</g>');
  out.push('<g class="ticks" font-size="11" fill="#333">');
  for (const t of xTicks) {
    out.push(
      `<text x="${sx(t)}" y="${margin.top + plotH + 18}" text-anchor="middle">${escapeXml(spec.formatX(t))}</text>`,
    );
  }
  for (const t of yTicks) {
    out.push(
      `<text x="${margin.left - 8}" y="${sy(t) + 4}" text-anchor="end">${escapeXml(spec.formatY(t))}</text>`,
    );
  }
  out.push('</g>');
  out.push(
    `<rect class="frame" x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#444" stroke-width="1"/>`,
  );
  out.push(
    `<text class="x-label" x="${round(margin.left + plotW / 2)}" y="${height - 16}" text-anchor="middle" font-size="13" fill="#222">` +
      `${escapeXml(spec.xLabel)}</text>`,
  );
  const yMid = round(margin.top + plotH / 2);
  out.push(
    `<text class="y-label" x="18" y="${yMid}" text-anchor="middle" font-size="13" fill="#222" transform="rotate(-90 18 ${yMid})">` +
      `${escapeXml(spec.yLabel)}</text>`,
  );

  // Data, clipped to the plot area.
  out.push(
    `<defs><clipPath id="${clipId}"><rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}"/></clipPath></defs>`,
  );
  out.push(`<g clip-path="url(#${clipId})">`);
  for (const bars of spec.bars ?? []) {
    out.push(
      `<g class="bars" fill="${bars.color}" fill-opacity="${bars.opacity ?? 1}" stroke="${bars.stroke ?? '#ffffff'}" stroke-width="1">`,
    );
    for (const b of bars.items) {
      const top = Math.min(sy(b.y0), sy(b.y1));
      out.push(
        `<rect x="${sx(b.x0)}" y="${top}" width="${round(sx(b.x1) - sx(b.x0))}" height="${round(Math.abs(sy(b.y1) - sy(b.y0)))}"/>`,
      );
    }
    out.push('</g>');
  }
  for (const line of spec.lines) {
    const d = line.points.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${sx(x)} ${sy(y)}`).join(' ');
    out.push(
      `<path class="series" d="${d}" fill="none" stroke="${line.color}" stroke-width="2"` +
        `${line.dashed ? ' stroke-dasharray="6 4"' : ''} stroke-linejoin="round"/>`,
    );
    if (line.dots) {
      out.push(`<g fill="${line.color}">`);
      for (const [x, y] of line.points) out.push(`<circle cx="${sx(x)}" cy="${sy(y)}" r="2.5"/>`);
      out.push('</g>');
    }
  }
  out.push('</g>');
  for (const m of spec.markers ?? []) {
    const cx = sx(m.x);
    const cy = sy(m.y);
    const anchor = cx > margin.left + plotW * 0.7 ? 'end' : 'start';
    const dx = anchor === 'end' ? -10 : 10;
    const dy = cy - margin.top < 30 ? 20 : -10;
    out.push(
      `<g class="marker"><circle cx="${cx}" cy="${cy}" r="6" fill="${m.color}" stroke="#ffffff" stroke-width="2"/>` +
        `<text x="${round(cx + dx)}" y="${round(cy + dy)}" text-anchor="${anchor}" font-size="12" font-weight="bold" fill="${m.color}">` +
        `${escapeXml(m.label)}</text></g>`,
    );
  }

  // Legend.
  const entries = [
    ...(spec.bars ?? []).map((b) => ({
      label: b.label,
      color: b.color,
      kind: 'bar' as const,
      dashed: false,
      opacity: b.opacity ?? 1,
    })),
    ...spec.lines.map((l) => ({
      label: l.label,
      color: l.color,
      kind: 'line' as const,
      dashed: !!l.dashed,
      opacity: 1,
    })),
    ...(spec.markers ?? []).map((m) => ({
      label: m.label,
      color: m.color,
      kind: 'dot' as const,
      dashed: false,
      opacity: 1,
    })),
  ];
  if (entries.length > 0) {
    const rowH = 18;
    const boxW = Math.min(plotW - 16, 36 + Math.max(...entries.map((e) => e.label.length)) * 6.6);
    const boxH = entries.length * rowH + 10;
    const boxAt = (corner: Exclude<LegendPosition, 'auto'>) => ({
      left: corner.endsWith('left') ? margin.left + 10 : margin.left + plotW - boxW - 10,
      top: corner.startsWith('top') ? margin.top + 10 : margin.top + plotH - boxH - 10,
    });
    let corner: Exclude<LegendPosition, 'auto'>;
    if (spec.legend === 'auto') {
      // Points along every line (each segment sampled), in pixels; the box hiding the fewest wins.
      const pixels: [number, number][] = [];
      for (const { points } of spec.lines) {
        if (points.length > 0) pixels.push([sx(points[0][0]), sy(points[0][1])]);
        for (let i = 1; i < points.length; i++) {
          const [[ax, ay], [bx, by]] = [points[i - 1], points[i]];
          for (let k = 1; k <= 16; k++)
            pixels.push([sx(ax + ((bx - ax) * k) / 16), sy(ay + ((by - ay) * k) / 16)]);
        }
      }
      const hidden = (c: Exclude<LegendPosition, 'auto'>) => {
        const { left, top } = boxAt(c);
        return pixels.filter(([x, y]) => x >= left && x <= left + boxW && y >= top && y <= top + boxH).length;
      };
      const corners = ['top-left', 'top-right', 'bottom-right', 'bottom-left'] as const;
      corner = corners.reduce((best, c) => (hidden(c) < hidden(best) ? c : best));
    } else {
      corner = spec.legend;
    }
    const { left, top } = boxAt(corner);
    out.push(`<g class="legend" font-size="12" fill="#222">`);
    out.push(
      `<rect x="${round(left)}" y="${round(top)}" width="${round(boxW)}" height="${boxH}" fill="#ffffff" fill-opacity="0.9" stroke="#bbbbbb" rx="3"/>`,
    );
    entries.forEach((e, i) => {
      const y = round(top + 5 + i * rowH + rowH / 2);
      const x = round(left + 8);
      if (e.kind === 'bar') {
        out.push(
          `<rect x="${x}" y="${y - 6}" width="18" height="12" fill="${e.color}" fill-opacity="${e.opacity}"/>`,
        );
      } else if (e.kind === 'dot') {
        out.push(`<circle cx="${x + 9}" cy="${y}" r="5" fill="${e.color}"/>`);
      } else {
        out.push(
          `<line x1="${x}" y1="${y}" x2="${x + 18}" y2="${y}" stroke="${e.color}" stroke-width="2"${e.dashed ? ' stroke-dasharray="4 3"' : ''}/>`,
        );
      }
      out.push(`<text x="${round(x + 26)}" y="${y + 4}">${escapeXml(e.label)}</text>`);
    });
    out.push('</g>');
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
