/**
 * @file Shared writer of the benchmark result files in <repo>/bench/results/: several benches write parts
 * of the same file (packages/core-flow/bench/training.mjs the per-backend `results`, packages/exporters/
 * bench/training.mjs the `training` comparison), so each merges its top-level keys into what is there.
 * @module bench/results-file
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** <repo>/bench/results. */
export const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'results');

/**
 * Merges `patch`'s top-level keys into the JSON object in `bench/results/<fileName>` (a missing, invalid or
 * non-object file counts as `{}`) and writes it atomically (temp file in the same folder, then rename).
 * Returns the path written.
 *
 * @example
 * ```js
 * await updateResults('training.json', { training: { ort_img_s: 68 } }); // other keys are kept
 * ```
 */
export async function updateResults(fileName, patch) {
  const path = resolve(RESULTS_DIR, fileName);
  let existing = {};
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8'));
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) existing = parsed;
  } catch {
    existing = {};
  }
  await mkdir(dirname(path), { recursive: true });
  const temp = join(dirname(path), `.${fileName}.tmp-${process.pid}`);
  try {
    await writeFile(temp, `${JSON.stringify({ ...existing, ...patch }, null, 2)}\n`);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  return path;
}
