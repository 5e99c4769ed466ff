import { describe, expect, it } from 'vitest';
import { createMaskPlugin, RGB_PALETTE_DEFAULTS } from './index';

/** A fixed cycle of uniform numbers, including both ends of [0, 1). */
function cycle(values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length];
}

const C225 = 225 / 127.5 - 1; // 0.7647058…

describe('rgb-palette plugin', () => {
  it('has the paper defaults and three channels', () => {
    const plugin = createMaskPlugin('rgb-palette', 2);
    expect(plugin.name).toBe('rgb-palette');
    expect(plugin.channels).toBe(3);
    expect(plugin.options).toEqual({ beta: 4, levels: 4, step: 75 });
    expect(RGB_PALETTE_DEFAULTS.beta).toBe(4);
  });

  it('maps class colours to [-1, 1] with v / 127.5 - 1', () => {
    const targets = createMaskPlugin('rgb-palette', 5).classTargets();
    const expected = [
      -1,
      -1,
      -1,
      -1,
      C225,
      C225,
      75 / 127.5 - 1,
      C225,
      C225,
      150 / 127.5 - 1,
      C225,
      C225,
      C225,
      C225,
      C225,
    ];
    expect(targets).toHaveLength(15);
    for (const [i, v] of targets.entries()) expect(v).toBeCloseTo(expected[i], 6);
  });

  it('classTargets returns a copy', () => {
    const plugin = createMaskPlugin('rgb-palette', 2);
    plugin.classTargets()[0] = 42;
    expect(plugin.classTargets()[0]).toBe(-1);
  });

  it('encodes NHWC masks within beta / 2 / 127.5 of the class colour', () => {
    const beta = 4;
    const plugin = createMaskPlugin({ name: 'rgb-palette', options: { beta } }, 8);
    const targets = plugin.classTargets();
    const labels = [3, 0, 7];
    const [h, w] = [5, 4];
    const mask = plugin.encode(labels, { height: h, width: w, random: Math.random });
    expect(mask).toBeInstanceOf(Float32Array);
    expect(mask).toHaveLength(labels.length * h * w * 3);
    const bound = beta / 2 / 127.5;
    let maxDev = 0;
    for (let b = 0; b < labels.length; b++) {
      for (let p = 0; p < h * w; p++) {
        for (let c = 0; c < 3; c++) {
          const dev = Math.abs(mask[(b * h * w + p) * 3 + c] - targets[labels[b] * 3 + c]);
          maxDev = Math.max(maxDev, dev);
        }
      }
    }
    expect(maxDev).toBeLessThanOrEqual(bound + 1e-6);
    expect(maxDev).toBeGreaterThan(0);
  });

  it('reaches both ends of the noise interval (m = colour + beta (U - 0.5) / 127.5)', () => {
    const plugin = createMaskPlugin('rgb-palette', 2);
    const mask = plugin.encode([1], { height: 1, width: 1, random: cycle([0, 0.5, 0.75]) });
    expect(mask[0]).toBeCloseTo(C225 - 2 / 127.5, 6);
    expect(mask[1]).toBeCloseTo(C225, 6);
    expect(mask[2]).toBeCloseTo(C225 + 1 / 127.5, 6);
  });

  it('computes mean per-pixel L2 distances on hand-made masks', () => {
    const plugin = createMaskPlugin('rgb-palette', 2);
    // Image 0: one black pixel, one (225,225,225) pixel. Image 1: two pixels at the origin.
    const mask = new Float32Array([-1, -1, -1, C225, C225, C225, 0, 0, 0, 0, 0, 0]);
    const d = plugin.distances(mask, { height: 1, width: 2 });
    const gap = Math.sqrt(3) * (C225 + 1); // 3.0565…
    expect(d).toHaveLength(4);
    expect(d[0]).toBeCloseTo(gap / 2, 5);
    expect(d[1]).toBeCloseTo(gap / 2, 5);
    expect(d[2]).toBeCloseTo(Math.sqrt(3), 5);
    expect(d[3]).toBeCloseTo(1.3245, 4);
    expect(Array.from(plugin.distances(mask, [2, 1, 2, 3]))).toEqual(Array.from(d));
    expect(Array.from(plugin.predict(d))).toEqual([0, 1]);
  });

  it('classifies its own noisy masks', () => {
    const plugin = createMaskPlugin('rgb-palette', 7);
    const labels = [0, 1, 2, 3, 4, 5, 6, 6, 0];
    const mask = plugin.encode(labels, { height: 3, width: 3, random: Math.random });
    expect(Array.from(plugin.predict(plugin.distances(mask, { height: 3, width: 3 })))).toEqual(labels);
  });

  it('serialises and restores', () => {
    const plugin = createMaskPlugin({ name: 'rgb-palette', options: { beta: 2.5 } }, 3);
    const json = JSON.parse(JSON.stringify(plugin));
    expect(json).toEqual({ name: 'rgb-palette', options: { beta: 2.5, levels: 4, step: 75 } });
    const restored = createMaskPlugin(json, 3);
    expect(restored.options).toEqual(plugin.options);
    expect(Array.from(restored.classTargets())).toEqual(Array.from(plugin.classTargets()));
  });

  it('validates options and class counts with clear errors', () => {
    expect(() => createMaskPlugin({ name: 'rgb-palette', options: { beta: 0 } }, 2)).toThrow(
      /'beta' must be a finite number > 0, got 0/,
    );
    expect(() => createMaskPlugin({ name: 'rgb-palette', options: { beta: -1 } }, 2)).toThrow(RangeError);
    expect(() => createMaskPlugin({ name: 'rgb-palette', options: { beta: Number.NaN } }, 2)).toThrow(
      /got NaN/,
    );
    expect(() => createMaskPlugin({ name: 'rgb-palette', options: { levels: 2 } }, 9)).toThrow(
      /has 8 colours, fewer than numClasses = 9.*at least 3/,
    );
    expect(() => createMaskPlugin('rgb-palette', 65)).toThrow(/64 colours/);
    expect(() => createMaskPlugin('rgb-palette', 1)).toThrow(/numClasses .* must be an integer >= 2, got 1/);
    expect(() => createMaskPlugin('rgb-palette', 2.5)).toThrow(RangeError);
    expect(() =>
      createMaskPlugin({ name: 'rgb-palette', options: { sigma: 1 } as unknown as { beta: number } }, 2),
    ).toThrow(/Unknown option "sigma".*'beta', 'levels', 'step'/);
    expect(() =>
      createMaskPlugin({ name: 'rgb-palette', options: { beta: '4' } as unknown as { beta: number } }, 2),
    ).toThrow(/must be a number, got "4"/);
  });

  it('rejects bad labels, sizes, random functions and NaN masks', () => {
    const plugin = createMaskPlugin('rgb-palette', 3);
    const size = { height: 2, width: 2, random: Math.random };
    expect(() => plugin.encode([0, 3], size)).toThrow(/Label 3 at index 1 .*\[0, 2\]/);
    expect(() => plugin.encode([0.5], size)).toThrow(RangeError);
    expect(() => plugin.encode([0], { ...size, height: 0 })).toThrow(/height must be an integer >= 1, got 0/);
    expect(() => plugin.encode([0], { height: 2, width: 2 } as never)).toThrow(/'random' function/);
    expect(() => plugin.encode([0], { ...size, random: () => 1 })).toThrow(/\[0, 1\), got 1/);
    const mask = new Float32Array(12);
    mask[5] = Number.NaN;
    expect(() => plugin.distances(mask, { height: 2, width: 2 })).toThrow(/contains NaN at flat index 5/);
    expect(() => plugin.distances(new Float32Array(10), { height: 2, width: 2 })).toThrow(/10 values/);
    expect(() => plugin.distances(new Float32Array(12), [1, 2, 2, 1])).toThrow(/1 channels but .* 3/);
    expect(() => plugin.predict([0.1, Number.NaN, 0.3])).toThrow(/NaN at row 0, class 1/);
    expect(() => plugin.predict([0.1, 0.2])).toThrow(/not a multiple of numClasses = 3/);
  });

  it('breaks ties in predict toward the lowest class index', () => {
    const plugin = createMaskPlugin('rgb-palette', 3);
    expect(Array.from(plugin.predict([0.5, 0.5, 0.5, 0.9, 0.2, 0.2, 0.3, 0.4, 0.3]))).toEqual([0, 1, 0]);
  });
});
