/**
 * @file Atomic file writes: write to a temporary file in the destination folder, then rename. A failure at
 * any point removes the temporary file, so nothing half-written is ever left under the final name.
 * @module atomic-write
 */

import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** A unique temporary path next to `path` (same folder, so `rename` is atomic). Hidden, ends in `.partial`. */
export function temporaryPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}-${randomBytes(4).toString('hex')}.partial`);
}

/**
 * Writes `data` to `path` atomically, creating the folder when needed. Shared by every package that writes
 * files (datasets, saved models, CLI outputs).
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = temporaryPathFor(path);
  try {
    await writeFile(temporary, data, { flag: 'wx' });
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
