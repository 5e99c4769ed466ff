/**
 * @file AdamW on plain `Float32Array` parameter buffers.
 *
 * The optimizer is engine-neutral: gradients come back from whatever engine (or worker thread) computed
 * them as `Float32Array`s, the update runs in JavaScript, and the moments are plain arrays that a
 * checkpoint can write and read back bit for bit. Weight decay is decoupled (Loshchilov & Hutter): the
 * weights shrink by `lr·weightDecay` before the Adam step, as in PyTorch's `torch.optim.AdamW`.
 *
 * @module train/adamw
 */

/** User options of {@link createAdamW}. */
export interface AdamWConfig {
  /**
   * Exponential decay of the first moment.
   * @defaultValue 0.9
   */
  beta1?: number;
  /**
   * Exponential decay of the second moment.
   * @defaultValue 0.999
   */
  beta2?: number;
  /**
   * Added to `sqrt(v̂)` for numerical stability.
   * @defaultValue 1e-8
   */
  epsilon?: number;
  /**
   * Decoupled weight decay: each step multiplies the weights by `1 − lr·weightDecay`. The official
   * MedSymmFlow runs use 0.
   * @defaultValue 0
   */
  weightDecay?: number;
}

/** {@link AdamWConfig} with every default filled in. */
export type ResolvedAdamWConfig = Required<AdamWConfig>;

/** Defaults of {@link AdamWConfig}. */
export const ADAMW_DEFAULTS: Readonly<ResolvedAdamWConfig> = Object.freeze({
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  weightDecay: 0,
});

/** Serialisable state of an {@link AdamW} optimizer. The arrays are the optimizer's own (not copies). */
export interface AdamWState {
  /** Number of updates applied so far (bias correction uses `step` after the increment). */
  step: number;
  /** First moments, one array per parameter. */
  m: Float32Array[];
  /** Second moments, one array per parameter. */
  v: Float32Array[];
}

/** An AdamW optimizer over a fixed list of parameter buffers. */
export interface AdamW {
  /** The resolved hyper-parameters. */
  readonly config: Readonly<ResolvedAdamWConfig>;
  /** Number of updates applied so far. */
  readonly step: number;
  /**
   * Applies one update in place: `params[i] -= lr·(m̂/(√v̂+ε) + weightDecay·params[i])`.
   * @param params - the weights, updated in place; sizes must match the optimizer's.
   * @param grads - the gradients of the loss with respect to `params` (not modified).
   * @param learningRate - the learning rate of this step (see `oneCycleLr`).
   */
  update(params: readonly Float32Array[], grads: readonly Float32Array[], learningRate: number): void;
  /** The optimizer state; the arrays are live (copy them before mutating). */
  getState(): AdamWState;
  /** Replaces the state with a copy of `state`; sizes must match. */
  setState(state: AdamWState): void;
}

function checkFinite(name: string, value: number, min: number, max: number, maxInclusive = false): void {
  if (!Number.isFinite(value) || value < min || (maxInclusive ? value > max : value >= max)) {
    const range = `[${min}, ${max}${maxInclusive ? ']' : ')'}`;
    throw new RangeError(`AdamW '${name}' must be a number in ${range}, got ${String(value)}.`);
  }
}

/** Copies and validates an {@link AdamWConfig}; never mutates the input. */
export function resolveAdamWConfig(config: AdamWConfig = {}): ResolvedAdamWConfig {
  const resolved: ResolvedAdamWConfig = { ...ADAMW_DEFAULTS, ...stripUndefined(config) };
  checkFinite('beta1', resolved.beta1, 0, 1);
  checkFinite('beta2', resolved.beta2, 0, 1);
  checkFinite('epsilon', resolved.epsilon, 0, Number.POSITIVE_INFINITY);
  checkFinite('weightDecay', resolved.weightDecay, 0, Number.POSITIVE_INFINITY);
  return resolved;
}

/** Object spread that ignores keys whose value is `undefined` (so they do not erase defaults). */
export function stripUndefined<T extends object>(value: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [key, v] of Object.entries(value)) {
    if (v !== undefined) (out as Record<string, unknown>)[key] = v;
  }
  return out;
}

/**
 * Creates an AdamW optimizer for parameters of the given sizes. The moments start at zero.
 *
 * @example
 * ```ts
 * const params = [new Float32Array([1, -2])];
 * const opt = createAdamW([2], { weightDecay: 0.01 });
 * opt.update(params, [new Float32Array([0.5, 0.5])], 1e-3);
 * // params[0] ≈ Float32Array [0.99899, -2.00098]
 * ```
 */
export function createAdamW(sizes: readonly number[], config: AdamWConfig = {}): AdamW {
  const resolved = Object.freeze(resolveAdamWConfig(config));
  for (const [i, size] of sizes.entries()) {
    if (!Number.isInteger(size) || size < 0) {
      throw new RangeError(
        `AdamW parameter ${i} has an invalid size ${String(size)}; sizes are integers ≥ 0.`,
      );
    }
  }
  let step = 0;
  let m = sizes.map((n) => new Float32Array(n));
  let v = sizes.map((n) => new Float32Array(n));

  const checkShapes = (what: string, arrays: readonly Float32Array[]): void => {
    if (arrays.length !== sizes.length) {
      throw new RangeError(`AdamW expected ${sizes.length} ${what} arrays, got ${arrays.length}.`);
    }
    for (let i = 0; i < sizes.length; i++) {
      if (arrays[i].length !== sizes[i]) {
        throw new RangeError(
          `AdamW ${what} array ${i} has ${arrays[i].length} values; the optimizer was built for ${sizes[i]}.`,
        );
      }
    }
  };

  return {
    config: resolved,
    get step() {
      return step;
    },
    update(params, grads, learningRate) {
      if (!Number.isFinite(learningRate) || learningRate < 0) {
        throw new RangeError(`AdamW learning rate must be a finite number ≥ 0, got ${String(learningRate)}.`);
      }
      checkShapes('parameter', params);
      checkShapes('gradient', grads);
      step += 1;
      const { beta1, beta2, epsilon, weightDecay } = resolved;
      const bc1 = 1 - beta1 ** step;
      const bc2 = 1 - beta2 ** step;
      const stepSize = learningRate / bc1;
      const sqrtBc2 = Math.sqrt(bc2);
      const decay = 1 - learningRate * weightDecay;
      for (let i = 0; i < params.length; i++) {
        const p = params[i];
        const g = grads[i];
        const mi = m[i];
        const vi = v[i];
        for (let j = 0; j < p.length; j++) {
          const gj = g[j];
          const mj = beta1 * mi[j] + (1 - beta1) * gj;
          const vj = beta2 * vi[j] + (1 - beta2) * gj * gj;
          mi[j] = mj;
          vi[j] = vj;
          p[j] = p[j] * decay - (stepSize * mj) / (Math.sqrt(vj) / sqrtBc2 + epsilon);
        }
      }
    },
    getState() {
      return { step, m, v };
    },
    setState(state) {
      if (!Number.isInteger(state.step) || state.step < 0) {
        throw new RangeError(`AdamW state step must be an integer ≥ 0, got ${String(state.step)}.`);
      }
      checkShapes('first-moment', state.m);
      checkShapes('second-moment', state.v);
      step = state.step;
      m = state.m.map((a) => a.slice());
      v = state.v.map((a) => a.slice());
    },
  };
}
