/**
 * @packageDocumentation
 * `@medsymmflow/exporters`: export MedSymmFlow models to ONNX (traced from the same op-interface model
 * code as the tfjs engine) and to core-flow's tfjs saved-model format, run exported models on
 * onnxruntime-node with core-flow's classifier and generator, and write model cards. This file only
 * re-exports, by topic (in module order).
 */

// Exporter plugins and exportModel()
export {
  BUILTIN_EXPORTERS,
  type BuiltinExportFormat,
  defineExporter,
  type ExportedFile,
  type Exporter,
  type ExportModelConfig,
  type ExportResult,
  exportModel,
  listExporters,
  registerExporter,
  resolveExporter,
  unregisterExporter,
} from './exporter.js';
// Model cards
export {
  computeModelCardMetrics,
  MODEL_CARD_DEFAULTS,
  type ModelCardEvaluation,
  type ModelCardInput,
  type ModelCardMetrics,
  type RenderedModelCard,
  renderModelCard,
  type WriteModelCardConfig,
  type WrittenModelCard,
  writeModelCard,
} from './model-card/model-card.js';
// What exporters read from a model
export { checkParamData, type ExportableModel, modelConfig, modelParamData } from './model-data.js';
// ONNX: graph builder types, the `onnx` exporter, metadata, tracer, reading files back, UNet export
export type { OnnxDim, OnnxModelMeta } from './onnx/graph-builder.js';
export {
  ONNX_EXPORT_FILES,
  type OnnxExportOptions,
  onnxExporter,
  verifyOnnxModel,
} from './onnx/onnx-exporter.js';
export {
  ONNX_METADATA_FORMAT,
  ONNX_METADATA_KEY,
  type OnnxModelMetadata,
  parseOnnxMetadata,
} from './onnx/onnx-metadata.js';
export {
  type GroupNormMode,
  ONNX_TRACER_DEFAULTS,
  OnnxTracer,
  type OnnxTracerConfig,
  type ResolvedOnnxTracerConfig,
  resolveOnnxTracerConfig,
  SUPPORTED_OPSETS,
  type TracedDim,
  type TracedTensor,
} from './onnx/onnx-tracer.js';
export {
  type OnnxInitializerSummary,
  type OnnxModelSummary,
  type OnnxNodeSummary,
  type OnnxValueSummary,
  readOnnxModel,
} from './onnx/read-onnx.js';
export {
  ONNX_IO_NAMES,
  type OnnxIoLayout,
  type UNetToOnnxConfig,
  type UNetToOnnxResult,
  unetToOnnx,
} from './onnx/unet-to-onnx.js';
// ONNX Runtime inference
export type { ArrayTensor } from './runtime/array-ops.js';
export { type OrtProviderStatus, SUPPORTED_ORT_VERSION } from './runtime/ort-binding.js';
export {
  type LoadOrtModelConfig,
  loadOrtModel,
  type OrtClassifyOptions,
  type OrtFlowModel,
  type OrtGenerateOptions,
} from './runtime/ort-model.js';
export {
  createOrtSession,
  type ExecutionProviderName,
  type Float32TensorData,
  type GraphOptimizationLevel,
  ORT_SESSION_DEFAULTS,
  type OrtSession,
  type OrtSessionConfig,
  type OrtValueInfo,
  ortExecutionProviderStatus,
  type ResolvedOrtSessionConfig,
  resolveOrtSessionConfig,
} from './runtime/ort-session.js';
// tfjs format (core-flow's saved model, read back with loadFlowModel)
export { type TfjsExportOptions, tfjsExporter } from './tfjs/tfjs-exporter.js';
export type { ConvWeightGradMode } from './training/grad-rules.js';
export {
  createOrtGradientComputer,
  createOrtGradientEngine,
  ORT_TRAINING_DEFAULTS,
  type OrtGradientComputer,
  type OrtGradientSetup,
  type OrtShardInput,
  type OrtShardSums,
  type OrtTrainingConfig,
  type ResolvedOrtTrainingConfig,
  resolveOrtTrainingConfig,
} from './training/ort-gradients.js';
// Training: autodiff of traced graphs and the ONNX Runtime gradient engine
export {
  buildSfmTrainingGraph,
  SFM_TRAINING_IO,
  type SfmTrainingGraph,
  type SfmTrainingGraphConfig,
} from './training/sfm-training-graph.js';
// Version
export { version } from './version.js';
