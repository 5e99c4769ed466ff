/**
 * @packageDocumentation
 * `@medsymmflow/core-flow/flow`: the browser-safe part of core-flow — ODE solvers, generation and
 * classification (synchronous and async), the network contracts and the randomness adapters. Its import graph
 * has no tfjs and no `node:` modules, so bundlers can ship it to browsers and workers; pair it with
 * onnxruntime-web through `@medsymmflow/exporters/web`.
 *
 * @example
 * ```ts
 * import { classifyAsync } from '@medsymmflow/core-flow/flow';
 * const { labels, uncertainty } = await classifyAsync({ model: network, images, random: createRandom(0) });
 * ```
 */
// biome-ignore-all assist/source/organizeImports: exports are grouped by topic, not alphabetically.

// Solvers
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
} from './solvers.js';
export { integrate, integrateAsync, resolveSolverConfig, SOLVER_DEFAULTS, SOLVERS } from './solvers.js';

// Networks
export type { AsyncFlowNetwork, FlowNetwork, FlowProgressEvent } from './network.js';
export { asyncVelocityField, isAsyncFlowNetwork, networkVelocityField } from './network.js';

// Generation and classification
export type { GenerateAsyncOptions, GenerateOptions, GenerateResult } from './generate.js';
export { generate, generateAsync } from './generate.js';
export type { ClassifyAsyncOptions, ClassifyOptions, ClassifyResult } from './classify.js';
export { classify, classifyAsync } from './classify.js';

// Randomness adapters and the op interface the solvers use
export type { RandomSource } from '../ops/random.js';
export { drawSeed, normalArray, normalSampler, uniformSampler } from '../ops/random.js';
export type { SpatialLayout, SpatialShape, TensorContainer, TensorOps } from '../ops/ops.js';
