import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // Each test file gets its own database (PGlite in memory, or a fresh PostgreSQL database),
    // so files can run in parallel; two cores is what CI has.
    pool: 'forks',
    maxWorkers: 2,
    // Generous: a busy CI machine slows whole call flows down; these limits only catch a hang.
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
