/**
 * @file Writing a folder (or a file) atomically: fill a temporary sibling, then rename it into place. The one
 * implementation used by saved models (`FlowModel.save`), the trainer's checkpoints and best/final models, and
 * the exporters' output folders.
 *
 * A reader never sees a half-written folder: either the previous version or the new one. A failing `fill`
 * leaves nothing behind and never touches an existing folder. If the swap itself fails, the previous version
 * is put back; if the process dies between the two renames of the swap, the previous version survives as
 * `.<name>.old` and {@link resolveAtomicDir} falls back to it.
 *
 * @module io/atomic-dir
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

/** Where {@link writeDirAtomic} keeps the previous version of `target` during the swap. */
function oldPathOf(target: string): string {
  return join(dirname(target), `.${basename(target)}.old`);
}

/**
 * Writes the folder `target` by calling `fill(tempDir)` on a fresh temporary sibling folder and renaming it
 * into place, replacing an existing `target` (callers that must not replace one check first).
 *
 * @param target - Folder to write; its parent folders are created.
 * @param fill - Writes the folder's content into `tempDir`; when it throws, the temporary folder is removed
 *   and the error is rethrown.
 * @returns The absolute path of `target`.
 *
 * @example
 * ```ts
 * import { writeFile } from 'node:fs/promises';
 * import { join } from 'node:path';
 * import { writeDirAtomic } from '@medsymmflow/core-flow';
 *
 * await writeDirAtomic('out/report', async (dir) => {
 *   await writeFile(join(dir, 'a.json'), '{}');
 *   await writeFile(join(dir, 'b.json'), '{}');
 * });
 * ```
 */
export async function writeDirAtomic(
  target: string,
  fill: (tempDir: string) => Promise<void>,
): Promise<string> {
  const absolute = resolve(target);
  const parent = dirname(absolute);
  await mkdir(parent, { recursive: true });
  const temp = await mkdtemp(join(parent, `.${basename(absolute)}.tmp-`));
  try {
    await fill(temp);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
  const old = oldPathOf(absolute);
  await rm(old, { recursive: true, force: true });
  const present = existsSync(absolute);
  try {
    if (present) await rename(absolute, old);
    await rename(temp, absolute);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    if (present && !existsSync(absolute) && existsSync(old)) await rename(old, absolute);
    throw error;
  }
  await rm(old, { recursive: true, force: true });
  return absolute;
}

/**
 * The folder to read for `target`: `target` itself, or the previous version left as `.<name>.old` by a
 * process killed between the two renames of {@link writeDirAtomic}; `undefined` when neither exists.
 *
 * @example
 * ```ts
 * const dir = resolveAtomicDir('runs/pneumonia/checkpoint'); // undefined when there is no checkpoint
 * ```
 */
export function resolveAtomicDir(target: string): string | undefined {
  if (existsSync(target)) return target;
  const old = oldPathOf(target);
  return existsSync(old) ? old : undefined;
}

/** One file written atomically: the datasets package owns the implementation; re-exported here for savers. */
export { writeFileAtomic } from '@medsymmflow/datasets-medmnist';
