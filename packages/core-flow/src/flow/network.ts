/**
 * @file What generation and classification need from a model: an engine's ops, the UNet, its parameters
 * and the mask plugin. A loaded `FlowModel` is one; tests and trainers can assemble one by hand.
 *
 * @module flow/network
 */
import type { MaskPlugin } from '@medsymmflow/conditioning-masks';
import type { UNet } from '../model/unet.js';
import type { Params, TensorOps } from '../ops/ops.js';
import type { VelocityField } from './solvers.js';

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

/** Progress of a long operation, reported through `onProgress`. */
export interface FlowProgressEvent {
  /** Which operation reports. */
  readonly phase: 'generate' | 'classify';
  /** Images done so far (all noise samples of an image count as one). */
  readonly done: number;
  /** Images in total. */
  readonly total: number;
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

/** @ignore Checks that a network is consistent and returns its sizes. */
export function networkSizes(network: FlowNetwork<unknown>): {
  size: number;
  imageChannels: number;
  maskChannels: number;
} {
  if (!network?.ops || !network.unet || !network.params || !network.maskPlugin) {
    throw new TypeError(
      "'model' must be a FlowModel (or a { ops, unet, params, maskPlugin, imageChannels } object).",
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
