#!/usr/bin/env node
// Adds up the test results of every package (vitest JSON reports) and the packaging test, and prints one
// closing line in the plain `N passed, N failed` form that CI logs are read for.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
let passed = 0;
let failed = 0;
let skipped = 0;
for (const group of ['packages', 'apps']) {
  for (const name of readdirSync(join(root, group))) {
    const report = join(root, group, name, '.vitest-results.json');
    if (!existsSync(report)) continue;
    const results = JSON.parse(readFileSync(report, 'utf8'));
    passed += results.numPassedTests;
    failed += results.numFailedTests;
    skipped += results.numPendingTests + (results.numTodoTests ?? 0);
    console.log(`${group}/${name}: ${results.numPassedTests} passed, ${results.numFailedTests} failed`);
  }
}
const pack = join(root, '.pack-test-results.json');
if (existsSync(pack)) {
  const results = JSON.parse(readFileSync(pack, 'utf8'));
  passed += results.passed;
  failed += results.failed;
  console.log(`packaging test: ${results.passed} passed, ${results.failed} failed`);
}
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
