/**
 * The package's built entry must load in a browser: Node modules may only be imported lazily
 * (`await import(...)` inside `loadMaskPlugin`), never at the top level.
 */
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
const staticImports = (code: string) =>
  [...code.matchAll(/^\s*import\s+(?:[\w*{}\s,$]+\s+from\s+)?["']([^"']+)["']/gm)].map((m) => m[1]);
const topLevelRequires = (code: string) =>
  [...code.matchAll(/^(?:var|const|let)\s+[\w$]+\s*=\s*(?:__toESM\()?require\(["']([^"']+)["']\)/gm)].map(
    (m) => m[1],
  );

describe('browser safety of the built entry', () => {
  it('imports no Node built-in at the top level (ESM and CJS)', () => {
    const esm = readFileSync(join(root, 'dist/index.js'), 'utf8');
    const cjs = readFileSync(join(root, 'dist/index.cjs'), 'utf8');
    expect(staticImports(esm).filter((s) => builtins.has(s))).toEqual([]);
    expect(topLevelRequires(cjs).filter((s) => builtins.has(s))).toEqual([]);
    // The scanners do see imports (the check can fail): the lazy ones are there.
    expect(esm).toMatch(/import\(["'](?:node:)?fs["']\)/);
    expect(staticImports('import { a } from "node:fs";\nimport "path";')).toEqual(['node:fs', 'path']);
    expect(topLevelRequires('var import_fs = require("fs");')).toEqual(['fs']);
  });
});
