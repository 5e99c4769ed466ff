import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // ONNX Runtime and tfjs-wasm each use the two cores; run test files one after another.
    fileParallelism: false,
    // core-flow's build inlines tfjs-core's gradient sources; under vitest they go through vite's transform.
    server: { deps: { inline: [/@tensorflow\/tfjs-core\/dist\/(?!tf-core)/] } },
  },
});
