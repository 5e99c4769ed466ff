/**
 * @file ODE solvers for flow models, engine-neutral: they only use `add`, `mulScalar` and, for the adaptive
 * solver's error norm, a few elementwise ops and `readScalar` of {@link TensorOps}.
 *
 * Fixed-step: `euler` (order 1), `midpoint` (order 2), `rk4` (classic Runge–Kutta, order 4).
 * Adaptive: `dopri5` (Dormand–Prince 5(4), FSAL, error per step measured as the RMS of
 * `err / (atol + rtol · max(|y_n|, |y_{n+1}|))`, as in torchdiffeq).
 * All integrate from `t0` to `t1` in either direction (`t1 < t0` integrates backwards).
 *
 * Each solver is written once, as a *field program*: a generator that yields every point `(t, x)` where it
 * needs the velocity and receives the velocity back. {@link integrate} answers those requests with a
 * synchronous {@link VelocityField} (tfjs, onnxruntime-node), {@link integrateAsync} with an
 * {@link AsyncVelocityField} that returns a promise (onnxruntime-web, workers), so both run the same
 * arithmetic in the same order and give the same numbers.
 *
 * @module flow/solvers
 */
import type { TensorOps } from '../ops/ops.js';

/** A velocity field `dx/dt = f(t, x)`. It must not dispose or mutate `x`; it returns a new tensor. */
export type VelocityField<T> = (t: number, x: T) => T;

/**
 * A velocity field whose result arrives asynchronously, e.g. from onnxruntime-web's `session.run`.
 * It must not dispose or mutate `x` (the solver disposes `x` once the promise settles); it resolves to a new
 * tensor that the solver owns.
 */
export type AsyncVelocityField<T> = (t: number, x: T) => Promise<T>;

/** A point where a field program needs the velocity. */
export interface FieldRequest<T> {
  /** Time. */
  readonly t: number;
  /** State (owned by the program; the field must not dispose it). */
  readonly x: T;
}

/**
 * A computation that needs velocity evaluations: it yields {@link FieldRequest}s, receives each velocity
 * back from `next(v)` and returns `R`. Run it with {@link runFieldProgram} or {@link runFieldProgramAsync}.
 */
export type FieldProgram<T, R> = Generator<FieldRequest<T>, R, T>;

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

/** Reported after every accepted solver step through {@link IntegrateConfig.onStep}. */
export interface IntegrateStepEvent {
  /** Accepted steps so far (1-based). */
  readonly step: number;
  /** Planned steps of a fixed-step solver; `undefined` for the adaptive `dopri5`. */
  readonly steps: number | undefined;
  /** Time reached. */
  readonly t: number;
}

/** Options of {@link integrate} / {@link integrateAsync}: the solver and an optional per-step callback. */
export interface IntegrateConfig extends SolverConfig {
  /** Called after every accepted step (e.g. to draw a progress bar). */
  onStep?: (event: IntegrateStepEvent) => void;
}

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

/**
 * Runs a {@link FieldProgram}, answering its requests with a synchronous field. Each evaluation runs in its
 * own `ops.tidy`, so the field's intermediates are freed and only its result is handed to the program.
 * @internal Used by {@link integrate}, `classify` and `generate`.
 */
export function runFieldProgram<T, R>(
  ops: TensorOps<T>,
  program: FieldProgram<T, R>,
  field: VelocityField<T>,
): R {
  let step = program.next();
  while (!step.done) {
    const { t, x } = step.value;
    let v: T;
    try {
      v = ops.tidy(() => field(t, x));
    } catch (error) {
      program.return(undefined as R);
      throw error;
    }
    step = program.next(v);
  }
  return step.value;
}

/**
 * Runs a {@link FieldProgram}, awaiting each velocity from an asynchronous field.
 * @internal Used by {@link integrateAsync}, `classifyAsync` and `generateAsync`.
 */
export async function runFieldProgramAsync<T, R>(
  program: FieldProgram<T, R>,
  field: AsyncVelocityField<T>,
): Promise<R> {
  let step = program.next();
  while (!step.done) {
    const { t, x } = step.value;
    let v: T;
    try {
      v = await field(t, x);
    } catch (error) {
      program.return(undefined as R);
      throw error;
    }
    step = program.next(v);
  }
  return step.value;
}

