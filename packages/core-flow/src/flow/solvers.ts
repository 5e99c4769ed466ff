/**
 * @file ODE solvers for flow models, engine-neutral: they only use `add`, `mulScalar` and, for the adaptive
 * solver's error norm, a few elementwise ops and `readScalar` of {@link TensorOps}.
 *
 * Fixed-step: `euler` (order 1), `midpoint` (order 2), `rk4` (classic Runge–Kutta, order 4).
 * Adaptive: `dopri5` (Dormand–Prince 5(4), FSAL, error per step measured as the RMS of
 * `err / (atol + rtol · max(|y_n|, |y_{n+1}|))`, as in torchdiffeq).
 * All integrate from `t0` to `t1` in either direction (`t1 < t0` integrates backwards).
 *
 * @module flow/solvers
 */
import type { TensorOps } from '../ops/ops.js';

/** A velocity field `dx/dt = f(t, x)`. It must not dispose or mutate `x`. */
export type VelocityField<T> = (t: number, x: T) => T;

/** The built-in solvers with their order and whether they adapt the step. Frozen. */
export const SOLVERS = Object.freeze({
  euler: Object.freeze({ order: 1, adaptive: false, evaluationsPerStep: 1 }),
  midpoint: Object.freeze({ order: 2, adaptive: false, evaluationsPerStep: 2 }),
  rk4: Object.freeze({ order: 4, adaptive: false, evaluationsPerStep: 4 }),
  dopri5: Object.freeze({ order: 5, adaptive: true, evaluationsPerStep: 6 }),
});

/** Name of a built-in solver. */
export type SolverName = keyof typeof SOLVERS;

/** Solver options. */
export interface SolverConfig {
  /** Integration method. @defaultValue 'euler' */
  solver?: SolverName;
  /** Number of equal steps of the fixed-step solvers. @defaultValue 25 */
  steps?: number;
  /** Relative tolerance of `dopri5`. @defaultValue 1e-5 */
  rtol?: number;
  /** Absolute tolerance of `dopri5`. @defaultValue 1e-5 */
  atol?: number;
  /** Maximum accepted + rejected steps of `dopri5` before it gives up. @defaultValue 1000 */
  maxSteps?: number;
}

/** Resolved {@link SolverConfig}. */
export type ResolvedSolverConfig = Required<SolverConfig>;

/** Defaults of {@link SolverConfig}. */
export const SOLVER_DEFAULTS: ResolvedSolverConfig = Object.freeze({
  solver: 'euler',
  steps: 25,
  rtol: 1e-5,
  atol: 1e-5,
  maxSteps: 1000,
});

/** Outcome of {@link integrate}. */
export interface IntegrateResult<T> {
  /** State at `t1`. Owned by the caller (dispose it). */
  readonly x: T;
  /** Accepted steps. */
  readonly steps: number;
  /** Rejected steps (dopri5 only). */
  readonly rejectedSteps: number;
  /** Velocity evaluations. */
  readonly evaluations: number;
}

/** Copies a solver config, fills defaults and validates it. */
export function resolveSolverConfig(
  config: SolverConfig = {},
  defaults: ResolvedSolverConfig = SOLVER_DEFAULTS,
): ResolvedSolverConfig {
  const resolved: ResolvedSolverConfig = {
    solver: config.solver ?? defaults.solver,
    steps: config.steps ?? defaults.steps,
    rtol: config.rtol ?? defaults.rtol,
    atol: config.atol ?? defaults.atol,
    maxSteps: config.maxSteps ?? defaults.maxSteps,
  };
  if (!Object.hasOwn(SOLVERS, resolved.solver)) {
    throw new RangeError(
      `Unknown solver ${JSON.stringify(resolved.solver)}. Should be one of: ${Object.keys(SOLVERS).join(', ')}.`,
    );
  }
  if (!Number.isInteger(resolved.steps) || resolved.steps < 1) {
    throw new RangeError(`'steps' must be a positive integer; got ${JSON.stringify(resolved.steps)}.`);
  }
  for (const key of ['rtol', 'atol'] as const) {
    if (typeof resolved[key] !== 'number' || !(resolved[key] > 0)) {
      throw new RangeError(`'${key}' must be a positive number; got ${JSON.stringify(resolved[key])}.`);
    }
  }
  if (!Number.isInteger(resolved.maxSteps) || resolved.maxSteps < 1) {
    throw new RangeError(`'maxSteps' must be a positive integer; got ${JSON.stringify(resolved.maxSteps)}.`);
  }
  return resolved;
}

