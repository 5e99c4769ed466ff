/**
 * The `@medsymmflow/core-flow/flow` subpath must load in browsers and workers: its built files (ESM and CJS)
 * and everything they import must be free of tfjs and of Node built-ins. Checks the real build output
 * (turbo builds before testing).
 */
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

/** Every module specifier a built file loads: static and dynamic imports, re-exports, require(). */
function specifiers(code: string): string[] {
  const found: string[] = [];
  const patterns = [
    /^\s*import\s+(?:[\w*{}\s,$]+\s+from\s+)?["']([^"']+)["']/gm,
    /^\s*export\s+(?:\*|\{[^}]*\})\s*from\s*["']([^"']+)["']/gm,
    /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
    /\brequire\s*\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const pattern of patterns) for (const match of code.matchAll(pattern)) found.push(match[1]);
  return found;
}

/** The files reachable from `entry` through relative imports, and the outside modules they name. */
function importGraph(entry: string): { files: string[]; external: string[] } {
  const files: string[] = [];
  const external = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.shift()!;
    if (files.includes(file)) continue;
    files.push(file);
    for (const spec of specifiers(readFileSync(file, 'utf8'))) {
      if (spec.startsWith('.')) queue.push(resolve(dirname(file), spec));
      else external.add(spec);
    }
  }
  return { files, external: [...external] };
}

describe('@medsymmflow/core-flow/flow is browser-safe', () => {
  it('the specifier scan finds what the main entry imports (the check can fail)', () => {
    const { external } = importGraph(join(root, pkg.exports['.'].import.default));
    expect(external.some((s) => s.includes('tfjs'))).toBe(true);
    expect(external.some((s) => builtins.has(s))).toBe(true);
  });

  it.each(['import', 'require'] as const)(
    'the %s build imports no tfjs and no Node built-in',
    (condition) => {
      const target = pkg.exports['./flow'][condition];
      const { files, external } = importGraph(join(root, target.default));
      expect(files.length).toBeGreaterThan(0);
      expect(external.filter((s) => builtins.has(s) || s.includes('tfjs'))).toEqual([]);
      // Nothing outside the file at all: the flow code needs no other package at run time.
      expect(external).toEqual([]);
      for (const file of files) {
        const code = readFileSync(file, 'utf8');
        expect(code).not.toMatch(/\b(?:__dirname|__filename|process\.cwd)\b/);
      }
      expect(readFileSync(join(root, target.types), 'utf8')).toMatch(/classifyAsync/);
    },
  );

  it('the built ESM entry exposes the async API and runs an integration', async () => {
    const flow = await import(join(root, pkg.exports['./flow'].import.default));
    for (const name of [
      'classify',
      'classifyAsync',
      'generate',
      'generateAsync',
      'integrate',
      'integrateAsync',
    ]) {
      expect(typeof flow[name]).toBe('function');
    }
    // A scalar "tensor" with the few ops Euler needs: dx/dt = -x from 0 to 1 in 4 steps = (3/4)^4.
    const ops = {
      tidy: <R>(fn: () => R) => fn(),
      dispose: () => {},
      add: (a: number, b: number) => a + b,
      mulScalar: (a: number, s: number) => a * s,
    };
    const result = await flow.integrateAsync(ops, async (_t: number, x: number) => -x, 1, 0, 1, { steps: 4 });
    expect(result.x).toBeCloseTo(0.75 ** 4, 12);
  });
});
