/**
 * @file The exported graph's tensor layout at its boundary: core-flow's states are NCHW, an export may take and
 * return NHWC (`layout` in the model metadata). Shared by the onnxruntime-node and onnxruntime-web runtimes.
 * @module runtime/graph-layout
 */
import { nchwToNhwc, nhwcToNchw } from '../internal/float-kernels.js';
import type { OnnxModelMetadata } from '../onnx/onnx-metadata.js';

/** Data and dims of the graph input `x` for an NCHW state `[n, c, h, w]`. */
export function toGraphLayout(
  metadata: Pick<OnnxModelMetadata, 'layout'>,
  data: Float32Array,
  [n, c, h, w]: readonly number[],
): { data: Float32Array; dims: number[] } {
  return metadata.layout === 'NHWC'
    ? { data: nchwToNhwc(data, n, c, h, w), dims: [n, h, w, c] }
    : { data, dims: [n, c, h, w] };
}

/** A graph output (velocities in the graph's layout) back to NCHW `[n, c, h, w]`. */
export function fromGraphLayout(
  metadata: Pick<OnnxModelMetadata, 'layout'>,
  data: Float32Array,
  [n, c, h, w]: readonly number[],
): Float32Array {
  return metadata.layout === 'NHWC' ? nhwcToNchw(data, n, h, w, c) : data;
}
