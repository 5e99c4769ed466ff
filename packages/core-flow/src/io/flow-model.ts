/**
 * @file The saved-model interface: {@link FlowModel} bundles a config (architecture, conditioning plugin,
 * dataset, image size/channels, normalisation, labels), the UNet weights and the engine that holds them.
 * The implementation lives in `flow-model-impl.ts`; files are read and written by `model-files.ts`.
 *
 * On disk a model is a folder:
 * - `model.json`: `{ format, formatVersion, generatedBy, config, weightsManifest }`, where
 *   `weightsManifest` is the tfjs weights manifest (`[{ paths, weights: [{ name, shape, dtype }] }]`);
 * - `group1-shard1ofN.bin` …: the float32 weights, concatenated in manifest order and split into shards of at
 *   most 4 MiB, exactly as `tf.io` writes them. Weight shapes use the canonical layouts of the op interface.
 *
 * @module io/flow-model
 */
import type { MaskPlugin, MaskPluginConfig } from '@medsymmflow/conditioning-masks';
import type { EngineInfo } from '../engines/engine.js';
import type { ClassifyOptions, ClassifyResult } from '../flow/classify.js';
import type { GenerateOptions, GenerateResult } from '../flow/generate.js';
import type { FlowNetwork } from '../flow/network.js';
import type { ResolvedUNetConfig, UNetConfig } from '../model/unet.js';

/** `format` field of `model.json`. */
export const FLOW_MODEL_FORMAT = 'medsymmflow-flow-model';
/** Current `formatVersion` of `model.json`; loading accepts this version only. */
export const FLOW_MODEL_FORMAT_VERSION = 1;

/** Pixel ranges: raw data (`inputRange`, e.g. uint8 `[0, 255]`) and what the network sees (`modelRange`). */
export interface NormalizationConfig {
  /** @defaultValue [0, 255] */
  inputRange?: readonly [number, number];
  /** @defaultValue [-1, 1] */
  modelRange?: readonly [number, number];
}

/** Architecture of the velocity network. `inChannels`/`outChannels` and `imageSize` follow the model. */
export interface ArchitectureConfig extends Omit<UNetConfig, 'inChannels' | 'outChannels' | 'imageSize'> {
  /** Network family. @defaultValue 'unet' */
  type?: 'unet';
}

/** User options of a flow model. Give `numClasses`, `labels`, or both (they must agree). */
export interface FlowModelConfig {
  /** Number of classes. @defaultValue `labels.length` */
  numClasses?: number;
  /** Class names, index = label. @defaultValue `['0', '1', …]` */
  labels?: readonly string[];
  /** Height = width of the images. @defaultValue 28 */
  imageSize?: number;
  /** Image channels (1 = grey, 3 = RGB). @defaultValue 1 */
  imageChannels?: number;
  /** Conditioning mask plugin, as `createMaskPlugin` takes it. @defaultValue { name: 'rgb-palette' } */
  conditioning?: string | MaskPluginConfig;
  /** UNet architecture. @defaultValue UNET_DEFAULTS */
  architecture?: ArchitectureConfig;
  /** MedMNIST data flag the model was trained on (e.g. `pneumoniamnist`), or null. @defaultValue null */
  dataset?: string | null;
  /** Pixel ranges. */
  normalization?: NormalizationConfig;
  /** Free-form JSON metadata (training run, metrics …). @defaultValue {} */
  metadata?: Record<string, unknown>;
}

/** A resolved, validated {@link FlowModelConfig}; this is what `model.json` stores. */
export interface ResolvedFlowModelConfig {
  readonly numClasses: number;
  readonly labels: readonly string[];
  readonly imageSize: number;
  readonly imageChannels: number;
  readonly conditioning: MaskPluginConfig & { readonly options: Record<string, unknown> };
  readonly architecture: { readonly type: 'unet' } & ResolvedUNetConfig;
  readonly dataset: string | null;
  readonly normalization: {
    readonly inputRange: readonly [number, number];
    readonly modelRange: readonly [number, number];
  };
  readonly metadata: Readonly<Record<string, unknown>>;
}

/** Defaults of the fields of {@link FlowModelConfig} that have one. */
export const FLOW_MODEL_DEFAULTS = Object.freeze({
  imageSize: 28,
  imageChannels: 1,
  conditioning: Object.freeze({ name: 'rgb-palette' }),
  dataset: null,
  normalization: Object.freeze({
    inputRange: Object.freeze([0, 255] as const),
    modelRange: Object.freeze([-1, 1] as const),
  }),
});

/** Options of {@link FlowModel.save}. */
export interface SaveOptions {
  /** Replace an existing folder at the destination. @defaultValue false */
  overwrite?: boolean;
}

/** A flow model: config + weights on an engine, with generation, classification and saving. */
export interface FlowModel<T = unknown> extends FlowNetwork<T> {
  /** The resolved config (as stored in `model.json`). */
  readonly config: ResolvedFlowModelConfig;
  /** The mask plugin built from `config.conditioning`. */
  readonly maskPlugin: MaskPlugin;
  /** The engine that holds the weights. */
  readonly engineInfo: EngineInfo;
  /** Generates images; see {@link generate}. */
  generate(options: Omit<GenerateOptions<T>, 'model'>): GenerateResult;
  /** Classifies NHWC images in the model range; see {@link classify}. */
  classify(options: Omit<ClassifyOptions<T>, 'model'>): ClassifyResult;
  /** Copies of all weights as plain data, by parameter name (canonical layouts). */
  getWeights(): Record<string, Float32Array>;
  /** Replaces all weights (e.g. with EMA weights from a trainer); shapes are checked. */
  setWeights(weights: Readonly<Record<string, Float32Array>>): void;
  /** Writes `model.json` and the weight shards into `dir`, atomically. */
  save(dir: string, options?: SaveOptions): Promise<void>;
  /** Frees the weights. The model cannot be used afterwards. */
  dispose(): void;
}
