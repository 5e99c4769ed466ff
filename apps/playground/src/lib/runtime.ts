/**
 * @file onnxruntime-web for the page: wasm files served by the site itself (`ort/`, copied there by the
 * build; no CDN), one thread unless the page is cross-origin isolated, WebGPU when the browser has an
 * adapter; and loading a zoo model (download with progress, size and SHA-256 check, session creation).
 * @module lib/runtime
 */
import { loadOrtWebModel, type OrtWebFlowModel, type OrtWebModule } from '@medsymmflow/exporters/web';
import * as ort from 'onnxruntime-web';
import { PlaygroundError } from './errors';
import type { PlaygroundModel } from './zoo';

/** Execution backends the page offers. */
export type Backend = 'wasm' | 'webgpu';

let configured = false;

/** Points onnxruntime-web at the site's own wasm files (relative to the page) and sets the thread count. */
export function configureOrt(pageUrl: string = document.baseURI): void {
  if (configured) return;
  configured = true;
  ort.env.wasm.wasmPaths = new URL('ort/', pageUrl).href;
  ort.env.wasm.numThreads = globalThis.crossOriginIsolated
    ? Math.min(4, navigator.hardwareConcurrency || 1)
    : 1;
  ort.env.logLevel = 'error';
}

/** Whether the browser can run WebGPU (it has `navigator.gpu` and returns an adapter). */
export async function webgpuAvailable(): Promise<boolean> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) return false;
  try {
    return (await gpu.requestAdapter()) !== null;
  } catch {
    return false;
  }
}

/** Progress of a model download. */
export interface DownloadProgress {
  readonly received: number;
  readonly total: number | null;
}

/** Downloads a file with progress; refuses HTTP errors and sizes other than `expectedBytes`. */
export async function download(
  url: string,
  what: string,
  expectedBytes: number | null,
  onProgress?: (progress: DownloadProgress) => void,
): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new PlaygroundError(`Cannot download ${what} from ${url} (${(error as Error).message}).`, {
      hint: 'Check the zoo URL and your connection; the server must allow this page to read it (CORS).',
      cause: error,
    });
  }
  if (!response.ok) {
    throw new PlaygroundError(
      `Cannot download ${what}: HTTP ${response.status} ${response.statusText} for ${url}.`,
      {
        hint: 'The zoo lists this file but the server does not have it. Pick another model or check the zoo URL.',
      },
    );
  }
  const header = Number(response.headers.get('content-length'));
  const total = expectedBytes ?? (Number.isFinite(header) && header > 0 ? header : null);
  const chunks: Uint8Array[] = [];
  let received = 0;
  const reader = response.body?.getReader();
  if (!reader) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    onProgress?.({ received: bytes.length, total });
    chunks.push(bytes);
    received = bytes.length;
  } else {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      received += value.length;
      if (expectedBytes !== null && received > expectedBytes) {
        await reader.cancel();
        break;
      }
      onProgress?.({ received, total });
    }
  }
  if (expectedBytes !== null && received !== expectedBytes) {
    throw new PlaygroundError(
      `${what} is ${received} bytes${received > expectedBytes ? ' or more' : ''}, but the zoo manifest lists ${expectedBytes}.`,
      { hint: 'The file on the server does not match the manifest; the zoo needs to be republished.' },
    );
  }
  const bytes = new Uint8Array(received);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk.subarray(0, received - offset), offset);
    offset += chunk.length;
  }
  return bytes;
}

/** Lower-case hex SHA-256, or `null` where Web Crypto is unavailable (pages served over plain http). */
export async function sha256Hex(bytes: Uint8Array): Promise<string | null> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) return null;
  const digest = new Uint8Array(await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Downloads, verifies and opens a zoo model on onnxruntime-web. */
export async function loadZooModel(
  model: PlaygroundModel,
  backend: Backend,
  onProgress?: (progress: DownloadProgress) => void,
): Promise<OrtWebFlowModel> {
  configureOrt();
  const { entry, onnx } = model;
  const what = `the ONNX file of ${entry.id}`;
  const bytes = await download(
    model.onnxUrl,
    what,
    typeof onnx.bytes === 'number' ? onnx.bytes : null,
    onProgress,
  );
  const hash = await sha256Hex(bytes);
  if (hash !== null && typeof onnx.sha256 === 'string' && hash !== onnx.sha256.toLowerCase()) {
    throw new PlaygroundError(
      `${what} does not match its SHA-256 in the zoo manifest (got ${hash.slice(0, 12)}…).`,
      {
        hint: 'The file was changed or damaged on the server; the zoo needs to be republished.',
      },
    );
  }
  try {
    return await loadOrtWebModel(bytes, {
      ort: ort as unknown as OrtWebModule,
      sessionOptions: { executionProviders: backend === 'webgpu' ? ['webgpu', 'wasm'] : ['wasm'] },
      name: `${entry.id}/${onnx.path}`,
    });
  } catch (error) {
    throw new PlaygroundError(`Model ${entry.id} failed to load: ${(error as Error).message}`, {
      hint: 'Pick another model; the page keeps working with the models that load.',
      cause: error,
    });
  }
}
