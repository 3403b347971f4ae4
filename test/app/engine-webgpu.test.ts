/**
 * The training form's backend choice through the app: a run asking for webgpu trains on it in the engine
 * process (here the software adapter, allowed by the request), app.status then names the adapter, and asking for
 * webgpu without allowing a software adapter fails that job with the reason while the engine keeps working.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext, AppEvent } from '../../core/app/context.ts';
import { handleRequest } from '../../core/app/handlers.ts';
import { getRun } from '../../core/io/store/index.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';
import { softwareAdapterProbe } from '../helpers/webgpu-probe.ts';
import { webgpuSuite } from '../helpers/webgpu.ts';
import { tenSlides, testContext, tinyConfig, writePandaFolder } from './helpers.ts';

const unavailable = softwareAdapterProbe();

describe.skipIf(unavailable !== null)(webgpuSuite('training on webgpu from the app', unavailable), () => {
  let dir: string;
  let ctx: AppContext;
  const events: AppEvent[] = [];

  beforeAll(async () => {
    dir = await makeTempDir('patchgd-app-webgpu-');
    await writePandaFolder(join(dir, 'panda'), tenSlides());
    ctx = testContext(join(dir, 'user'));
    ctx.subscribe((event) => events.push(event));
    const opened = await handleRequest(ctx, 'folders.open', { path: join(dir, 'panda') });
    if (!opened.ok) throw new Error(opened.error.message);
  });

  afterAll(async () => {
    await ctx.close();
    await removeDir(dir);
  });

  const finalState = (jobId: string) =>
    events.flatMap((e) => (e.event === 'job.state' && e.payload.jobId === jobId ? [e.payload] : [])).at(-1);

  async function train(backend: { prefer: 'webgpu' | 'auto'; softwareGpu: boolean }) {
    const started = await handleRequest(ctx, 'training.start', {
      folderId: 1,
      config: { ...tinyConfig(1), imageSize: 32 },
      backend,
    });
    if (!started.ok) throw new Error(started.error.message);
    await ctx.engine.idle();
    return started.value as { runId: number; jobId: string };
  }

  it('a run asking for webgpu without a software GPU fails saying why; with it, trains there', async () => {
    const refused = await train({ prefer: 'webgpu', softwareGpu: false });
    expect(finalState(refused.jobId)?.error?.problem).toMatch(
      /^backend webgpu \(asked for\) cannot run: (no WebGPU adapter|only a software adapter)/,
    );
    expect(getRun(ctx.store, refused.runId)?.status).toBe('failed');

    const trained = await train({ prefer: 'webgpu', softwareGpu: true });
    expect(finalState(trained.jobId)).toMatchObject({ state: 'done', error: null });
    const plan = events.find(
      (e) =>
        e.event === 'training.progress' &&
        e.payload.runId === trained.runId &&
        e.payload.event.type === 'plan',
    );
    expect(plan?.event === 'training.progress' && plan.payload.event).toMatchObject({
      backend: 'webgpu',
      threads: 1,
    });
    const status = await handleRequest(ctx, 'app.status', {});
    if (!status.ok) throw new Error(status.error.message);
    expect((status.value as { backend: object }).backend).toMatchObject({
      name: 'webgpu',
      adapter: expect.stringMatching(/^google swiftshader .*, software$/),
      wasm: null,
    });
  });

  it("'auto' goes back to the engine's own choice", async () => {
    const again = await train({ prefer: 'auto', softwareGpu: false });
    expect(finalState(again.jobId)).toMatchObject({ state: 'done' });
    const status = await handleRequest(ctx, 'app.status', {});
    if (!status.ok) throw new Error(status.error.message);
    expect((status.value as { backend: object }).backend).toMatchObject({
      name: 'wasm',
      reason: 'set by PATCHGD_BACKEND',
      adapter: null,
    });
  });
});