/** `x + h · Σ c_i k_i` (terms with c = 0 skipped). */
function combine<T>(ops: TensorOps<T>, x: T, h: number, terms: readonly (readonly [number, T])[]): T {
  let acc = x;
  for (const [c, k] of terms) {
    if (c !== 0) acc = ops.add(acc, ops.mulScalar(k, h * c));
  }
  return acc;
}

// Dormand–Prince 5(4) tableau.
const C = [0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1, 1];
const A: readonly (readonly number[])[] = [
  [],
  [1 / 5],
  [3 / 40, 9 / 40],
  [44 / 45, -56 / 15, 32 / 9],
  [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
  [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
  [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84],
];
const B5 = [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0];
const B4 = [5179 / 57600, 0, 7571 / 16695, 393 / 640, -92097 / 339200, 187 / 2100, 1 / 40];
const E = B5.map((b, i) => b - B4[i]);

function rmsNorm<T>(ops: TensorOps<T>, err: T, y0: T, y1: T, rtol: number, atol: number): number {
  return ops.tidy(() => {
    const scale = ops.addScalar(ops.mulScalar(ops.maximum(ops.abs(y0), ops.abs(y1)), rtol), atol);
    return Math.sqrt(ops.readScalar(ops.mean(ops.square(ops.div(err, scale)))));
  });
}

/**
 * Integrates `dx/dt = field(t, x)` from `t0` to `t1`, starting at `x0` (not disposed).
 *
 * @example
 * ```ts
 * // dx/dt = -x from 0 to 1: x(1) = x0 · e^-1
 * const { x, steps } = integrate(ops, (t, x) => ops.mulScalar(x, -1), x0, 0, 1, { solver: 'dopri5' });
 * ```
 */
export function integrate<T>(
  ops: TensorOps<T>,
  field: VelocityField<T>,
  x0: T,
  t0: number,
  t1: number,
  config: SolverConfig = {},
): IntegrateResult<T> {
  const options = resolveSolverConfig(config);
  if (!Number.isFinite(t0) || !Number.isFinite(t1)) {
    throw new RangeError(`Integration bounds must be finite; got t0=${t0}, t1=${t1}.`);
  }
  if (t0 === t1)
    return { x: ops.tidy(() => ops.mulScalar(x0, 1)), steps: 0, rejectedSteps: 0, evaluations: 0 };
  return options.solver === 'dopri5'
    ? dopri5(ops, field, x0, t0, t1, options)
    : fixedStep(ops, field, x0, t0, t1, options);
}

function fixedStep<T>(
  ops: TensorOps<T>,
  f: VelocityField<T>,
  x0: T,
  t0: number,
  t1: number,
  options: ResolvedSolverConfig,
): IntegrateResult<T> {
  const n = options.steps;
  const h = (t1 - t0) / n;
  let x = x0;
  for (let i = 0; i < n; i++) {
    const t = t0 + i * h;
    const prev = x;
    x = ops.tidy(() => {
      switch (options.solver) {
        case 'euler':
          return combine(ops, prev, h, [[1, f(t, prev)]]);
        case 'midpoint': {
          const k1 = f(t, prev);
          const k2 = f(t + h / 2, combine(ops, prev, h, [[0.5, k1]]));
          return combine(ops, prev, h, [[1, k2]]);
        }
        default: {
          const k1 = f(t, prev);
          const k2 = f(t + h / 2, combine(ops, prev, h, [[0.5, k1]]));
          const k3 = f(t + h / 2, combine(ops, prev, h, [[0.5, k2]]));
          const k4 = f(t + h, combine(ops, prev, h, [[1, k3]]));
          return combine(ops, prev, h, [
            [1 / 6, k1],
            [1 / 3, k2],
            [1 / 3, k3],
            [1 / 6, k4],
          ]);
        }
      }
    });
    if (prev !== x0) ops.dispose(prev);
  }
  return { x, steps: n, rejectedSteps: 0, evaluations: n * SOLVERS[options.solver].evaluationsPerStep };
}

function dopri5<T>(
  ops: TensorOps<T>,
  f: VelocityField<T>,
  x0: T,
  t0: number,
  t1: number,
  options: ResolvedSolverConfig,
): IntegrateResult<T> {
  const { rtol, atol, maxSteps } = options;
  const direction = Math.sign(t1 - t0);
  const span = Math.abs(t1 - t0);
  let evaluations = 0;
  const field = (t: number, x: T): T => {
    evaluations++;
    return f(t, x);
  };
  let x = x0;
  let k1 = ops.tidy(() => field(t0, x0));
  // Initial step (Hairer, Nørsett & Wanner, II.4), as torchdiffeq's select_initial_step.
  let h = ops.tidy(() => {
    const scale = ops.addScalar(ops.mulScalar(ops.abs(x0), rtol), atol);
    const d0 = Math.sqrt(ops.readScalar(ops.mean(ops.square(ops.div(x0, scale)))));
    const d1 = Math.sqrt(ops.readScalar(ops.mean(ops.square(ops.div(k1, scale)))));
    const h0 = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : (0.01 * d0) / d1;
    const x1 = combine(ops, x0, direction * h0, [[1, k1]]);
    const k2 = field(t0 + direction * h0, x1);
    const d2 = Math.sqrt(ops.readScalar(ops.mean(ops.square(ops.div(ops.sub(k2, k1), scale))))) / h0;
    const dmax = Math.max(d1, d2);
    const h1 = dmax <= 1e-15 ? Math.max(1e-6, h0 * 1e-3) : (0.01 / dmax) ** (1 / 5);
    return Math.min(100 * h0, h1);
  });
  h = Math.min(h, span);
  let t = t0;
  let accepted = 0;
  let rejected = 0;
  while (direction * (t1 - t) > 1e-12 * Math.max(1, span)) {
    if (accepted + rejected >= maxSteps) {
      if (x !== x0) ops.dispose(x);
      ops.dispose(k1);
      throw new RangeError(
        `dopri5 reached maxSteps=${maxSteps} at t=${t.toPrecision(6)} before t1=${t1} (step size ${h.toExponential(2)}). ` +
          "Raise 'maxSteps', loosen 'rtol'/'atol', or use a fixed-step solver.",
      );
    }
    const remaining = Math.abs(t1 - t);
    const stepSize = Math.min(h, remaining);
    const hs = direction * stepSize;
    const xPrev = x;
    const kPrev = k1;
    let norm = Number.NaN;
    const result = ops.tidy(() => {
      const k: T[] = [kPrev];
      for (let s = 1; s < 7; s++) {
        const terms = A[s].map((a, j) => [a, k[j]] as const);
        k.push(field(t + C[s] * hs, combine(ops, xPrev, hs, terms)));
      }
      // Stage 7 is evaluated at the 5th-order solution, so it equals that solution (FSAL).
      const xNew = combine(
        ops,
        xPrev,
        hs,
        B5.map((b, j) => [b, k[j]] as const),
      );
      const err = combine(
        ops,
        ops.mulScalar(xPrev, 0),
        hs,
        E.map((e, j) => [e, k[j]] as const),
      );
      norm = rmsNorm(ops, err, xPrev, xNew, rtol, atol);
      return { xNew, kLast: k[6] };
    });
    if (!Number.isFinite(norm)) {
      ops.dispose([result.xNew, result.kLast]);
      if (x !== x0) ops.dispose(x);
      ops.dispose(k1);
      throw new RangeError(
        `dopri5 produced a non-finite error estimate at t=${t}; the velocity field diverged.`,
      );
    }
    if (norm <= 1) {
      t = stepSize === remaining ? t1 : t + hs;
      if (xPrev !== x0) ops.dispose(xPrev);
      ops.dispose(kPrev);
      x = result.xNew;
      k1 = result.kLast;
      accepted++;
    } else {
      ops.dispose([result.xNew, result.kLast]);
      rejected++;
    }
    const factor = norm === 0 ? 10 : Math.min(10, Math.max(0.2, 0.9 * norm ** (-1 / 5)));
    h = stepSize * factor;
  }
  ops.dispose(k1);
  if (x === x0) x = ops.tidy(() => ops.mulScalar(x0, 1));
  return { x, steps: accepted, rejectedSteps: rejected, evaluations };
}
