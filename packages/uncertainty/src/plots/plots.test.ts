import { describe, expect, it } from 'vitest';
import {
  learningCurveSvg,
  reliabilityDiagram,
  reliabilityDiagramSvg,
  riskCoverageCurve,
  riskCoverageSvg,
  selectivePrediction,
  selectivePredictionSvg,
  svgToPng,
} from '../index';

const u = [0.1, 0.9, 0.2, 0.8, 0.4, 0.3, 0.7, 0.6, 0.5, 0.05];
const correct = [1, 0, 1, 1, 1, 1, 0, 1, 0, 1];

function count(svg: string, fragment: string): number {
  return svg.split(fragment).length - 1;
}

let resvgAvailable = true;
try {
  await import('@resvg/resvg-js');
} catch {
  resvgAvailable = false;
}

describe('selectivePredictionSvg', () => {
  it('draws labelled axes, title, legend and one line per curve', () => {
    const curve = selectivePrediction(u, correct);
    const svg = selectivePredictionSvg([
      { label: 'EMA <0.999>', curve },
      { label: 'raw', curve: selectivePrediction([...u].reverse(), correct) },
    ]);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="640" height="420"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('>Selective prediction</text>');
    expect(svg).toContain('>Rejection rate</text>');
    expect(svg).toContain('>Accuracy of kept samples</text>');
    expect(svg).toContain('EMA &lt;0.999&gt;');
    expect(svg).not.toContain('<0.999>');
    expect(count(svg, 'class="series"')).toBe(2);
    expect(svg).toContain('>0%</text>');
    expect(svg).toContain('>100%</text>');
  });

  it('places a marker on the curve when only the rejection rate is given', () => {
    const curve = selectivePrediction(u, correct, { rejectionRates: [0, 0.5] });
    // accuracy 0.7 at 0 %, 1 at 50 % → 0.85 at 25 %.
    const withMarker = selectivePredictionSvg(curve, {
      marker: { rejectionRate: 0.25, label: 'this image' },
    });
    const plain = selectivePredictionSvg(curve, {
      marker: { rejectionRate: 0.25, accuracy: 0.85, label: 'this image' },
    });
    expect(withMarker).toContain('this image');
    const circle = (svg: string) =>
      /<g class="marker"><circle cx="([\d.]+)" cy="([\d.]+)"/.exec(svg)?.slice(1);
    expect(circle(withMarker)).toEqual(circle(plain));
    expect(() => selectivePredictionSvg(curve, { marker: { rejectionRate: 2 } })).toThrow(/\[0, 1\], got 2/);
  });

  it('validates arguments', () => {
    expect(() => selectivePredictionSvg([])).toThrow(/at least one curve/);
    expect(() => selectivePredictionSvg(selectivePrediction(u, correct), { width: 10 })).toThrow(
      /width must be/,
    );
  });
});

