/**
 * @file Image operations on NHWC batches held in flat typed arrays: bilinear resizing, grey↔RGB conversion,
 * flips and normalisation to [-1, 1]. No per-pixel objects; every function returns new arrays and leaves its
 * input untouched.
 *
 * @example
 * ```ts
 * import { resizeImages, toRgb, normaliseImages } from '@medsymmflow/datasets-medmnist';
 *
 * const grey = { data: new Uint8Array(2 * 28 * 28), shape: [2, 28, 28, 1] as const };
 * const big = resizeImages(grey, 32); // shape [2, 32, 32, 1]
 * const rgb = toRgb(big); // shape [2, 32, 32, 3]
 * const x = normaliseImages(rgb.data); // Float32Array in [-1, 1]
 * ```
 * @module image-ops
 */

/** Batch shape `[N, H, W, C]`. */
export type ImageShape = readonly [number, number, number, number];

/** Pixel storage: `Uint8Array` (0–255) or `Float32Array` (any range, usually [-1, 1]). */
export type PixelArray = Uint8Array | Float32Array;

/** A batch of images in NHWC layout. */
export interface Images<T extends PixelArray = PixelArray> {
  /** Pixels, `N·H·W·C` values, NHWC order. */
  readonly data: T;
  /** `[N, H, W, C]`. */
  readonly shape: ImageShape;
}

function checkImages(images: Images, operation: string): void {
  const { data, shape } = images ?? ({} as Images);
  if (!(data instanceof Uint8Array || data instanceof Float32Array)) {
    throw new TypeError(`${operation}: images.data must be a Uint8Array or Float32Array.`);
  }
  if (!Array.isArray(shape) || shape.length !== 4 || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new TypeError(
      `${operation}: images.shape must be [N, H, W, C] (non-negative integers), got ${JSON.stringify(shape)}.`,
    );
  }
  const expected = shape[0] * shape[1] * shape[2] * shape[3];
  if (expected !== data.length) {
    throw new RangeError(
      `${operation}: shape [${shape.join(', ')}] needs ${expected} values but data has ${data.length}.`,
    );
  }
}

function like<T extends PixelArray>(data: T, length: number): T {
  return (data instanceof Uint8Array ? new Uint8Array(length) : new Float32Array(length)) as T;
}

/**
 * Bilinear resize with half-pixel centres (as `torch.nn.functional.interpolate(..., align_corners=False)`,
 * without antialiasing). Uint8 results are rounded.
 *
 * @param size - target size: one number for square images, or `{ height, width }`.
 */
export function resizeImages<T extends PixelArray>(
  images: Images<T>,
  size: number | { height: number; width: number },
): Images<T> {
  checkImages(images, 'resizeImages');
  const outH = typeof size === 'number' ? size : size?.height;
  const outW = typeof size === 'number' ? size : size?.width;
  if (!Number.isInteger(outH) || !Number.isInteger(outW) || outH < 1 || outW < 1) {
    throw new RangeError(`resizeImages: target size must be positive integers, got ${JSON.stringify(size)}.`);
  }
  const [n, inH, inW, c] = images.shape;
  if (inH === 0 || inW === 0) throw new RangeError('resizeImages: cannot resize empty images.');
  const src = images.data;
  const out = like(src, n * outH * outW * c);
  if (inH === outH && inW === outW) {
    out.set(src);
    return { data: out, shape: [n, outH, outW, c] };
  }
  const axis = (inSize: number, outSize: number) => {
    const lo = new Int32Array(outSize);
    const hi = new Int32Array(outSize);
    const frac = new Float32Array(outSize);
    const scale = inSize / outSize;
    for (let i = 0; i < outSize; i++) {
      const position = Math.min(Math.max((i + 0.5) * scale - 0.5, 0), inSize - 1);
      lo[i] = Math.floor(position);
      hi[i] = Math.min(lo[i] + 1, inSize - 1);
      frac[i] = position - lo[i];
    }
    return { lo, hi, frac };
  };
  const ys = axis(inH, outH);
  const xs = axis(inW, outW);
  const round = src instanceof Uint8Array;
  const inImage = inH * inW * c;
  const outImage = outH * outW * c;
  for (let b = 0; b < n; b++) {
    const inBase = b * inImage;
    let o = b * outImage;
    for (let y = 0; y < outH; y++) {
      const row0 = inBase + ys.lo[y] * inW * c;
      const row1 = inBase + ys.hi[y] * inW * c;
      const fy = ys.frac[y];
      for (let x = 0; x < outW; x++) {
        const c0 = xs.lo[x] * c;
        const c1 = xs.hi[x] * c;
        const fx = xs.frac[x];
        for (let k = 0; k < c; k++) {
          const top = src[row0 + c0 + k] + (src[row0 + c1 + k] - src[row0 + c0 + k]) * fx;
          const bottom = src[row1 + c0 + k] + (src[row1 + c1 + k] - src[row1 + c0 + k]) * fx;
          const value = top + (bottom - top) * fy;
          out[o++] = round ? Math.round(value) : value;
        }
      }
    }
  }
  return { data: out, shape: [n, outH, outW, c] };
}

