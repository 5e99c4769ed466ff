/**
 * @file The training-step graph of symmetrical flow matching: core-flow's own `sfmLoss` (and through it
 * the UNet) traced with the ONNX tracer at a fixed batch size, differentiated with respect to every
 * parameter, dead nodes removed, written as one ONNX model.
 *
 * Inputs: every UNet parameter (canonical layout, named as its `ParamSpec`), `images`, `masks`, `xi_x`,
 * `xi_m` (NCHW) and `t` (`[batch]`). Outputs: `loss`, `image_loss`, `mask_loss` and `grad/<param>` for
 * every parameter (the gradient of the per-sample-mean `loss`).
 *
 * @module training/sfm-training-graph
 */
import { type SfmLossConfig, sfmLoss, type UNet } from '@medsymmflow/core-flow';
import { OnnxTracer, type TracedTensor } from '../onnx/onnx-tracer.js';
import { version } from '../version.js';
import { differentiate, prepareForTraining } from './autodiff.js';
import type { ConvWeightGradMode } from './grad-rules.js';
import { irFromTracer } from './ir.js';
import { useNchwcConvs } from './nchwc.js';

/** Names of the data inputs and loss outputs of a training-step graph. */
export const SFM_TRAINING_IO = Object.freeze({
  images: 'images',
  masks: 'masks',
  xiX: 'xi_x',
  xiM: 'xi_m',
  t: 't',
  loss: 'loss',
  imageLoss: 'image_loss',
  maskLoss: 'mask_loss',
  /** Prefix of the gradient outputs: `grad/<parameter name>`. */
  gradPrefix: 'grad/',
} as const);

/** Options of {@link buildSfmTrainingGraph}. */
export interface SfmTrainingGraphConfig {
  /** Samples per step (the graph has a fixed batch size). */
  batch: number;
  /** Image channels (the UNet sees image + mask channels). */
  imageChannels: number;
  /** Loss options (w, σ). @defaultValue core-flow's `SFM_LOSS_DEFAULTS` */
  loss?: SfmLossConfig;
  /**
   * How k×k convolution weight gradients are computed (see `ConvWeightGradMode`).
   * @defaultValue 'conv-im2col'
   */
  convWeightGrad?: ConvWeightGradMode;
  /**
   * Block size of ONNX Runtime's NCHWc convolutions on this CPU (see `probeNchwcBlockSize`); 0 keeps every
   * convolution in the plain NCHW kernels.
   * @defaultValue 0
   */
  nchwcBlock?: number;
}

/** A built training-step graph. */
export interface SfmTrainingGraph {
  /** ONNX protobuf bytes (opset 17). */
  readonly bytes: Uint8Array;
  /** Samples per step. */
  readonly batch: number;
  /** Parameter names in spec order (graph inputs and, prefixed, gradient outputs). */
  readonly paramNames: readonly string[];
  /** Nodes in the graph. */
  readonly nodeCount: number;
  /** Node count per op type. */
  readonly opCounts: Readonly<Record<string, number>>;
  /** Extra inputs to feed unchanged at every run (constants kept out of ONNX Runtime's optimiser). */
  readonly constantFeeds: Readonly<
    Record<string, { readonly data: Float32Array; readonly dims: readonly number[] }>
  >;
}

/**
 * Traces `sfmLoss(unet)` for `batch` samples and appends its gradients.
 *
 * @throws RangeError when the UNet has dropout (its random masks are drawn inside the engine; train such
 *   models with the tfjs engine) or the sizes are invalid.
 * @example
 * ```ts
 * const unet = createUNet({ inChannels: 4 });
 * const graph = buildSfmTrainingGraph(unet, { batch: 64, imageChannels: 1 });
 * console.log(graph.nodeCount); // about 1.8k nodes for the default UNet
 * ```
 */
export function buildSfmTrainingGraph(unet: UNet, config: SfmTrainingGraphConfig): SfmTrainingGraph {
  const { batch, imageChannels } = config;
  if (!Number.isInteger(batch) || batch < 1) {
    throw new RangeError(`'batch' must be a positive integer; got ${JSON.stringify(batch)}.`);
  }
  const { imageSize: size, inChannels } = unet.config;
  const maskChannels = inChannels - imageChannels;
  if (!Number.isInteger(imageChannels) || imageChannels < 1 || maskChannels < 1) {
    throw new RangeError(
      `'imageChannels' must be a positive integer below the UNet's ${inChannels} input channels; got ${JSON.stringify(imageChannels)}.`,
    );
  }
  if (unet.config.dropout > 0) {
    throw new RangeError(
      `The ONNX Runtime training engine does not support dropout (the UNet has dropout ${unet.config.dropout}). ` +
        "Train with engine 'tfjs' or set dropout: 0.",
    );
  }
  const tracer = new OnnxTracer();
  const params: Record<string, TracedTensor> = {};
  for (const spec of unet.paramSpecs) params[spec.name] = tracer.input(spec.name, spec.shape);
  const io = SFM_TRAINING_IO;
  const images = tracer.input(io.images, [batch, imageChannels, size, size]);
  const masks = tracer.input(io.masks, [batch, maskChannels, size, size]);
  const xiX = tracer.input(io.xiX, [batch, imageChannels, size, size]);
  const xiM = tracer.input(io.xiM, [batch, maskChannels, size, size]);
  const t = tracer.input(io.t, [batch]);
  const result = sfmLoss(tracer, unet, params, { images, masks }, { xiX, xiM, t }, config.loss ?? {});
  const g = irFromTracer(tracer);
  prepareForTraining(g);
  const paramNames = unet.paramSpecs.map((s) => s.name);
  const grads = differentiate(g, result.loss.name, paramNames, {
    convWeightGrad: config.convWeightGrad ?? 'conv-im2col',
  });
  g.outputs = [result.loss.name, result.imageLoss.name, result.maskLoss.name, ...grads];
  g.removeDeadNodes();
  useNchwcConvs(g, config.nchwcBlock ?? 0);
  const opCounts: Record<string, number> = {};
  for (const n of g.nodes) {
    const key = n.domain ? `${n.domain}:${n.op}` : n.op;
    opCounts[key] = (opCounts[key] ?? 0) + 1;
  }
  const bytes = g.toOnnx(17, 'medsymmflow_sfm_training_step', version, [
    io.loss,
    io.imageLoss,
    io.maskLoss,
    ...paramNames.map((n) => `${io.gradPrefix}${n}`),
  ]);
  return {
    bytes,
    batch,
    paramNames,
    nodeCount: g.nodes.length,
    opCounts,
    constantFeeds: Object.fromEntries(g.runtimeConstants),
  };
}
