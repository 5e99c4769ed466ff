/**
 * Vite config of the playground: a static site with relative paths (`base: './'`) that
 *  - serves and copies onnxruntime-web's wasm files to `ort/` (no CDN; `env.wasm.wasmPaths` points there),
 *  - builds the demo images of `zoo/demo/<dataset>/` (with their `labels.csv`) into `demo/`,
 *  - in `pnpm playground` (dev), serves the repository's `zoo/` folder at `zoo/`, the default zoo URL.
 * `PLAYGROUND_DEMO_DIR` and `PLAYGROUND_ZOO_DIR` override the two folders; `VITE_ZOO_URL` sets the default zoo
 * URL of a build.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig, type Plugin } from 'vite';
import { parseDemoLabels } from './src/lib/demo-labels.js';

const appDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(appDir, '../..');
const require = createRequire(import.meta.url);

/** onnxruntime-web's wasm runtime (WebGPU/JSEP build: wasm everywhere, WebGPU where the browser has it). */
export const ORT_FILES = ['ort-wasm-simd-threaded.jsep.wasm', 'ort-wasm-simd-threaded.jsep.mjs'] as const;
const ortDist = dirname(require.resolve(`onnxruntime-web/${ORT_FILES[0]}`));

const MIME: Record<string, string> = {
  '.wasm': 'application/wasm',
  '.mjs': 'text/javascript',
  '.js': 'text/javascript',
  '.json': 'application/json',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.csv': 'text/csv',
  '.md': 'text/markdown',
};

/** Serves `dir` under `prefix` in the dev server (files only, no listing, nothing outside `dir`). */
function serveFolder(prefix: string, dir: () => string): Plugin['configureServer'] {
  return (server) => {
    server.middlewares.use(prefix, (req, res: ServerResponse, next) => {
      const root = dir();
      const path = normalize(join(root, decodeURIComponent((req.url ?? '/').split('?')[0])));
      if (!path.startsWith(root + sep) || !existsSync(path) || !statSync(path).isFile()) return next();
      res.setHeader('Content-Type', MIME[extname(path)] ?? 'application/octet-stream');
      res.end(readFileSync(path));
    });
  };
}

function ortWasm(): Plugin {
  let outDir = '';
  return {
    name: 'playground:ort-wasm',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    configureServer: serveFolder('/ort', () => ortDist),
    writeBundle() {
      mkdirSync(join(outDir, 'ort'), { recursive: true });
      for (const file of ORT_FILES) copyFileSync(join(ortDist, file), join(outDir, 'ort', file));
    },
  };
}

function demoImages(): Plugin {
  const virtualId = 'virtual:playground-demo';
  const dir = () => resolve(process.env.PLAYGROUND_DEMO_DIR ?? join(repoRoot, 'zoo', 'demo'));
  let outDir = '';
  /** `{ dataset: rows }` from every `<dir>/<dataset>/labels.csv`. */
  const read = () => {
    const root = dir();
    if (!existsSync(root)) return { images: [], license: false };
    const images = readdirSync(root)
      .filter((name) => existsSync(join(root, name, 'labels.csv')))
      .sort()
      .flatMap((dataset) =>
        parseDemoLabels(readFileSync(join(root, dataset, 'labels.csv'), 'utf8'), `${dataset}/labels.csv`)
          .filter((row) => existsSync(join(root, dataset, row.file)))
          .map((row) => ({ ...row, dataset, url: `demo/${dataset}/${row.file}` })),
      );
    return { images, license: existsSync(join(root, 'LICENSE.md')) };
  };
  return {
    name: 'playground:demo-images',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    resolveId: (id) => (id === virtualId ? `\0${virtualId}` : undefined),
    load(id) {
      if (id !== `\0${virtualId}`) return undefined;
      const { images, license } = read();
      return `export const DEMO_IMAGES = ${JSON.stringify(images)};\nexport const DEMO_LICENSE = ${JSON.stringify(license ? 'demo/LICENSE.md' : null)};\n`;
    },
    configureServer: serveFolder('/demo', dir),
    writeBundle() {
      const { images, license } = read();
      for (const image of images) {
        mkdirSync(join(outDir, 'demo', image.dataset), { recursive: true });
        copyFileSync(join(dir(), image.dataset, image.file), join(outDir, image.url));
      }
      if (license) copyFileSync(join(dir(), 'LICENSE.md'), join(outDir, 'demo', 'LICENSE.md'));
    },
  };
}

function devZoo(): Plugin {
  return {
    name: 'playground:dev-zoo',
    apply: 'serve',
    configureServer: serveFolder('/zoo', () =>
      resolve(process.env.PLAYGROUND_ZOO_DIR ?? join(repoRoot, 'zoo')),
    ),
  };
}

export default defineConfig({
  root: appDir,
  base: './',
  // onnxruntime-web without its bundled wasm glue: the page loads both files from `ort/` (wasmPaths).
  resolve: { conditions: ['onnxruntime-web-use-extern-wasm', ...defaultClientConditions] },
  plugins: [ortWasm(), demoImages(), devZoo()],
  build: { target: 'es2022', chunkSizeWarningLimit: 1024 },
});
