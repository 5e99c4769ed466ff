/**
 * @file The MedSymmFlow description stored inside exported ONNX files (`metadata_props["medsymmflow"]`,
 * JSON) and next to them (`medsymmflow.json`): core-flow's model config (classes, labels, conditioning,
 * architecture, normalisation …) plus the graph's opset, layout and input/output names, so a runtime can
 * rebuild the mask plugin and the solver setup from the `.onnx` file alone.
 *
 * @module onnx/onnx-metadata
 */
import type { ResolvedFlowModelConfig } from '@medsymmflow/core-flow';
import type { OnnxIoLayout } from './unet-to-onnx.js';

/** `metadata_props` key holding the JSON description. */
export const ONNX_METADATA_KEY = 'medsymmflow';

/** The `format` tag of the description. */
export const ONNX_METADATA_FORMAT = 'medsymmflow-onnx';

/** The JSON description of an exported ONNX model. */
export interface OnnxModelMetadata {
  /** Always {@link ONNX_METADATA_FORMAT}. */
  readonly format: typeof ONNX_METADATA_FORMAT;
  /** Version of this description's layout. */
  readonly formatVersion: 1;
  /** Package and version that wrote the file. */
  readonly producer: string;
  /** The model config, as core-flow's `model.json` stores it. */
  readonly config: ResolvedFlowModelConfig;
  /** Total number of scalar parameters. */
  readonly numParameters: number;
  /** Default-domain opset of the graph. */
  readonly opset: number;
  /** Axis order of the `x` input and `v` output. */
  readonly layout: OnnxIoLayout;
  /** Graph input and output names. */
  readonly io: { readonly x: string; readonly t: string; readonly v: string };
}

/**
 * Parses and checks a stored description (its `config` is validated when the runtime resolves it).
 * @throws Error naming what is missing, with the fix (re-export the model with @medsymmflow/exporters).
 */
export function parseOnnxMetadata(text: string | undefined, where: string): OnnxModelMetadata {
  const fix = "Export the model with @medsymmflow/exporters (exportModel(model, { format: 'onnx', outDir }).";
  if (text === undefined) {
    throw new Error(
      `${where} has no "${ONNX_METADATA_KEY}" metadata, so it was not exported by MedSymmFlow. ${fix}`,
    );
  }
  let meta: Partial<OnnxModelMetadata>;
  try {
    meta = JSON.parse(text);
  } catch (error) {
    throw new Error(`${where}: the "${ONNX_METADATA_KEY}" metadata is not valid JSON. ${fix}`, {
      cause: error,
    });
  }
  if (meta?.format !== ONNX_METADATA_FORMAT) {
    throw new Error(
      `${where}: metadata format is ${JSON.stringify(meta?.format)}, expected "${ONNX_METADATA_FORMAT}". ${fix}`,
    );
  }
  if (meta.formatVersion !== 1) {
    throw new Error(
      `${where}: metadata formatVersion ${JSON.stringify(meta.formatVersion)} is not supported (this version reads 1). ` +
        'Upgrade @medsymmflow/exporters.',
    );
  }
  for (const key of ['config', 'layout', 'io'] as const) {
    if (meta[key] === undefined) throw new Error(`${where}: metadata lacks "${key}". ${fix}`);
  }
  return meta as OnnxModelMetadata;
}
