/**
 * @file The `onnx` exporter: traces the model's UNet into `model.onnx` (opset ≥ 17, inputs `x`/`t`, output
 * `v`, dynamic batch, weights as initializers) with a `medsymmflow.json` description beside it, and checks
 * the result by opening it with ONNX Runtime and running one batch.
 *
 * @module onnx/onnx-exporter
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { firstNonFinite } from '../internal/float-kernels.js';
import { type ExportableModel, modelConfig, modelParamData } from '../model-data.js';
import { createOrtSession } from '../runtime/ort-session.js';
import { version } from '../version.js';
import { ONNX_METADATA_FORMAT, ONNX_METADATA_KEY, type OnnxModelMetadata } from './onnx-metadata.js';
import { ONNX_TRACER_DEFAULTS } from './onnx-tracer.js';
import { ONNX_IO_NAMES, type UNetToOnnxConfig, unetToOnnx } from './unet-to-onnx.js';

/** Options of the `onnx` exporter. */
export interface OnnxExportOptions extends Omit<UNetToOnnxConfig, 'metadata' | 'docString'> {
  /**
   * Open the written model with ONNX Runtime (CPU) and run one image through it; fails the export when
   * ONNX Runtime rejects the graph or returns non-finite values.
   * @defaultValue true
   */
  verify?: boolean;
}

/** File names the `onnx` exporter writes. */
export const ONNX_EXPORT_FILES = Object.freeze({ model: 'model.onnx', description: 'medsymmflow.json' });

/** Checks an exported graph with ONNX Runtime: session creation plus one forward pass on zeros. */
export async function verifyOnnxModel(bytes: Uint8Array, metadata: OnnxModelMetadata): Promise<void> {
  const session = await createOrtSession(bytes, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  try {
    const { imageSize: s, inChannels: c } = metadata.config.architecture;
    const dims = metadata.layout === 'NCHW' ? [1, c, s, s] : [1, s, s, c];
    const out = session.runSync({
      [metadata.io.x]: { data: new Float32Array(c * s * s), dims },
      [metadata.io.t]: { data: new Float32Array([0.5]), dims: [1] },
    })[metadata.io.v];
    if (!out || out.data.length !== c * s * s) {
      throw new Error(
        `ONNX Runtime returned ${out ? `${out.data.length} values` : 'no output'}; expected ${c * s * s}.`,
      );
    }
    const bad = firstNonFinite(out.data);
    if (bad)
      throw new RangeError(`The exported graph produced ${bad.value} at index ${bad.index} on a zero input.`);
  } finally {
    session.dispose();
  }
}

/** The `onnx` exporter. */
export const onnxExporter = {
  name: 'onnx' as const,
  description: 'ONNX graph (opset ≥ 17) for ONNX Runtime and other ONNX tools; weights as initializers',
  files: Object.freeze([ONNX_EXPORT_FILES.model, ONNX_EXPORT_FILES.description]),
  async export(model: ExportableModel, outDir: string, options: OnnxExportOptions = {}): Promise<void> {
    const { verify = true, ...traceOptions } = options;
    if (typeof verify !== 'boolean')
      throw new TypeError(`'verify' must be a boolean; got ${JSON.stringify(verify)}.`);
    const params = modelParamData(model);
    const config = await modelConfig(model);
    const metadata: OnnxModelMetadata = {
      format: ONNX_METADATA_FORMAT,
      formatVersion: 1,
      producer: `@medsymmflow/exporters@${version}`,
      config,
      numParameters: model.unet.numParameters,
      opset: traceOptions.opset ?? ONNX_TRACER_DEFAULTS.opset,
      layout: traceOptions.layout ?? 'NCHW',
      io: { ...ONNX_IO_NAMES },
    };
    const result = unetToOnnx(model.unet, params, {
      ...traceOptions,
      metadata: { [ONNX_METADATA_KEY]: JSON.stringify(metadata) },
      docString:
        `MedSymmFlow velocity network (${config.numClasses} classes, ${config.conditioning.name} masks). ` +
        `Inputs: x = image + mask channels (${metadata.layout}), t = time per image. Output: v = velocities.`,
    });
    if (verify) await verifyOnnxModel(result.bytes, metadata);
    await writeFile(join(outDir, ONNX_EXPORT_FILES.model), result.bytes);
    await writeFile(join(outDir, ONNX_EXPORT_FILES.description), `${JSON.stringify(metadata, null, 2)}\n`);
  },
};
