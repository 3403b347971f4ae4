import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

export default defineConfig({
  // Compiles the renderer's .svelte components for its component tests (those files opt into jsdom).
  plugins: [svelte({ configFile: false })],
  // jsdom tests run in Vite's client environment: resolve Svelte's browser build there, not its server one
  // (node-environment tests resolve through the ssr environment, which this leaves alone).
  resolve: { conditions: ['browser'] },
  test: {
    include: ['test/**/*.test.ts'],
    // Tests generate slides and train tiny models: CPU-bound, so keep to the two cores here.
    pool: 'forks',
    maxWorkers: 2,
    // Generous: CI machines can be loaded; speed targets live in benchmarks, not in test timeouts.
    testTimeout: 180_000,
    hookTimeout: 120_000,
    // expect.poll waits 1 s by default: a UI round trip can take longer than that when CI is busy.
    expect: { poll: { timeout: 15_000 } },
  },
});
