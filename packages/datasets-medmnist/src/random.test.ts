import { describe, expect, it } from 'vitest';
import { createRandom, RANDOM_ALGORITHM } from './index';

describe('createRandom', () => {
  it('matches the reference xoshiro128** output (C reference, state 1, 2, 3, 4)', () => {
    const rng = createRandom({ algorithm: RANDOM_ALGORITHM, state: [1, 2, 3, 4], spareNormal: null });
    const out = Array.from({ length: 8 }, () => rng.nextUint32());
    expect(out).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849]);
  });

  it('is deterministic per seed and differs between seeds', () => {
    const draw = (seed: number) => {
      const rng = createRandom(seed);
      return [rng.uniform(), rng.normal(), rng.int(1000), rng.uniform(-3, 3)];
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
    expect(draw(2 ** 40)).not.toEqual(draw(0));
    expect(draw(-1)).not.toEqual(draw(1));
  });

  it('round-trips its state through JSON, including the spare normal sample', () => {
    const rng = createRandom(123);
    rng.normal(); // leaves a spare Box–Muller sample
    const saved = JSON.parse(JSON.stringify(rng.getState()));
    expect(saved.spareNormal).not.toBeNull();
    const expected = [rng.normal(), rng.normal(), rng.uniform(), rng.int(17)];
    const restored = createRandom(saved);
    expect([restored.normal(), restored.normal(), restored.uniform(), restored.int(17)]).toEqual(expected);
    rng.setState(saved);
    expect([rng.normal(), rng.normal(), rng.uniform(), rng.int(17)]).toEqual(expected);
  });

  it('clones into an independent generator', () => {
    const rng = createRandom(5);
    const copy = rng.clone();
    expect(copy.uniform()).toBe(rng.uniform());
    copy.uniform();
    expect(copy.getState()).not.toEqual(rng.getState());
  });

  it('draws uniform samples in [0, 1) with the right moments', () => {
    const { uniform } = createRandom(1); // methods work unbound
    let sum = 0;
    let sumSq = 0;
    let min = 1;
    let max = 0;
    const n = 200_000;
    for (let i = 0; i < n; i++) {
      const u = uniform();
      sum += u;
      sumSq += u * u;
      min = Math.min(min, u);
      max = Math.max(max, u);
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    expect(sum / n).toBeCloseTo(0.5, 2);
    expect(sumSq / n - (sum / n) ** 2).toBeCloseTo(1 / 12, 2);
  });

  it('draws normal samples with mean 0 and variance 1', () => {
    const rng = createRandom(2);
    const n = 200_000;
    let sum = 0;
    let sumSq = 0;
    let beyond2 = 0;
    for (let i = 0; i < n; i++) {
      const z = rng.normal();
      sum += z;
      sumSq += z * z;
      if (Math.abs(z) > 2) beyond2++;
    }
    expect(sum / n).toBeCloseTo(0, 2);
    expect(sumSq / n).toBeCloseTo(1, 1);
    expect(beyond2 / n).toBeCloseTo(0.0455, 2);
    expect(createRandom(3).normal(10, 0)).toBe(10);
  });

  it('draws unbiased integers in [0, n)', () => {
    const rng = createRandom(3);
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 60_000; i++) counts[rng.int(6)]++;
    for (const count of counts) expect(Math.abs(count - 10_000)).toBeLessThan(400);
    expect(() => rng.int(0)).toThrow(RangeError);
    expect(() => rng.int(2.5)).toThrow(RangeError);
    expect(rng.int(1)).toBe(0);
  });

  it('shuffles into a permutation, in place', () => {
    const rng = createRandom(4);
    const array = Array.from({ length: 50 }, (_, i) => i);
    const result = rng.shuffle(array);
    expect(result).toBe(array);
    expect([...array].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(array).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
    const permutation = createRandom(4).permutation(50);
    expect(Array.from(permutation)).toEqual(array);
  });

  it('rejects bad seeds and states', () => {
    expect(() => createRandom(1.5)).toThrow(TypeError);
    expect(() => createRandom(Number.NaN)).toThrow(TypeError);
    expect(() =>
      createRandom({ algorithm: RANDOM_ALGORITHM, state: [0, 0, 0, 0], spareNormal: null }),
    ).toThrow(/invalid state/);
    const rng = createRandom(1);
    expect(() =>
      rng.setState({ algorithm: 'mt19937', state: [1, 2, 3, 4], spareNormal: null } as never),
    ).toThrow(TypeError);
  });
});
