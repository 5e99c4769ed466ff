/**
 * @file The zoo as the page reads it: `<zoo>/manifest.json` (format in zoo/README.md; validated in full by
 * `validateZooManifest` of @medsymmflow/core-flow, which is Node-side) and the models the page can run —
 * entries with `status: "available"` and an `onnx` file, fetched from `<zoo>/<id>/<path>`.
 * @module lib/zoo
 */
import type { ZooEntry, ZooFile, ZooManifest } from '@medsymmflow/core-flow';
import { PlaygroundError } from './errors';

/** A model the page can load. */
export interface PlaygroundModel {
  readonly entry: ZooEntry;
  /** The `onnx` file of the entry. */
  readonly onnx: ZooFile;
  /** Absolute URL of that file. */
  readonly onnxUrl: string;
}

/** The zoo base URL: `?zoo=` (relative to the page) or the default, always ending in `/`. */
export function resolveZooUrl(pageUrl: string, fallback: string): string {
  const page = new URL(pageUrl);
  const raw = page.searchParams.get('zoo')?.trim() || fallback;
  const url = new URL(raw, page);
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url.href;
}

/** URL of a file of model `id`. */
export function zooFileUrl(zooUrl: string, id: string, path: string): string {
  return new URL(`${encodeURIComponent(id)}/${path.split('/').map(encodeURIComponent).join('/')}`, zooUrl)
    .href;
}

/**
 * Checks what the page relies on and lists the runnable models (in manifest order).
 * @throws PlaygroundError when the JSON is not a MedSymmFlow zoo manifest.
 */
export function readManifest(
  json: unknown,
  zooUrl: string,
): { manifest: ZooManifest; models: PlaygroundModel[] } {
  const source = new URL('manifest.json', zooUrl).href;
  const m = json as Partial<ZooManifest> | null;
  if (m === null || typeof m !== 'object' || m.format !== 'medsymmflow-zoo' || !Array.isArray(m.models)) {
    throw new PlaygroundError(`${source} is not a MedSymmFlow zoo manifest (format "medsymmflow-zoo").`, {
      hint: 'Check the zoo URL: it must point at the folder that holds manifest.json.',
    });
  }
  if (m.version !== 1) {
    throw new PlaygroundError(
      `${source} has manifest version ${JSON.stringify(m.version)}; this page reads version 1.`,
      {
        hint: 'Use a playground built from the same MedSymmFlow release as the zoo.',
      },
    );
  }
  const models: PlaygroundModel[] = [];
  for (const entry of m.models as ZooEntry[]) {
    if (entry?.status !== 'available' || !Array.isArray(entry.files)) continue;
    const onnx = entry.files.find((f) => f?.role === 'onnx');
    if (!onnx || typeof onnx.path !== 'string') continue;
    models.push({ entry, onnx, onnxUrl: zooFileUrl(zooUrl, entry.id, onnx.path) });
  }
  return { manifest: m as ZooManifest, models };
}

/** Fetches and reads `<zoo>/manifest.json`, with messages for the usual failures. */
export async function fetchManifest(
  zooUrl: string,
  fetchFn: typeof fetch = fetch,
): Promise<{ manifest: ZooManifest; models: PlaygroundModel[] }> {
  const url = new URL('manifest.json', zooUrl).href;
  let response: Response;
  try {
    response = await fetchFn(url, { cache: 'no-cache' });
  } catch (error) {
    throw new PlaygroundError(`Cannot reach the zoo at ${zooUrl} (${(error as Error).message}).`, {
      hint: 'Check the zoo URL and that the server allows this page to read it (CORS).',
      cause: error,
    });
  }
  if (!response.ok) {
    throw new PlaygroundError(
      `The zoo manifest ${url} could not be loaded: HTTP ${response.status} ${response.statusText}.`,
      {
        hint: 'Check the zoo URL: it must point at the folder that holds manifest.json.',
      },
    );
  }
  let json: unknown;
  try {
    json = await response.json();
  } catch (error) {
    throw new PlaygroundError(`The zoo manifest ${url} is not valid JSON.`, { cause: error });
  }
  return readManifest(json, zooUrl);
}