/** `x + h · Σ c_i k_i` (terms with c = 0 skipped). Call inside `ops.tidy`. */
function combine<T>(ops: TensorOps<T>, x: T, h: number, terms: readonly (readonly [number, T])[]): T {
  let acc = x;
  for (const [c, k] of terms) {
    if (c !== 0) acc = ops.add(acc, ops.mulScalar(k, h * c));
  }
  return acc;
}

/** `combine` in its own tidy scope: only the result survives. */
function combined<T>(ops: TensorOps<T>, x: T, h: number, terms: readonly (readonly [number, T])[]): T {
  return ops.tidy(() => combine(ops, x, h, terms));
}

/** Disposes the velocities and stage states of a step, except tensors that are still live (`keep`). */
function release<T>(ops: TensorOps<T>, tensors: readonly T[], keep: readonly T[]): void {
  const seen = new Set<T>();
  for (const tensor of tensors) {
    if (keep.includes(tensor) || seen.has(tensor)) continue;
    seen.add(tensor);
    ops.dispose(tensor);
  }
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
 * The solver as a {@link FieldProgram}: integrates from `t0` to `t1` starting at `x0` (not disposed),
 * yielding each point where it needs the velocity.
 * @internal The shared core of {@link integrate} and {@link integrateAsync}.
 */
export function* integrateProgram<T>(
  ops: TensorOps<T>,
  x0: T,
  t0: number,
  t1: number,
  config: IntegrateConfig = {},
): FieldProgram<T, IntegrateResult<T>> {
  const options = resolveSolverConfig(config);
  if (!Number.isFinite(t0) || !Number.isFinite(t1)) {
    throw new RangeError(`Integration bounds must be finite; got t0=${t0}, t1=${t1}.`);
  }
  if (t0 === t1)
    return { x: ops.tidy(() => ops.mulScalar(x0, 1)), steps: 0, rejectedSteps: 0, evaluations: 0 };
  return options.solver === 'dopri5'
    ? yield* dopri5(ops, x0, t0, t1, options, config.onStep)
    : yield* fixedStep(ops, x0, t0, t1, options, config.onStep);
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
  config: IntegrateConfig = {},
): IntegrateResult<T> {
  return runFieldProgram(ops, integrateProgram(ops, x0, t0, t1, config), field);
}

/**
 * {@link integrate} with a field that returns a promise (onnxruntime-web, a worker, a remote model). Same
 * solvers, same arithmetic, same results as {@link integrate} for the same field values.
 *
 * @example
 * ```ts
 * const field = async (t, x) => ops.mulScalar(x, -1);
 * const { x } = await integrateAsync(ops, field, x0, 0, 1, { solver: 'rk4', steps: 10 });
 * ```
 */
export function integrateAsync<T>(
  ops: TensorOps<T>,
  field: AsyncVelocityField<T>,
  x0: T,
  t0: number,
  t1: number,
  config: IntegrateConfig = {},
): Promise<IntegrateResult<T>> {
  return runFieldProgramAsync(integrateProgram(ops, x0, t0, t1, config), field);
}

/** One step of a fixed-step solver from `(t, x)` with step `h`; returns the new state (x is kept). */
function* fixedStepOnce<T>(
  ops: TensorOps<T>,
  solver: Exclude<SolverName, 'dopri5'>,
  x: T,
  t: number,
  h: number,
): Generator<FieldRequest<T>, T, T> {
  const k1 = yield { t, x };
  if (solver === 'euler') {
    const next = combined(ops, x, h, [[1, k1]]);
    release(ops, [k1], [x, next]);
    return next;
  }
  const x2 = combined(ops, x, h, [[0.5, k1]]);
  const k2 = yield { t: t + h / 2, x: x2 };
  if (solver === 'midpoint') {
    const next = combined(ops, x, h, [[1, k2]]);
    release(ops, [k1, x2, k2], [x, next]);
    return next;
  }
  const x3 = combined(ops, x, h, [[0.5, k2]]);
  const k3 = yield { t: t + h / 2, x: x3 };
  const x4 = combined(ops, x, h, [[1, k3]]);
  const k4 = yield { t: t + h, x: x4 };
  const next = combined(ops, x, h, [
    [1 / 6, k1],
    [1 / 3, k2],
    [1 / 3, k3],
    [1 / 6, k4],
  ]);
  release(ops, [k1, x2, k2, x3, k3, x4, k4], [x, next]);
  return next;
}

function* fixedStep<T>(
  ops: TensorOps<T>,
  x0: T,
  t0: number,
  t1: number,
  options: ResolvedSolverConfig,
  onStep: IntegrateConfig['onStep'],
): FieldProgram<T, IntegrateResult<T>> {
  const n = options.steps;
  const h = (t1 - t0) / n;
  const solver = options.solver as Exclude<SolverName, 'dopri5'>;
  let x = x0;
  for (let i = 0; i < n; i++) {
    const t = t0 + i * h;
    const prev = x;
    x = yield* fixedStepOnce(ops, solver, prev, t, h);
    if (prev !== x0 && prev !== x) ops.dispose(prev);
    onStep?.({ step: i + 1, steps: n, t: i + 1 === n ? t1 : t + h });
  }
  return { x, steps: n, rejectedSteps: 0, evaluations: n * SOLVERS[options.solver].evaluationsPerStep };
}

function* dopri5<T>(
  ops: TensorOps<T>,
  x0: T,
  t0: number,
  t1: number,
  options: ResolvedSolverConfig,
  onStep: IntegrateConfig['onStep'],
): FieldProgram<T, IntegrateResult<T>> {
  const { rtol, atol, maxSteps } = options;
  const direction = Math.sign(t1 - t0);
  const span = Math.abs(t1 - t0);
  let evaluations = 0;
  const field = function* (t: number, x: T): Generator<FieldRequest<T>, T, T> {
    evaluations++;
    return yield { t, x };
  };
  let x = x0;
  let k1 = yield* field(t0, x0);
  // Initial step (Hairer, Nørsett & Wanner, II.4), as torchdiffeq's select_initial_step.
  const scale = ops.tidy(() => ops.addScalar(ops.mulScalar(ops.abs(x0), rtol), atol));
  const [d0, d1] = ops.tidy(() => [
    Math.sqrt(ops.readScalar(ops.mean(ops.square(ops.div(x0, scale))))),
    Math.sqrt(ops.readScalar(ops.mean(ops.square(ops.div(k1, scale))))),
  ]);
  const h0 = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : (0.01 * d0) / d1;
  const xProbe = combined(ops, x0, direction * h0, [[1, k1]]);
  const k2 = yield* field(t0 + direction * h0, xProbe);
  const d2 =
    ops.tidy(() => Math.sqrt(ops.readScalar(ops.mean(ops.square(ops.div(ops.sub(k2, k1), scale)))))) / h0;
  release(ops, [scale, xProbe, k2], [x0, k1]);
  const dmax = Math.max(d1, d2);
  const h1 = dmax <= 1e-15 ? Math.max(1e-6, h0 * 1e-3) : (0.01 / dmax) ** (1 / 5);
  let h = Math.min(100 * h0, h1);
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
    const k: T[] = [kPrev];
    const stages: T[] = [];
    for (let s = 1; s < 7; s++) {
      const stage = combined(
        ops,
        xPrev,
        hs,
        A[s].map((a, j) => [a, k[j]] as const),
      );
      stages.push(stage);
      k.push(yield* field(t + C[s] * hs, stage));
    }
    // Stage 7 is evaluated at the 5th-order solution, so it equals that solution (FSAL).
    const xNew = combined(
      ops,
      xPrev,
      hs,
      B5.map((b, j) => [b, k[j]] as const),
    );
    const kLast = k[6];
    const norm = ops.tidy(() => {
      const err = combine(
        ops,
        ops.mulScalar(xPrev, 0),
        hs,
        E.map((e, j) => [e, k[j]] as const),
      );
      return rmsNorm(ops, err, xPrev, xNew, rtol, atol);
    });
    release(ops, [...stages, ...k.slice(1, 6)], [x0, xPrev, kPrev, xNew, kLast]);
    if (!Number.isFinite(norm)) {
      release(ops, [xNew, kLast], [x0, xPrev, kPrev]);
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
      x = xNew;
      k1 = kLast;
      accepted++;
      onStep?.({ step: accepted, steps: undefined, t });
    } else {
      release(ops, [xNew, kLast], [x0, xPrev, kPrev]);
      rejected++;
    }
    const factor = norm === 0 ? 10 : Math.min(10, Math.max(0.2, 0.9 * norm ** (-1 / 5)));
    h = stepSize * factor;
  }
  ops.dispose(k1);
  if (x === x0) x = ops.tidy(() => ops.mulScalar(x0, 1));
  return { x, steps: accepted, rejectedSteps: rejected, evaluations };
}
