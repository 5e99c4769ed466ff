import { createMaskPlugin } from '@medsymmflow/conditioning-masks';
import { describe, expect, it } from 'vitest';
import { classColours, maskToRgba } from './mask-render';

describe('mask rendering', () => {
  it('shows RGB-palette masks in their palette colours', () => {
    const plugin = createMaskPlugin('rgb-palette', 2);
    expect(classColours(plugin)).toEqual(['rgb(0, 0, 0)', 'rgb(225, 225, 225)']);
    // A 2×2 mask: three pixels of class 1's colour, one of class 0's.
    const targets = plugin.classTargets();
    const mask = new Float32Array(2 * 2 * 3);
    for (let p = 0; p < 4; p++) mask.set(targets.subarray(p === 2 ? 0 : 3, p === 2 ? 3 : 6), 3 * p);
    expect(Array.from(maskToRgba(mask, 2, plugin))).toEqual([
      ...[225, 225, 225, 255],
      ...[225, 225, 225, 255],
      ...[0, 0, 0, 255],
      ...[225, 225, 225, 255],
    ]);
  });

  it('shows scalar masks as grey spanning the class levels', () => {
    const plugin = createMaskPlugin('scalar', 3);
    expect(classColours(plugin)).toEqual(['rgb(0, 0, 0)', 'rgb(128, 128, 128)', 'rgb(255, 255, 255)']);
    const rgba = maskToRgba(Float32Array.from([-100, 100, 0, 0]), 2, plugin);
    expect(Array.from(rgba.filter((_, i) => i % 4 === 0))).toEqual([0, 255, 128, 128]);
    expect(() => maskToRgba(new Float32Array(3), 2, plugin)).toThrow(/Expected 4 mask values/);
  });
});
