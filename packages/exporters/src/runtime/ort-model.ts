/**
 * @file A MedSymmFlow model on ONNX Runtime: the exported graph evaluates the velocity network, and
 * core-flow's own `classify` / `generate` (noise, ODE solvers, mask distances, uncertainty) run around it.
 *
 * How it plugs into core-flow: `classify`/`generate` take a `FlowNetwork { ops, unet, params, maskPlugin }`
 * and call `unet.forward(ops, params, x, t)` once per velocity evaluation. Here `ops` are eager array ops
 * over `Float32Array`s (NCHW) that carry the solver arithmetic, and `unet` is a stand-in with the same
 * config whose `forward` runs the ONNX Runtime session; `params` is empty because the weights live in the
 * graph. No ODE, noise or distance code is duplicated.
 *
 * @module runtime/ort-model
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { MaskPlugin } from '@medsymmflow/conditioning-masks';
import {
  type ClassifyOptions,
  type ClassifyResult,
  classify,
  createUNet,
  type FlowNetwork,
  type GenerateOptions,
  type GenerateResult,
  generate,
  type Params,
  type ResolvedFlowModelConfig,
  resolveFlowModelConfig,
  type TensorOps,
  type UNet,
  type UNetForwardOptions,
} from '@medsymmflow/core-flow';
import { ONNX_EXPORT_FILES } from '../onnx/onnx-exporter.js';
import { ONNX_METADATA_KEY, type OnnxModelMetadata, parseOnnxMetadata } from '../onnx/onnx-metadata.js';
import { readOnnxModel } from '../onnx/read-onnx.js';
import { ArrayOps, type ArrayTensor } from './array-ops.js';
import { fromGraphLayout, toGraphLayout } from './graph-layout.js';
import { createOrtSession, type OrtSession, type OrtSessionConfig } from './ort-session.js';

/** Options of {@link loadOrtModel}: the ONNX Runtime session options. */
export type LoadOrtModelConfig = OrtSessionConfig;

/** Options of {@link OrtFlowModel.classify}: core-flow's `ClassifyOptions` without `model`. */
export type OrtClassifyOptions = Omit<ClassifyOptions<ArrayTensor>, 'model'>;

/** Options of {@link OrtFlowModel.generate}: core-flow's `GenerateOptions` without `model`. */
export type OrtGenerateOptions = Omit<GenerateOptions<ArrayTensor>, 'model'>;

/** A MedSymmFlow model whose network runs in ONNX Runtime. */
export interface OrtFlowModel {
  /** The description stored in the ONNX file. */
  readonly metadata: OnnxModelMetadata;
  /** The model config (classes, labels, conditioning, architecture, normalisation), as core-flow stores it. */
  readonly config: ResolvedFlowModelConfig;
  /** The conditioning mask plugin. */
  readonly maskPlugin: MaskPlugin;
  /** The ONNX Runtime session (inputs, providers, raw `runSync`). */
  readonly session: OrtSession;
  /** A core-flow `FlowNetwork` over this session, for `classify`/`generate`/`networkVelocityField` directly. */
  readonly network: FlowNetwork<ArrayTensor>;
  /**
   * Velocities `v([x, m], t)` for NHWC input `[n, H, W, imageChannels + maskChannels]`; `t` is one time for
   * all images or one per image. Returns NHWC velocities of the same shape.
   */
  velocity(x: Float32Array, t: number | Float32Array): Float32Array;
  /**
   * Classifies images with the reverse flow (paper default: one Euler step), as core-flow's `classify`.
   * @returns labels, per-class distances, uncertainty (distance to the predicted class) and, with
   *   `returnMasks`, the predicted masks.
   */
  classify(options: OrtClassifyOptions): Promise<ClassifyResult>;
  /** Generates images of given classes with the forward flow, as core-flow's `generate` (25 Euler steps). */
  generate(options: OrtGenerateOptions): Promise<GenerateResult>;
  /** Frees the session. */
  dispose(): void;
}

/** A UNet stand-in whose forward pass runs the ONNX Runtime session. */
class OrtUNet implements UNet {
  readonly config: UNet['config'];
  readonly paramSpecs: UNet['paramSpecs'];
  readonly numParameters: number;

  constructor(
    private readonly session: OrtSession,
    private readonly ops: ArrayOps,
    private readonly metadata: OnnxModelMetadata,
    config: ResolvedFlowModelConfig,
  ) {
    const { type: _type, ...architecture } = config.architecture;
    const unet = createUNet(architecture);
    this.config = unet.config;
    this.paramSpecs = unet.paramSpecs;
    this.numParameters = unet.numParameters;
  }

