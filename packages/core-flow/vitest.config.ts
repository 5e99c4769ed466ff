import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 60_000,
    // Our gradient registration imports tfjs-core's ESM gradient sources (bundled by tsup in the build);
    // under vitest they must go through vite's transform instead of Node's CJS loader.
    server: { deps: { inline: [/@tensorflow\/tfjs-core\/dist\/(?!tf-core)/] } },
  },
});
