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
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
