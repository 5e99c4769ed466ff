import { describe, expect, it } from 'vitest';
import { toNumbers } from '../test/fixtures';
import { encodeNpy, type NpyData, NpzFormatError, NpzLimitError, parseNpy } from './index';

/** Builds .npy bytes by hand (independent of encodeNpy): magic, version, header length, header, data. */
function npyBytes(header: string, data: Uint8Array, major = 1): Uint8Array {
  const prefix = major === 1 ? 10 : 12;
  let text = header;
  text += ' '.repeat((64 - ((prefix + text.length + 1) % 64)) % 64) + '\n';
  const headerBytes = new TextEncoder().encode(text);
  const out = new Uint8Array(prefix + headerBytes.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const dv = new DataView(out.buffer);
  if (major === 1) dv.setUint16(8, headerBytes.length, true);
  else dv.setUint32(8, headerBytes.length, true);
  out.set(headerBytes, prefix);
  out.set(data, prefix + headerBytes.length);
  return out;
}

function bytesOf(values: number[], width: number, write: (dv: DataView, offset: number, v: number) => void) {
  const out = new Uint8Array(values.length * width);
  const dv = new DataView(out.buffer);
  for (const [i, v] of values.entries()) write(dv, i * width, v);
  return out;
}

describe('parseNpy', () => {
  it('reads uint8 with the header numpy writes for MedMNIST', () => {
    const array = parseNpy(
      npyBytes(
        "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3), }",
        new Uint8Array([1, 2, 3, 4, 5, 250]),
      ),
    );
    expect(array.dtype).toBe('uint8');
    expect(array.descr).toBe('|u1');
    expect(array.shape).toEqual([2, 3]);
    expect(array.data).toBeInstanceOf(Uint8Array);
    expect(toNumbers(array.data)).toEqual([1, 2, 3, 4, 5, 250]);
  });

  it('reads little- and big-endian integers and floats', () => {
    const le32 = bytesOf([-5, 7, 2 ** 31 - 1], 4, (dv, o, v) => dv.setInt32(o, v, true));
    expect(
      toNumbers(parseNpy(npyBytes("{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }", le32)).data),
    ).toEqual([-5, 7, 2 ** 31 - 1]);
    const be32 = bytesOf([-5, 7, 1000], 4, (dv, o, v) => dv.setInt32(o, v, false));
    const big = parseNpy(npyBytes("{'descr': '>i4', 'fortran_order': False, 'shape': (3,), }", be32));
    expect(big.dtype).toBe('int32');
    expect(toNumbers(big.data)).toEqual([-5, 7, 1000]);
    const f4 = bytesOf([0.5, -1.25], 4, (dv, o, v) => dv.setFloat32(o, v, true));
    expect(
      toNumbers(parseNpy(npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", f4)).data),
    ).toEqual([0.5, -1.25]);
    const f8 = bytesOf([Math.PI, -1e300], 8, (dv, o, v) => dv.setFloat64(o, v, false));
    const doubles = parseNpy(npyBytes("{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }", f8));
    expect(doubles.data).toBeInstanceOf(Float64Array);
    expect(toNumbers(doubles.data)).toEqual([Math.PI, -1e300]);
    const u2 = bytesOf([65535, 1], 2, (dv, o, v) => dv.setUint16(o, v, true));
    expect(
      toNumbers(parseNpy(npyBytes("{'descr': '<u2', 'fortran_order': False, 'shape': (2,), }", u2)).data),
    ).toEqual([65535, 1]);
  });

  it('reads 64-bit integers as BigInt arrays', () => {
    const data = new Uint8Array(16);
    const dv = new DataView(data.buffer);
    dv.setBigInt64(0, -(2n ** 62n), true);
    dv.setBigInt64(8, 42n, true);
    const array = parseNpy(npyBytes("{'descr': '<i8', 'fortran_order': False, 'shape': (2, 1), }", data));
    expect(array.dtype).toBe('int64');
    expect(Array.from(array.data as BigInt64Array)).toEqual([-(2n ** 62n), 42n]);
  });

  it('reads bool and float16', () => {
    const bool = parseNpy(
      npyBytes("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", new Uint8Array([1, 0, 1])),
    );
    expect(bool.dtype).toBe('bool');
    expect(toNumbers(bool.data)).toEqual([1, 0, 1]);
    // 1.0 = 0x3c00, -2.0 = 0xc000, 0.5 = 0x3800, 65504 = 0x7bff
    const half = bytesOf([0x3c00, 0xc000, 0x3800, 0x7bff], 2, (d, o, v) => d.setUint16(o, v, true));
    const f2 = parseNpy(npyBytes("{'descr': '<f2', 'fortran_order': False, 'shape': (4,), }", half));
    expect(f2.dtype).toBe('float16');
    expect(toNumbers(f2.data)).toEqual([1, -2, 0.5, 65504]);
  });

  it('reads format versions 2.0 and 3.0 (utf-8 header) and scalars', () => {
    const v2 = parseNpy(
      npyBytes("{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }", new Uint8Array([9, 8]), 2),
    );
    expect(toNumbers(v2.data)).toEqual([9, 8]);
    const v3 = parseNpy(
      npyBytes("{'descr': '|u1', 'fortran_order': False, 'shape': (1,), }", new Uint8Array([7]), 3),
    );
    expect(toNumbers(v3.data)).toEqual([7]);
    const scalar = parseNpy(
      npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", new Uint8Array(4)),
    );
    expect(scalar.shape).toEqual([]);
    expect(scalar.data.length).toBe(1);
  });

  it('returns Fortran-ordered arrays in C order', () => {
    // C-order matrix [[0, 1, 2], [3, 4, 5]] stored column-major: 0 3 1 4 2 5
    const array = parseNpy(
      npyBytes(
        "{'descr': '|u1', 'fortran_order': True, 'shape': (2, 3), }",
        new Uint8Array([0, 3, 1, 4, 2, 5]),
      ),
    );
    expect(toNumbers(array.data)).toEqual([0, 1, 2, 3, 4, 5]);
    // 3-D: element (i, j, k) of shape (2, 2, 2) at Fortran offset i + 2j + 4k holds 100i + 10j + k
    const fortran = new Uint8Array(8);
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 2; j++)
        for (let k = 0; k < 2; k++) fortran[i + 2 * j + 4 * k] = 100 * i + 10 * j + k;
    const cube = parseNpy(npyBytes("{'descr': '|u1', 'fortran_order': True, 'shape': (2, 2, 2), }", fortran));
    expect(toNumbers(cube.data)).toEqual([0, 1, 10, 11, 100, 101, 110, 111]);
  });

  it('copies misaligned data instead of failing', () => {
    const inner = npyBytes(
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }",
      bytesOf([1.5, 2.5], 4, (d, o, v) => d.setFloat32(o, v, true)),
    );
    const shifted = new Uint8Array(inner.length + 1);
    shifted.set(inner, 1);
    expect(toNumbers(parseNpy(shifted.subarray(1)).data)).toEqual([1.5, 2.5]);
  });

  const refusals: Array<[string, Uint8Array, RegExp]> = [
    [
      'object (pickled) arrays',
      npyBytes(
        "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }",
        new Uint8Array([0x80, 0x04, 0x95, 0, 0, 0, 0, 0]),
      ),
      /Python objects.*pickle/,
    ],
    ['a raw pickle', new Uint8Array([0x80, 0x04, 0x95, 0x10, 0, 0, 0, 0, 0, 0, 0, 0]), /pickle/],
    ['wrong magic', new TextEncoder().encode('PK\x03\x04 not a numpy array file'), /magic/],
    [
      'unsupported versions',
      (() => {
        const bytes = npyBytes(
          "{'descr': '|u1', 'fortran_order': False, 'shape': (1,), }",
          new Uint8Array([1]),
        );
        bytes[6] = 4;
        return bytes;
      })(),
      /version 4\.0/,
    ],
    [
      'a shape larger than the data (truncated)',
      npyBytes("{'descr': '|u1', 'fortran_order': False, 'shape': (4708, 28, 28), }", new Uint8Array(100)),
      /shape \(4708, 28, 28\).*3691072 data bytes.*holds 100 bytes/,
    ],
    [
      'a shape smaller than the data',
      npyBytes("{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(12)),
      /8 data bytes.*holds 12/,
    ],
    [
      'structured dtypes',
      npyBytes(
        "{'descr': [('a', '<i4'), ('b', '<f4')], 'fortran_order': False, 'shape': (1,), }",
        new Uint8Array(8),
      ),
      /structured/,
    ],
    [
      'string dtypes',
      npyBytes("{'descr': '<U5', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(20)),
      /unsupported dtype "<U5"/,
    ],
    [
      'malformed headers',
      npyBytes("{'descr': '|u1', 'fortran_order': False, 'shape': (1,", new Uint8Array(1)),
      /malformed header/,
    ],
    ['missing keys', npyBytes("{'descr': '|u1', 'shape': (1,), }", new Uint8Array(1)), /exactly the keys/],
    [
      'negative dimensions',
      npyBytes("{'descr': '|u1', 'fortran_order': False, 'shape': (-1,), }", new Uint8Array(1)),
      /non-negative integers/,
    ],
  ];

  for (const [what, bytes, pattern] of refusals) {
    it(`refuses ${what}`, () => {
      let error: unknown;
      try {
        parseNpy(bytes, { location: { file: 'x.npz', member: 'train_images.npy' } });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(NpzFormatError);
      expect((error as Error).message).toMatch(pattern);
      expect((error as Error).message).toMatch(/^x\.npz \(member train_images\.npy\): /);
    });
  }

  it('caps absurd header sizes', () => {
    const bytes = new Uint8Array(64);
    bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0]);
    new DataView(bytes.buffer).setUint32(8, 0xfffffff0, true);
    expect(() => parseNpy(bytes)).toThrow(NpzLimitError);
  });
});

describe('encodeNpy', () => {
  const cases: Array<[string, NpyData, string]> = [
    ['uint8', new Uint8Array([0, 255, 7]), '|u1'],
    ['int8', new Int8Array([-128, 127, 0]), '|i1'],
    ['uint16', new Uint16Array([1, 65535, 3]), '<u2'],
    ['int16', new Int16Array([-1, 2, -3]), '<i2'],
    ['uint32', new Uint32Array([4294967295, 0, 1]), '<u4'],
    ['int32', new Int32Array([-2147483648, 5, 6]), '<i4'],
    ['int64', new BigInt64Array([-1n, 2n, 3n]), '<i8'],
    ['uint64', new BigUint64Array([2n ** 64n - 1n, 0n, 1n]), '<u8'],
    ['float32', new Float32Array([0.25, -8, 3]), '<f4'],
    ['float64', new Float64Array([1e-300, 2, Math.E]), '<f8'],
  ];
  for (const [dtype, data, descr] of cases) {
    it(`round-trips ${dtype}`, () => {
      const bytes = encodeNpy({ data, shape: [3, 1] });
      const header = new TextDecoder('latin1').decode(
        bytes.subarray(10, 10 + new DataView(bytes.buffer).getUint16(8, true)),
      );
      expect(header).toContain(`'descr': '${descr}'`);
      expect(header).toContain("'shape': (3, 1)");
      expect((10 + header.length) % 64).toBe(0);
      const array = parseNpy(bytes);
      expect(array.dtype).toBe(dtype);
      expect(array.shape).toEqual([3, 1]);
      expect(Array.from(array.data as ArrayLike<number | bigint>)).toEqual(
        Array.from(data as ArrayLike<number | bigint>),
      );
    });
  }

  it('writes bool and 1-D shapes as numpy does', () => {
    const bytes = encodeNpy({ data: new Uint8Array([1, 0]), shape: [2], dtype: 'bool' });
    expect(new TextDecoder().decode(bytes)).toContain(
      "{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }",
    );
    expect(parseNpy(bytes).dtype).toBe('bool');
  });

  it('rejects a shape that does not match the data', () => {
    expect(() => encodeNpy({ data: new Uint8Array(5), shape: [2, 3] })).toThrow(RangeError);
    expect(() => encodeNpy({ data: new Uint8Array(5), shape: [5], dtype: 'float32' })).toThrow(TypeError);
  });
});
