/** The `app.status` answer: the engine's backend and memory, versions, and the job queue. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { freemem, totalmem } from 'node:os';
import { PatchgdError } from '../base/errors.ts';
import type { HandlerReturn } from '../shared/contract.ts';
import type { AppContext } from './context.ts';

const require = createRequire(import.meta.url);

function packageVersion(file: string): string {
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

const APP_VERSION = packageVersion(new URL('../../package.json', import.meta.url).pathname);
const TFJS_VERSION = packageVersion(require.resolve('@tensorflow/tfjs-core/package.json'));

/**
 * How long to wait for the engine's own report: a training step can keep it from answering for a while, and
 * the status line must not hang on it (the backend chosen at start is known anyway).
 */
const ENGINE_STATUS_TIMEOUT_MS = 2000;

export async function appStatus(ctx: AppContext): Promise<HandlerReturn<'app.status'>> {
  // Starting the engine takes a moment on first use; only its answer to the status request is timed.
  const started = await ctx.engine.backend();
  if ('problem' in started) throw new PatchgdError(started.file, started.problem);
  const report = await ctx.engine.status(ENGINE_STATUS_TIMEOUT_MS);
  const backend = report?.backend ?? { ...started, wasm: null };
  const own = process.memoryUsage();
  const sqlite = ctx.store.db.prepare('SELECT sqlite_version() AS v').get() as { v: string };
  return {
    backend,
    memory: report?.memory ?? {
      rss: own.rss,
      heapUsed: own.heapUsed,
      heapTotal: own.heapTotal,
      tensorBytes: 0,
      tensors: 0,
      systemTotal: totalmem(),
      systemFree: freemem(),
    },
    versions: {
      app: APP_VERSION,
      node: process.versions.node,
      electron: process.versions.electron ?? null,
      tfjs: report?.tfjs ?? TFJS_VERSION,
      sqlite: sqlite.v,
    },
    jobs: ctx.engine.jobs(),
  };
}
