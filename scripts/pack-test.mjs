#!/usr/bin/env node
/**
 * Packaging test: what `npm install @medsymmflow/<name>` gives a user.
 *
 * Packs every workspace package with `pnpm pack` (which rewrites `workspace:*` to real versions), installs the
 * tarballs — and only the tarballs, no workspace links — into a fresh project in the OS temp folder, then:
 *  - imports each library through ESM and CommonJS and checks its type declarations ship,
 *  - runs the first ```js block of each package README as a user would paste it,
 *  - runs the installed `medsymmflow` binary.
 * Third-party dependencies come from the npm registry as for any user. Run after `pnpm build`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const sharedData = process.env.MEDMNIST_SHARED_DIR ?? resolve(root, '..', 'shared', 'data', 'medmnist');
const keep = process.argv.includes('--keep');

function run(cmd, args, options = {}) {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options });
}

function workspacePackages() {
  const found = [];
  for (const group of ['packages', 'apps']) {
    const groupDir = join(root, group);
    if (!existsSync(groupDir)) continue;
    for (const name of readdirSync(groupDir).sort()) {
      const dir = join(groupDir, name);
      const pkgPath = join(dir, 'package.json');
      if (!existsSync(pkgPath)) continue;
      const pkg = JSON.parse(readFileSync(pkgPath, 'utf8'));
      if (pkg.private) continue;
      found.push({ dir, pkg });
    }
  }
  return found;
}

/** The first fenced ```js block of a README: the example users copy first. */
function readmeExample(dir) {
  const readme = join(dir, 'README.md');
  if (!existsSync(readme)) return undefined;
  const match = /```js\n([\s\S]*?)```/.exec(readFileSync(readme, 'utf8'));
  return match?.[1];
}

const work = mkdtempSync(join(tmpdir(), 'medsymmflow-pack-'));
let failures = 0;
let passes = 0;
function check(label, fn) {
  try {
    fn();
    passes++;
    console.log(`  ✓ ${label}`);
  } catch (error) {
    failures++;
    console.log(`  ✗ ${label}\n${String(error.stdout ?? '')}${String(error.stderr ?? error.message)}`);
  }
}

try {
  const packages = workspacePackages();
  const tarballDir = join(work, 'tarballs');
  const tarballs = {};
  for (const { dir, pkg } of packages) {
    const out = run('pnpm', ['pack', '--pack-destination', tarballDir], { cwd: dir });
    const file = out
      .trim()
      .split('\n')
      .filter((line) => line.endsWith('.tgz'))
      .pop();
    tarballs[pkg.name] = file.startsWith('/') ? file : join(tarballDir, file);
  }
  const deps = Object.fromEntries(Object.entries(tarballs).map(([name, file]) => [name, `file:${file}`]));
  // overrides make the packages' dependencies on each other resolve to the tarballs too, never the registry.
  writeFileSync(
    join(work, 'package.json'),
    JSON.stringify(
      { name: 'user-project', private: true, type: 'module', dependencies: deps, overrides: deps },
      null,
      2,
    ),
  );
  console.log(`pack-test: installing ${packages.length} tarballs into ${work}`);
  // onnxruntime-node's install script fetches optional CUDA libraries; the CPU binaries ship in its tarball.
  const installEnv = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' };
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: work,
    stdio: 'inherit',
    env: installEnv,
  });

  const env = { ...process.env, MEDMNIST_ROOT: sharedData };
  for (const { dir, pkg } of packages) {
    const installed = join(work, 'node_modules', pkg.name);
    if (pkg.exports?.['.']) {
      check(`${pkg.name}: ESM import`, () =>
        run('node', ['--input-type=module', '-e', `await import('${pkg.name}')`], { cwd: work }),
      );
      if (pkg.exports['.'].require) {
        check(`${pkg.name}: CommonJS require`, () =>
          run('node', ['-e', `require('${pkg.name}')`], { cwd: work }),
        );
      }
      check(`${pkg.name}: type declarations shipped`, () => {
        for (const condition of Object.values(pkg.exports['.'])) {
          const types = condition.types;
          if (types && !existsSync(join(installed, types))) throw new Error(`missing ${types}`);
        }
      });
    }
    const example = readmeExample(dir);
    if (example) {
      const file = join(work, `example-${pkg.name.replace(/[@/]/g, '_')}.mjs`);
      writeFileSync(file, example);
      check(`${pkg.name}: README example runs`, () => {
        const out = run('node', [file], { cwd: work, env, timeout: 300_000 });
        if (!out.trim()) throw new Error('the README example printed nothing');
      });
    }
    for (const bin of Object.keys(pkg.bin ?? {})) {
      check(`${pkg.name}: \`${bin} --help\` runs from the installed package`, () =>
        run(join(work, 'node_modules', '.bin', bin), ['--help'], { cwd: work, env }),
      );
    }
  }
  if (tarballs['@medsymmflow/cli'] && existsSync(join(sharedData, 'pneumoniamnist.npz'))) {
    check('installed medsymmflow verifies the real pneumoniamnist', () => {
      const out = run(
        join(work, 'node_modules', '.bin', 'medsymmflow'),
        ['datasets', 'verify', 'pneumoniamnist', '--json'],
        { cwd: work, env },
      );
      if (JSON.parse(out).md5_ok !== true) throw new Error(out);
    });
  }
} finally {
  if (!keep) rmSync(work, { recursive: true, force: true });
}
console.log(`pack-test: ${passes} passed, ${failures} failed`);
writeFileSync(join(root, '.pack-test-results.json'), JSON.stringify({ passed: passes, failed: failures }));
process.exit(failures === 0 ? 0 : 1);
