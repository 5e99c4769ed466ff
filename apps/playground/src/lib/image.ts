/**
 * @file Images in: checks that a dropped file is an image of a sane size (from its header, before decoding),
 * decodes it with the browser, and converts pixels to the model input exactly as `medsymmflow classify` does
 * with sharp: flatten on black, resize to the model size (only when needed), grey or RGB, then the
 * normalisation `lo + (v − inLo) / (inHi − inLo) · (hi − lo)` (by default [0, 255] → [−1, 1]).
 *
 * An image of the model's size is not resampled, so its input equals the CLI's bit for bit. A smaller one (a
 * 28 px MedMNIST image for a 32 px model) is enlarged with the same bilinear resize as the CLI, training and
 * `evaluate`, so it matches too. Larger uploads are shrunk by the browser's canvas (high-quality smoothing),
 * which differs slightly from sharp's resampling, so distances (rarely the label) can differ a little from the
 * CLI's for such images.
 * @module lib/image
 */
import { resizeImages } from '@medsymmflow/datasets-medmnist/image-ops';
import { PlaygroundError } from './errors';

/** Files larger than this are refused before reading. */
export const MAX_FILE_BYTES = 32 * 1024 * 1024;
/** Images with more pixels than this (width × height, as declared in the header) are refused before decoding. */
export const MAX_PIXELS = 16_000_000;
/** Longest side accepted. */
export const MAX_SIDE = 8192;

/** Format and size read from an image header. */
export interface ImageHeader {
  readonly format: 'png' | 'jpeg' | 'gif' | 'webp' | 'bmp';
  readonly width: number;
  readonly height: number;
}

const u16be = (b: Uint8Array, i: number) => (b[i] << 8) | b[i + 1];
const u16le = (b: Uint8Array, i: number) => b[i] | (b[i + 1] << 8);
const u32be = (b: Uint8Array, i: number) =>
  ((b[i] << 24) >>> 0) + ((b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]);
const u24le = (b: Uint8Array, i: number) => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16);
const ascii = (b: Uint8Array, i: number, n: number) => String.fromCharCode(...b.subarray(i, i + n));

/**
 * Reads format and dimensions from the first bytes of PNG, JPEG, GIF, WebP and BMP files; `null` for anything
 * else (or a header too short to tell).
 */
export function readImageHeader(bytes: Uint8Array): ImageHeader | null {
  const b = bytes;
  if (b.length >= 24 && b[0] === 0x89 && ascii(b, 1, 3) === 'PNG' && ascii(b, 12, 4) === 'IHDR') {
    return { format: 'png', width: u32be(b, 16), height: u32be(b, 20) };
  }
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8) {
    let i = 2;
    while (i + 9 < b.length) {
      if (b[i] !== 0xff) {
        i++;
        continue;
      }
      const marker = b[i + 1];
      if (marker === 0xff) {
        i++;
        continue;
      }
      const isFrame =
        marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
      if (isFrame) return { format: 'jpeg', width: u16be(b, i + 7), height: u16be(b, i + 5) };
      if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
        i += 2;
        continue;
      }
      i += 2 + u16be(b, i + 2);
    }
    return null;
  }
  if (b.length >= 10 && (ascii(b, 0, 6) === 'GIF87a' || ascii(b, 0, 6) === 'GIF89a')) {
    return { format: 'gif', width: u16le(b, 6), height: u16le(b, 8) };
  }
  if (b.length >= 30 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP') {
    const chunk = ascii(b, 12, 4);
    if (chunk === 'VP8X') return { format: 'webp', width: 1 + u24le(b, 24), height: 1 + u24le(b, 27) };
    if (chunk === 'VP8L') {
      const bits = b[21] | (b[22] << 8) | (b[23] << 16) | (b[24] << 24);
      return { format: 'webp', width: 1 + (bits & 0x3fff), height: 1 + ((bits >> 14) & 0x3fff) };
    }
    if (chunk === 'VP8 ')
      return { format: 'webp', width: u16le(b, 26) & 0x3fff, height: u16le(b, 28) & 0x3fff };
    return null;
  }
  if (b.length >= 26 && ascii(b, 0, 2) === 'BM') {
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    return {
      format: 'bmp',
      width: Math.abs(view.getInt32(18, true)),
      height: Math.abs(view.getInt32(22, true)),
    };
  }
  return null;
}

