/**
 * @file The tfjs implementation of {@link TensorOps}: eager NHWC tensors on one tfjs backend.
 *
 * Each instance is bound to a tfjs backend name and makes it the active backend when work starts
 * (tfjs has one global active backend; switching is synchronous once a backend is initialised).
 * On backends without `Conv2DBackpropFilter` (wasm) conv2d uses {@link forwardGradConv2d}; elsewhere
 * tfjs's built-in gradient. GroupNorm is reshape + mean/variance, so its gradient needs only
 * elementwise, reduction and reshape kernels.
 *
 * @module engines/tfjs/tfjs-ops
 */
import * as tf from '@tensorflow/tfjs-core';
import type {
  Conv2dOptions,
  DropoutOptions,
  MatmulOptions,
  SpatialShape,
  TensorContainer,
  TensorOps,
} from '../../ops/ops.js';
import { forwardGradConv2d } from './conv-grad.js';

/** How conv2d gradients are computed. */
export type ConvGradientMode = 'builtin' | 'forward-conv';

/** Options of {@link createTfjsOps}. */
export interface TfjsOpsOptions {
  /** tfjs backend these ops run on ('wasm', 'cpu', 'tensorflow', …). */
  readonly backend: string;
  /** @defaultValue 'forward-conv' on wasm, 'builtin' elsewhere */
  readonly convGradient?: ConvGradientMode;
}

/** {@link TensorOps} over `tf.Tensor`, plus the backend it is bound to. */
export interface TfjsOps extends TensorOps<tf.Tensor> {
  /** The tfjs backend name. */
  readonly backend: string;
  /** How conv2d gradients are computed. */
  readonly convGradient: ConvGradientMode;
  /** Makes this instance's backend the active tfjs backend. */
  activate(): void;
}

class TfjsOpsImpl implements TfjsOps {
  readonly name: string;
  readonly layout = 'NHWC' as const;
  readonly backend: string;
  readonly convGradient: ConvGradientMode;

  constructor(options: TfjsOpsOptions) {
    this.backend = options.backend;
    this.convGradient = options.convGradient ?? (options.backend === 'wasm' ? 'forward-conv' : 'builtin');
    this.name = `tfjs-${options.backend}`;
  }

  activate(): void {
    if (tf.getBackend() !== this.backend) {
      // Synchronous once the backend is initialised (the engine's init() guarantees that).
      void tf.setBackend(this.backend);
      if (tf.getBackend() !== this.backend) {
        throw new Error(
          `tfjs backend "${this.backend}" is not initialised. Create these ops through resolveEngine() ` +
            'or call `await engine.init()` first.',
        );
      }
    }
  }

  // ---- creation, readback and memory ----
  constant(data: Float32Array | readonly number[], shape: readonly number[]): tf.Tensor {
    this.activate();
    const values = data instanceof Float32Array ? data : Float32Array.from(data);
    return tf.tensor(values, [...shape], 'float32');
  }
  fromNHWC(data: Float32Array, shape: readonly [number, number, number, number]): tf.Tensor {
    this.activate();
    return tf.tensor4d(data, [...shape] as [number, number, number, number], 'float32');
  }
  toNHWC(x: tf.Tensor): Float32Array {
    return this.read(x);
  }
  read(x: tf.Tensor): Float32Array {
    const data = x.dataSync();
    return data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
  }
  readScalar(x: tf.Tensor): number {
    if (x.size !== 1)
      throw new RangeError(`readScalar expects a one-element tensor; got shape [${x.shape}].`);
    return x.dataSync()[0] as number;
  }
  shape(x: tf.Tensor): number[] {
    return [...x.shape];
  }
  spatialShape(x: tf.Tensor): SpatialShape {
    if (x.rank !== 4) throw new RangeError(`Expected a rank-4 NHWC tensor; got shape [${x.shape}].`);
    const [batch, height, width, channels] = x.shape as [number, number, number, number];
    return { batch, height, width, channels };
  }
  tidy<R>(fn: () => R): R {
    this.activate();
    return tf.tidy(fn as () => tf.TensorContainer) as R;
  }
  dispose(x: TensorContainer<tf.Tensor>): void {
    if (x == null) return;
    tf.dispose(x as tf.TensorContainer);
  }

