/**
 * @file A MedSymmFlow model on an asynchronous ONNX Runtime session — onnxruntime-web in browsers (wasm,
 * WebGPU), or any runtime with the same `InferenceSession` / `Tensor` API. The browser counterpart of
 * `loadOrtModel` (runtime/ort-model): the exported graph evaluates the velocity network, and core-flow's
 * `classifyAsync` / `generateAsync` (the same noise, ODE solvers and mask distances as the CLI) run around it.
 *
 * The ONNX Runtime module is passed in (`{ ort }`), so this file imports neither onnxruntime-web nor
 * onnxruntime-node, and its import graph has no Node built-ins and no tfjs.
 *
 * @module web/ort-web-model
 */
import { createMaskPlugin, type MaskPlugin } from '@medsymmflow/conditioning-masks';
import type { ResolvedFlowModelConfig } from '@medsymmflow/core-flow';
import {
  type AsyncFlowNetwork,
  type ClassifyAsyncOptions,
  type ClassifyResult,
  classifyAsync,
  type GenerateAsyncOptions,
  type GenerateResult,
  generateAsync,
} from '@medsymmflow/core-flow/flow';
import { ONNX_METADATA_KEY, type OnnxModelMetadata, parseOnnxMetadata } from '../onnx/onnx-metadata.js';
import { readOnnxModel } from '../onnx/read-onnx.js';
import { ArrayOps, type ArrayTensor } from '../runtime/array-ops.js';
import { fromGraphLayout, toGraphLayout } from '../runtime/graph-layout.js';

/** A tensor of the ONNX Runtime JS API (only what this module reads). */
export interface OrtWebTensor {
  readonly data: unknown;
  readonly dims: readonly number[];
}

/** An inference session of the ONNX Runtime JS API (onnxruntime-web, onnxruntime-node, onnxruntime-react-native). */
export interface OrtWebSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtWebTensor>): Promise<Record<string, OrtWebTensor>>;
  release(): Promise<void>;
}

/** The parts of an ONNX Runtime JS module this adapter uses: `import * as ort from 'onnxruntime-web'`. */
export interface OrtWebModule {
  readonly InferenceSession: {
    // biome-ignore lint/suspicious/noExplicitAny: session options differ between ONNX Runtime builds.
    create(model: Uint8Array, options?: any): Promise<OrtWebSession>;
  };
  readonly Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtWebTensor;
}

/** Options of {@link loadOrtWebModel}. */
export interface LoadOrtWebModelConfig {
  /** The ONNX Runtime module, e.g. `import * as ort from 'onnxruntime-web'`. */
  ort: OrtWebModule;
  /**
   * Session options passed to `InferenceSession.create`, e.g. `{ executionProviders: ['webgpu', 'wasm'] }`.
   * @defaultValue `{}` (the runtime's default provider: wasm for onnxruntime-web)
   */
  sessionOptions?: Record<string, unknown>;
  /** Name of the model in error messages. @defaultValue 'The ONNX model' */
  name?: string;
}

/** Options of {@link OrtWebFlowModel.classify}: core-flow's `ClassifyAsyncOptions` without `model`. */
export type OrtWebClassifyOptions = Omit<ClassifyAsyncOptions<ArrayTensor>, 'model'>;

/** Options of {@link OrtWebFlowModel.generate}: core-flow's `GenerateAsyncOptions` without `model`. */
export type OrtWebGenerateOptions = Omit<GenerateAsyncOptions<ArrayTensor>, 'model'>;

/** A MedSymmFlow model on an asynchronous ONNX Runtime session. */
export interface OrtWebFlowModel {
  /** The description stored in the ONNX file. */
  readonly metadata: OnnxModelMetadata;
  /** The model config (classes, labels, conditioning, architecture, normalisation, metadata such as calibration). */
  readonly config: ResolvedFlowModelConfig;
  /** The conditioning mask plugin. */
  readonly maskPlugin: MaskPlugin;
  /** The ONNX Runtime session. */
  readonly session: OrtWebSession;
  /** A core-flow `AsyncFlowNetwork` over the session, for `classifyAsync` / `generateAsync` directly. */
  readonly network: AsyncFlowNetwork<ArrayTensor>;
  /** Classifies images with the reverse flow (paper default: one Euler step), as core-flow's `classifyAsync`. */
  classify(options: OrtWebClassifyOptions): Promise<ClassifyResult>;
  /** Generates images of given classes (25 Euler steps by default), as core-flow's `generateAsync`. */
  generate(options: OrtWebGenerateOptions): Promise<GenerateResult>;
  /** Frees the session. */
  dispose(): Promise<void>;
}

function positiveInteger(where: string, name: string, value: unknown): number {
  if (!Number.isInteger(value) || (value as number) < 1) {
    throw new Error(`${where}: the stored model config has an invalid '${name}' (${JSON.stringify(value)}).`);
  }
  return value as number;
}

/**
 * Builds the session-backed velocity `v([x, m], t)`: NCHW states in, NCHW velocities out, converting to the
 * graph's layout and input/output names as the metadata describes them.
 */
