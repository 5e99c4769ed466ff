/**
 * @file The {@link FlowModel} implementation and its factories `createFlowModel` and `loadFlowModel`.
 *
 * @module io/flow-model-impl
 */
import { existsSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { MaskPlugin } from '@medsymmflow/conditioning-masks';
import type { Engine, EngineInfo, ResolvedEngine } from '../engines/engine.js';
import { resolveEngine } from '../engines/registry.js';
import { tfjsSeededUniform } from '../engines/tfjs/seeded-random.js';
import { type ClassifyOptions, type ClassifyResult, classify } from '../flow/classify.js';
import { type GenerateOptions, type GenerateResult, generate } from '../flow/generate.js';
import { createUNet, type UNet } from '../model/unet.js';
import type { Params, TensorOps } from '../ops/ops.js';
import { initParamData, paramsFromData, sizeOf } from '../ops/params.js';
import type { RandomSource } from '../ops/random.js';
import { version } from '../version.js';
import { writeDirAtomic } from './atomic-dir.js';
import { resolveFlowModelConfig } from './config.js';
import {
  FLOW_MODEL_FORMAT,
  FLOW_MODEL_FORMAT_VERSION,
  type FlowModel,
  type FlowModelConfig,
  type ResolvedFlowModelConfig,
  type SaveOptions,
} from './flow-model.js';
import { checkManifest, decodeWeights, encodeWeights } from './weights.js';

/** Name of the model description file inside a model folder. */
export const MODEL_JSON = 'model.json';

/** Where a model's engine comes from: hints for `resolveEngine`, or an already resolved engine. */
export type EngineChoice = string | readonly string[] | ResolvedEngine;

class FlowModelImpl<T> implements FlowModel<T> {
  readonly config: ResolvedFlowModelConfig;
  readonly maskPlugin: MaskPlugin;
  readonly unet: UNet;
  readonly ops: TensorOps<T>;
  readonly engineInfo: EngineInfo;
  readonly imageChannels: number;
  private paramsValue: Params<T> | undefined;

  constructor(
    config: ResolvedFlowModelConfig,
    maskPlugin: MaskPlugin,
    unet: UNet,
    engine: Engine<T>,
    engineInfo: EngineInfo,
    params: Params<T>,
  ) {
    this.config = config;
    this.maskPlugin = maskPlugin;
    this.unet = unet;
    this.ops = engine.ops;
    this.engineInfo = engineInfo;
    this.imageChannels = config.imageChannels;
    this.paramsValue = params;
  }

  get params(): Params<T> {
    if (!this.paramsValue) throw new Error('This FlowModel was disposed; load or create it again.');
    return this.paramsValue;
  }

  generate(options: Omit<GenerateOptions<T>, 'model'>): GenerateResult {
    return generate({ ...options, model: this });
  }

  classify(options: Omit<ClassifyOptions<T>, 'model'>): ClassifyResult {
    return classify({ ...options, model: this });
  }

  getWeights(): Record<string, Float32Array> {
    const out: Record<string, Float32Array> = {};
    for (const spec of this.unet.paramSpecs)
      out[spec.name] = Float32Array.from(this.ops.read(this.params[spec.name]));
    return out;
  }

  setWeights(weights: Readonly<Record<string, Float32Array>>): void {
    for (const spec of this.unet.paramSpecs) {
      const values = weights[spec.name];
      if (!(values instanceof Float32Array) || values.length !== sizeOf(spec.shape)) {
        throw new RangeError(
          `setWeights: "${spec.name}" must be a Float32Array of ${sizeOf(spec.shape)} values (shape [${spec.shape.join(', ')}]); got ${values ? `${values.length} values` : 'nothing'}.`,
        );
      }
    }
    const next = paramsFromData(this.ops, this.unet.paramSpecs, weights);
    this.ops.dispose(this.params);
    this.paramsValue = next;
  }

  async save(dir: string, options: SaveOptions = {}): Promise<void> {
    const { manifest, shards } = encodeWeights(this.unet.paramSpecs, this.getWeights());
    const modelJson = {
      format: FLOW_MODEL_FORMAT,
      formatVersion: FLOW_MODEL_FORMAT_VERSION,
      generatedBy: `@medsymmflow/core-flow ${version}`,
      config: this.config,
      weightsManifest: manifest,
    };
    const files = [
      { name: MODEL_JSON, data: `${JSON.stringify(modelJson, null, 2)}\n` },
      ...manifest[0].paths.map((name, i) => ({ name, data: shards[i] })),
    ];
    await writeFolderAtomically(dir, files, options.overwrite ?? false);
  }

  dispose(): void {
    if (this.paramsValue) this.ops.dispose(this.paramsValue);
    this.paramsValue = undefined;
  }
}

/** Saves `files` into the folder `dir` with {@link writeDirAtomic}; never leaves a half-written folder. */
async function writeFolderAtomically(
  dir: string,
  files: readonly { name: string; data: string | Uint8Array }[],
  overwrite: boolean,
): Promise<void> {
  const target = resolve(dir);
  if (existsSync(target)) {
    if (!overwrite) {
      throw new Error(
        `Cannot save the model: ${target} already exists. Pass { overwrite: true } or choose another folder.`,
      );
    }
    if (!(await stat(target)).isDirectory()) {
      throw new Error(`Cannot save the model: ${target} exists and is not a folder.`);
    }
  }
  try {
    await writeDirAtomic(target, async (temp) => {
      for (const file of files) await writeFile(join(temp, file.name), file.data);
    });
  } catch (error) {
    throw new Error(`Failed to save the model to ${target}: ${(error as Error).message}`, { cause: error });
  }
}

async function engineFrom<T>(choice: EngineChoice | undefined): Promise<ResolvedEngine<T>> {
  if (choice && typeof choice === 'object' && 'engine' in choice) return choice as ResolvedEngine<T>;
  return resolveEngine<T>(choice as string | readonly string[] | undefined);
}

/** Options of {@link createFlowModel}. */
export interface CreateFlowModelOptions {
  /** Engine hints (e.g. `'wasm'`) or a resolved engine. @defaultValue resolveEngine() */
  engine?: EngineChoice;
  /** Source of the initial weights (e.g. `createRandom(seed)`). Takes precedence over `seed`. */
  random?: RandomSource;
  /** Seed for reproducible initial weights via tfjs's seeded generator. @defaultValue 0 */
  seed?: number;
}

/**
 * A new model with freshly initialised weights (guided-diffusion initialisation: uniform fan-in, zero
 * output layers, so its velocity is exactly zero until trained).
 *
 * @example
 * ```ts
 * const model = await createFlowModel({ numClasses: 2, architecture: { baseChannels: 32 } }, { seed: 1 });
 * console.log(model.unet.numParameters); // 1624900
 * ```
 */
export async function createFlowModel<T = unknown>(
  config: FlowModelConfig,
  options: CreateFlowModelOptions = {},
): Promise<FlowModel<T>> {
  const { config: resolved, maskPlugin } = await resolveFlowModelConfig(config);
  const engine = await engineFrom<T>(options.engine);
  const unet = createUNet(modelUNetConfig(resolved));
  const random = options.random ?? tfjsSeededUniform(options.seed ?? 0);
  const params = paramsFromData(engine.engine.ops, unet.paramSpecs, initParamData(unet.paramSpecs, random));
  return new FlowModelImpl(resolved, maskPlugin, unet, engine.engine, engine.info, params);
}

function modelUNetConfig(config: ResolvedFlowModelConfig) {
  const { type: _type, ...unet } = config.architecture;
  return unet;
}

/** Options of {@link loadFlowModel}. */
export interface LoadFlowModelOptions {
  /** Engine hints or a resolved engine. @defaultValue resolveEngine() */
  engine?: EngineChoice;
}

/**
 * Loads a model folder written by {@link FlowModel.save}. Validates the format version, the config (unknown
 * plugin, bad architecture) and every weight's name, shape and dtype against the architecture, and rejects
 * missing shard files and non-finite weights.
 *
 * @example
 * ```ts
 * const model = await loadFlowModel('./models/pneumoniamnist');
 * const { labels, uncertainty } = model.classify({ images });
 * ```
 */
export async function loadFlowModel<T = unknown>(
  dir: string,
  options: LoadFlowModelOptions = {},
): Promise<FlowModel<T>> {
  const folder = resolve(dir);
  const jsonPath = join(folder, MODEL_JSON);
  let text: string;
  try {
    text = await readFile(jsonPath, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new Error(
      code === 'ENOENT'
        ? `No ${MODEL_JSON} in ${folder}. Point loadFlowModel() at a folder written by model.save().`
        : `Cannot read ${jsonPath}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${jsonPath} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  if (json === null || typeof json !== 'object' || json.format !== FLOW_MODEL_FORMAT) {
    throw new Error(`${jsonPath} is not a MedSymmFlow model (expected "format": "${FLOW_MODEL_FORMAT}").`);
  }
  if (json.formatVersion !== FLOW_MODEL_FORMAT_VERSION) {
    throw new Error(
      `${jsonPath} has formatVersion ${JSON.stringify(json.formatVersion)}; this version of @medsymmflow/core-flow ` +
        `reads version ${FLOW_MODEL_FORMAT_VERSION}. Upgrade @medsymmflow/core-flow or re-export the model.`,
    );
  }
  let resolved: Awaited<ReturnType<typeof resolveFlowModelConfig>>;
  try {
    resolved = await resolveFlowModelConfig(json.config as FlowModelConfig);
  } catch (error) {
    const E = error instanceof TypeError ? TypeError : RangeError;
    throw new E(`${jsonPath}: ${(error as Error).message}`, { cause: error });
  }
  const unet = createUNet(modelUNetConfig(resolved.config));
  const manifest = json.weightsManifest;
  let weights: Record<string, Float32Array>;
  try {
    checkManifest(manifest);
    const shards = await Promise.all(
      manifest.map((group) =>
        Promise.all(
          group.paths.map(async (name) => {
            try {
              const buffer = await readFile(join(folder, name));
              return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
            } catch (error) {
              throw new Error(
                `weight file ${name} is missing or unreadable (${(error as { code?: string }).code ?? (error as Error).message})`,
                {
                  cause: error,
                },
              );
            }
          }),
        ),
      ),
    );
    weights = decodeWeights(manifest, shards, unet.paramSpecs);
  } catch (error) {
    throw new Error(`Cannot load the weights of ${folder}: ${(error as Error).message}`, { cause: error });
  }
  const engine = await engineFrom<T>(options.engine);
  const params = paramsFromData(engine.engine.ops, unet.paramSpecs, weights);
  return new FlowModelImpl(resolved.config, resolved.maskPlugin, unet, engine.engine, engine.info, params);
}
