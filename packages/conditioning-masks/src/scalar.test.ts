import { describe, expect, it } from 'vitest';
import { createMaskPlugin, SCALAR_DEFAULTS } from './index';

describe('scalar plugin', () => {
  it('has ordinal grey levels (beta / 2)(2k / (n - 1) - 1)', () => {
    expect(Array.from(createMaskPlugin('scalar', 3).classTargets())).toEqual([-2, 0, 2]);
    expect(Array.from(createMaskPlugin({ name: 'scalar', options: { beta: 6 } }, 4).classTargets())).toEqual([
      -3, -1, 1, 3,
    ]);
    expect(SCALAR_DEFAULTS).toEqual({ beta: 4, distance: 'pixel' });
  });

  it('adds uniform noise of full width (beta / 2) / (n - 1)', () => {
    const plugin = createMaskPlugin('scalar', 5); // levels -2, -1, 0, 1, 2; width 0.5
    expect(plugin.channels).toBe(1);
    const ends = [0, 0.999999];
    let i = 0;
    const mask = plugin.encode([4, 4], { height: 1, width: 1, random: () => ends[i++] });
    expect(mask[0]).toBeCloseTo(2 - 0.25, 6);
    expect(mask[1]).toBeCloseTo(2 + 0.25, 5);
    const random = plugin.encode([0, 1, 2, 3, 4], { height: 4, width: 4, random: Math.random });
    for (let b = 0; b < 5; b++) {
      for (let p = 0; p < 16; p++) {
        expect(Math.abs(random[b * 16 + p] - (b - 2))).toBeLessThanOrEqual(0.25 + 1e-6);
      }
    }
  });

  it('pixel distances: mean |m - level| (hand-computed)', () => {
    const plugin = createMaskPlugin('scalar', 3);
    const d = plugin.distances([0.5, -0.5, 1.5, 2.5], { height: 1, width: 2 });
    // image 0: |0.5 - l|, |-0.5 - l| for l = -2, 0, 2; image 1: |1.5 - l|, |2.5 - l|.
    expect(Array.from(d)).toEqual([2, 0.5, 2, 4, 2, 0.5]);
    expect(Array.from(plugin.predict(d))).toEqual([1, 2]);
  });

  it("'mean-level' distances follow the official SymmFlow rule |level - k| in class units", () => {
    const plugin = createMaskPlugin({ name: 'scalar', options: { distance: 'mean-level' } }, 3);
    const d = plugin.distances([0.5, -0.5, 1.5, 2.5, -1, -1.5], { height: 1, width: 2 });
    // means 0, 2, -1.25 → levels (mean / 2 * 0.5 + 0.5) * 2 = 1, 2, 0.375
    const expected = [1, 0, 1, 2, 1, 0, 0.375, 0.625, 1.625];
    for (const [i, v] of d.entries()) expect(v).toBeCloseTo(expected[i], 6);
    expect(Array.from(plugin.predict(d))).toEqual([1, 2, 0]);
  });

  it('round-trips its config and validates options', () => {
    const plugin = createMaskPlugin({ name: 'scalar', options: { beta: 15, distance: 'mean-level' } }, 11);
    expect(createMaskPlugin(plugin.toJSON(), 11).options).toEqual({ beta: 15, distance: 'mean-level' });
    expect(() => createMaskPlugin({ name: 'scalar', options: { beta: -2 } }, 2)).toThrow(
      /'beta' .* > 0, got -2/,
    );
    expect(() => createMaskPlugin({ name: 'scalar', options: { distance: 'median' as 'pixel' } }, 2)).toThrow(
      /one of 'pixel', 'mean-level', got "median"/,
    );
  });

  it('classifies its own noisy masks', () => {
    const plugin = createMaskPlugin('scalar', 11);
    const labels = [0, 5, 10, 3, 7];
    const mask = plugin.encode(labels, { height: 4, width: 4, random: Math.random });
    expect(Array.from(plugin.predict(plugin.distances(mask, [5, 4, 4, 1])))).toEqual(labels);
  });
});