function sessionVelocity(
  ort: OrtWebModule,
  session: OrtWebSession,
  metadata: OnnxModelMetadata,
  where: string,
): (t: number, x: ArrayTensor) => Promise<ArrayTensor> {
  const { io } = metadata;
  return async (t, x) => {
    const [n, c, h, w] = x.shape;
    const input = toGraphLayout(metadata, x.data, x.shape);
    const feeds = {
      [io.x]: new ort.Tensor('float32', input.data, input.dims),
      [io.t]: new ort.Tensor('float32', new Float32Array(n).fill(t), [n]),
    };
    const out = (await session.run(feeds))[io.v];
    if (!out || !(out.data instanceof Float32Array) || out.data.length !== x.data.length) {
      throw new Error(
        `${where}: output "${io.v}" should be float32 with ${x.data.length} values; got ${out ? `${(out.data as { length?: number })?.length} values` : 'nothing'}.`,
      );
    }
    return { data: fromGraphLayout(metadata, out.data, x.shape), shape: [n, c, h, w] };
  };
}

/**
 * Loads an exported ONNX model (`medsymmflow export --format onnx`, or a zoo model's `model.onnx`) from its
 * bytes into an asynchronous ONNX Runtime session. The model config and calibration come from the file's
 * `medsymmflow` metadata, so nothing else needs to be fetched.
 *
 * @throws Error naming the model when the bytes are not an ONNX model, lack MedSymmFlow metadata, or the
 *   runtime cannot create a session (with the runtime's error as `cause`).
 * @example
 * ```ts
 * import * as ort from 'onnxruntime-web';
 * import { loadOrtWebModel } from '@medsymmflow/exporters/web';
 * import { createRandom } from '@medsymmflow/datasets-medmnist/random';
 *
 * const bytes = new Uint8Array(await (await fetch('zoo/pneumoniamnist-rgb-28/model.onnx')).arrayBuffer());
 * const model = await loadOrtWebModel(bytes, { ort });
 * const { labels, distances } = await model.classify({ images, random: createRandom(0) });
 * ```
 */
export async function loadOrtWebModel(
  source: Uint8Array | ArrayBuffer,
  config: LoadOrtWebModelConfig,
): Promise<OrtWebFlowModel> {
  const where = config?.name ?? 'The ONNX model';
  const ort = config?.ort;
  if (typeof ort?.InferenceSession?.create !== 'function' || typeof ort.Tensor !== 'function') {
    throw new TypeError(
      "loadOrtWebModel() needs the ONNX Runtime module as { ort }, e.g. import * as ort from 'onnxruntime-web'.",
    );
  }
  const bytes = source instanceof ArrayBuffer ? new Uint8Array(source) : source;
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) {
    throw new TypeError(
      `${where}: expected the .onnx file's bytes (a non-empty Uint8Array or ArrayBuffer); got ${bytes instanceof Uint8Array ? 'no bytes' : typeof source}.`,
    );
  }
  let metadataText: string | undefined;
  try {
    metadataText = readOnnxModel(bytes).metadata[ONNX_METADATA_KEY];
  } catch (error) {
    throw new Error(`${where} is not a readable ONNX file (${(error as Error).message}).`, { cause: error });
  }
  const metadata = parseOnnxMetadata(metadataText, where);
  const modelConfig = metadata.config;
  const imageSize = positiveInteger(where, 'imageSize', modelConfig.imageSize);
  const imageChannels = positiveInteger(where, 'imageChannels', modelConfig.imageChannels);
  const numClasses = positiveInteger(where, 'numClasses', modelConfig.numClasses);
  let maskPlugin: MaskPlugin;
  try {
    maskPlugin = createMaskPlugin(modelConfig.conditioning, numClasses);
  } catch (error) {
    throw new Error(
      `${where}: cannot create its conditioning plugin: ${(error as Error).message}` +
        (modelConfig.conditioning?.package
          ? ` Import the plugin package '${modelConfig.conditioning.package}' and registerMaskPlugin() it first.`
          : ''),
      { cause: error },
    );
  }
  const inChannels = modelConfig.architecture?.inChannels;
  if (inChannels !== undefined && inChannels !== imageChannels + maskPlugin.channels) {
    throw new Error(
      `${where}: the network takes ${inChannels} channels, but ${imageChannels} image + ${maskPlugin.channels} ` +
        `'${maskPlugin.name}' mask channels were expected.`,
    );
  }
  let session: OrtWebSession;
  try {
    session = await ort.InferenceSession.create(bytes, config.sessionOptions ?? {});
  } catch (error) {
    throw new Error(`ONNX Runtime could not load ${where}: ${(error as Error)?.message ?? String(error)}`, {
      cause: error,
    });
  }
  const { io } = metadata;
  const missing = [io.x, io.t].filter((name) => !session.inputNames.includes(name));
  if (missing.length > 0 || !session.outputNames.includes(io.v)) {
    await session.release();
    throw new Error(
      `${where}: the graph's inputs/outputs (${session.inputNames.join(', ')} → ${session.outputNames.join(', ')}) ` +
        `do not match its metadata (${io.x}, ${io.t} → ${io.v}). Re-export the model with @medsymmflow/exporters.`,
    );
  }
  const network: AsyncFlowNetwork<ArrayTensor> = Object.freeze({
    ops: new ArrayOps(),
    maskPlugin,
    imageChannels,
    imageSize,
    velocity: sessionVelocity(ort, session, metadata, where),
  });
  return {
    metadata,
    config: modelConfig,
    maskPlugin,
    session,
    network,
    classify: (options) => classifyAsync({ ...options, model: network }),
    generate: (options) => generateAsync({ ...options, model: network }),
    dispose: () => session.release(),
  };
}
