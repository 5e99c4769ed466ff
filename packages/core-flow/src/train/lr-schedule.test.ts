import { describe, expect, it } from 'vitest';
import { oneCycleLr } from './lr-schedule.js';

describe('oneCycleLr', () => {
  const config = { maxLr: 4e-4, totalSteps: 101, warmupFraction: 0.1 };

  it('starts at initialLr, peaks at the end of the warm-up and ends at finalLr', () => {
    // warm-up steps = round(0.1·101) = 10; the decay runs over steps 10…100.
    expect(oneCycleLr(0, config)).toBeCloseTo(1e-6, 12);
    expect(oneCycleLr(10, config)).toBeCloseTo(4e-4, 12);
    expect(oneCycleLr(100, config)).toBeCloseTo(1e-6, 12);
    expect(oneCycleLr(500, config)).toBeCloseTo(1e-6, 12);
  });

  it('is at the mid value half-way through each cosine', () => {
    const mid = (1e-6 + 4e-4) / 2;
    expect(oneCycleLr(5, config)).toBeCloseTo(mid, 12); // half of the warm-up
    expect(oneCycleLr(55, config)).toBeCloseTo(mid, 12); // half of (10…100)
    // 81 steps: warm-up round(8.1) = 8 steps, decay over steps 8…80 (72 steps); a quarter in is step 26:
    // max + (final − max)·(1 − cos(π/4))/2
    const quarter = 1e-6 + ((4e-4 - 1e-6) / 2) * (1 + Math.cos(Math.PI / 4));
    expect(oneCycleLr(26, { ...config, totalSteps: 81 })).toBeCloseTo(quarter, 12);
  });

  it('rises monotonically during warm-up and falls monotonically after', () => {
    const lrs = Array.from({ length: 101 }, (_, s) => oneCycleLr(s, config));
    for (let s = 1; s <= 10; s++) expect(lrs[s]).toBeGreaterThan(lrs[s - 1]);
    for (let s = 11; s <= 100; s++) expect(lrs[s]).toBeLessThan(lrs[s - 1]);
  });

  it('handles no warm-up, custom end points and a single step', () => {
    expect(oneCycleLr(0, { maxLr: 1, totalSteps: 11, warmupFraction: 0 })).toBe(1);
    expect(oneCycleLr(10, { maxLr: 1, totalSteps: 11, warmupFraction: 0, finalLr: 0.5 })).toBe(0.5);
    expect(oneCycleLr(0, { maxLr: 2, totalSteps: 1 })).toBe(2);
  });

  it('rejects bad arguments', () => {
    expect(() => oneCycleLr(0, { maxLr: 1, totalSteps: 0 })).toThrow(
      /'totalSteps' must be an integer ≥ 1, got 0/,
    );
    expect(() => oneCycleLr(0, { maxLr: 1, totalSteps: 5, warmupFraction: 1 })).toThrow(/warmupFraction/);
    expect(() => oneCycleLr(-1, { maxLr: 1, totalSteps: 5 })).toThrow(/'step'/);
    expect(() => oneCycleLr(0, { maxLr: Number.NaN, totalSteps: 5 })).toThrow(/'maxLr'/);
  });
});
