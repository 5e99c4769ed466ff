import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // Each test spawns the CLI (about a second of Node start-up and imports on a busy 2-core machine).
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
