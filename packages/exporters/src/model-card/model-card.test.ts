import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ResolvedFlowModelConfig,
  resolveFlowModelConfig,
  unetParameterCount,
} from '@medsymmflow/core-flow';
import { createRandom } from '@medsymmflow/datasets-medmnist';
import { distanceProbabilities, expectedCalibrationError } from '@medsymmflow/uncertainty';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  computeModelCardMetrics,
  MODEL_CARD_DEFAULTS,
  renderModelCard,
  writeModelCard,
} from './model-card.js';

const work = mkdtempSync(join(tmpdir(), 'exporters-card-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let description: ResolvedFlowModelConfig;
beforeAll(async () => {
  description = (
    await resolveFlowModelConfig({
      numClasses: 2,
      dataset: 'pneumoniamnist',
      labels: ['normal', 'pneumonia'],
    })
  ).config;
});

/** 200 images; the first class-0 distance is smaller for most, with noise so some are wrong. */
function evaluation() {
  const random = createRandom(9);
  const n = 200;
  const labels = Int32Array.from({ length: n }, (_, i) => i % 2);
  const distances = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const right = 0.2 + 0.3 * random.uniform();
    const wrong = right + (random.uniform() - 0.25);
    distances[2 * i + labels[i]] = right;
    distances[2 * i + 1 - labels[i]] = wrong;
  }
  return { labels, distances };
}

describe('model cards', () => {
  it('computes ACC from the argmin of the distances and a selective-accuracy table that improves with rejection', () => {
    const { labels, distances } = evaluation();
    const metrics = computeModelCardMetrics({ labels, distances }, 2);
    let correct = 0;
    for (let i = 0; i < labels.length; i++)
      correct += (distances[2 * i] <= distances[2 * i + 1] ? 0 : 1) === labels[i] ? 1 : 0;
    expect(metrics.acc).toBeCloseTo(correct / labels.length, 10);
    expect(metrics.acc).toBeLessThan(1);
    // Per class: the confusion matrix holds every image, its diagonal is ACC, recall is per true class.
    const [[tn, fp], [fn, tp]] = metrics.confusion;
    expect(tn + fp + fn + tp).toBe(labels.length);
    expect((tn + tp) / labels.length).toBeCloseTo(metrics.acc, 12);
    expect(metrics.recall).toEqual([tn / (tn + fp), tp / (fn + tp)]);
    expect(metrics.balancedAccuracy).toBeCloseTo((tn / (tn + fp) + tp / (fn + tp)) / 2, 12);
    expect(metrics.selective.map((p) => p.rejectionRate)).toEqual([...MODEL_CARD_DEFAULTS.rejectionRates]);
    expect(metrics.selective[0].accuracy).toBeCloseTo(metrics.acc, 10);
    expect(metrics.selective.at(-1)!.coverage).toBeCloseTo(0.5, 10);
    expect(metrics.auc).toBeGreaterThan(0.5);
    expect(metrics.aurc).toBeGreaterThanOrEqual(metrics.eAurc);
    // ECE at the given temperature is the uncertainty package's ECE of softmax(−d/T).
    const cooled = computeModelCardMetrics({ labels, distances, temperature: 0.25 }, 2);
    expect(metrics.temperature).toBe(1);
    expect(cooled.temperature).toBe(0.25);
    expect(cooled.ece).toBeCloseTo(
      expectedCalibrationError(distanceProbabilities(distances, 2, 0.25), labels, 2),
      12,
    );
    expect(cooled.ece).not.toBeCloseTo(metrics.ece, 6);
  });

  it('renders data, configuration, training, metrics, plot link, intended use and limits', async () => {
    const { labels, distances } = evaluation();
    const card = await renderModelCard({
      name: 'medsymmflow-pneumoniamnist-28',
      version: '0.1.0',
      model: description,
      data: {
        dataset: 'pneumoniamnist',
        splits: { train: 4708, val: 524, test: 624 },
      },
      training: { steps: 2000, 'batch size': 64, engine: 'tfjs-wasm' },
      evaluation: { labels, distances, procedure: 'Euler, 1 step' },
      license: 'CC BY 4.0',
      sections: [{ title: 'Generated samples', markdown: '![samples](samples.png)\n\n92 % as requested.' }],
    });
    const md = card.markdown;
    expect(md).toContain(
      '## Generated samples\n\n![samples](samples.png)\n\n92 % as requested.\n\n## Intended use',
    );
    expect(md).toContain(`| ECE (15 bins, softmax(−d/T), T = 1.000) | ${card.metrics!.ece.toFixed(4)} |`);
    expect(md).toMatch(/^# medsymmflow-pneumoniamnist-28 \(v0\.1\.0\)/);
    expect(md).toContain('Dataset: **pneumoniamnist**');
    expect(md).toContain('Splits: train 4708, val 524, test 624');
    expect(md).toContain('0 = normal; 1 = pneumonia');
    const { type: _type, ...architecture } = description.architecture;
    expect(md).toContain(`| parameters | ${unetParameterCount(architecture).toLocaleString('en-US')} |`);
    expect(md).toContain('Image size: 28×28, 1 channel(s)');
    expect(md).toContain('pixel values [0, 255] mapped linearly to [-1, 1]');
    expect(md).toContain('| batch size | 64 |');
    expect(md).toContain(`| ACC | ${card.metrics!.acc.toFixed(4)} |`);
    const [[tn, fp], [fn, tp]] = card.metrics!.confusion;
    expect(md).toContain('| true class | images | recall | → 0 normal | → 1 pneumonia |');
    expect(md).toContain(
      `| 1 pneumonia | ${fn + tp} | ${((100 * tp) / (fn + tp)).toFixed(1)} % | ${fn} | ${tp} |`,
    );
    expect(md).toContain(`| 0 normal | ${tn + fp} |`);
    expect(md).toContain(`| AURC (lower is better) | ${card.metrics!.aurc.toFixed(4)} |`);
    expect(md).toContain('| 50.0 % | 50.0 % |');
    expect(md).toContain('](selective-prediction.svg)');
    expect(md).toContain('## Intended use');
    expect(md).toContain('Not a medical device');
    expect(md).toContain('CC BY 4.0');
    expect(card.svg).toMatch(/^<svg/);
  });

  it('writes the markdown and the SVG next to each other; without evaluation there is no plot', async () => {
    const { labels, distances } = evaluation();
    const written = await writeModelCard(work, {
      name: 'card',
      model: description,
      data: { dataset: 'pneumoniamnist' },
      evaluation: { labels, distances },
    });
    expect(readdirSync(work).sort()).toEqual(['MODEL_CARD.md', 'selective-prediction.svg']);
    expect(readFileSync(written.markdownPath, 'utf8')).toBe(written.markdown);
    expect(readFileSync(written.plotPath!, 'utf8')).toContain('card: selective prediction (test)');
    const plain = await renderModelCard({
      name: 'card',
      model: description,
      data: { dataset: 'retinamnist' },
    });
    expect(plain.markdown).toContain('Dataset: **retinamnist**');
    expect(plain.svg).toBeUndefined();
    expect(plain.markdown).not.toContain('## Metrics');
  });

  it('rejects incomplete input', async () => {
    await expect(renderModelCard({ model: description } as never)).rejects.toThrow(/'name'/);
    await expect(renderModelCard({ name: 'a', model: { ...description, dataset: null } })).rejects.toThrow(
      /data\.dataset/,
    );
    await expect(
      renderModelCard({ name: 'a', model: description, evaluation: { labels: [0, 1], distances: [1] } }),
    ).rejects.toThrow(/n × numClasses/);
  });
});
