/**
 * @file CRC-32 (the zip/PNG polynomial). Uses `node:zlib`'s native `crc32` when the Node version has it
 * (20.15+), else a table-driven fallback.
 * @module crc32
 */

import * as zlib from 'node:zlib';

type Crc32Function = (data: Uint8Array, value?: number) => number;

const native: Crc32Function | undefined = (zlib as unknown as { crc32?: Crc32Function }).crc32;

let table: Uint32Array | undefined;

function crcTable(): Uint32Array {
  if (table) return table;
  table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/** JavaScript CRC-32, used when `node:zlib` has none. Exported for tests. @ignore */
export function crc32Fallback(data: Uint8Array, previous = 0): number {
  const t = crcTable();
  let crc = (previous ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) crc = t[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** CRC-32 of `data` (continuing from `previous`), as an unsigned 32-bit integer. */
export function crc32(data: Uint8Array, previous = 0): number {
  return native ? native(data, previous) >>> 0 : crc32Fallback(data, previous);
}