/** Grey → RGB by repeating the channel. RGB input is copied unchanged. */
export function toRgb<T extends PixelArray>(images: Images<T>): Images<T> {
  checkImages(images, 'toRgb');
  const [n, h, w, c] = images.shape;
  if (c === 3) return { data: images.data.slice() as T, shape: images.shape };
  if (c !== 1) throw new RangeError(`toRgb: expected 1 or 3 channels, got ${c}.`);
  const src = images.data;
  const out = like(src, src.length * 3);
  for (let i = 0, o = 0; i < src.length; i++, o += 3) {
    const value = src[i];
    out[o] = value;
    out[o + 1] = value;
    out[o + 2] = value;
  }
  return { data: out, shape: [n, h, w, 3] };
}

/**
 * RGB → grey with the ITU-R 601-2 luma weights (0.299 R + 0.587 G + 0.114 B), as PIL's `convert('L')`
 * (uint8 results are rounded the same way). Grey input is copied unchanged.
 */
export function toGrey<T extends PixelArray>(images: Images<T>): Images<T> {
  checkImages(images, 'toGrey');
  const [n, h, w, c] = images.shape;
  if (c === 1) return { data: images.data.slice() as T, shape: images.shape };
  if (c !== 3) throw new RangeError(`toGrey: expected 1 or 3 channels, got ${c}.`);
  const src = images.data;
  const out = like(src, n * h * w);
  if (src instanceof Uint8Array) {
    for (let i = 0, s = 0; i < out.length; i++, s += 3) {
      out[i] = (src[s] * 19595 + src[s + 1] * 38470 + src[s + 2] * 7471 + 0x8000) >>> 16;
    }
  } else {
    for (let i = 0, s = 0; i < out.length; i++, s += 3) {
      out[i] = 0.299 * src[s] + 0.587 * src[s + 1] + 0.114 * src[s + 2];
    }
  }
  return { data: out, shape: [n, h, w, 1] };
}

/** Converts to 1 (grey) or 3 (RGB) channels. */
export function convertChannels<T extends PixelArray>(images: Images<T>, channels: 1 | 3): Images<T> {
  if (channels === 3) return toRgb(images);
  if (channels === 1) return toGrey(images);
  throw new RangeError(`convertChannels: channels must be 1 or 3, got ${JSON.stringify(channels)}.`);
}

/** Flips image `index` of an NHWC batch left↔right in place (augmentation without copies). */
export function flipImageHorizontalInPlace(data: PixelArray, shape: ImageShape, index: number): void {
  const [, h, w, c] = shape;
  const base = index * h * w * c;
  for (let y = 0; y < h; y++) {
    const row = base + y * w * c;
    for (let x = 0, mirror = w - 1; x < mirror; x++, mirror--) {
      for (let k = 0; k < c; k++) {
        const a = row + x * c + k;
        const b = row + mirror * c + k;
        const tmp = data[a];
        data[a] = data[b];
        data[b] = tmp;
      }
    }
  }
}

