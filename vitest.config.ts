import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    setupFiles: ['tests/setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // `npm test` runs with --coverage: V8's own coverage of shared/ (the product's logic),
    // failing the run when a figure drops below its threshold. A targeted run
    // (`npx vitest run tests/unit/x.test.ts`) collects none. The thresholds sit just below
    // what the whole suite measures (README, "npm test"); raise them when coverage rises.
    // Measured 2026-12-07 on the day's last commit (CI, clean clone): lines 94.75, branches 81.74,
    // functions 93.66, statements 93.06 %; the thresholds one point under, rounded down.
    coverage: {
      provider: 'v8',
      include: ['shared/**'],
      reporter: ['text-summary', 'json-summary', 'html'],
      reportsDirectory: 'coverage',
      // The figures are worth seeing when a test failed too.
      reportOnFailure: true,
      thresholds: { lines: 93, branches: 80, functions: 92, statements: 92 },
    },
  },
});
