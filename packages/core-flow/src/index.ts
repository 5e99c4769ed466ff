/**
 * @packageDocumentation
 * `@medsymmflow/core-flow`: symmetrical flow matching for medical images — the op interface, the UNet
 * velocity network, engines (tfjs backends), ODE solvers, generation/classification and saved models.
 */
// biome-ignore-all assist/source/organizeImports: exports are grouped by topic, not alphabetically.

// Version and settings
export { version } from './version.js';
export type { BackendFlags, Env, LogLevelName, LogSink, WasmFlags } from './env.js';
export { env, LogLevel, logger } from './env.js';

// Saved models
export type {
  ArchitectureConfig,
  FlowModel,
  FlowModelConfig,
  NormalizationConfig,
  ResolvedFlowModelConfig,
  SaveOptions,
} from './io/flow-model.js';
export { FLOW_MODEL_DEFAULTS, FLOW_MODEL_FORMAT, FLOW_MODEL_FORMAT_VERSION } from './io/flow-model.js';
export type { CreateFlowModelOptions, EngineChoice, LoadFlowModelOptions } from './io/flow-model-impl.js';
export { createFlowModel, loadFlowModel, MODEL_JSON } from './io/flow-model-impl.js';
export { resolveFlowModelConfig } from './io/config.js';
export type { WeightsManifestEntry, WeightsManifestGroup } from './io/weights.js';
export { decodeWeights, encodeWeights, SHARD_BYTES } from './io/weights.js';
export { resolveAtomicDir, writeDirAtomic, writeFileAtomic } from './io/atomic-dir.js';

// Flow: symmetrical flow matching, solvers, generation and classification
export type {
  ResolvedSfmLossConfig,
  SfmBatch,
  SfmLossConfig,
  SfmLossResult,
  SfmNoise,
  SfmNoiseData,
} from './flow/sfm.js';
export {
  resolveSfmLossConfig,
  SFM_LOSS_DEFAULTS,
  sampleSfmNoise,
  sfmInterpolants,
  sfmLoss,
  sfmNoiseTensors,
  sfmTargets,
} from './flow/sfm.js';
export type {
  AsyncVelocityField,
  FieldProgram,
  FieldRequest,
  IntegrateConfig,
  IntegrateResult,
  IntegrateStepEvent,
  ResolvedSolverConfig,
  SolverConfig,
  SolverName,
  VelocityField,
} from './flow/solvers.js';
export { integrate, integrateAsync, resolveSolverConfig, SOLVER_DEFAULTS, SOLVERS } from './flow/solvers.js';
export type { AsyncFlowNetwork, FlowNetwork, FlowProgressEvent } from './flow/network.js';
export { asyncVelocityField, isAsyncFlowNetwork, networkVelocityField } from './flow/network.js';
export type { GenerateAsyncOptions, GenerateOptions, GenerateResult } from './flow/generate.js';
export { generate, generateAsync } from './flow/generate.js';
export type { ClassifyAsyncOptions, ClassifyOptions, ClassifyResult } from './flow/classify.js';
export { classify, classifyAsync } from './flow/classify.js';

// Model
export type { ResolvedUNetConfig, UNet, UNetConfig, UNetForwardOptions } from './model/unet.js';
export {
  createUNet,
  groupsFor,
  resolveUNetConfig,
  timestepEmbedding,
  UNET_DEFAULTS,
  unetParameterCount,
} from './model/unet.js';

// Op interface
export type {
  Conv2dOptions,
  DropoutOptions,
  MatmulOptions,
  ParamInit,
  ParamSpec,
  Params,
  SpatialLayout,
  SpatialShape,
  TensorContainer,
  TensorOps,
} from './ops/ops.js';
export { countParameters, initParamData, initParams, paramsFromData, sizeOf } from './ops/params.js';
export type { RandomSource } from './ops/random.js';
export { drawSeed, normalArray, normalSampler, uniformSampler } from './ops/random.js';

// Engines
export type { Engine, EngineInfo, ResolvedEngine, SkippedEngine, ValueAndGrads } from './engines/engine.js';
export { listEngines, registerEngine, resolveEngine } from './engines/registry.js';
export type { TfjsBackendName, TfjsBackendPlugin } from './engines/tfjs/backends.js';
export { defineTfjsBackend, TFJS_BACKENDS } from './engines/tfjs/backends.js';
export type { TfjsEngine } from './engines/tfjs/tfjs-engine.js';
export { createTfjsEngine } from './engines/tfjs/tfjs-engine.js';
export type { ConvGradientMode, TfjsOps, TfjsOpsOptions } from './engines/tfjs/tfjs-ops.js';
export { createTfjsOps } from './engines/tfjs/tfjs-ops.js';

// Training (owned by src/train; add `export * from './train/…'` lines here)
export * from './train/index.js';
export * from './hub/index.js';
