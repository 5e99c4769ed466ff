import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { packageJsonVersion } from '../../../test/version-check.js';
import { env, version } from './index.js';

describe('version', () => {
  it('src/version.ts matches package.json and is reported in env.versions', () => {
    const packageDir = fileURLToPath(new URL('..', import.meta.url));
    expect(version).toBe(packageJsonVersion(packageDir));
    expect(env.versions.coreFlow).toBe(version);
  });
});
