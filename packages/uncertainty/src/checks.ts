/**
 * @file Argument checks shared by the metrics (internal, not exported from the package).
 */

/** Quotes a value for an error message without throwing. */
export function quote(value: unknown): string {
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'function') return 'a function';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Throws a TypeError unless `value` is array-like. */
export function assertArrayLike<T = number>(what: string, value: unknown): asserts value is ArrayLike<T> {
  if (
    value === null ||
    typeof value !== 'object' ||
    typeof (value as { length?: unknown }).length !== 'number'
  ) {
    throw new TypeError(`${what} must be a typed array or an array, got ${quote(value)}.`);
  }
}

/** Throws unless `value` is a non-empty array of finite numbers; returns its length. */
export function assertFiniteArray(what: string, value: unknown): number {
  assertArrayLike(what, value);
  if (value.length === 0) {
    throw new RangeError(`${what} is empty. Metrics need at least one sample.`);
  }
  for (let i = 0; i < value.length; i++) {
    const v = value[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new RangeError(
        `${what} contains ${quote(v)} at index ${i}. Fix: drop or repair non-finite values before computing metrics.`,
      );
    }
  }
  return value.length;
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

/** Checks a finite `[n, numClasses]` matrix; returns n. */
export function assertMatrix(what: string, value: unknown, numClasses: number): number {
  assertInteger('numClasses', numClasses, 1);
  const length = assertFiniteArray(what, value);
  if (length % numClasses !== 0) {
    throw new RangeError(
      `${what} has ${length} values, not a multiple of numClasses = ${numClasses}. Expected shape [n, numClasses].`,
    );
  }
  return length / numClasses;
}

/** Checks class labels (integers in [0, numClasses)) and returns them as an Int32Array. */
export function toLabels(what: string, value: unknown, numClasses: number, n?: number): Int32Array {
  assertArrayLike(what, value);
  if (value.length === 0) throw new RangeError(`${what} is empty. Metrics need at least one sample.`);
  if (n !== undefined && value.length !== n) {
    throw new RangeError(`${what} has ${value.length} entries but the scores/distances have ${n} rows.`);
  }
  const out = new Int32Array(value.length);
  for (let i = 0; i < value.length; i++) {
    const v = value[i];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= numClasses) {
      throw new RangeError(
        `${what}[${i}] = ${quote(v)} is not a class label; labels must be integers in [0, ${numClasses - 1}].`,
      );
    }
    out[i] = v;
  }
  return out;
}

/** Checks 0/1 (or boolean) flags and returns them as a Uint8Array. */
export function toBinary(what: string, value: unknown, n?: number): Uint8Array {
  assertArrayLike<number | boolean>(what, value);
  if (value.length === 0) throw new RangeError(`${what} is empty. Metrics need at least one sample.`);
  if (n !== undefined && value.length !== n) {
    throw new RangeError(`${what} has ${value.length} entries, expected ${n} (one per sample).`);
  }
  const out = new Uint8Array(value.length);
  for (let i = 0; i < value.length; i++) {
    const v = value[i];
    if (v === true || v === 1) out[i] = 1;
    else if (v === false || v === 0) out[i] = 0;
    else {
      throw new RangeError(`${what}[${i}] = ${quote(v)} is not binary; use 0/1 or true/false.`);
    }
  }
  return out;
}

/** Checks a number in [0, 1]. */
export function assertUnit(what: string, value: unknown, { open = false } = {}): number {
  if (typeof value !== 'number' || !(value >= 0 && (open ? value < 1 : value <= 1))) {
    throw new RangeError(`${what} must be a number in [0, 1${open ? ')' : ']'}, got ${quote(value)}.`);
  }
  return value;
}
