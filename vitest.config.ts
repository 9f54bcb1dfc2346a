import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Each file gets its own database and Redis prefix; two cores, so not too many at once.
    maxWorkers: 2,
    fileParallelism: true,
    // CI reads the counts from a JSON report while running exactly `npm test` (see .ci/run).
    ...(process.env['WARROOM_TEST_REPORT'] ? { reporters: ['default', 'json'], outputFile: { json: process.env['WARROOM_TEST_REPORT'] } } : {}),
  },
});