describe('riskCoverageSvg and reliabilityDiagramSvg', () => {
  it('risk–coverage plot shows AURC in the legend', () => {
    const rc = riskCoverageCurve(u, correct);
    const svg = riskCoverageSvg(rc, { title: 'PneumoniaMNIST test' });
    expect(svg).toContain('>PneumoniaMNIST test</text>');
    expect(svg).toContain(`AURC ${rc.aurc.toFixed(4)}`);
    expect(svg).toContain('>Coverage</text>');
  });

  it('reliability diagram draws one bar per non-empty bin and the diagonal', () => {
    const diagram = reliabilityDiagram([0.9, 0.1, 0.8, 0.2, 0.3, 0.7, 0.4, 0.6], [0, 1, 1, 1], 2, {
      bins: 5,
    });
    const svg = reliabilityDiagramSvg(diagram);
    expect(svg).toContain('ECE 25.00%');
    expect(svg).toContain('Perfect calibration');
    const accuracyBars = svg.split('<g class="bars"')[1].split('</g>')[0];
    expect(count(accuracyBars, '<rect')).toBe(3);
    expect(() => reliabilityDiagramSvg({} as never)).toThrow(/result of reliabilityDiagram/);
  });

  it.skipIf(!resvgAvailable)('renders PNG through the optional @resvg/resvg-js', async () => {
    const png = await svgToPng(riskCoverageSvg(riskCoverageCurve(u, correct)), { width: 320 });
    expect(Array.from(png.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    // IHDR width (big-endian at byte 16).
    expect(new DataView(png.buffer, png.byteOffset).getUint32(16)).toBe(320);
  });

  it('svgToPng rejects non-SVG input', async () => {
    await expect(svgToPng('hello')).rejects.toThrow(TypeError);
  });
});

describe('learningCurveSvg', () => {
  const run = [
    {
      step: 10,
      accuracy: 0.5,
      balancedAccuracy: 0.3,
      trainingAccuracy: 0.55,
      trainingBalancedAccuracy: 0.35,
    },
    { step: 20, accuracy: 0.6, balancedAccuracy: 0.4, trainingAccuracy: 0.8, trainingBalancedAccuracy: 0.7 },
    {
      step: 30,
      accuracy: 0.55,
      balancedAccuracy: 0.35,
      trainingAccuracy: 0.95,
      trainingBalancedAccuracy: 0.9,
    },
  ];

  it('draws validation and training series, balanced ones dashed, and marks the selected step', () => {
    const svg = learningCurveSvg(run, { selectedStep: 20 });
    expect(svg).toContain('>Learning curve</text>');
    expect(svg).toContain('>Training step</text>');
    expect(count(svg, 'class="series"')).toBe(4);
    expect(count(svg, 'stroke-dasharray')).toBeGreaterThanOrEqual(2);
    for (const label of [
      'validation accuracy',
      'training-image accuracy',
      'training-image balanced accuracy',
    ])
      expect(svg).toContain(`>${label}</text>`);
    // The marker sits on the validation accuracy at step 20: same place as that series' second point.
    const marker = /<g class="marker"><circle cx="([\d.]+)" cy="([\d.]+)"/.exec(svg)?.slice(1);
    const firstSeries = /<path class="series" d="M[\d.]+ [\d.]+ L([\d.]+) ([\d.]+)/.exec(svg)?.slice(1);
    expect(marker).toEqual(firstSeries);
  });

  it('puts the legend in the corner where it hides the fewest points', () => {
    const legendBox = (svg: string) => {
      const m =
        /<g class="legend"[^>]*>\n<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"/.exec(
          svg,
        );
      return m!.slice(1).map(Number);
    };
    const vertices = (svg: string) =>
      [...svg.matchAll(/<path class="series" d="([^"]+)"/g)].flatMap((m) =>
        [...m[1].matchAll(/[ML]([\d.]+) ([\d.]+)/g)].map((p) => [Number(p[1]), Number(p[2])]),
      );
    // Validation flat at the top over the whole run (both top corners taken); training images low for the
    // first or the last half only: the legend must go to the other bottom corner and hide nothing.
    const steps = Array.from({ length: 10 }, (_, i) => (i + 1) * 100);
    for (const lowHalf of ['first', 'last'] as const) {
      const run = steps.map((step, i) => ({
        step,
        accuracy: 0.95,
        ...((lowHalf === 'first') === i < 5 ? { trainingAccuracy: 0.05 } : {}),
      }));
      const svg = learningCurveSvg(run);
      const [left, top, w, h] = legendBox(svg);
      const inside = vertices(svg).filter(([x, y]) => x >= left && x <= left + w && y >= top && y <= top + h);
      expect(inside).toEqual([]);
      expect(top).toBeGreaterThan(210); // bottom half of the 420-px plot
      if (lowHalf === 'first') expect(left).toBeGreaterThan(320);
      else expect(left).toBeLessThan(320);
    }
  });

  it('leaves out series a run did not record (older checkpoints)', () => {
    const svg = learningCurveSvg(run.map(({ step, accuracy }) => ({ step, accuracy })));
    expect(count(svg, 'class="series"')).toBe(1);
    expect(svg).not.toContain('training-image');
  });

  it('validates arguments', () => {
    expect(() => learningCurveSvg([])).toThrow(/at least one validation record/);
    expect(() => learningCurveSvg([{ step: 1, accuracy: Number.NaN }])).toThrow(/finite numbers/);
    expect(() => learningCurveSvg(run, { selectedStep: 25 })).toThrow(
      /not one of the validated steps \(10, 20, 30\)/,
    );
  });
});
