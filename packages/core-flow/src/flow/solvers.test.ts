import { beforeAll, describe, expect, it } from 'vitest';
import type { TfjsEngine } from '../engines/tfjs/tfjs-engine.js';
import { liveTensors, tfjsEngine } from '../testing/helpers.js';
import {
  type IntegrateStepEvent,
  integrate,
  integrateAsync,
  resolveSolverConfig,
  type SolverName,
} from './solvers.js';

describe('ODE solvers on analytic problems', () => {
  let engine: TfjsEngine;
  beforeAll(async () => {
    engine = await tfjsEngine('cpu');
  });
  const x0Values = [1, -2, 0.5, 3];

  /** Max error of x(1) for dx/dt = −x from x0 at t=0 (exact: x0·e^−1). */
  function errorDecay(solver: SolverName, steps: number): number {
    const ops = engine.ops;
    const x0 = ops.constant(x0Values, [4]);
    const { x } = integrate(ops, (_t, v) => ops.mulScalar(v, -1), x0, 0, 1, { solver, steps });
    const values = ops.read(x);
    ops.dispose([x, x0]);
    return Math.max(...x0Values.map((v, i) => Math.abs(values[i] - v * Math.exp(-1))));
  }

  it.each([
    ['euler', 1],
    ['midpoint', 2],
    ['rk4', 4],
  ] as const)('%s converges with order %d', (solver, order) => {
    const coarse = errorDecay(solver, 4);
    const fine = errorDecay(solver, 8);
    const observed = Math.log2(coarse / fine);
    expect(observed).toBeGreaterThan(order - 0.3);
    expect(observed).toBeLessThan(order + 0.5);
  });

  it('euler matches the closed form (1 − h)^n exactly', () => {
    const ops = engine.ops;
    const x0 = ops.constant([2], [1]);
    const { x, steps, evaluations } = integrate(ops, (_t, v) => ops.mulScalar(v, -1), x0, 0, 1, { steps: 5 });
    expect(ops.readScalar(x)).toBeCloseTo(2 * 0.8 ** 5, 6);
    expect(steps).toBe(5);
    expect(evaluations).toBe(5);
    ops.dispose([x, x0]);
  });

  it('passes t correctly, forward and backward (dx/dt = t·x)', () => {
    const ops = engine.ops;
    const x0 = ops.constant([1], [1]);
    const forward = integrate(ops, (t, v) => ops.mulScalar(v, t), x0, 0, 1, { solver: 'rk4', steps: 20 });
    expect(ops.readScalar(forward.x)).toBeCloseTo(Math.exp(0.5), 6);
    const back = integrate(ops, (t, v) => ops.mulScalar(v, t), forward.x, 1, 0, { solver: 'rk4', steps: 20 });
    expect(ops.readScalar(back.x)).toBeCloseTo(1, 6);
    ops.dispose([x0, forward.x, back.x]);
  });

  it('dopri5 meets its tolerance, reports steps, and takes fewer steps at looser tolerance', () => {
    const ops = engine.ops;
    const before = liveTensors();
    const x0 = ops.constant(x0Values, [4]);
    const run = (tol: number) =>
      integrate(ops, (_t, v) => ops.mulScalar(v, -3), x0, 0, 2, { solver: 'dopri5', rtol: tol, atol: tol });
    const tight = run(1e-7);
    const values = ops.read(tight.x);
    x0Values.forEach((v, i) => {
      expect(Math.abs(values[i] - v * Math.exp(-6))).toBeLessThan(1e-5);
    });
    expect(tight.steps).toBeGreaterThan(3);
    expect(tight.evaluations).toBe(2 + 6 * (tight.steps + tight.rejectedSteps));
    const loose = run(1e-3);
    expect(loose.steps).toBeLessThan(tight.steps);
    ops.dispose([tight.x, loose.x, x0]);
    expect(liveTensors()).toBe(before);
  });

  it('dopri5 integrates backwards and stops at maxSteps with a clear error', () => {
    const ops = engine.ops;
    const x0 = ops.constant([1], [1]);
    const back = integrate(ops, (t, v) => ops.mulScalar(v, t), x0, 1, 0, { solver: 'dopri5' });
    expect(ops.readScalar(back.x)).toBeCloseTo(Math.exp(-0.5), 5);
    ops.dispose(back.x);
    const before = liveTensors();
    expect(() =>
      integrate(ops, (_t, v) => ops.mulScalar(v, -50), x0, 0, 1, {
        solver: 'dopri5',
        maxSteps: 3,
        rtol: 1e-9,
        atol: 1e-9,
      }),
    ).toThrow(/dopri5 reached maxSteps=3 at t=.* Raise 'maxSteps'/);
    expect(liveTensors()).toBe(before);
    ops.dispose(x0);
  });

  it('validates solver options with the valid choices', () => {
    expect(() => resolveSolverConfig({ solver: 'heun' as never })).toThrow(
      /Unknown solver "heun". Should be one of: euler, midpoint, rk4, dopri5/,
    );
    expect(() => resolveSolverConfig({ steps: 0 })).toThrow(/'steps' must be a positive integer; got 0/);
    expect(resolveSolverConfig()).toMatchObject({ solver: 'euler', steps: 25 });
  });
});

