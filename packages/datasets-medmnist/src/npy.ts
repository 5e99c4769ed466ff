/**
 * @file Reader and writer for numpy's `.npy` format (versions 1.0, 2.0 and 3.0).
 *
 * Supported dtypes: `b1` (bool), `i1`/`u1`, `i2`/`u2`, `i4`/`u4`, `i8`/`u8` (as BigInt arrays), `f2` (decoded to
 * float32), `f4`, `f8`, little- or big-endian (`<`, `>`, `|`, `=`), C or Fortran order (Fortran arrays are
 * returned in C order). Object arrays (dtype `O`, stored with pickle) are refused, as are structured, string,
 * complex and datetime dtypes, wrong magic, malformed headers and headers whose shape does not match the bytes.
 *
 * @example
 * ```ts
 * const bytes = encodeNpy({ data: new Float32Array([1, 2, 3, 4, 5, 6]), shape: [2, 3] });
 * const array = parseNpy(bytes);
 * array.dtype; // 'float32'
 * array.shape; // [2, 3]
 * ```
 * @module npy
 */

import { type FormatErrorLocation, NpzFormatError, NpzLimitError } from './errors';

/** Element types this package reads and writes. */
export type NpyDtype =
  | 'bool'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'float16'
  | 'float32'
  | 'float64';

/** Typed arrays an {@link NpyArray} can hold. `bool` uses `Uint8Array` (0/1), `float16` is decoded to `Float32Array`. */
export type NpyData =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | BigUint64Array
  | BigInt64Array
  | Float32Array
  | Float64Array;

/** A decoded array: C-order data plus shape. */
export interface NpyArray {
  /** Element type. */
  readonly dtype: NpyDtype;
  /** The dtype string found in the header, e.g. `'|u1'` or `'<f4'`. */
  readonly descr: string;
  /** Dimensions; `[]` for a scalar. */
  readonly shape: readonly number[];
  /** Elements in C (row-major) order. */
  readonly data: NpyData;
}

