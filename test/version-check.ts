/** Shared by every package's version test: src/version.ts must match package.json. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export function packageJsonVersion(packageDir: string): string {
  return JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')).version;
}