/** Flips image `index` of an NHWC batch top↔bottom in place (augmentation without copies). */
export function flipImageVerticalInPlace(data: PixelArray, shape: ImageShape, index: number): void {
  const [, h, w, c] = shape;
  const rowLength = w * c;
  const base = index * h * rowLength;
  const tmp = like(data, rowLength);
  for (let top = 0, bottom = h - 1; top < bottom; top++, bottom--) {
    const a = base + top * rowLength;
    const b = base + bottom * rowLength;
    tmp.set(data.subarray(a, a + rowLength));
    data.copyWithin(a, b, b + rowLength);
    data.set(tmp, b);
  }
}

/**
 * Rotates image `index` of an NHWC batch of square images by `quarterTurns` × 90° counter-clockwise,
 * in place (augmentation for images without a preferred orientation, e.g. fundus or dermoscopy).
 */
export function rotateImage90InPlace(
  data: PixelArray,
  shape: ImageShape,
  index: number,
  quarterTurns: number,
): void {
  const [, h, w, c] = shape;
  if (h !== w) throw new RangeError(`rotateImage90InPlace: images must be square, got ${h}×${w}.`);
  if (!Number.isInteger(quarterTurns)) {
    throw new RangeError(
      `rotateImage90InPlace: quarterTurns must be an integer, got ${String(quarterTurns)}.`,
    );
  }
  const turns = ((quarterTurns % 4) + 4) % 4;
  if (turns === 0) return;
  const size = h * w * c;
  const base = index * size;
  const source = data.slice(base, base + size);
  const n = h;
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      // Where pixel (y, x) lands after 1, 2 or 3 counter-clockwise quarter turns.
      const target =
        turns === 1 ? (n - 1 - x) * n + y : turns === 2 ? (n - 1 - y) * n + (n - 1 - x) : x * n + (n - 1 - y);
      const from = (y * n + x) * c;
      const to = base + target * c;
      for (let k = 0; k < c; k++) data[to + k] = source[from + k];
    }
  }
}

/** Mirrors every image left↔right. */
export function flipHorizontal<T extends PixelArray>(images: Images<T>): Images<T> {
  checkImages(images, 'flipHorizontal');
  const data = images.data.slice() as T;
  for (let i = 0; i < images.shape[0]; i++) flipImageHorizontalInPlace(data, images.shape, i);
  return { data, shape: images.shape };
}

/** Mirrors every image top↔bottom. */
export function flipVertical<T extends PixelArray>(images: Images<T>): Images<T> {
  checkImages(images, 'flipVertical');
  const data = images.data.slice() as T;
  for (let i = 0; i < images.shape[0]; i++) flipImageVerticalInPlace(data, images.shape, i);
  return { data, shape: images.shape };
}

const NORMALISE_TABLE = (() => {
  const table = new Float32Array(256);
  for (let v = 0; v < 256; v++) table[v] = v / 127.5 - 1;
  return table;
})();

/**
 * Uint8 pixels → Float32 in [-1, 1] (`x / 127.5 − 1`), the range the MedSymmFlow model works in.
 *
 * @param out - optional destination (same length); a new array is made when omitted.
 */
export function normaliseImages(data: Uint8Array, out?: Float32Array): Float32Array {
  if (!(data instanceof Uint8Array)) throw new TypeError('normaliseImages: data must be a Uint8Array.');
  const target = out ?? new Float32Array(data.length);
  if (target.length !== data.length) {
    throw new RangeError(`normaliseImages: out has ${target.length} values, data has ${data.length}.`);
  }
  for (let i = 0; i < data.length; i++) target[i] = NORMALISE_TABLE[data[i]];
  return target;
}

/** Float32 in [-1, 1] → Uint8 pixels (clamped and rounded), the inverse of {@link normaliseImages}. */
export function denormaliseImages(data: Float32Array): Uint8Array {
  if (!(data instanceof Float32Array)) throw new TypeError('denormaliseImages: data must be a Float32Array.');
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const value = Math.round((data[i] + 1) * 127.5);
    out[i] = Math.min(255, Math.max(0, value)); // NaN is stored as 0
  }
  return out;
}
