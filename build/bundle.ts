/**
 * Bundles the Electron side with esbuild (`npm run build:electron`): the main process, the engine process and
 * its worker threads' entry as ES modules for Electron's Node (dependencies stay in node_modules, native ones included), the preload as
 * one self-contained CommonJS file, since a sandboxed preload can require nothing but `electron`.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions } from 'esbuild';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_OUT_DIR = path.join(PROJECT_ROOT, 'out', 'electron');

/** Electron 45: Chromium 140, Node 22. */
const NODE_TARGET = 'node22';
const CHROME_TARGET = 'chrome140';

/** The files a bundle run writes into the output folder. */
export const BUNDLE_FILES = ['main.mjs', 'engine.mjs', 'preload.cjs', 'engine-worker.mjs'] as const;

export interface BundleOptions {
  outDir?: string;
  minify?: boolean;
}

export async function bundleElectron(options: BundleOptions = {}): Promise<string[]> {
  const outDir = options.outDir ?? DEFAULT_OUT_DIR;
  const common: BuildOptions = {
    absWorkingDir: PROJECT_ROOT,
    bundle: true,
    minify: options.minify ?? false,
    sourcemap: 'linked',
    logLevel: 'warning',
    legalComments: 'none',
  };
  await Promise.all([
    build({
      ...common,
      // The engine's worker threads load engine-worker.mjs from beside engine.mjs (core/learn/parallel/pool.ts).
      entryPoints: {
        main: 'electron/main.ts',
        engine: 'core/app/engine-process.ts',
        'engine-worker': 'core/learn/parallel/worker.ts',
      },
      outdir: outDir,
      outExtension: { '.js': '.mjs' },
      platform: 'node',
      format: 'esm',
      target: NODE_TARGET,
      packages: 'external',
    }),
    build({
      ...common,
      entryPoints: ['electron/preload.ts'],
      outfile: path.join(outDir, 'preload.cjs'),
      platform: 'browser',
      format: 'cjs',
      target: CHROME_TARGET,
      external: ['electron'],
    }),
  ]);
  return BUNDLE_FILES.map((file) => path.join(outDir, file));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const files = await bundleElectron({ minify: process.argv.includes('--minify') });
  for (const file of files) console.log(path.relative(PROJECT_ROOT, file));
}
