/**
 * @packageDocumentation
 * `@medsymmflow/exporters/web`: run exported MedSymmFlow ONNX models in browsers with onnxruntime-web
 * (or any ONNX Runtime JS build with async sessions), with core-flow's async classifier and generator.
 * Browser-safe: no onnxruntime-node, no tfjs, no Node built-ins. This file only re-exports.
 */

// Reading exported files
export {
  ONNX_METADATA_FORMAT,
  ONNX_METADATA_KEY,
  type OnnxModelMetadata,
  parseOnnxMetadata,
} from '../onnx/onnx-metadata.js';
export { type OnnxModelSummary, readOnnxModel } from '../onnx/read-onnx.js';
// The array tensors of the solver arithmetic
export type { ArrayTensor } from '../runtime/array-ops.js';
// Models on asynchronous ONNX Runtime sessions
export {
  type LoadOrtWebModelConfig,
  loadOrtWebModel,
  type OrtWebClassifyOptions,
  type OrtWebFlowModel,
  type OrtWebGenerateOptions,
  type OrtWebModule,
  type OrtWebSession,
  type OrtWebTensor,
} from './ort-web-model.js';
