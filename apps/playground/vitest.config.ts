import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // The end-to-end test builds the site, runs the CLI and drives headless Chromium on a busy 2-core machine.
    testTimeout: 180_000,
    hookTimeout: 240_000,
  },
});
