/**
 * @file Tracing the core-flow UNet into an ONNX model: inputs `x` (image + mask channels) and `t`
 * (time per image), output `v` (both velocities), dynamic batch, weights as initializers.
 *
 * @module onnx/unet-to-onnx
 */
import type { UNet } from '@medsymmflow/core-flow';
import { checkParamData } from '../model-data.js';
import { version } from '../version.js';
import { OnnxTracer, type OnnxTracerConfig, type TracedTensor } from './onnx-tracer.js';

/** Names of the graph's inputs and output. */
export const ONNX_IO_NAMES = Object.freeze({
  /** Input: image and mask channels, `[batch, C, H, W]` (or NHWC with `layout: 'NHWC'`). */
  x: 'x',
  /** Input: time of each image in [0, 1], `[batch]`. */
  t: 't',
  /** Output: predicted velocities, same shape as `x`. */
  v: 'v',
} as const);

/** Layout of the spatial input and output of an exported graph. */
export type OnnxIoLayout = 'NCHW' | 'NHWC';

/** Options of {@link unetToOnnx}. */
export interface UNetToOnnxConfig extends OnnxTracerConfig {
  /**
   * Axis order of `x` and `v`. `'NCHW'` is the ONNX/PyTorch convention; `'NHWC'` matches the project's
   * plain-data convention (two Transpose nodes are added).
   * @defaultValue 'NCHW'
   */
  layout?: OnnxIoLayout;
  /** Extra `metadata_props` entries. */
  metadata?: Readonly<Record<string, string>>;
  /** Model documentation (markdown). */
  docString?: string;
}

/** Result of {@link unetToOnnx}. */
export interface UNetToOnnxResult {
  /** ONNX protobuf bytes. */
  readonly bytes: Uint8Array;
  /** Default-domain opset. */
  readonly opset: number;
  /** Layout of `x` and `v`. */
  readonly layout: OnnxIoLayout;
  /** Nodes in the graph. */
  readonly nodeCount: number;
}

/**
 * Traces `unet.forward` with `params` into an ONNX model.
 *
 * @param params - plain parameter data by name, canonical layouts (as `initParamData` returns or
 *   `ops.read` of a model's params); checked for completeness and non-finite values.
 * @throws RangeError for missing/misshaped/non-finite parameters or bad options.
 * @example
 * ```ts
 * const unet = createUNet({ inChannels: 4, baseChannels: 8, channelMults: [1, 2] });
 * const { bytes } = unetToOnnx(unet, initParamData(unet.paramSpecs, createRandom(0)));
 * ```
 */
export function unetToOnnx(
  unet: UNet,
  params: Readonly<Record<string, Float32Array>>,
  config: UNetToOnnxConfig = {},
): UNetToOnnxResult {
  const layout = config.layout ?? 'NCHW';
  if (layout !== 'NCHW' && layout !== 'NHWC') {
    throw new RangeError(`Unknown layout ${JSON.stringify(layout)}. Should be one of: 'NCHW', 'NHWC'.`);
  }
  checkParamData(unet.paramSpecs, params);
  const { opset, groupNorm, foldConstants, batchDimName } = config;
  const tracer = new OnnxTracer({ opset, groupNorm, foldConstants, batchDimName });
  const { imageSize: size, inChannels, outChannels } = unet.config;
  const batch = { batch: 1 };
  const traced: Record<string, TracedTensor> = {};
  for (const spec of unet.paramSpecs)
    traced[spec.name] = tracer.parameter(spec.name, params[spec.name], spec.shape);
  const xDoc = `image and mask channels (${inChannels}) in [-1, 1]-scaled units, ${layout}`;
  let x: TracedTensor;
  if (layout === 'NCHW') {
    x = tracer.input(ONNX_IO_NAMES.x, [batch, inChannels, size, size], xDoc);
  } else {
    x = tracer.transpose(tracer.input(ONNX_IO_NAMES.x, [batch, size, size, inChannels], xDoc), [0, 3, 1, 2]);
  }
  const t = tracer.input(ONNX_IO_NAMES.t, [batch], 'time of each image in [0, 1]');
  let v = unet.forward(tracer, traced, x, t);
  if (layout === 'NHWC') v = tracer.transpose(v, [0, 2, 3, 1]);
  tracer.output(v, ONNX_IO_NAMES.v, `velocities of the ${outChannels} channels, ${layout}`);
  const bytes = tracer.build({
    graphName: 'medsymmflow_unet',
    producerVersion: version,
    docString: config.docString,
    metadata: config.metadata,
  });
  return { bytes, opset: tracer.config.opset, layout, nodeCount: tracer.nodeCount };
}
