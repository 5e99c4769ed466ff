import { describe, expect, it } from 'vitest';
import { emaDecayAt, updateEma } from './ema.js';

describe('EMA', () => {
  it('ramps the decay up as (1 + step)/(10 + step) and caps it', () => {
    expect(emaDecayAt(0, 0.999)).toBeCloseTo(0.1, 12);
    expect(emaDecayAt(10, 0.999)).toBeCloseTo(11 / 20, 12);
    expect(emaDecayAt(90, 0.999)).toBeCloseTo(0.91, 12);
    expect(emaDecayAt(8990, 0.999)).toBeCloseTo(0.999, 12); // (1+8990)/(10+8990) = 0.999
    expect(emaDecayAt(1e7, 0.999)).toBe(0.999);
    expect(emaDecayAt(1e7, 0.9)).toBe(0.9);
    expect(emaDecayAt(3, 0)).toBe(0); // decay 0 = EMA equals the raw weights
    expect(() => emaDecayAt(0, 1)).toThrow(/EMA decay must be in \[0, 1\), got 1/);
  });

  it('updates in place as decay·ema + (1 − decay)·params', () => {
    const ema = [new Float32Array([1, 2])];
    updateEma(ema, [new Float32Array([3, -2])], 0.75);
    expect(Array.from(ema[0])).toEqual([1.5, 1]);
    expect(() => updateEma(ema, [new Float32Array(3)], 0.5)).toThrow(/EMA array 0 has 2 values/);
  });
});
