import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    exclude: ['node_modules/**', 'dist/**', 'dist.*/**'],
    // Property suites run thousands of simulated runs; give them room on a 2-core CI machine.
    testTimeout: 300_000,
    hookTimeout: 120_000,
  },
});
