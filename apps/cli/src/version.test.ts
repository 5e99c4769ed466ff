import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { packageJsonVersion } from '../../../test/version-check';
import { version } from './version';

it('version.ts matches package.json', () => {
  expect(version).toBe(packageJsonVersion(join(dirname(fileURLToPath(import.meta.url)), '..')));
});
