/**
 * @file Weights in the tfjs format: a weights manifest plus float32 binary shards, engine-neutral.
 *
 * @module io/weights
 */
import type { ParamSpec } from '../ops/ops.js';
import { sizeOf } from '../ops/params.js';

/** One weight in a manifest group (tfjs `WeightsManifestEntry`, float32 only). */
export interface WeightsManifestEntry {
  name: string;
  shape: number[];
  dtype: 'float32';
}

/** A manifest group: shard files and the weights stored in them, in order (tfjs `WeightsManifestGroupConfig`). */
export interface WeightsManifestGroup {
  paths: string[];
  weights: WeightsManifestEntry[];
}

/** Shard size tf.io uses: 4 MiB. */
export const SHARD_BYTES = 4 * 1024 * 1024;

/** The manifest and shard contents of `data` (in spec order), split like `tf.io` does. */
export function encodeWeights(
  specs: readonly ParamSpec[],
  data: Readonly<Record<string, Float32Array>>,
  shardBytes = SHARD_BYTES,
): { manifest: WeightsManifestGroup[]; shards: Uint8Array[] } {
  let total = 0;
  for (const spec of specs) total += sizeOf(spec.shape) * 4;
  const buffer = new Uint8Array(total);
  const view = new DataView(buffer.buffer);
  const weights: WeightsManifestEntry[] = [];
  let offset = 0;
  for (const spec of specs) {
    const values = data[spec.name];
    if (!values || values.length !== sizeOf(spec.shape)) {
      throw new RangeError(`Weight "${spec.name}" is missing or has the wrong size.`);
    }
    for (let i = 0; i < values.length; i++, offset += 4) view.setFloat32(offset, values[i], true);
    weights.push({ name: spec.name, shape: [...spec.shape], dtype: 'float32' });
  }
  const count = Math.max(1, Math.ceil(total / shardBytes));
  const shards: Uint8Array[] = [];
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    shards.push(buffer.subarray(i * shardBytes, Math.min(total, (i + 1) * shardBytes)));
    paths.push(`group1-shard${i + 1}of${count}.bin`);
  }
  return { manifest: [{ paths, weights }], shards };
}

/** Checks a parsed manifest's structure; throws with the offending part. */
export function checkManifest(manifest: unknown): asserts manifest is WeightsManifestGroup[] {
  if (!Array.isArray(manifest)) {
    throw new TypeError(
      `'weightsManifest' must be an array of { paths, weights } groups; got ${JSON.stringify(manifest)?.slice(0, 80)}.`,
    );
  }
  manifest.forEach((group, g) => {
    if (
      !group ||
      !Array.isArray(group.paths) ||
      !Array.isArray(group.weights) ||
      !group.paths.every((p: unknown) => typeof p === 'string')
    ) {
      throw new TypeError(`'weightsManifest[${g}]' must be { paths: string[], weights: [...] }.`);
    }
    for (const p of group.paths as string[]) {
      if (p.includes('/') || p.includes('\\') || p === '..' || p === '.') {
        throw new RangeError(
          `'weightsManifest[${g}]' names shard ${JSON.stringify(p)}; shards must be plain file names in the model folder.`,
        );
      }
    }
    for (const w of group.weights) {
      if (!w || typeof w.name !== 'string' || !Array.isArray(w.shape)) {
        throw new TypeError(`'weightsManifest[${g}]' has a malformed weight entry ${JSON.stringify(w)}.`);
      }
    }
  });
}

/**
 * Decodes the weights of a manifest from its shard contents and validates them against `specs`: every
 * spec present with the same shape, dtype float32, no unknown weights, byte lengths consistent, values finite.
 */
export function decodeWeights(
  manifest: WeightsManifestGroup[],
  shardsByGroup: Uint8Array[][],
  specs: readonly ParamSpec[],
): Record<string, Float32Array> {
  const expected = new Map(specs.map((s) => [s.name, s]));
  const out: Record<string, Float32Array> = {};
  const problems: string[] = [];
  manifest.forEach((group, g) => {
    const shards = shardsByGroup[g];
    const total = shards.reduce((s, b) => s + b.byteLength, 0);
    const joined = new Uint8Array(total);
    let pos = 0;
    for (const shard of shards) {
      joined.set(shard, pos);
      pos += shard.byteLength;
    }
    const view = new DataView(joined.buffer);
    let offset = 0;
    for (const entry of group.weights) {
      const spec = expected.get(entry.name);
      const size = entry.shape.reduce((a: number, b: number) => a * b, 1);
      if (entry.dtype !== 'float32') {
        problems.push(
          `weight "${entry.name}" has dtype ${JSON.stringify(entry.dtype)}; only float32 is supported`,
        );
      }
      if (!spec) {
        problems.push(`unexpected weight "${entry.name}" (not part of this architecture)`);
      } else if (
        entry.shape.length !== spec.shape.length ||
        entry.shape.some((d: number, i: number) => d !== spec.shape[i])
      ) {
        problems.push(
          `weight "${entry.name}" has shape [${entry.shape.join(', ')}]; the architecture needs [${spec.shape.join(', ')}]`,
        );
      }
      if (offset + size * 4 > total) {
        throw new RangeError(
          `Weight shards of group ${g + 1} hold ${total} bytes, but the manifest needs at least ${offset + size * 4} ` +
            `(at weight "${entry.name}"). The weight files are truncated or do not belong to this model.json.`,
        );
      }
      if (spec && !out[entry.name]) {
        const values = new Float32Array(size);
        for (let i = 0; i < size; i++) values[i] = view.getFloat32(offset + 4 * i, true);
        const bad = values.findIndex((v) => !Number.isFinite(v));
        if (bad >= 0) problems.push(`weight "${entry.name}" contains ${values[bad]} at index ${bad}`);
        out[entry.name] = values;
      } else if (spec) {
        problems.push(`weight "${entry.name}" appears twice in the manifest`);
      }
      offset += size * 4;
    }
    if (offset !== total) {
      problems.push(
        `weight shards of group ${g + 1} hold ${total} bytes but the manifest describes ${offset}`,
      );
    }
  });
  const missing = specs.filter((s) => !out[s.name]).map((s) => s.name);
  if (missing.length > 0) {
    problems.push(
      `missing weight${missing.length > 1 ? 's' : ''} ${missing
        .slice(0, 5)
        .map((n) => `"${n}"`)
        .join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}`,
    );
  }
  if (problems.length > 0) {
    throw new RangeError(
      `Invalid weights: ${problems.slice(0, 8).join('; ')}${problems.length > 8 ? '; …' : ''}.`,
    );
  }
  return out;
}
