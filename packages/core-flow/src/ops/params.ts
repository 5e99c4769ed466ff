/**
 * @file Engine-neutral parameter helpers: initial values from {@link ParamSpec}s, parameter counts and
 * conversion of plain data to engine tensors.
 *
 * @module ops/params
 */
import type { ParamSpec, Params, TensorOps } from './ops.js';
import { normalSampler, type RandomSource, uniformSampler } from './random.js';

/** Number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  let size = 1;
  for (const d of shape) size *= d;
  return size;
}

/** Total number of scalar parameters declared by `specs`. */
export function countParameters(specs: readonly ParamSpec[]): number {
  let total = 0;
  for (const spec of specs) total += sizeOf(spec.shape);
  return total;
}

/**
 * Initial values of every parameter as plain row-major data, drawn in spec order from `random`.
 *
 * @example
 * ```ts
 * const data = initParamData(createUNet().paramSpecs, createRandom(0));
 * ```
 */
export function initParamData(
  specs: readonly ParamSpec[],
  random: RandomSource,
): Record<string, Float32Array> {
  const uniform = uniformSampler(random);
  const normal = normalSampler(random);
  const out: Record<string, Float32Array> = {};
  for (const spec of specs) {
    const data = new Float32Array(sizeOf(spec.shape));
    const init = spec.init;
    switch (init.kind) {
      case 'zeros':
        break;
      case 'ones':
        data.fill(1);
        break;
      case 'uniform':
        for (let i = 0; i < data.length; i++) data[i] = (2 * uniform() - 1) * init.bound;
        break;
      case 'normal':
        for (let i = 0; i < data.length; i++) data[i] = normal() * init.std;
        break;
      default:
        throw new TypeError(`Unknown initialiser ${JSON.stringify(init)} for parameter "${spec.name}".`);
    }
    out[spec.name] = data;
  }
  return out;
}

/** Engine tensors from plain parameter data (canonical layouts). */
export function paramsFromData<T>(
  ops: TensorOps<T>,
  specs: readonly ParamSpec[],
  data: Readonly<Record<string, Float32Array>>,
): Params<T> {
  const params: Params<T> = {};
  for (const spec of specs) {
    const values = data[spec.name];
    if (!values) {
      ops.dispose(params);
      throw new RangeError(`Missing data for parameter "${spec.name}".`);
    }
    if (values.length !== sizeOf(spec.shape)) {
      ops.dispose(params);
      throw new RangeError(
        `Parameter "${spec.name}" has ${values.length} values; shape [${spec.shape.join(', ')}] needs ${sizeOf(spec.shape)}.`,
      );
    }
    params[spec.name] = ops.constant(values, spec.shape);
  }
  return params;
}

/** Fresh initial parameters as engine tensors. */
export function initParams<T>(
  ops: TensorOps<T>,
  specs: readonly ParamSpec[],
  random: RandomSource,
): Params<T> {
  return paramsFromData(ops, specs, initParamData(specs, random));
}
