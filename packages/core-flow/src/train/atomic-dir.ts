/**
 * @file Replace a directory atomically: fill a temporary sibling, then rename it into place.
 *
 * A reader never sees a half-written directory: either the previous version or the new one. If the
 * process dies between the two renames, the previous version survives as `.<name>.old` and
 * {@link resolveAtomicDir} falls back to it.
 *
 * @module train/atomic-dir
 * @internal
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Writes `target` by calling `fill(tempDir)` and renaming the result into place. */
export async function writeDirAtomic(
  target: string,
  fill: (tempDir: string) => Promise<void>,
): Promise<void> {
  const parent = dirname(target);
  const name = basename(target);
  await mkdir(parent, { recursive: true });
  const temp = await mkdtemp(join(parent, `.${name}.tmp-`));
  try {
    await fill(temp);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
  const old = join(parent, `.${name}.old`);
  await rm(old, { recursive: true, force: true });
  if (existsSync(target)) await rename(target, old);
  await rename(temp, target);
  await rm(old, { recursive: true, force: true });
}

/**
 * The directory to read for `target`: `target` itself, or the previous version left as `.<name>.old`
 * by a process killed between the two renames of {@link writeDirAtomic}; `undefined` when neither exists.
 */
export function resolveAtomicDir(target: string): string | undefined {
  if (existsSync(target)) return target;
  const old = join(dirname(target), `.${basename(target)}.old`);
  return existsSync(old) ? old : undefined;
}

/** Writes one file atomically (temp file in the same folder, then rename). */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${Date.now()}`);
  try {
    await writeFile(temp, data);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
