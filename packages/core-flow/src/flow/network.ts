/**
 * @file What generation and classification need from a model: an engine's ops, the UNet, its parameters
 * and the mask plugin. A loaded `FlowModel` is one; tests and trainers can assemble one by hand.
 * An {@link AsyncFlowNetwork} is the same contract for networks that answer asynchronously
 * (onnxruntime-web in a browser, a worker): ops for the solver arithmetic plus an async `velocity`.
 *
 * @module flow/network
 */
import type { MaskPlugin } from '@medsymmflow/conditioning-masks';
import type { UNet } from '../model/unet.js';
import type { Params, TensorOps } from '../ops/ops.js';
import type { AsyncVelocityField, VelocityField } from './solvers.js';

/** A trained (or fresh) flow network ready for sampling. */
export interface FlowNetwork<T = unknown> {
  /** Ops of the engine that holds `params`. */
  readonly ops: TensorOps<T>;
  /** The velocity network. */
  readonly unet: UNet;
  /** Its parameters. */
  readonly params: Params<T>;
  /** Labels ↔ masks. */
  readonly maskPlugin: MaskPlugin;
  /** Image channels (the UNet sees image + mask channels). */
  readonly imageChannels: number;
}

/**
 * A flow network whose velocity arrives asynchronously, for `classifyAsync` / `generateAsync`.
 *
 * @example
 * ```ts
 * const network: AsyncFlowNetwork<ArrayTensor> = {
 *   ops, maskPlugin, imageChannels: 1, imageSize: 28,
 *   velocity: async (t, x) => runSessionOn(x, t), // [n, C, H, W] state → velocity of the same shape
 * };
 * ```
 */
export interface AsyncFlowNetwork<T = unknown> {
  /** Ops for the solver arithmetic, noise/mask concatenation and mask readout. */
  readonly ops: TensorOps<T>;
  /** Labels ↔ masks. */
  readonly maskPlugin: MaskPlugin;
  /** Image channels (the network sees image + mask channels). */
  readonly imageChannels: number;
  /** Height = width of the images. */
  readonly imageSize: number;
  /** `v([x, m], t)` for a batched state; resolves to a new tensor of the same shape. */
  velocity(t: number, x: T): Promise<T>;
}

/** Progress of a long operation, reported through `onProgress`. */
export interface FlowProgressEvent {
  /** Which operation reports. */
  readonly phase: 'generate' | 'classify';
  /**
   * Images done so far (all noise samples of an image count as one). On a step event (`step` set) this counts
   * the images of earlier batches only.
   */
  readonly done: number;
  /** Images in total. */
  readonly total: number;
  /**
   * Set on step events, sent after every accepted solver step of the current batch (and noise sample): the
   * steps done. Events without `step` are sent once per finished batch.
   */
  readonly step?: number;
  /** On step events: the planned steps of a fixed-step solver; absent for the adaptive `dopri5`. */
  readonly steps?: number;
  /** On step events: the images in the current batch. */
  readonly batch?: number;
}

/** The UNet of `network` as a {@link VelocityField} over batched states. */
export function networkVelocityField<T>(network: FlowNetwork<T>): VelocityField<T> {
  const { ops, unet, params } = network;
  return (t, x) => {
    const n = ops.spatialShape(x).batch;
    const times = ops.constant(new Float32Array(n).fill(t), [n]);
    return unet.forward(ops, params, x, times);
  };
}

/** Whether `network` is an {@link AsyncFlowNetwork} (it has `velocity` and no UNet). */
export function isAsyncFlowNetwork<T>(
  network: FlowNetwork<T> | AsyncFlowNetwork<T>,
): network is AsyncFlowNetwork<T> {
  return (
    typeof (network as AsyncFlowNetwork<T> | undefined)?.velocity === 'function' &&
    !(network as FlowNetwork<T>).unet
  );
}

/**
 * The velocity of either kind of network as an {@link AsyncVelocityField}. A synchronous network's
 * evaluations run in `ops.tidy`, as in the synchronous solvers.
 */
export function asyncVelocityField<T>(network: FlowNetwork<T> | AsyncFlowNetwork<T>): AsyncVelocityField<T> {
  if (isAsyncFlowNetwork(network)) return (t, x) => network.velocity(t, x);
  const field = networkVelocityField(network);
  const { ops } = network;
  return (t, x) => {
    try {
      return Promise.resolve(ops.tidy(() => field(t, x)));
    } catch (error) {
      return Promise.reject(error);
    }
  };
}

/** @ignore Refuses an {@link AsyncFlowNetwork} in a synchronous function, naming the async one to use. */
export function assertSyncNetwork<T>(network: FlowNetwork<T> | AsyncFlowNetwork<T>, name: string): void {
  if (isAsyncFlowNetwork(network)) {
    throw new TypeError(
      `${name}() needs a synchronous FlowNetwork (with a UNet); this model answers asynchronously ` +
        `(it has velocity()). Use ${name}Async() instead.`,
    );
  }
}

/** @ignore Checks that a network is consistent and returns its sizes. */
export function networkSizes(network: FlowNetwork<unknown> | AsyncFlowNetwork<unknown>): {
  size: number;
  imageChannels: number;
  maskChannels: number;
} {
  if (network && isAsyncFlowNetwork(network)) {
    const { ops, maskPlugin, imageChannels, imageSize } = network;
    if (!ops || !maskPlugin) {
      throw new TypeError(
        "An async 'model' must be an { ops, maskPlugin, imageChannels, imageSize, velocity } object.",
      );
    }
    for (const [key, value] of [
      ['imageSize', imageSize],
      ['imageChannels', imageChannels],
    ] as const) {
      if (!Number.isInteger(value) || value < 1) {
        throw new RangeError(
          `The async model's '${key}' must be a positive integer; got ${JSON.stringify(value)}.`,
        );
      }
    }
    return { size: imageSize, imageChannels, maskChannels: maskPlugin.channels };
  }
  if (!network?.ops || !network.unet || !network.params || !network.maskPlugin) {
    throw new TypeError(
      "'model' must be a FlowModel (or a { ops, unet, params, maskPlugin, imageChannels } object, or an " +
        'AsyncFlowNetwork { ops, maskPlugin, imageChannels, imageSize, velocity } for the async functions).',
    );
  }
  const { unet, maskPlugin, imageChannels } = network;
  const maskChannels = maskPlugin.channels;
  if (unet.config.inChannels !== imageChannels + maskChannels) {
    throw new RangeError(
      `The UNet takes ${unet.config.inChannels} channels, but images have ${imageChannels} and the ` +
        `'${maskPlugin.name}' mask has ${maskChannels}. Build the UNet with inChannels = ${imageChannels + maskChannels}.`,
    );
  }
  return { size: unet.config.imageSize, imageChannels, maskChannels };
}

/** @ignore Validates a batch size option. */
export function checkBatchSize(batchSize: number): number {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`'batchSize' must be a positive integer; got ${JSON.stringify(batchSize)}.`);
  }
  return batchSize;
}
