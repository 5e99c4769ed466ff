import { describe, expect, it } from 'vitest';
import { ADAMW_DEFAULTS, createAdamW, resolveAdamWConfig } from './adamw.js';

describe('createAdamW', () => {
  it('matches hand-computed AdamW updates with decoupled weight decay and bias correction', () => {
    // lr 0.1, wd 0.01, β1 0.9, β2 0.999, ε 1e-8.
    // Step 1: m̂ = g and v̂ = g², so the Adam step is lr·sign(g); the decay multiplies by 1 − lr·wd = 0.999:
    //   1·0.999 − 0.1 = 0.899,   −2·0.999 + 0.1 = −1.898,   0 (zero gradient: m = v = 0, no move).
    // Step 2, third weight (g = −3 after 0): m = 0.1·(−3) = −0.3, m̂ = −0.3/(1 − 0.81) = −1.578947;
    //   v = 0.001·9 = 0.009, v̂ = 0.009/(1 − 0.998001) = 4.502251, √v̂ = 2.121851;
    //   p = 0·0.999 − 0.1·(−1.578947/2.121851) = 0.0744137.
    // First two weights at step 2, same recipe: 0.8048830, −1.9327124.
    const params = [new Float32Array([1, -2, 0])];
    const opt = createAdamW([3], { weightDecay: 0.01 });
    opt.update(params, [new Float32Array([0.5, -1, 0])], 0.1);
    expect(opt.step).toBe(1);
    expect(params[0][0]).toBeCloseTo(0.899, 6);
    expect(params[0][1]).toBeCloseTo(-1.898, 6);
    expect(params[0][2]).toBe(0);
    opt.update(params, [new Float32Array([0.25, 2, -3])], 0.1);
    expect(params[0][0]).toBeCloseTo(0.804883, 5);
    expect(params[0][1]).toBeCloseTo(-1.9327124, 5);
    expect(params[0][2]).toBeCloseTo(0.0744137, 5);
    const { m, v } = opt.getState();
    expect(m[0][2]).toBeCloseTo(-0.3, 6);
    expect(v[0][2]).toBeCloseTo(0.009, 6);
  });

  it('with weight decay 0 and lr 0 leaves the weights unchanged but still advances the moments', () => {
    const params = [new Float32Array([3])];
    const opt = createAdamW([1]);
    opt.update(params, [new Float32Array([2])], 0);
    expect(params[0][0]).toBe(3);
    expect(opt.getState().m[0][0]).toBeCloseTo(0.2, 6);
  });

  it('restores a saved state so that further updates are identical', () => {
    const run = (opt: ReturnType<typeof createAdamW>, p: Float32Array[], grads: number[]) => {
      for (const g of grads) opt.update(p, [new Float32Array([g, -g])], 0.01);
    };
    const a = createAdamW([2], { weightDecay: 0.1 });
    const pa = [new Float32Array([0.3, 0.7])];
    run(a, pa, [1, 0.5, -2]);
    const saved = a.getState();
    const snapshot = { step: saved.step, m: saved.m.map((x) => x.slice()), v: saved.v.map((x) => x.slice()) };
    const pb = [pa[0].slice()];
    run(a, pa, [0.1, 3]);
    const b = createAdamW([2], { weightDecay: 0.1 });
    b.setState(snapshot);
    run(b, pb, [0.1, 3]);
    expect(Array.from(pb[0])).toEqual(Array.from(pa[0]));
    expect(b.step).toBe(5);
  });

  it('rejects bad options and mismatched arrays with clear errors', () => {
    expect(() => resolveAdamWConfig({ beta1: 1 })).toThrow(/'beta1' must be a number in \[0, 1\), got 1/);
    expect(() => resolveAdamWConfig({ weightDecay: -1 })).toThrow(RangeError);
    const input = { beta2: undefined };
    expect(resolveAdamWConfig(input)).toEqual(ADAMW_DEFAULTS);
    expect(input).toEqual({ beta2: undefined });
    const opt = createAdamW([2]);
    expect(() => opt.update([new Float32Array(3)], [new Float32Array(3)], 0.1)).toThrow(
      /parameter array 0 has 3 values; the optimizer was built for 2/,
    );
    expect(() => opt.update([new Float32Array(2)], [new Float32Array(2)], Number.NaN)).toThrow(
      /learning rate/,
    );
  });
});