  forward<T>(ops: TensorOps<T>, _params: Params<T>, x: T, t: T, options: UNetForwardOptions = {}): T {
    if ((ops as unknown) !== this.ops) {
      throw new TypeError(
        'This UNet runs inside ONNX Runtime and takes the array ops of its OrtFlowModel (model.network.ops), ' +
          `not "${ops.name}".`,
      );
    }
    if (options.training)
      throw new RangeError('The ONNX Runtime model is inference-only; training: true is not supported.');
    const input = x as unknown as ArrayTensor;
    const times = t as unknown as ArrayTensor;
    const [n, , h, w] = input.shape;
    const { io } = this.metadata;
    const out = this.session.runSync({
      [io.x]: toGraphLayout(this.metadata, input.data, input.shape),
      [io.t]: { data: times.data, dims: [n] },
    })[io.v];
    const shape = [n, this.config.outChannels, h, w];
    return { data: fromGraphLayout(this.metadata, out.data, shape), shape } as unknown as T;
  }
}

async function readModelBytes(source: string | Uint8Array): Promise<{ bytes: Uint8Array; where: string }> {
  if (source instanceof Uint8Array) return { bytes: source, where: 'The ONNX model' };
  if (typeof source !== 'string') {
    throw new TypeError(
      `'source' must be an export folder, an .onnx path or the model's bytes; got ${typeof source}.`,
    );
  }
  let path = source;
  try {
    if ((await stat(source)).isDirectory()) path = join(source, ONNX_EXPORT_FILES.model);
    return { bytes: new Uint8Array(await readFile(path)), where: path };
  } catch (error) {
    throw new Error(
      `Cannot read the ONNX model ${path}: ${(error as Error).message}. ` +
        "Export one with exportModel(model, { format: 'onnx', outDir }).",
      { cause: error },
    );
  }
}

/**
 * Loads an exported ONNX model (its folder, the `.onnx` file or its bytes) into ONNX Runtime.
 *
 * @example
 * ```ts
 * const model = await loadOrtModel('exported/pneumonia-onnx', { intraOpNumThreads: 2 });
 * const { labels, uncertainty } = await model.classify({ images, random: createRandom(0) });
 * model.dispose();
 * ```
 */
export async function loadOrtModel(
  source: string | Uint8Array,
  sessionConfig: LoadOrtModelConfig = {},
): Promise<OrtFlowModel> {
  const { bytes, where } = await readModelBytes(source);
  const summary = readOnnxModel(bytes);
  const metadata = parseOnnxMetadata(summary.metadata[ONNX_METADATA_KEY], where);
  let resolved: Awaited<ReturnType<typeof resolveFlowModelConfig>>;
  try {
    resolved = await resolveFlowModelConfig(metadata.config);
  } catch (error) {
    throw new Error(`${where}: the stored model config is invalid: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const { config, maskPlugin } = resolved;
  const session = await createOrtSession(bytes, sessionConfig);
  for (const name of [metadata.io.x, metadata.io.t]) {
    if (!session.inputs.some((i) => i.name === name)) {
      session.dispose();
      throw new Error(
        `${where} has no input "${name}" (inputs: ${session.inputs.map((i) => i.name).join(', ')}).`,
      );
    }
  }
  const ops = new ArrayOps();
  const unet = new OrtUNet(session, ops, metadata, config);
  const network: FlowNetwork<ArrayTensor> = Object.freeze({
    ops,
    unet,
    params: {},
    maskPlugin,
    imageChannels: config.imageChannels,
  });
  const { imageSize: size, inChannels } = unet.config;
  return {
    metadata,
    config,
    maskPlugin,
    session,
    network,
    velocity(x: Float32Array, t: number | Float32Array): Float32Array {
      const per = size * size * inChannels;
      if (!(x instanceof Float32Array) || x.length === 0 || x.length % per !== 0) {
        throw new RangeError(
          `'x' must be an NHWC Float32Array of n × ${size} × ${size} × ${inChannels} values; got length ${(x as Float32Array)?.length}.`,
        );
      }
      const n = x.length / per;
      const times = typeof t === 'number' ? new Float32Array(n).fill(t) : t;
      if (!(times instanceof Float32Array) || times.length !== n) {
        throw new RangeError(`'t' must be a number or a Float32Array of ${n} times.`);
      }
      const input = ops.fromNHWC(x, [n, size, size, inChannels]);
      return ops.toNHWC(unet.forward(ops, {}, input, ops.constant(times, [n])));
    },
    async classify(options: OrtClassifyOptions): Promise<ClassifyResult> {
      return classify({ ...options, model: network });
    },
    async generate(options: OrtGenerateOptions): Promise<GenerateResult> {
      return generate({ ...options, model: network });
    },
    dispose(): void {
      session.dispose();
    },
  };
}