  // ---- layers ----
  conv2d(
    x: tf.Tensor,
    kernel: tf.Tensor,
    bias: tf.Tensor | undefined,
    options: Conv2dOptions = {},
  ): tf.Tensor {
    const stride = options.stride ?? 1;
    const k = kernel.shape[0];
    if (kernel.rank !== 4 || kernel.shape[1] !== k || (k !== 1 && k !== 3)) {
      throw new RangeError(`conv2d expects a [k, k, in, out] kernel with k = 1 or 3; got [${kernel.shape}].`);
    }
    const y =
      this.convGradient === 'forward-conv'
        ? forwardGradConv2d(stride)(x as tf.Tensor4D, kernel as tf.Tensor4D)
        : tf.conv2d(x as tf.Tensor4D, kernel as tf.Tensor4D, stride, 'same');
    return bias ? tf.add(y, bias) : y;
  }
  linear(x: tf.Tensor, weight: tf.Tensor, bias?: tf.Tensor): tf.Tensor {
    const y = tf.matMul(x as tf.Tensor2D, weight as tf.Tensor2D);
    return bias ? tf.add(y, bias) : y;
  }
  groupNorm(x: tf.Tensor, groups: number, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
    const [n, h, w, c] = x.shape as [number, number, number, number];
    if (c % groups !== 0)
      throw new RangeError(`groupNorm: ${c} channels are not divisible by ${groups} groups.`);
    const grouped = tf.reshape(x, [n, h, w, groups, c / groups]);
    const mean = tf.mean(grouped, [1, 2, 4], true);
    const centred = tf.sub(grouped, mean);
    const variance = tf.mean(tf.square(centred), [1, 2, 4], true);
    const normed = tf.reshape(tf.mul(centred, tf.rsqrt(tf.add(variance, eps))), [n, h, w, c]);
    return tf.add(tf.mul(normed, gamma), beta);
  }
  upsampleNearest2x(x: tf.Tensor): tf.Tensor {
    // Broadcast against a 2×2 block of ones instead of ResizeNearestNeighbor: tfjs-backend-cpu 4.22's
    // ResizeNearestNeighborGrad is wrong for batch > 1, and the broadcast's gradient is a plain sum.
    const [n, h, w, c] = x.shape as [number, number, number, number];
    const blocks = tf.mul(tf.reshape(x, [n, h, 1, w, 1, c]), tf.ones([1, 1, 2, 1, 2, 1]));
    return tf.reshape(blocks, [n, 2 * h, 2 * w, c]);
  }
  concatChannels(xs: readonly tf.Tensor[]): tf.Tensor {
    return tf.concat([...xs], 3);
  }
  sliceChannels(x: tf.Tensor, start: number, size: number): tf.Tensor {
    return tf.slice(x, [0, 0, 0, start], [-1, -1, -1, size]);
  }
  expandToSpatial(v: tf.Tensor): tf.Tensor {
    if (v.rank === 1) return tf.reshape(v, [1, 1, 1, v.shape[0]]);
    const [n, c] = v.shape as [number, number];
    return tf.reshape(v, [n, 1, 1, c]);
  }
  spatialToSequence(x: tf.Tensor): tf.Tensor {
    const [n, h, w, c] = x.shape as [number, number, number, number];
    return tf.reshape(x, [n, h * w, c]);
  }
  sequenceToSpatial(x: tf.Tensor, height: number, width: number): tf.Tensor {
    const [n, , c] = x.shape as [number, number, number];
    return tf.reshape(x, [n, height, width, c]);
  }

  // ---- elementwise ----
  add(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
    return tf.add(a, b);
  }
  sub(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
    return tf.sub(a, b);
  }
  mul(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
    return tf.mul(a, b);
  }
  div(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
    return tf.div(a, b);
  }
  addScalar(x: tf.Tensor, s: number): tf.Tensor {
    return tf.add(x, tf.scalar(s));
  }
  mulScalar(x: tf.Tensor, s: number): tf.Tensor {
    return tf.mul(x, tf.scalar(s));
  }
  square(x: tf.Tensor): tf.Tensor {
    return tf.square(x);
  }
  abs(x: tf.Tensor): tf.Tensor {
    return tf.abs(x);
  }
  maximum(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
    return tf.maximum(a, b);
  }
  sin(x: tf.Tensor): tf.Tensor {
    return tf.sin(x);
  }
  cos(x: tf.Tensor): tf.Tensor {
    return tf.cos(x);
  }
  sigmoid(x: tf.Tensor): tf.Tensor {
    return tf.sigmoid(x);
  }
  silu(x: tf.Tensor): tf.Tensor {
    return tf.mul(x, tf.sigmoid(x));
  }

  // ---- shape, linear algebra, reductions ----
  reshape(x: tf.Tensor, shape: readonly number[]): tf.Tensor {
    return tf.reshape(x, [...shape]);
  }
  transpose(x: tf.Tensor, perm: readonly number[]): tf.Tensor {
    return tf.transpose(x, [...perm]);
  }
  split(x: tf.Tensor, numSplits: number, axis: number): tf.Tensor[] {
    return tf.split(x, numSplits, axis);
  }
  concat(xs: readonly tf.Tensor[], axis: number): tf.Tensor {
    return tf.concat([...xs], axis);
  }
  matmul(a: tf.Tensor, b: tf.Tensor, options: MatmulOptions = {}): tf.Tensor {
    return tf.matMul(a, b, options.transposeA ?? false, options.transposeB ?? false);
  }
  softmax(x: tf.Tensor): tf.Tensor {
    return tf.softmax(x, -1);
  }
  mean(x: tf.Tensor): tf.Tensor {
    return tf.mean(x);
  }
  dropout(x: tf.Tensor, rate: number, options: DropoutOptions): tf.Tensor {
    if (!options.training || rate === 0) return x;
    if (!(rate > 0 && rate < 1)) throw new RangeError(`dropout rate must be in [0, 1); got ${rate}.`);
    // The mask stays alive with the result: the gradient of the product needs it.
    const keep = tf.mul(
      tf.cast(tf.greaterEqual(tf.randomUniform(x.shape, 0, 1, 'float32', options.seed), rate), 'float32'),
      tf.scalar(1 / (1 - rate)),
    );
    return tf.mul(x, keep);
  }
}

/**
 * Creates tfjs ops bound to an initialised tfjs backend.
 *
 * @example
 * ```ts
 * const { engine } = await resolveEngine(['wasm']);
 * const ops = engine.ops; // a TfjsOps on the wasm backend
 * ```
 */
export function createTfjsOps(options: TfjsOpsOptions): TfjsOps {
  return new TfjsOpsImpl(options);
}
