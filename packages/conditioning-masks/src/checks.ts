/**
 * @file Argument checks shared by the plugins (internal, not exported from the package).
 */
import type { MaskShape, MaskSize } from './types';

/** `JSON.stringify` that never throws, for quoting bad values in error messages. */
export function quote(value: unknown): string {
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'function') return 'a function';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Throws a RangeError unless `value` is an integer in [min, max]. */
export function assertInteger(
  what: string,
  value: unknown,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`;
    throw new RangeError(`${what} must be ${range}, got ${quote(value)}.`);
  }
  return value;
}

/** Throws unless `value` is array-like (typed array or array). */
export function assertArrayLike(what: string, value: unknown): asserts value is ArrayLike<number> {
  if (
    value === null ||
    typeof value !== 'object' ||
    typeof (value as { length?: unknown }).length !== 'number'
  ) {
    throw new TypeError(`${what} must be a Float32Array or an array of numbers, got ${quote(value)}.`);
  }
}

/** Resolves a mask shape to `{ n, height, width }` and checks it against the data length. */
export function resolveShape(
  data: ArrayLike<number>,
  shape: MaskShape,
  channels: number,
): MaskSize & { n: number } {
  let height: number;
  let width: number;
  let n: number | undefined;
  if (Array.isArray(shape)) {
    if (shape.length !== 4) {
      throw new RangeError(
        `Mask shape must be [n, height, width, channels] or { height, width }, got ${quote(shape)}.`,
      );
    }
    n = assertInteger('Mask shape n', shape[0], 0);
    height = assertInteger('Mask shape height', shape[1], 1);
    width = assertInteger('Mask shape width', shape[2], 1);
    if (shape[3] !== channels) {
      throw new RangeError(
        `Mask shape ${quote(shape)} has ${quote(shape[3])} channels but this plugin's masks have ${channels}. ` +
          'Fix: pass the mask the plugin produced, or create the plugin that matches the model.',
      );
    }
  } else if (shape !== null && typeof shape === 'object') {
    const size = shape as MaskSize;
    height = assertInteger('Mask height', size.height, 1);
    width = assertInteger('Mask width', size.width, 1);
  } else {
    throw new TypeError(
      `Mask shape must be [n, height, width, channels] or { height, width }, got ${quote(shape)}.`,
    );
  }
  const perMask = height * width * channels;
  if (data.length % perMask !== 0 || (n !== undefined && data.length !== n * perMask)) {
    throw new RangeError(
      `Predicted mask has ${data.length} values, which does not fit shape ` +
        `[${n ?? 'n'}, ${height}, ${width}, ${channels}] (${perMask} values per mask).`,
    );
  }
  return { n: n ?? data.length / perMask, height, width };
}

/** Throws a RangeError naming the first non-finite element (NaN or ±Infinity). */
export function assertFinite(what: string, data: ArrayLike<number>): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!Number.isFinite(v)) {
      throw new RangeError(
        `${what} contains ${quote(v)} at flat index ${i}. ` +
          'Fix: check the model output (a diverged network or a bad input image gives NaN masks).',
      );
    }
  }
}
