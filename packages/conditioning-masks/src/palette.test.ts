import { describe, expect, it } from 'vitest';
import { buildPalette, paletteClassColors, paletteIndices } from './index';

const rows = (a: Uint8Array) =>
  Array.from({ length: a.length / 3 }, (_, i) => Array.from(a.subarray(3 * i, 3 * i + 3)));

describe('buildPalette', () => {
  it('enumerates 64 colours of {0, 75, 150, 225}, red slowest and blue fastest', () => {
    const p = rows(buildPalette());
    expect(p).toHaveLength(64);
    expect(p.slice(0, 5)).toEqual([
      [0, 0, 0],
      [0, 0, 75],
      [0, 0, 150],
      [0, 0, 225],
      [0, 75, 0],
    ]);
    expect(p[16]).toEqual([75, 0, 0]);
    expect(p[63]).toEqual([225, 225, 225]);
    expect(new Set(p.map((c) => c.join())).size).toBe(64);
  });

  it('accepts other sizes and rejects palettes that overflow 8 bits', () => {
    expect(rows(buildPalette({ levels: 2, step: 255 }))).toEqual([
      [0, 0, 0],
      [0, 0, 255],
      [0, 255, 0],
      [0, 255, 255],
      [255, 0, 0],
      [255, 0, 255],
      [255, 255, 0],
      [255, 255, 255],
    ]);
    expect(() => buildPalette({ levels: 4, step: 90 })).toThrow(/<= 255.*at most 85/);
    expect(() => buildPalette({ levels: 1 })).toThrow(RangeError);
  });
});

describe('paletteIndices', () => {
  it('is floor(linspace(0, 63, n))', () => {
    expect(Array.from(paletteIndices(2, 64))).toEqual([0, 63]);
    expect(Array.from(paletteIndices(5, 64))).toEqual([0, 15, 31, 47, 63]);
    expect(Array.from(paletteIndices(7, 64))).toEqual([0, 10, 21, 31, 42, 52, 63]);
    expect(Array.from(paletteIndices(8, 64))).toEqual([0, 9, 18, 27, 36, 45, 54, 63]);
    expect(Array.from(paletteIndices(64, 64))).toEqual(Array.from({ length: 64 }, (_, i) => i));
  });

  it('rejects more classes than colours', () => {
    expect(() => paletteIndices(65, 64)).toThrow(/numClasses must be an integer in \[2, 64\], got 65/);
    expect(() => paletteIndices(1, 64)).toThrow(RangeError);
  });
});

describe('paletteClassColors (hand-computed)', () => {
  it('n = 2', () => {
    expect(rows(paletteClassColors(2))).toEqual([
      [0, 0, 0],
      [225, 225, 225],
    ]);
  });
  it('n = 5', () => {
    expect(rows(paletteClassColors(5))).toEqual([
      [0, 0, 0],
      [0, 225, 225],
      [75, 225, 225],
      [150, 225, 225],
      [225, 225, 225],
    ]);
  });
  it('n = 7', () => {
    expect(rows(paletteClassColors(7))).toEqual([
      [0, 0, 0],
      [0, 150, 150],
      [75, 75, 75],
      [75, 225, 225],
      [150, 150, 150],
      [225, 75, 0],
      [225, 225, 225],
    ]);
  });
  it('n = 8', () => {
    expect(rows(paletteClassColors(8))).toEqual([
      [0, 0, 0],
      [0, 150, 75],
      [75, 0, 150],
      [75, 150, 225],
      [150, 75, 0],
      [150, 225, 75],
      [225, 75, 150],
      [225, 225, 225],
    ]);
  });
});
