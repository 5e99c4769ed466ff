/**
 * Where tests find the real MedMNIST files. They are never committed to this repository: the project
 * expects them beside the checkout (`../shared/data/medmnist`), as on developer machines and CI.
 * `MEDMNIST_SHARED_DIR` overrides the location.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export const SHARED_MEDMNIST_DIR =
  process.env.MEDMNIST_SHARED_DIR ?? resolve(REPO_ROOT, '..', 'shared', 'data', 'medmnist');

/** Absolute path of a shared MedMNIST file; throws with a fix when it is missing. */
export function sharedMedmnistFile(fileName: string): string {
  const path = join(SHARED_MEDMNIST_DIR, fileName);
  if (!existsSync(path)) {
    throw new Error(
      `Test data ${path} is missing. Put the official MedMNIST files in ${SHARED_MEDMNIST_DIR} ` +
        'or set MEDMNIST_SHARED_DIR to the folder that holds them.',
    );
  }
  return path;
}
