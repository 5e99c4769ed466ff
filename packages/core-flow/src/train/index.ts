/**
 * @file Public surface of the trainer (re-exports only).
 * @module train
 */

export type { AdamW, AdamWConfig, AdamWState, ResolvedAdamWConfig } from './adamw.js';
export { ADAMW_DEFAULTS, createAdamW, resolveAdamWConfig } from './adamw.js';
export type {
  ResolvedTrainConfig,
  TrainAugmentConfig,
  TrainConfig,
  TrainInit,
  TrainProgressEvent,
  TrainSampling,
  TrainValidationMetric,
} from './config.js';
export { resolveTrainConfig, TRAIN_DEFAULTS, TRAIN_SAMPLINGS, TRAIN_VALIDATION_METRICS } from './config.js';
export { emaDecayAt, updateEma } from './ema.js';
export type {
  GradientEngine,
  GradientSetup,
  ShardGradientComputer,
  ShardInput,
  ShardSums,
} from './gradients.js';
export { shardRanges } from './gradients.js';
export type { OneCycleConfig } from './lr-schedule.js';
export { ONE_CYCLE_DEFAULTS, oneCycleLr } from './lr-schedule.js';
// Worker-thread plumbing shared with the ONNX Runtime gradient pool of @medsymmflow/exporters.
export type { RequestWorkerOptions, WithoutId } from './request-worker.js';
export { findWorkerScript, RequestWorker } from './request-worker.js';
export type { TrainResult } from './trainer.js';
export { TRAIN_OUTPUT_DIRS, train } from './trainer.js';
export type { ValidationRecord } from './trainer-state.js';
export { TRAINER_STATE_BIN, TRAINER_STATE_JSON } from './trainer-state.js';
export type { MedmnistSplitLike, TrainingArrays, TrainingBatch, TrainingData } from './training-data.js';
export {
  subsetTrainingData,
  trainingDataFromArrays,
  trainingDataFromMedmnist,
  trainingSourceImageSize,
} from './training-data.js';