/** Whether the bytes look like text (no NUL bytes and mostly printable in the first KiB). */
function looksLikeText(bytes: Uint8Array): boolean {
  const head = bytes.subarray(0, 1024);
  if (head.length === 0) return false;
  let printable = 0;
  for (const v of head) {
    if (v === 0) return false;
    if (v === 9 || v === 10 || v === 13 || (v >= 32 && v < 127) || v >= 128) printable++;
  }
  return printable / head.length > 0.95;
}

/**
 * Checks a file before decoding: size, that it is an image format the page reads, and its declared
 * dimensions against {@link MAX_PIXELS} / {@link MAX_SIDE}.
 * @param head - the first bytes of the file (64 KiB is plenty to find a JPEG frame header).
 * @throws PlaygroundError saying what is wrong with the file and what to drop instead.
 */
export function checkImageFile(name: string, size: number, head: Uint8Array): ImageHeader {
  const quoted = `“${name}”`;
  if (size === 0) throw new PlaygroundError(`${quoted} is empty.`, { hint: 'Drop a PNG or JPEG image.' });
  if (size > MAX_FILE_BYTES) {
    throw new PlaygroundError(
      `${quoted} is ${(size / 1024 / 1024).toFixed(1)} MB; the playground reads images up to ${MAX_FILE_BYTES / 1024 / 1024} MB.`,
      { hint: 'Export a smaller PNG or JPEG (the model looks at a 28 × 28 version anyway).' },
    );
  }
  const header = readImageHeader(head);
  if (!header) {
    throw new PlaygroundError(
      looksLikeText(head)
        ? `${quoted} is a text file, not an image.`
        : `${quoted} is not an image the playground can read.`,
      { hint: 'Drop a PNG, JPEG, GIF, WebP or BMP image, e.g. a chest X-ray or a fundus photograph.' },
    );
  }
  const { width, height } = header;
  if (width < 1 || height < 1)
    throw new PlaygroundError(`${quoted} declares an empty image (${width} × ${height}).`);
  if (width > MAX_SIDE || height > MAX_SIDE || width * height > MAX_PIXELS) {
    throw new PlaygroundError(
      `${quoted} is ${width} × ${height} pixels; the playground reads images up to ${MAX_SIDE} pixels a side and ` +
        `${MAX_PIXELS / 1e6} megapixels.`,
      { hint: 'Downscale it first; the model looks at a 28 × 28 version anyway.' },
    );
  }
  return header;
}

/** Input normalisation of a model config (`normalization.inputRange` → `modelRange`). */
export interface Normalization {
  readonly inputRange: readonly [number, number];
  readonly modelRange: readonly [number, number];
}

/**
 * RGBA pixels (already flattened on black and resized to `size × size`) → the NHWC model input, with the
 * CLI's channel rule (grey: the image's grey value; RGB: R, G, B) and normalisation.
 * Grey is taken as the Rec. 709 luma rounded to an integer, which equals the pixel value for grey images.
 */
export function rgbaToModelInput(
  rgba: ArrayLike<number>,
  size: number,
  channels: number,
  normalization: Normalization,
): Float32Array {
  if (rgba.length !== size * size * 4) {
    throw new RangeError(
      `Expected ${size * size * 4} RGBA values for a ${size} × ${size} image; got ${rgba.length}.`,
    );
  }
  if (channels !== 1 && channels !== 3)
    throw new RangeError(`Models take 1 or 3 image channels; got ${channels}.`);
  const [inLo, inHi] = normalization.inputRange;
  const [lo, hi] = normalization.modelRange;
  const out = new Float32Array(size * size * channels);
  for (let p = 0; p < size * size; p++) {
    const r = rgba[4 * p];
    const g = rgba[4 * p + 1];
    const b = rgba[4 * p + 2];
    if (channels === 1) {
      const grey = r === g && g === b ? r : Math.round(0.2126 * r + 0.7152 * g + 0.0722 * b);
      out[p] = lo + ((grey - inLo) / (inHi - inLo)) * (hi - lo);
    } else {
      out[3 * p] = lo + ((r - inLo) / (inHi - inLo)) * (hi - lo);
      out[3 * p + 1] = lo + ((g - inLo) / (inHi - inLo)) * (hi - lo);
      out[3 * p + 2] = lo + ((b - inLo) / (inHi - inLo)) * (hi - lo);
    }
  }
  return out;
}

