import { describe, expect, it } from 'vitest';
import { PlaygroundError } from './errors';
import { checkImageFile, MAX_PIXELS, modelOutputToRgba, readImageHeader, rgbaToModelInput } from './image';

const DEFAULT_NORMALIZATION = { inputRange: [0, 255], modelRange: [-1, 1] } as const;

function pngHeader(width: number, height: number): Uint8Array {
  const bytes = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]).copy(bytes, 0);
  bytes.write('IHDR', 12, 'latin1');
  bytes.writeUInt32BE(width, 16);
  bytes.writeUInt32BE(height, 20);
  return bytes;
}

describe('readImageHeader', () => {
  it('reads PNG, JPEG, GIF, WebP (VP8X) and BMP dimensions', () => {
    expect(readImageHeader(pngHeader(28, 30))).toEqual({ format: 'png', width: 28, height: 30 });
    // SOI, an APP0 segment of 16 bytes, then SOF0 with height 480 and width 640.
    const jpeg = Uint8Array.from([
      0xff,
      0xd8,
      0xff,
      0xe0,
      0,
      16,
      ...new Array(14).fill(0),
      0xff,
      0xc0,
      0,
      17,
      8,
      0x01,
      0xe0,
      0x02,
      0x80,
      3,
      0,
      0,
      0,
    ]);
    expect(readImageHeader(jpeg)).toEqual({ format: 'jpeg', width: 640, height: 480 });
    const gif = Uint8Array.from([...Buffer.from('GIF89a'), 10, 0, 20, 0]);
    expect(readImageHeader(gif)).toEqual({ format: 'gif', width: 10, height: 20 });
    const webp = Buffer.alloc(30);
    webp.write('RIFF', 0, 'latin1');
    webp.write('WEBPVP8X', 8, 'latin1');
    webp.writeUIntLE(99, 24, 3);
    webp.writeUIntLE(49, 27, 3);
    expect(readImageHeader(webp)).toEqual({ format: 'webp', width: 100, height: 50 });
    const bmp = Buffer.alloc(26);
    bmp.write('BM', 0, 'latin1');
    bmp.writeInt32LE(7, 18);
    bmp.writeInt32LE(-9, 22);
    expect(readImageHeader(bmp)).toEqual({ format: 'bmp', width: 7, height: 9 });
  });

  it('returns null for text, truncated and unknown bytes', () => {
    expect(readImageHeader(new TextEncoder().encode('hello world, this is text'))).toBeNull();
    expect(readImageHeader(pngHeader(28, 28).subarray(0, 20))).toBeNull();
    expect(readImageHeader(new Uint8Array(0))).toBeNull();
  });
});

describe('checkImageFile', () => {
  const rejects = (name: string, size: number, head: Uint8Array) => {
    try {
      checkImageFile(name, size, head);
    } catch (error) {
      expect(error).toBeInstanceOf(PlaygroundError);
      return (error as PlaygroundError).message;
    }
    throw new Error('expected a rejection');
  };

  it('names text files, unknown formats, empty, oversized and huge images', () => {
    expect(rejects('notes.txt', 40, new TextEncoder().encode('Patient notes\n'))).toBe(
      '“notes.txt” is a text file, not an image.',
    );
    expect(rejects('blob.bin', 4, Uint8Array.from([0, 1, 2, 3]))).toMatch(
      /“blob.bin” is not an image the playground can read/,
    );
    expect(rejects('empty.png', 0, new Uint8Array(0))).toMatch(/is empty/);
    expect(rejects('big.png', 40 * 1024 * 1024, pngHeader(10, 10))).toMatch(
      /is 40.0 MB; the playground reads images up to 32 MB/,
    );
    expect(rejects('huge.png', 100, pngHeader(20000, 20000))).toMatch(/“huge.png” is 20000 × 20000 pixels/);
    const side = Math.ceil(Math.sqrt(MAX_PIXELS)) + 1;
    expect(rejects('square.png', 100, pngHeader(side, side))).toMatch(/megapixels/);
    expect(checkImageFile('ok.png', 100, pngHeader(1024, 768))).toEqual({
      format: 'png',
      width: 1024,
      height: 768,
    });
  });
});

describe('pixels → model input', () => {
  it('matches the CLI rule: grey value, then lo + ((v − inLo) / (inHi − inLo)) · (hi − lo) as float32', () => {
    const cli = (v: number) => Math.fround(-1 + ((v - 0) / (255 - 0)) * (1 - -1));
    const image = new Uint8ClampedArray(2 * 2 * 4);
    for (const [p, v] of [0, 17, 128, 255].entries()) image.set([v, v, v, 255], 4 * p);
    expect(Array.from(rgbaToModelInput(image, 2, 1, DEFAULT_NORMALIZATION))).toEqual(
      [0, 17, 128, 255].map(cli),
    );
    expect(rgbaToModelInput(image, 2, 1, DEFAULT_NORMALIZATION)[0]).toBe(-1);
  });

  it('keeps RGB channels for colour models and applies other ranges', () => {
    const image = Uint8ClampedArray.from([255, 0, 51, 255]);
    expect(Array.from(rgbaToModelInput(image, 1, 3, DEFAULT_NORMALIZATION))).toEqual([
      1,
      -1,
      Math.fround(-0.6),
    ]);
    expect(Array.from(rgbaToModelInput(image, 1, 3, { inputRange: [0, 255], modelRange: [0, 1] }))).toEqual(
      [1, 0, 0.2].map(Math.fround),
    );
    // Colour pixels for a grey model: Rec. 709 luma.
    expect(
      rgbaToModelInput(Uint8ClampedArray.from([255, 0, 0, 255]), 1, 1, {
        inputRange: [0, 255],
        modelRange: [0, 255],
      })[0],
    ).toBe(54);
    expect(() => rgbaToModelInput(image, 2, 1, DEFAULT_NORMALIZATION)).toThrow(/Expected 16 RGBA values/);
  });

  it('maps generated values back to bytes, clamped', () => {
    const rgba = modelOutputToRgba(Float32Array.from([-1, 0, 1, 3]), 2, 1, DEFAULT_NORMALIZATION);
    expect(Array.from(rgba.filter((_, i) => i % 4 === 0))).toEqual([0, 128, 255, 255]);
    expect(rgba[3]).toBe(255);
  });
});
