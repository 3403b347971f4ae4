import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests generate slides and train tiny models: CPU-bound, so keep to the two cores here.
    pool: 'forks',
    maxWorkers: 2,
    // Generous: CI machines can be loaded; speed targets live in benchmarks, not in test timeouts.
    testTimeout: 180_000,
    hookTimeout: 120_000,
  },
});
