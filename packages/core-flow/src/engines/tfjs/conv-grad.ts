/**
 * @file A 2-D convolution whose gradients are computed with forward convolutions only.
 *
 * tfjs-backend-wasm has no `Conv2DBackpropFilter` kernel, so tfjs's built-in Conv2D gradient fails there.
 * This `tf.customGrad` op expresses both gradients of a 'same'-padded, square-kernel conv as forward
 * `conv2d`s (1×1 kernels use a matrix product):
 * - filter gradient: correlate the (padded) input, with batch and channels swapped, against the output
 *   gradient used as a kernel dilated by the stride;
 * - input gradient: correlate the zero-dilated, padded output gradient with the spatially flipped,
 *   in/out-swapped kernel.
 *
 * @module engines/tfjs/conv-grad
 */
import * as tf from '@tensorflow/tfjs-core';

/** 'same' padding of one spatial axis (extra pixel at the end, as TensorFlow and ONNX SAME_UPPER). */
export function samePadding(
  inSize: number,
  kernel: number,
  stride: number,
): { out: number; before: number; after: number } {
  const out = Math.ceil(inSize / stride);
  const total = Math.max((out - 1) * stride + kernel - inSize, 0);
  const before = Math.floor(total / 2);
  return { out, before, after: total - before };
}

/** Pads (positive) or crops (negative) the two spatial axes of an NHWC tensor. */
function padOrCrop(x: tf.Tensor4D, top: number, bottom: number, left: number, right: number): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const cropTop = Math.max(-top, 0);
  const cropBottom = Math.max(-bottom, 0);
  const cropLeft = Math.max(-left, 0);
  const cropRight = Math.max(-right, 0);
  let y = x;
  if (cropTop || cropBottom || cropLeft || cropRight) {
    y = tf.slice(y, [0, cropTop, cropLeft, 0], [n, h - cropTop - cropBottom, w - cropLeft - cropRight, c]);
  }
  const padTop = Math.max(top, 0);
  const padBottom = Math.max(bottom, 0);
  const padLeft = Math.max(left, 0);
  const padRight = Math.max(right, 0);
  if (padTop || padBottom || padLeft || padRight) {
    y = tf.pad(y, [
      [0, 0],
      [padTop, padBottom],
      [padLeft, padRight],
      [0, 0],
    ]);
  }
  return y;
}

/** Inserts `stride - 1` zeros between neighbouring pixels. */
function dilateSpatial(x: tf.Tensor4D, stride: number): tf.Tensor4D {
  if (stride === 1) return x;
  const [n, h, w, c] = x.shape;
  const expanded = tf.reshape(x, [n, h, 1, w, 1, c]);
  const padded = tf.pad(expanded, [
    [0, 0],
    [0, 0],
    [0, stride - 1],
    [0, 0],
    [0, stride - 1],
    [0, 0],
  ]);
  const flat = tf.reshape(padded, [n, h * stride, w * stride, c]) as tf.Tensor4D;
  return tf.slice(flat, [0, 0, 0, 0], [n, (h - 1) * stride + 1, (w - 1) * stride + 1, c]);
}

/** dL/dfilter of `conv2d(x, filter, stride, 'same')` for a square `k×k` kernel. */
export function conv2dFilterGrad(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  kernel: number,
  stride: number,
): tf.Tensor4D {
  const [, height, width, inChannels] = x.shape;
  const [, outHeight, outWidth, outChannels] = dy.shape;
  if (kernel === 1 && stride === 1) {
    // An explicit transpose: wasm's BatchMatMul is several times slower with transposeA/transposeB.
    const grad = tf.matMul(tf.transpose(tf.reshape(x, [-1, inChannels])), tf.reshape(dy, [-1, outChannels]));
    return tf.reshape(grad, [1, 1, inChannels, outChannels]);
  }
  const ph = samePadding(height, kernel, stride);
  const pw = samePadding(width, kernel, stride);
  const needH = (outHeight - 1) * stride + kernel;
  const needW = (outWidth - 1) * stride + kernel;
  const xp = padOrCrop(x, ph.before, needH - height - ph.before, pw.before, needW - width - pw.before);
  // Batch ↔ channels: input [inC, needH, needW, n], kernel [outH, outW, n, outC] dilated by the stride.
  const grad = tf.conv2d(tf.transpose(xp, [3, 1, 2, 0]), tf.transpose(dy, [1, 2, 0, 3]), 1, 'valid', 'NHWC', [
    stride,
    stride,
  ]);
  return tf.transpose(grad, [1, 2, 0, 3]);
}

/** dL/dx of `conv2d(x, filter, stride, 'same')` for an input of shape `inShape`. */
export function conv2dInputGrad(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  inShape: readonly [number, number, number, number],
  stride: number,
): tf.Tensor4D {
  const kernel = filter.shape[0];
  const [, height, width] = inShape;
  if (kernel === 1 && stride === 1) {
    return tf.conv2d(dy, tf.transpose(filter, [0, 1, 3, 2]) as tf.Tensor4D, 1, 'valid');
  }
  const ph = samePadding(height, kernel, stride);
  const pw = samePadding(width, kernel, stride);
  const dilated = dilateSpatial(dy, stride);
  const top = kernel - 1 - ph.before;
  const left = kernel - 1 - pw.before;
  const bottom = height + kernel - 1 - top - dilated.shape[1];
  const right = width + kernel - 1 - left - dilated.shape[2];
  const padded = padOrCrop(dilated, top, bottom, left, right);
  const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
  return tf.conv2d(padded, flipped, 1, 'valid');
}

type ConvFn = (x: tf.Tensor4D, filter: tf.Tensor4D) => tf.Tensor4D;

const cache = new Map<number, ConvFn>();

/** `conv2d(x, filter, stride, 'same')` whose gradients use forward convolutions only. */
export function forwardGradConv2d(stride: 1 | 2): ConvFn {
  let fn = cache.get(stride);
  if (!fn) {
    const custom = tf.customGrad(((x: tf.Tensor, filter: tf.Tensor, save: tf.GradSaveFunc) => {
      const x4 = x as tf.Tensor4D;
      const f4 = filter as tf.Tensor4D;
      save([x4, f4]);
      return {
        value: tf.conv2d(x4, f4, stride, 'same'),
        gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
          const [sx, sf] = saved as [tf.Tensor4D, tf.Tensor4D];
          const g = dy as tf.Tensor4D;
          return [
            conv2dInputGrad(g, sf, sx.shape as [number, number, number, number], stride),
            conv2dFilterGrad(sx, g, sf.shape[0], stride),
          ];
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    fn = custom as unknown as ConvFn;
    cache.set(stride, fn);
  }
  return fn;
}
