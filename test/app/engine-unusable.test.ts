/** An engine whose backend cannot start: the app says why, and jobs fail with that reason instead of hanging. */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext, AppEvent } from '../../core/app/context.ts';
import { forkEngine } from '../../core/app/engine-node.ts';
import { handleRequest } from '../../core/app/handlers.ts';
import { getRun } from '../../core/io/store/index.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';
import { tenSlides, testContext, tinyConfig, writePandaFolder } from './helpers.ts';

let dir: string;
let ctx: AppContext;
const events: AppEvent[] = [];

beforeAll(async () => {
  dir = await makeTempDir('patchgd-app-');
  await writePandaFolder(join(dir, 'panda'), tenSlides().slice(0, 4));
  // tfjs-node is an optional dependency that is not installed here, so asking for it cannot work.
  ctx = testContext(
    join(dir, 'user'),
    forkEngine({ env: { ...process.env, PATCHGD_BACKEND: 'tensorflow' } }),
  );
  ctx.subscribe((event) => events.push(event));
});

afterAll(async () => {
  await ctx.close();
  await removeDir(dir);
});

describe('an engine without a usable backend', () => {
  it('answers app.status with the reason', async () => {
    const status = await handleRequest(ctx, 'app.status', {});
    expect(status.ok).toBe(false);
    if (status.ok) return;
    expect(status.error.code).toBe('handler-failed');
    expect(status.error.problem).toMatch(/backend tensorflow \(set by PATCHGD_BACKEND\) cannot run/);
  });

  it('fails a training job with that reason, recorded on the run', async () => {
    const opened = await handleRequest(ctx, 'folders.open', { path: join(dir, 'panda') });
    if (!opened.ok) throw new Error(opened.error.message);
    const started = await handleRequest(ctx, 'training.start', { folderId: 1, config: tinyConfig(1) });
    if (!started.ok) throw new Error(started.error.message);
    const { runId, jobId } = started.value as { runId: number; jobId: string };
    await ctx.engine.idle();
    const states = events.flatMap((e) =>
      e.event === 'job.state' && e.payload.jobId === jobId ? [e.payload] : [],
    );
    expect(states.map((s) => s.state)).toEqual(['queued', 'running', 'failed']);
    expect(states[2]!.error?.problem).toMatch(/cannot run/);
    expect(states[2]!.resumeEpoch).toBeNull();
    expect(getRun(ctx.store, runId)).toMatchObject({
      status: 'failed',
      message: expect.stringMatching(/cannot run/),
    });
  });
});
