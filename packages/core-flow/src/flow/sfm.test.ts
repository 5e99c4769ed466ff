import { beforeAll, describe, expect, it } from 'vitest';
import type { TfjsEngine } from '../engines/tfjs/tfjs-engine.js';
import type { UNet } from '../model/unet.js';
import { createUNet } from '../model/unet.js';
import { liveTensors, randomData, seeded, tfjsEngine } from '../testing/helpers.js';
import { resolveSfmLossConfig, sampleSfmNoise, sfmLoss } from './sfm.js';

/** A stand-in network whose velocity is 0.5·input, so the expected loss can be computed by hand. */
const halfNet = {
  config: createUNet({
    imageSize: 2,
    inChannels: 3,
    channelMults: [1],
    attentionResolutions: [],
    baseChannels: 8,
    numHeadChannels: 8,
  }).config,
  paramSpecs: [],
  numParameters: 0,
  forward: (ops, _params, x) => ops.mulScalar(x, 0.5),
} as UNet;

describe('symmetrical flow matching loss', () => {
  let engine: TfjsEngine;
  beforeAll(async () => {
    engine = await tfjsEngine('wasm');
  });

  it.each([
    { imageWeight: 0.7, sigmaMin: 1e-4 },
    { imageWeight: 0.3, sigmaMin: 0.1 },
  ])(
    'matches the formula computed in plain JS (w=$imageWeight, σ=$sigmaMin)',
    ({ imageWeight, sigmaMin }) => {
      const ops = engine.ops;
      const [n, h, w, cx, cm] = [2, 2, 2, 1, 2];
      const random = seeded(11);
      const images = randomData(n * h * w * cx, random);
      const masks = randomData(n * h * w * cm, random);
      const xiX = randomData(n * h * w * cx, random);
      const xiM = randomData(n * h * w * cm, random);
      const t = Float32Array.from([0.25, 0.8]);
      // Expected, element by element.
      let sumImage = 0;
      let sumMask = 0;
      for (let b = 0; b < n; b++) {
        const keep = 1 - (1 - sigmaMin) * t[b];
        for (let p = 0; p < h * w; p++) {
          for (let c = 0; c < cx; c++) {
            const i = (b * h * w + p) * cx + c;
            const xt = keep * xiX[i] + t[b] * images[i];
            const target = images[i] - (1 - sigmaMin) * xiX[i];
            sumImage += (0.5 * xt - target) ** 2;
          }
          for (let c = 0; c < cm; c++) {
            const i = (b * h * w + p) * cm + c;
            const mt = keep * masks[i] + t[b] * xiM[i];
            const target = xiM[i] - (1 - sigmaMin) * masks[i];
            sumMask += (0.5 * mt - target) ** 2;
          }
        }
      }
      const imageLoss = sumImage / (n * h * w * cx);
      const maskLoss = sumMask / (n * h * w * cm);
      const before = liveTensors();
      const result = ops.tidy(() => {
        const batch = {
          images: ops.fromNHWC(images, [n, h, w, cx]),
          masks: ops.fromNHWC(masks, [n, h, w, cm]),
        };
        const noise = {
          xiX: ops.fromNHWC(xiX, [n, h, w, cx]),
          xiM: ops.fromNHWC(xiM, [n, h, w, cm]),
          t: ops.constant(t, [n]),
        };
        const out = sfmLoss(ops, halfNet, {}, batch, noise, { imageWeight, sigmaMin });
        return [ops.readScalar(out.loss), ops.readScalar(out.imageLoss), ops.readScalar(out.maskLoss)];
      });
      expect(liveTensors()).toBe(before);
      expect(result[1]).toBeCloseTo(imageLoss, 5);
      expect(result[2]).toBeCloseTo(maskLoss, 5);
      expect(result[0]).toBeCloseTo(imageWeight * imageLoss + (1 - imageWeight) * maskLoss, 5);
    },
  );

  it('defaults are w = 0.7 and σ = 1e-4, and bad values are rejected', () => {
    expect(resolveSfmLossConfig()).toEqual({ imageWeight: 0.7, sigmaMin: 1e-4 });
    expect(() => resolveSfmLossConfig({ imageWeight: 1.5 })).toThrow(
      /'imageWeight' must be in \[0, 1\]; got 1.5/,
    );
    expect(() => resolveSfmLossConfig({ sigmaMin: -1 })).toThrow(/'sigmaMin'/);
  });

  it('sampleSfmNoise draws reproducible N(0,1) noise and U(0,1) times', () => {
    const shape = { n: 64, height: 8, width: 8, imageChannels: 1, maskChannels: 3 };
    const a = sampleSfmNoise(shape, seeded(3));
    const b = sampleSfmNoise(shape, seeded(3));
    expect(a.xiX).toEqual(b.xiX);
    expect(a.xiM.length).toBe(64 * 64 * 3);
    const mean = a.xiM.reduce((s, v) => s + v, 0) / a.xiM.length;
    const variance = a.xiM.reduce((s, v) => s + (v - mean) ** 2, 0) / a.xiM.length;
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
    expect(a.t.every((v) => v >= 0 && v < 1)).toBe(true);
  });
});