/** An array to encode. */
export interface NpyInput {
  /** Elements in C order. */
  readonly data: NpyData;
  /** Dimensions; their product must equal `data.length`. */
  readonly shape: readonly number[];
  /** Element type; inferred from `data` when omitted. Set `'bool'` to write a `Uint8Array` of 0/1 as bool. */
  readonly dtype?: NpyDtype;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const MAX_HEADER_BYTES = 1 << 20;

interface DtypeSpec {
  dtype: NpyDtype;
  kind: string;
  size: number;
  ctor:
    | Uint8ArrayConstructor
    | Int8ArrayConstructor
    | Uint16ArrayConstructor
    | Int16ArrayConstructor
    | Uint32ArrayConstructor
    | Int32ArrayConstructor
    | BigUint64ArrayConstructor
    | BigInt64ArrayConstructor
    | Float32ArrayConstructor
    | Float64ArrayConstructor;
  getter: string;
}

const DTYPES: readonly DtypeSpec[] = [
  { dtype: 'bool', kind: 'b', size: 1, ctor: Uint8Array, getter: 'getUint8' },
  { dtype: 'int8', kind: 'i', size: 1, ctor: Int8Array, getter: 'getInt8' },
  { dtype: 'uint8', kind: 'u', size: 1, ctor: Uint8Array, getter: 'getUint8' },
  { dtype: 'int16', kind: 'i', size: 2, ctor: Int16Array, getter: 'getInt16' },
  { dtype: 'uint16', kind: 'u', size: 2, ctor: Uint16Array, getter: 'getUint16' },
  { dtype: 'int32', kind: 'i', size: 4, ctor: Int32Array, getter: 'getInt32' },
  { dtype: 'uint32', kind: 'u', size: 4, ctor: Uint32Array, getter: 'getUint32' },
  { dtype: 'int64', kind: 'i', size: 8, ctor: BigInt64Array, getter: 'getBigInt64' },
  { dtype: 'uint64', kind: 'u', size: 8, ctor: BigUint64Array, getter: 'getBigUint64' },
  { dtype: 'float16', kind: 'f', size: 2, ctor: Float32Array, getter: '' },
  { dtype: 'float32', kind: 'f', size: 4, ctor: Float32Array, getter: 'getFloat32' },
  { dtype: 'float64', kind: 'f', size: 8, ctor: Float64Array, getter: 'getFloat64' },
];

const SUPPORTED_DESCRS =
  '|b1, |i1, |u1, <i2, <u2, <i4, <u4, <i8, <u8, <f2, <f4, <f8 (and their > big-endian forms)';

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// ---------------------------------------------------------------------------------------------------------
// Header literal parser: the header is a Python dict literal such as
// {'descr': '|u1', 'fortran_order': False, 'shape': (4708, 28, 28), }

class PyList {
  constructor(readonly items: unknown[]) {}
}

function parsePythonLiteral(text: string, fail: (detail: string) => never): unknown {
  let i = 0;
  const skip = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const expect = (ch: string) => {
    skip();
    if (text[i] !== ch)
      fail(`malformed header: expected ${JSON.stringify(ch)} at position ${i} in ${text.trim()}`);
    i++;
  };
  const parseSequence = (close: string): unknown[] => {
    const items: unknown[] = [];
    for (;;) {
      skip();
      if (text[i] === close) {
        i++;
        return items;
      }
      items.push(parseValue());
      skip();
      if (text[i] === ',') i++;
      else if (text[i] !== close) fail(`malformed header: expected "," or "${close}" at position ${i}`);
    }
  };
  const parseValue = (): unknown => {
    skip();
    const ch = text[i];
    if (ch === '{') {
      i++;
      const dict = new Map<unknown, unknown>();
      for (;;) {
        skip();
        if (text[i] === '}') {
          i++;
          return dict;
        }
        const key = parseValue();
        expect(':');
        dict.set(key, parseValue());
        skip();
        if (text[i] === ',') i++;
        else if (text[i] !== '}') fail(`malformed header: expected "," or "}" at position ${i}`);
      }
    }
    if (ch === '(') {
      i++;
      return parseSequence(')');
    }
    if (ch === '[') {
      i++;
      return new PyList(parseSequence(']'));
    }
    if (ch === "'" || ch === '"') {
      i++;
      let out = '';
      while (i < text.length && text[i] !== ch) {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        out += text[i++];
      }
      if (text[i] !== ch) fail('malformed header: unterminated string');
      i++;
      return out;
    }
    const match = /^(-?\d+)L?|^(True|False|None)\b/.exec(text.slice(i));
    if (!match) fail(`malformed header: unexpected ${JSON.stringify(text.slice(i, i + 12))}`);
    i += (match as RegExpExecArray)[0].length;
    if ((match as RegExpExecArray)[1] !== undefined) return Number((match as RegExpExecArray)[1]);
    return { True: true, False: false, None: null }[
      (match as RegExpExecArray)[2] as 'True' | 'False' | 'None'
    ];
  };
  const value = parseValue();
  skip();
  if (i !== text.length)
    fail(`malformed header: unexpected text after the dict: ${JSON.stringify(text.slice(i))}`);
  return value;
}

// ---------------------------------------------------------------------------------------------------------

function resolveDescr(
  descr: unknown,
  fail: (detail: string) => never,
): { spec: DtypeSpec; littleEndian: boolean } {
  if (descr instanceof PyList) {
    fail('holds a structured (record) dtype, which is not supported; save plain numeric arrays instead');
  }
  if (typeof descr !== 'string') fail(`has an invalid 'descr' value ${JSON.stringify(descr)}`);
  const text = descr as string;
  const match = /^([<>|=]?)([a-zA-Z?])(\d*)$/.exec(text);
  const kind = match?.[2];
  if (kind === 'O') {
    fail(
      `holds Python objects (dtype ${JSON.stringify(text)}), which numpy stores with pickle. Refusing to load it: ` +
        'unpickling can run arbitrary code (numpy itself refuses unless allow_pickle=True). ' +
        'Save plain numeric arrays instead.',
    );
  }
  const byteOrder = match?.[1] ?? '';
  const size = Number(match?.[3] || 0);
  const spec = DTYPES.find((candidate) => candidate.kind === kind && candidate.size === size);
  if (!match || !spec) {
    fail(`has unsupported dtype ${JSON.stringify(text)}. Supported: ${SUPPORTED_DESCRS}`);
  }
  const s = spec as DtypeSpec;
  if (byteOrder === '|' && s.size !== 1) fail(`has dtype ${JSON.stringify(text)} with no byte order`);
  return { spec: s, littleEndian: byteOrder === '>' ? false : byteOrder === '=' ? HOST_LITTLE_ENDIAN : true };
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

function decodeData(
  bytes: Uint8Array,
  offset: number,
  count: number,
  spec: DtypeSpec,
  littleEndian: boolean,
): NpyData {
  const dv = new DataView(bytes.buffer, bytes.byteOffset + offset, count * spec.size);
  if (spec.dtype === 'float16') {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = halfToFloat(dv.getUint16(i * 2, littleEndian));
    return out;
  }
  if (spec.size === 1 || littleEndian === HOST_LITTLE_ENDIAN) {
    const absolute = bytes.byteOffset + offset;
    if (absolute % spec.size === 0) return new spec.ctor(bytes.buffer as ArrayBuffer, absolute, count);
    const out = new spec.ctor(count);
    new Uint8Array(out.buffer).set(bytes.subarray(offset, offset + count * spec.size));
    return out;
  }
  const out = new spec.ctor(count);
  const getter = (dv as unknown as Record<string, (o: number, le: boolean) => number | bigint>)[
    spec.getter
  ].bind(dv);
  const target = out as unknown as { [index: number]: number | bigint };
  for (let i = 0; i < count; i++) target[i] = getter(i * spec.size, littleEndian);
  return out;
}

function fortranToC(data: NpyData, shape: readonly number[]): NpyData {
  const ndim = shape.length;
  if (ndim < 2) return data;
  const n = data.length;
  const ctor = data.constructor as new (length: number) => NpyData;
  const out = new ctor(n) as unknown as { [index: number]: number | bigint };
  const source = data as unknown as { [index: number]: number | bigint };
  const strides = new Array<number>(ndim);
  strides[0] = 1;
  for (let k = 1; k < ndim; k++) strides[k] = strides[k - 1] * shape[k - 1];
  const index = new Array<number>(ndim).fill(0);
  let fortranOffset = 0;
  for (let c = 0; c < n; c++) {
    out[c] = source[fortranOffset];
    for (let k = ndim - 1; k >= 0; k--) {
      index[k]++;
      fortranOffset += strides[k];
      if (index[k] < shape[k]) break;
      fortranOffset -= strides[k] * shape[k];
      index[k] = 0;
    }
  }
  return out as unknown as NpyData;
}

/** Options of {@link parseNpy}. */
export interface ParseNpyConfig {
  /**
   * Name used in error messages (the file, and the archive member for `.npz` contents).
   * @defaultValue `{ file: '<npy bytes>' }`
   */
  location?: FormatErrorLocation;
}

/**
 * Decodes one `.npy` file. When no byte swapping or realignment is needed, `data` is a view that shares memory
 * with `bytes` (no copy).
 *
 * @throws {NpzFormatError} for wrong magic, unsupported versions, malformed headers, object (pickled) or other
 * unsupported dtypes, and a shape that does not match the number of data bytes.
 */
export function parseNpy(bytes: Uint8Array, config: ParseNpyConfig = {}): NpyArray {
  const location = config.location ?? { file: '<npy bytes>' };
  const fail = (detail: string): never => {
    throw new NpzFormatError(location, detail);
  };
  if (bytes.length < 10 || MAGIC.some((value, index) => bytes[index] !== value)) {
    const pickle = bytes[0] === 0x80 && bytes.length > 1 && bytes[1] <= 5;
    fail(
      pickle
        ? 'is a Python pickle, not a .npy array; refusing to unpickle it (it could run arbitrary code)'
        : 'does not start with the .npy magic "\\x93NUMPY"; it is not a numpy array file or it is corrupt',
    );
  }
  const major = bytes[6];
  const minor = bytes[7];
  if (major < 1 || major > 3 || minor !== 0) {
    fail(`uses .npy format version ${major}.${minor}; supported versions are 1.0, 2.0 and 3.0`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const prefix = major === 1 ? 10 : 12;
  if (bytes.length < prefix) fail('header is truncated');
  const headerLength = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  if (headerLength > MAX_HEADER_BYTES) {
    throw new NpzLimitError(location, `declares a ${headerLength}-byte header (limit ${MAX_HEADER_BYTES})`);
  }
  const dataOffset = prefix + headerLength;
  if (dataOffset > bytes.length) fail(`header declares ${headerLength} bytes but the data is truncated`);
  const headerText = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(
    bytes.subarray(prefix, dataOffset),
  );
  const header = parsePythonLiteral(headerText, fail);
  if (!(header instanceof Map)) fail('header is not a dict');
  const dict = header as Map<unknown, unknown>;
  const keys = [...dict.keys()].map(String).sort();
  if (keys.join(',') !== 'descr,fortran_order,shape') {
    fail(
      `header must have exactly the keys descr, fortran_order and shape; found ${keys.join(', ') || 'none'}`,
    );
  }
  const { spec, littleEndian } = resolveDescr(dict.get('descr'), fail);
  const fortranOrder = dict.get('fortran_order');
  if (typeof fortranOrder !== 'boolean') fail("header 'fortran_order' must be True or False");
  const rawShape = dict.get('shape');
  if (!Array.isArray(rawShape) || rawShape.some((d) => !Number.isSafeInteger(d) || (d as number) < 0)) {
    fail(`header 'shape' must be a tuple of non-negative integers, got ${JSON.stringify(rawShape)}`);
  }
  const shape = rawShape as number[];
  const count = shape.reduce((product, d) => product * d, 1);
  const available = bytes.length - dataOffset;
  if (!Number.isSafeInteger(count * spec.size) || count * spec.size !== available) {
    fail(
      `header declares shape (${shape.join(', ')}) of ${describeDescr(spec)} = ${count * spec.size} data bytes, ` +
        `but the array holds ${available} bytes; the file is truncated or corrupt`,
    );
  }
  let data = decodeData(bytes, dataOffset, count, spec, littleEndian);
  if (fortranOrder) data = fortranToC(data, shape);
  return Object.freeze({
    dtype: spec.dtype,
    descr: dict.get('descr') as string,
    shape: Object.freeze([...shape]),
    data,
  });
}

function describeDescr(spec: DtypeSpec): string {
  return `${spec.dtype} (${spec.size} byte${spec.size === 1 ? '' : 's'} each)`;
}

function inferDtype(data: NpyData): NpyDtype {
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Uint16Array) return 'uint16';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Uint32Array) return 'uint32';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof BigUint64Array) return 'uint64';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  throw new TypeError('encodeNpy: data must be a typed array (Uint8Array, Int32Array, Float32Array, …).');
}

/**
 * Encodes an array as `.npy` (format 1.0, little-endian, C order, header padded to 64 bytes as numpy does).
 *
 * @throws {TypeError | RangeError} when `shape` does not match `data` or the dtype does not fit the data.
 */
export function encodeNpy(input: NpyInput): Uint8Array {
  const dtype = input.dtype ?? inferDtype(input.data);
  const spec = DTYPES.find((candidate) => candidate.dtype === dtype);
  if (!spec || dtype === 'float16') {
    throw new RangeError(
      `encodeNpy: unsupported dtype ${JSON.stringify(dtype)}. Should be one of ${DTYPES.filter(
        (d) => d.dtype !== 'float16',
      )
        .map((d) => d.dtype)
        .join(', ')}.`,
    );
  }
  if (!(input.data instanceof spec.ctor)) {
    throw new TypeError(
      `encodeNpy: dtype ${dtype} needs a ${spec.ctor.name}, got ${input.data.constructor.name}.`,
    );
  }
  const count = input.shape.reduce((product, d) => product * d, 1);
  if (input.shape.some((d) => !Number.isSafeInteger(d) || d < 0) || count !== input.data.length) {
    throw new RangeError(
      `encodeNpy: shape [${input.shape.join(', ')}] holds ${count} elements but data has ${input.data.length}.`,
    );
  }
  const order = spec.size === 1 ? '|' : '<';
  const shapeText = input.shape.length === 1 ? `(${input.shape[0]},)` : `(${input.shape.join(', ')})`;
  let header = `{'descr': '${order}${spec.kind}${spec.size}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const headerBytes = new TextEncoder().encode(header);
  if (headerBytes.length > 0xffff) throw new RangeError('encodeNpy: header too long for format 1.0.');
  const dataBytes = input.data.byteLength;
  const out = new Uint8Array(10 + headerBytes.length + dataBytes);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, headerBytes.length, true);
  out.set(headerBytes, 10);
  const raw = new Uint8Array(input.data.buffer, input.data.byteOffset, dataBytes);
  if (HOST_LITTLE_ENDIAN || spec.size === 1) {
    out.set(raw, 10 + headerBytes.length);
  } else {
    for (let i = 0; i < input.data.length; i++) {
      for (let b = 0; b < spec.size; b++)
        out[10 + headerBytes.length + i * spec.size + b] = raw[i * spec.size + spec.size - 1 - b];
    }
  }
  return out;
}
