import { describe, expect, it } from 'vitest';
import {
  convertChannels,
  denormaliseImages,
  flipHorizontal,
  flipVertical,
  type ImageShape,
  normaliseImages,
  resizeImages,
  rotateImage90InPlace,
  toGrey,
  toRgb,
} from './index';

const shape = (n: number, h: number, w: number, c: number): ImageShape => [n, h, w, c];

describe('resizeImages', () => {
  it('keeps an image unchanged at the same size (as a copy)', () => {
    const images = {
      data: Uint8Array.from({ length: 2 * 3 * 3 }, (_, i) => i * 10),
      shape: shape(2, 3, 3, 1),
    };
    const out = resizeImages(images, 3);
    expect(out.data).toEqual(images.data);
    expect(out.data).not.toBe(images.data);
  });

  it('upsamples 2×2 → 4×4 with half-pixel centres', () => {
    // [[0, 100], [200, 300]] as float
    const images = { data: new Float32Array([0, 100, 200, 300]), shape: shape(1, 2, 2, 1) };
    const out = resizeImages(images, 4);
    expect(out.shape).toEqual([1, 4, 4, 1]);
    // source coordinate of output i: (i + 0.5) / 2 - 0.5 → -0.25, 0.25, 0.75, 1.25, clamped to [0, 1]
    const weights = [0, 0.25, 0.75, 1];
    for (let y = 0; y < 4; y++) {
      for (let x = 0; x < 4; x++) {
        const top = 0 + 100 * weights[x];
        const bottom = 200 + 100 * weights[x];
        expect(out.data[y * 4 + x]).toBeCloseTo(top + (bottom - top) * weights[y], 5);
      }
    }
  });

  it('downsamples 4×4 → 2×2 by averaging 2×2 blocks and keeps channels apart', () => {
    const data = new Uint8Array(4 * 4 * 2);
    for (let y = 0; y < 4; y++)
      for (let x = 0; x < 4; x++) {
        data[(y * 4 + x) * 2] = y * 4 + x; // channel 0: index
        data[(y * 4 + x) * 2 + 1] = 200; // channel 1: constant
      }
    const out = resizeImages({ data, shape: shape(1, 4, 4, 2) }, { height: 2, width: 2 });
    // the centre of output (0,0) is source (0.5, 0.5): mean of 0, 1, 4, 5 = 2.5 → rounds to 3 (uint8)
    expect(Array.from(out.data)).toEqual([3, 200, 5, 200, 11, 200, 13, 200]);
  });

  it('keeps a constant image constant at any size', () => {
    const out = resizeImages({ data: new Uint8Array(28 * 28 * 3).fill(77), shape: shape(1, 28, 28, 3) }, 64);
    expect(out.data.length).toBe(64 * 64 * 3);
    expect(out.data.every((v) => v === 77)).toBe(true);
  });

  it('rejects bad shapes and sizes', () => {
    expect(() => resizeImages({ data: new Uint8Array(5), shape: shape(1, 2, 2, 1) }, 4)).toThrow(RangeError);
    expect(() => resizeImages({ data: new Uint8Array(4), shape: shape(1, 2, 2, 1) }, 0)).toThrow(RangeError);
  });
});

describe('grey ↔ RGB', () => {
  it('repeats grey into three channels', () => {
    const out = toRgb({ data: new Uint8Array([10, 20]), shape: shape(1, 1, 2, 1) });
    expect(out.shape).toEqual([1, 1, 2, 3]);
    expect(Array.from(out.data)).toEqual([10, 10, 10, 20, 20, 20]);
  });

  it('converts RGB to grey with the ITU-R 601-2 weights', () => {
    const rgb = new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]);
    const out = toGrey({ data: rgb, shape: shape(1, 2, 2, 3) });
    expect(out.shape).toEqual([1, 2, 2, 1]);
    expect(Array.from(out.data)).toEqual([
      Math.round(0.299 * 255),
      Math.round(0.587 * 255),
      Math.round(0.114 * 255),
      Math.round(0.299 * 10 + 0.587 * 20 + 0.114 * 30),
    ]);
    const floats = toGrey({ data: new Float32Array([1, 1, 1]), shape: shape(1, 1, 1, 3) });
    expect(floats.data[0]).toBeCloseTo(1, 6);
  });

  it('round-trips grey → RGB → grey exactly', () => {
    const grey = Uint8Array.from({ length: 256 }, (_, i) => i);
    const back = convertChannels(convertChannels({ data: grey, shape: shape(1, 16, 16, 1) }, 3), 1);
    expect(back.data).toEqual(grey);
  });
});

