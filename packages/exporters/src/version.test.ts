import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { packageJsonVersion } from '../../../test/version-check';
import { version } from './index';

describe('version', () => {
  it('matches package.json', () => {
    expect(version).toBe(packageJsonVersion(fileURLToPath(new URL('..', import.meta.url))));
  });
});