/** Model-range NHWC values (1 or 3 channels) → RGBA bytes for display (inverse normalisation, clamped). */
export function modelOutputToRgba(
  values: ArrayLike<number>,
  size: number,
  channels: number,
  normalization: Normalization,
): Uint8ClampedArray {
  const [lo, hi] = normalization.modelRange;
  const rgba = new Uint8ClampedArray(size * size * 4);
  // The model range maps onto the full display range (the input range's ends are black and white).
  const toByte = (v: number) => Math.round(((v - lo) / (hi - lo)) * 255);
  for (let p = 0; p < size * size; p++) {
    for (let k = 0; k < 3; k++) rgba[4 * p + k] = toByte(values[p * channels + (channels === 1 ? 0 : k)]);
    rgba[4 * p + 3] = 255;
  }
  return rgba;
}

/** A decoded image ready for the model. */
export interface DecodedImage {
  /** NHWC model input `[1, size, size, channels]`. */
  readonly input: Float32Array;
  /** What the model sees, as RGBA `size × size` (for display). */
  readonly preview: ImageData;
  /** Original dimensions. */
  readonly width: number;
  readonly height: number;
  /** Whether the image was resized to the model size. */
  readonly resized: boolean;
}

/**
 * Decodes an image file with the browser and prepares the model input (see the module notes on resizing).
 * @throws PlaygroundError for files that are not images, too large, or that the browser cannot decode.
 */
export async function decodeImage(
  file: Blob,
  name: string,
  size: number,
  channels: number,
  normalization: Normalization,
): Promise<DecodedImage> {
  const head = new Uint8Array(await file.slice(0, 64 * 1024).arrayBuffer());
  checkImageFile(name, file.size, head);
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch (error) {
    throw new PlaygroundError(`“${name}” could not be decoded; the file may be damaged.`, {
      hint: 'Open it in an image viewer, or save it again as PNG.',
      cause: error,
    });
  }
  try {
    const { width, height } = bitmap;
    // Smaller images are drawn as they are and enlarged bilinearly below; larger ones are shrunk by the canvas.
    const enlarge = width <= size && height <= size;
    const [drawWidth, drawHeight] = enlarge ? [width, height] : [size, size];
    const canvas = document.createElement('canvas');
    canvas.width = drawWidth;
    canvas.height = drawHeight;
    const context = canvas.getContext('2d', { willReadFrequently: true });
    if (!context)
      throw new PlaygroundError('This browser cannot draw on a canvas, so it cannot read images.');
    context.fillStyle = '#000';
    context.fillRect(0, 0, drawWidth, drawHeight);
    context.imageSmoothingEnabled = true;
    context.imageSmoothingQuality = 'high';
    context.drawImage(bitmap, 0, 0, drawWidth, drawHeight);
    const drawn = context.getImageData(0, 0, drawWidth, drawHeight);
    const preview =
      drawWidth === size && drawHeight === size
        ? drawn
        : new ImageData(
            new Uint8ClampedArray(
              resizeImages(
                { data: new Uint8Array(drawn.data.buffer), shape: [1, drawHeight, drawWidth, 4] },
                size,
              ).data.buffer,
            ),
            size,
            size,
          );
    return {
      input: rgbaToModelInput(preview.data, size, channels, normalization),
      preview,
      width,
      height,
      resized: width !== size || height !== size,
    };
  } finally {
    bitmap.close();
  }
}
