/**
 * The default UNet (base 32, mults 1,2,2, attention at 7 px; 1.5M parameters) exported to ONNX and run in
 * ONNX Runtime against the tfjs engine with the same weights: velocities on random and real
 * PneumoniaMNIST inputs, and the labels of core-flow's classifier on the whole test split.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classify, type TensorOps } from '@medsymmflow/core-flow';
import { createRandom, loadMedMnist, type MedMnistDataset } from '@medsymmflow/datasets-medmnist';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedMedmnistFile } from '../../../../test/shared-data.js';
import { exportModel } from '../exporter.js';
import { makeNetwork, maxAbsDiff, tfjsOps, uniformData } from '../testing/fixtures.js';
import { loadOrtModel, type OrtFlowModel } from './ort-model.js';

let tfjs: TensorOps<unknown>;
let net: ReturnType<typeof makeNetwork<unknown>>;
let ort: OrtFlowModel;
let test: MedMnistDataset;
const work = mkdtempSync(join(tmpdir(), 'exporters-parity-'));
const S = 28;

/**
 * Random weights send every image to the same class, which would make label agreement trivial. Shift the
 * output bias of the mask channels along the grey diagonal so that about half of a 64-image sample lands
 * on each side of the decision boundary: then the test split gets both labels and agreement means something.
 */
function balanceMaskBias(images: Float32Array): void {
  const n = 64;
  const noise = uniformData(n * S * S * 3, 5).map((u) => 1.5 * u);
  const x = withMask(images.subarray(0, n * S * S), noise, n);
  const v = tfjsVelocity(x, new Float32Array(n).fill(1));
  const targets = net.maskPlugin.classTargets();
  const fractionOfClass1 = (shift: number) => {
    let ones = 0;
    for (let i = 0; i < n; i++) {
      const d = [0, 0];
      for (let p = 0; p < S * S; p++) {
        for (let k = 0; k < 2; k++) {
          let sq = 0;
          for (let c = 0; c < 3; c++) {
            const m = x[(i * S * S + p) * 4 + 1 + c] - (v[(i * S * S + p) * 4 + 1 + c] + shift);
            sq += (m - targets[3 * k + c]) ** 2;
          }
          d[k] += Math.sqrt(sq);
        }
      }
      if (d[1] < d[0]) ones++;
    }
    return ones / n;
  };
  let lo = -4;
  let hi = 4;
  for (let iter = 0; iter < 30; iter++) {
    const mid = (lo + hi) / 2;
    // A larger shift lowers m and pushes images towards class 0 (the darker palette colour).
    if (fractionOfClass1(mid) > 0.5) lo = mid;
    else hi = mid;
  }
  const bias = net.paramData['out.conv.bias'];
  for (let c = 1; c < 4; c++) bias[c] += (lo + hi) / 2;
  net = { ...net, params: { ...net.params, 'out.conv.bias': tfjs.constant(bias, [4]) } };
}

beforeAll(async () => {
  tfjs = await tfjsOps();
  net = makeNetwork(tfjs, {}, { seed: 2024, numClasses: 2 });
  test = await loadMedMnist({
    flag: 'pneumoniamnist',
    split: 'test',
    path: sharedMedmnistFile('pneumoniamnist.npz'),
  });
  balanceMaskBias(test.getNormalised());
  const { outDir } = await exportModel(net, { format: 'onnx', outDir: join(work, 'default') });
  ort = await loadOrtModel(outDir, { intraOpNumThreads: 2 });
});
afterAll(() => {
  ort?.dispose();
  rmSync(work, { recursive: true, force: true });
});

function tfjsVelocity(x: Float32Array, t: Float32Array): Float32Array {
  const n = t.length;
  return tfjs.tidy(() =>
    tfjs.toNHWC(net.unet.forward(tfjs, net.params, tfjs.fromNHWC(x, [n, S, S, 4]), tfjs.constant(t, [n]))),
  );
}

/** NHWC [n, 28, 28, 4]: the image channel, then the RGB mask channels. */
function withMask(images: Float32Array, masks: Float32Array, n: number): Float32Array {
  const out = new Float32Array(n * S * S * 4);
  for (let p = 0; p < n * S * S; p++) {
    out[4 * p] = images[p];
    out.set(masks.subarray(3 * p, 3 * p + 3), 4 * p + 1);
  }
  return out;
}

describe('default UNet: ONNX Runtime vs tfjs with the same weights', () => {
  it('velocities agree within 1e-4 on random inputs', () => {
    const n = 6;
    const x = uniformData(n * S * S * 4, 77);
    const t = Float32Array.from({ length: n }, (_, i) => i / (n - 1));
    const diff = maxAbsDiff(ort.velocity(x, t), tfjsVelocity(x, t));
    console.info(
      `default UNet, random inputs: max |ORT − tfjs| = ${diff.abs.toExponential(2)} (max |v| ${diff.scale.toFixed(2)})`,
    );
    expect(diff.scale).toBeGreaterThan(0.1);
    expect(diff.abs).toBeLessThan(1e-4);
  });

  it('velocities agree within 1e-4 on real PneumoniaMNIST test images with class masks', () => {
    const n = 8;
    const all = test.getNormalised();
    const images = all.subarray(0, n * S * S);
    const labels = Array.from({ length: n }, (_, i) => test.getLabel(i));
    const masks = net.maskPlugin.encode(labels, { height: S, width: S, random: createRandom(3).uniform });
    const x = withMask(images, masks, n);
    const t = Float32Array.from({ length: n }, (_, i) => (i + 0.5) / n);
    const diff = maxAbsDiff(ort.velocity(x, t), tfjsVelocity(x, t));
    console.info(
      `default UNet, real images: max |ORT − tfjs| = ${diff.abs.toExponential(2)} (max |v| ${diff.scale.toFixed(2)})`,
    );
    expect(diff.scale).toBeGreaterThan(0.1);
    expect(diff.abs).toBeLessThan(1e-4);
  });

  it('classification labels agree on the whole test split (624 images, 1 Euler step)', async () => {
    const images = test.getNormalised();
    expect(test.length).toBe(624);
    let t0 = performance.now();
    const expected = classify({ model: net, images, random: createRandom(11), batchSize: 64 });
    const tfjsSeconds = (performance.now() - t0) / 1000;
    t0 = performance.now();
    const actual = await ort.classify({ images, random: createRandom(11), batchSize: 64 });
    const ortSeconds = (performance.now() - t0) / 1000;
    const disagreements = actual.labels.reduce(
      (s, label, i) => s + (label === expected.labels[i] ? 0 : 1),
      0,
    );
    const distanceDiff = maxAbsDiff(actual.distances, expected.distances).abs;
    let margin = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 624; i++)
      margin = Math.min(margin, Math.abs(expected.distances[2 * i] - expected.distances[2 * i + 1]));
    const predicted1 = expected.labels.reduce((s, l) => s + l, 0);
    console.info(
      `test split: ${disagreements} label disagreements, max |Δdistance| ${distanceDiff.toExponential(2)}, ` +
        `smallest class-distance margin ${margin.toExponential(2)}, predicted class 1 for ${predicted1}/624 ` +
        `(tfjs-wasm ${tfjsSeconds.toFixed(1)} s, ORT ${ortSeconds.toFixed(1)} s)`,
    );
    // Both classes occur, so agreement is not the trivial "everything is class k".
    expect(predicted1).toBeGreaterThan(20);
    expect(predicted1).toBeLessThan(604);
    expect(disagreements).toBe(0);
    expect(distanceDiff).toBeLessThan(1e-4);
  });
});
