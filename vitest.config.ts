import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Circuit and end-to-end tests compile circuits and run Groth16; they are slow by nature.
    testTimeout: 600_000,
    hookTimeout: 600_000,
    // Two cores: run at most two test files at once so CPU-heavy files do not starve each other.
    maxWorkers: 2,
    globalSetup: ['test/global-setup.ts'],
  },
});