describe('integrateAsync', () => {
  let engine: TfjsEngine;
  beforeAll(async () => {
    engine = await tfjsEngine('cpu');
  });

  it.each(['euler', 'midpoint', 'rk4', 'dopri5'] as const)(
    '%s gives exactly the synchronous result, step events and no leaks',
    async (solver) => {
      const ops = engine.ops;
      const x0 = ops.constant([1, -2, 0.5, 3], [4]);
      // A time-dependent, nonlinear field so that every stage time and state matters.
      const field = (t: number, v: typeof x0) =>
        ops.add(ops.mulScalar(v, -1 - t), ops.mulScalar(ops.square(v), 0.1));
      const config = { solver, steps: 4, rtol: 1e-6, atol: 1e-6 };
      const syncEvents: IntegrateStepEvent[] = [];
      const sync = integrate(ops, field, x0, 0, 1.5, { ...config, onStep: (e) => syncEvents.push(e) });
      const before = liveTensors();
      const asyncEvents: IntegrateStepEvent[] = [];
      // An async field owns its memory: it returns one new tensor (here: its tfjs intermediates tidied).
      const result = await integrateAsync(ops, async (t, v) => ops.tidy(() => field(t, v)), x0, 0, 1.5, {
        ...config,
        onStep: (e) => asyncEvents.push(e),
      });
      // The solver frees every velocity and stage state: only the result is left.
      expect(liveTensors() - before).toBe(1);
      expect(Array.from(ops.read(result.x))).toEqual(Array.from(ops.read(sync.x)));
      expect({ ...result, x: 0 }).toEqual({ ...sync, x: 0 });
      expect(asyncEvents).toEqual(syncEvents);
      expect(asyncEvents.at(-1)).toMatchObject({ step: sync.steps, t: 1.5 });
      if (solver !== 'dopri5') expect(asyncEvents.map((e) => e.steps)).toEqual([4, 4, 4, 4]);
      ops.dispose([x0, sync.x, result.x]);
    },
  );

  it('passes a rejected field through as a rejected promise', async () => {
    const ops = engine.ops;
    const x0 = ops.constant([1], [1]);
    const failing = async () => {
      throw new Error('session lost');
    };
    await expect(integrateAsync(ops, failing, x0, 0, 1, { steps: 2 })).rejects.toThrow('session lost');
    await expect(integrateAsync(ops, async (_t, v) => v, x0, 0, Number.NaN)).rejects.toThrow(
      /bounds must be finite/,
    );
    ops.dispose(x0);
  });
});
