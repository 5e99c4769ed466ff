import { describe, expect, it } from 'vitest';
import { positionOnCurve, readSelectiveCurve } from './selective';

const metrics = {
  split: 'test',
  n: 624,
  selective: [
    { reject: 0.1, acc: 0.9, threshold: 2.0 },
    { reject: 0, acc: 0.85, threshold: 3.0 },
    { reject: 0.2, acc: 0.95, threshold: 1.5 },
  ],
};

describe('selective-prediction curve', () => {
  it('reads metrics.selective sorted by reject share', () => {
    const curve = readSelectiveCurve(metrics);
    expect(curve).toMatchObject({ available: true, split: 'test', n: 624 });
    if (!curve.available) throw new Error('unreachable');
    expect(curve.points.map((p) => p.reject)).toEqual([0, 0.1, 0.2]);
  });

  it('degrades with a reason when the manifest has no curve', () => {
    for (const m of [null, {}, { selective: [] }, { selective: [{ reject: 0, acc: 1 }] }]) {
      const curve = readSelectiveCurve(m);
      expect(curve.available).toBe(false);
      if (!curve.available) expect(curve.reason).toMatch(/selective-prediction curve/);
    }
  });

  it('places an image where it would be rejected, interpolating between thresholds', () => {
    const curve = readSelectiveCurve(metrics);
    if (!curve.available) throw new Error('unreachable');
    expect(positionOnCurve(curve.points, 3.5)).toEqual({
      reject: 0,
      acc: 0.85,
      keptEverywhere: false,
      beyondCurve: true,
    });
    const mid = positionOnCurve(curve.points, 2.5)!;
    expect(mid.reject).toBeCloseTo(0.05, 12);
    expect(mid.acc).toBeCloseTo(0.875, 12);
    expect(positionOnCurve(curve.points, 1.75)!.reject).toBeCloseTo(0.15, 12);
    expect(positionOnCurve(curve.points, 1)).toEqual({
      reject: 0.2,
      acc: 0.95,
      keptEverywhere: true,
      beyondCurve: false,
    });
    expect(
      positionOnCurve(
        curve.points.map((p) => ({ ...p, threshold: null })),
        1,
      ),
    ).toBeNull();
  });
});