describe('flips', () => {
  const images = { data: Uint8Array.from({ length: 2 * 2 * 3 * 1 }, (_, i) => i), shape: shape(2, 2, 3, 1) };

  it('mirrors left↔right per image', () => {
    expect(Array.from(flipHorizontal(images).data)).toEqual([2, 1, 0, 5, 4, 3, 8, 7, 6, 11, 10, 9]);
  });

  it('mirrors top↔bottom per image', () => {
    expect(Array.from(flipVertical(images).data)).toEqual([3, 4, 5, 0, 1, 2, 9, 10, 11, 6, 7, 8]);
  });

  it('moves whole pixels (all channels) and is an involution', () => {
    const rgb = { data: Uint8Array.from({ length: 3 * 3 * 3 }, (_, i) => i), shape: shape(1, 3, 3, 3) };
    const flipped = flipHorizontal(rgb);
    expect(Array.from(flipped.data.subarray(0, 9))).toEqual([6, 7, 8, 3, 4, 5, 0, 1, 2]);
    expect(flipHorizontal(flipped).data).toEqual(rgb.data);
    expect(flipVertical(flipVertical(rgb)).data).toEqual(rgb.data);
    expect(rgb.data[0]).toBe(0); // input untouched
  });
});

describe('rotateImage90InPlace', () => {
  // 3×3 grey image  0 1 2 / 3 4 5 / 6 7 8, as the second image of a batch of two.
  const batch = () => Float32Array.from({ length: 2 * 9 }, (_, i) => (i < 9 ? -1 : i - 9));
  const second = (data: Float32Array) => Array.from(data.subarray(9));

  it('turns counter-clockwise by quarter turns and leaves the other images alone', () => {
    const data = batch();
    rotateImage90InPlace(data, shape(2, 3, 3, 1), 1, 1);
    expect(second(data)).toEqual([2, 5, 8, 1, 4, 7, 0, 3, 6]);
    expect(Array.from(data.subarray(0, 9))).toEqual(Array(9).fill(-1));
    const half = batch();
    rotateImage90InPlace(half, shape(2, 3, 3, 1), 1, 2);
    expect(second(half)).toEqual([8, 7, 6, 5, 4, 3, 2, 1, 0]);
    const three = batch();
    rotateImage90InPlace(three, shape(2, 3, 3, 1), 1, 3);
    expect(second(three)).toEqual([6, 3, 0, 7, 4, 1, 8, 5, 2]);
  });

  it('moves whole pixels, and four quarter turns give the image back', () => {
    const rgb = Uint8Array.from({ length: 2 * 2 * 3 }, (_, i) => i); // pixels (0,1,2) (3,4,5) / (6,7,8) (9,10,11)
    rotateImage90InPlace(rgb, shape(1, 2, 2, 3), 0, 1);
    expect(Array.from(rgb)).toEqual([3, 4, 5, 9, 10, 11, 0, 1, 2, 6, 7, 8]);
    for (let i = 0; i < 3; i++) rotateImage90InPlace(rgb, shape(1, 2, 2, 3), 0, 1);
    expect(Array.from(rgb)).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });

  it('rejects non-square images and fractional turns', () => {
    expect(() => rotateImage90InPlace(new Float32Array(6), shape(1, 2, 3, 1), 0, 1)).toThrow(
      /square, got 2×3/,
    );
    expect(() => rotateImage90InPlace(new Float32Array(4), shape(1, 2, 2, 1), 0, 0.5)).toThrow(/integer/);
  });
});

describe('normalisation', () => {
  it('maps 0 → -1, 255 → 1 linearly, and back', () => {
    const pixels = Uint8Array.from({ length: 256 }, (_, i) => i);
    const x = normaliseImages(pixels);
    expect(x[0]).toBe(-1);
    expect(x[255]).toBe(1);
    for (let v = 0; v < 256; v++) expect(x[v]).toBeCloseTo(v / 127.5 - 1, 6);
    expect(denormaliseImages(x)).toEqual(pixels);
  });

  it('clamps out-of-range floats when converting back', () => {
    expect(Array.from(denormaliseImages(new Float32Array([-3, 2, 0, Number.NaN])))).toEqual([0, 255, 128, 0]);
  });
});
