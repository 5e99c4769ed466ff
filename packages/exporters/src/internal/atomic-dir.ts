/**
 * @file Writing a whole output folder atomically: the files go into a temporary sibling folder that is
 * renamed into place only when everything was written. A failed export leaves nothing behind and never
 * touches an existing folder; replacing one (when allowed) swaps it in with renames.
 *
 * @module internal/atomic-dir
 * @internal
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

/** Options of {@link writeDirAtomic}. */
export interface WriteDirAtomicOptions {
  /** Replace `target` if it exists (otherwise an existing `target` is an error). */
  readonly overwrite: boolean;
}

/**
 * Fills a fresh temporary folder with `fill` and renames it to `target`.
 * @returns the absolute path of `target`.
 */
export async function writeDirAtomic(
  target: string,
  fill: (tempDir: string) => Promise<void>,
  options: WriteDirAtomicOptions,
): Promise<string> {
  const absolute = resolve(target);
  const parent = dirname(absolute);
  const name = basename(absolute);
  if (existsSync(absolute)) {
    const info = await stat(absolute);
    if (!info.isDirectory()) {
      throw new Error(`Output path ${absolute} exists and is not a folder. Choose another outDir.`);
    }
    if (!options.overwrite) {
      throw new Error(
        `Output folder ${absolute} already exists. Pass overwrite: true to replace it (the old folder is swapped ` +
          'out only after the new one is complete), or choose another outDir.',
      );
    }
  }
  await mkdir(parent, { recursive: true });
  const temp = await mkdtemp(join(parent, `.${name}.tmp-`));
  try {
    await fill(temp);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
  if (existsSync(absolute)) {
    const old = `${temp}.old`;
    await rename(absolute, old);
    try {
      await rename(temp, absolute);
    } catch (error) {
      await rename(old, absolute);
      await rm(temp, { recursive: true, force: true });
      throw error;
    }
    await rm(old, { recursive: true, force: true });
  } else {
    await rename(temp, absolute);
  }
  return absolute;
}
