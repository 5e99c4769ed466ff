import { describe, expect, it } from 'vitest';
import { distanceBarsSvg, escapeXml, selectiveCurveSvg } from './charts';

describe('charts', () => {
  it('draws one bar per class, highlights the prediction and escapes labels', () => {
    const svg = distanceBarsSvg({
      labels: ['normal', '<b>pneumonia</b>'],
      distances: Float32Array.from([2, 1]),
      predicted: 1,
      colours: ['rgb(0, 0, 0)', 'rgb(225, 225, 225)'],
    });
    expect(svg.match(/<g class="bar/g)).toHaveLength(2);
    expect(svg).toContain('class="bar predicted" data-class="1" data-distance="1"');
    expect(svg).toContain('&#60;b&#62;pneumonia&#60;/b&#62;');
    expect(svg).not.toContain('<b>');
    const widths = [...svg.matchAll(/<rect [^>]*width="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(widths[0]).toBeCloseTo(2 * widths[1], 0);
  });

  it('draws the curve with the target line and the image marker', () => {
    const points = [
      { reject: 0, acc: 0.8, threshold: 3 },
      { reject: 0.5, acc: 0.9, threshold: 2 },
    ];
    const svg = selectiveCurveSvg({
      points,
      targetAccuracy: 0.85,
      position: { reject: 0.25, acc: 0.85, keptEverywhere: false, beyondCurve: false },
    });
    expect(svg).toMatch(/<path class="curve" d="M[\d.]+,[\d.]+L[\d.]+,[\d.]+"/);
    expect(svg).toContain('class="target"');
    expect(svg).toContain('class="marker"');
    expect(selectiveCurveSvg({ points })).not.toContain('class="marker"');
    expect(escapeXml(`a&b"'`)).toBe('a&#38;b&#34;&#39;');
  });
});
