/**
 * @file The only module that touches `onnxruntime-node`.
 *
 * The flow solvers of `@medsymmflow/core-flow` call the velocity field synchronously, so the runtime
 * drives ONNX Runtime through the synchronous session object of onnxruntime-node's native binding (the
 * object its public `InferenceSession` wraps and defers with `setImmediate`). That binding is not a
 * public API, so this module pins its expectations: it checks the shape of the binding when it loads and
 * fails with the fix (install the supported onnxruntime-node version) when they do not hold.
 *
 * CUDA: onnxruntime-node's Linux x64 build can use the CUDA execution provider, whose libraries are not in
 * the npm tarball; its install script downloads them only when asked
 * (`npm i onnxruntime-node --onnxruntime-node-install=cuda12`, or `ONNXRUNTIME_NODE_INSTALL=cuda12`).
 * {@link ortExecutionProviderStatus} reports whether they are present next to the binding.
 *
 * @module runtime/ort-binding
 * @internal
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** A tensor of onnxruntime-common (only the members used here). */
export interface OrtTensorLike {
  readonly type: string;
  readonly data: ArrayLike<number> & { readonly buffer?: ArrayBufferLike };
  readonly dims: readonly number[];
}

interface NativeValueMetadata {
  readonly name: string;
  readonly isTensor: boolean;
  readonly symbolicDimensions: readonly string[];
  readonly shape: readonly number[];
  readonly type: number;
}

/** The synchronous native session of onnxruntime-node. */
export interface NativeSession {
  loadModel(buffer: ArrayBufferLike, byteOffset: number, byteLength: number, options: object): void;
  loadModel(path: string, options: object): void;
  readonly inputMetadata: readonly NativeValueMetadata[];
  readonly outputMetadata: readonly NativeValueMetadata[];
  run(
    feeds: Record<string, OrtTensorLike>,
    fetches: Record<string, null>,
    options: object,
  ): Record<string, OrtTensorLike>;
  dispose(): void;
}

/** What {@link loadOrt} returns. */
export interface OrtModule {
  /** onnxruntime-node version. */
  readonly version: string;
  /** Creates an empty native session (call `loadModel`). */
  createNativeSession(): NativeSession;
  /** `new Tensor('float32', data, dims)` of onnxruntime-common. */
  float32Tensor(data: Float32Array, dims: readonly number[]): OrtTensorLike;
  /** Execution providers compiled into the binary and whether their libraries are present. */
  readonly providers: readonly OrtProviderStatus[];
}

/** One execution provider of the installed onnxruntime-node. */
export interface OrtProviderStatus {
  /** Provider name as onnxruntime spells it (`cpu`, `cuda`, `webgpu`, `tensorrt`, …). */
  readonly name: string;
  /** Whether the provider can be used: bundled in the package, or its libraries were installed. */
  readonly available: boolean;
}

/** The onnxruntime-node version this package is built and tested against. */
export const SUPPORTED_ORT_VERSION = '1.30.0';

const INSTALL_FIX = `Install it with \`npm i onnxruntime-node@${SUPPORTED_ORT_VERSION}\`.`;

let cached: Promise<OrtModule> | undefined;

function providerLibrary(name: string): string | undefined {
  const ext = process.platform === 'win32' ? '.dll' : process.platform === 'darwin' ? '.dylib' : '.so';
  const prefix = process.platform === 'win32' ? '' : 'lib';
  if (name === 'cuda') return `${prefix}onnxruntime_providers_cuda${ext}`;
  if (name === 'tensorrt') return `${prefix}onnxruntime_providers_tensorrt${ext}`;
  return undefined;
}

async function load(): Promise<OrtModule> {
  const require = createRequire(import.meta.url);
  let ort: {
    Tensor: new (type: string, data: Float32Array, dims: readonly number[]) => OrtTensorLike;
    env: { versions: Record<string, string> };
  };
  let bindingModule: {
    binding: {
      InferenceSession: new () => NativeSession;
      listSupportedBackends(): { name: string; bundled: boolean }[];
    };
    initOrt(): void;
  };
  let bindingFile: string;
  try {
    ort = require('onnxruntime-node');
    bindingModule = require('onnxruntime-node/dist/binding.js');
    bindingFile = require.resolve('onnxruntime-node/dist/binding.js');
  } catch (error) {
    const missing = (error as { code?: string }).code === 'MODULE_NOT_FOUND';
    throw new Error(
      missing
        ? `onnxruntime-node is not installed. ${INSTALL_FIX}`
        : `onnxruntime-node failed to load: ${(error as Error).message}. ${INSTALL_FIX}`,
      { cause: error },
    );
  }
  const version = ort.env?.versions?.node ?? 'unknown';
  const { binding, initOrt } = bindingModule;
  if (
    typeof initOrt !== 'function' ||
    typeof binding?.InferenceSession !== 'function' ||
    typeof ort.Tensor !== 'function'
  ) {
    throw new Error(
      `onnxruntime-node ${version} does not expose the synchronous session this runtime needs ` +
        `(supported: ${SUPPORTED_ORT_VERSION}). ${INSTALL_FIX}`,
    );
  }
  initOrt();
  const packageRoot = dirname(dirname(bindingFile));
  const binaryDir = join(packageRoot, 'bin', 'napi-v6', process.platform, process.arch);
  const providers = binding.listSupportedBackends().map(({ name, bundled }) => {
    const library = providerLibrary(name);
    return { name, available: bundled || (library !== undefined && existsSync(join(binaryDir, library))) };
  });
  const Tensor = ort.Tensor;
  return Object.freeze({
    version,
    providers: Object.freeze(providers),
    createNativeSession: () => new binding.InferenceSession(),
    float32Tensor: (data: Float32Array, dims: readonly number[]) => new Tensor('float32', data, [...dims]),
  });
}

/** Loads onnxruntime-node once (lazily: importing this package does not load the native library). */
export function loadOrt(): Promise<OrtModule> {
  cached ??= load().catch((error) => {
    cached = undefined;
    throw error;
  });
  return cached;
}
