/**
 * Training and grading through the browser-mode server and a real engine process: progress reaching a
 * WebSocket client, the one-at-a-time queue, an engine crash mid-training (job failed, host still serving, resume
 * from the last checkpoint), and cancellation leaving a usable checkpoint.
 */
import { join } from 'node:path';
import type WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppEvent } from '../../core/app/context.ts';
import { startServer, type RunningServer } from '../../core/app/server/server.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';
import { tenSlides, testEngine, tinyConfig, writePandaFolder } from '../app/helpers.ts';
import type { RequestInput, RequestName } from '../../core/shared/contract.ts';
import { call as callApi, connectEvents } from './helpers.ts';

let dir: string;
let server: RunningServer;
let ws: WebSocket;
let folderId: number;
const events: AppEvent[] = [];

const call = <C extends RequestName>(channel: C, params: RequestInput<C>) => callApi(server, channel, params);

/** Polls the received events until one matches; its index. */
async function waitFor(what: string, match: (e: AppEvent) => boolean, timeoutMs = 120_000): Promise<number> {
  const start = Date.now();
  for (;;) {
    const index = events.findIndex(match);
    if (index >= 0) return index;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const jobState = (jobId: string, state: string) => (e: AppEvent) =>
  e.event === 'job.state' && e.payload.jobId === jobId && e.payload.state === state;
const progressOf = (runId: number) =>
  events.flatMap((e) =>
    e.event === 'training.progress' && e.payload.runId === runId ? [e.payload.event] : [],
  );

beforeAll(async () => {
  dir = await makeTempDir('patchgd-jobs-');
  await writePandaFolder(join(dir, 'panda'), tenSlides());
  server = await startServer({
    port: 0,
    userDataDir: join(dir, 'user'),
    rendererDir: join(dir, 'no-renderer'),
    spawnEngine: testEngine(),
  });
  ws = await connectEvents(server.port, `?token=${server.token}`);
  ws.on('message', (data) => events.push(JSON.parse(String(data)) as AppEvent));
  folderId = (await call('folders.open', { path: join(dir, 'panda') })).folder.id;
});

afterAll(async () => {
  ws?.close();
  await server?.close();
  await removeDir(dir);
});

describe('jobs through the engine process', () => {
  let first: { runId: number; jobId: string };
  let second: { runId: number; jobId: string };

  it('trains one run at a time, with progress events reaching the WebSocket', async () => {
    first = await call('training.start', { folderId, config: tinyConfig(2) });
    second = await call('training.start', { folderId, config: tinyConfig(4) });
    await waitFor('second job queued', jobState(second.jobId, 'queued'));
    const firstDone = await waitFor('first run done', jobState(first.jobId, 'done'));
    const secondRunning = await waitFor('second run running', jobState(second.jobId, 'running'));
    expect(secondRunning).toBeGreaterThan(firstDone);

    const types = progressOf(first.runId).map((e) => e.type);
    expect(types[0]).toBe('plan');
    for (const type of ['epoch-start', 'step', 'epoch-end', 'checkpoint', 'done'])
      expect(types).toContain(type);
    expect(types.filter((t) => t === 'epoch-end')).toHaveLength(2);

    const runs = await call('runs.list', { folderId });
    const run = runs.find((r) => r.id === first.runId);
    expect(run).toMatchObject({ status: 'done', message: null });
    expect(run!.best).toMatchObject({ metric: 'valAccuracy' });
    expect((await call('runs.metrics', { runId: first.runId })).epochs).toHaveLength(2);
  });

  it('survives the engine dying mid-training: job failed, host serving, resume offered and working', async () => {
    await waitFor(
      'a checkpoint of the second run',
      (e) =>
        e.event === 'training.progress' &&
        e.payload.runId === second.runId &&
        e.payload.event.type === 'checkpoint' &&
        e.payload.event.name === 'last',
    );
    const pid = server.context.engine.pid;
    expect(pid).not.toBeNull();
    process.kill(pid!, 'SIGKILL');
    const failed = events[await waitFor('second run failed', jobState(second.jobId, 'failed'))]!;
    if (failed.event !== 'job.state') throw new Error('not a job state');
    expect(failed.payload.error?.problem).toMatch(/engine process stopped unexpectedly \(signal SIGKILL\)/);
    expect(failed.payload.resumeEpoch).toBeGreaterThanOrEqual(1);
    expect(failed.payload.error?.problem).toContain(`epoch ${failed.payload.resumeEpoch}`);

    // The host still answers, and the run is recorded as failed with why.
    const run = (await call('runs.list', { folderId })).find((r) => r.id === second.runId);
    expect(run?.status).toBe('failed');
    expect(run?.message).toMatch(/SIGKILL/);

    // Resume (a new engine process), with a grading job queued behind it.
    const resumed = await call('training.resume', { runId: second.runId });
    expect(resumed.runId).toBe(second.runId);
    const grading = await call('grading.start', { folderId, runId: first.runId, slides: 'all' });
    expect(grading.total).toBe(10);
    await waitFor('grading queued', jobState(grading.jobId, 'queued'));
    const resumedDone = await waitFor('resumed run done', jobState(resumed.jobId, 'done'));
    const gradingRunning = await waitFor('grading running', jobState(grading.jobId, 'running'));
    expect(gradingRunning).toBeGreaterThan(resumedDone);
    const resumedPlan = progressOf(second.runId).filter((e) => e.type === 'epoch-start');
    expect(resumedPlan.at(-1)).toMatchObject({ epoch: 3, epochs: 4 });
    expect((await call('runs.metrics', { runId: second.runId })).epochs.map((e) => e.epoch)).toEqual([
      0, 1, 2, 3,
    ]);

    await waitFor('grading done', jobState(grading.jobId, 'done'));
    const graded = events.flatMap((e) =>
      e.event === 'grading.progress' && e.payload.jobId === grading.jobId ? [e.payload] : [],
    );
    expect(graded.map((g) => g.done)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const g of graded) expect(g.slide?.error).toBeNull();
    const slideId = graded[0]!.slide!.slideId;
    const prediction = await call('predictions.get', { slideId, runId: first.runId });
    expect(prediction).toMatchObject({ id: graded[0]!.slide!.prediction!.id, runId: first.runId });
    expect(prediction!.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 3);
    // core/learn/grading's attention on the k×k patch grid (64 / 16 = 4): tissue cells scored, padding null.
    const grid = await call('attention.get', { predictionId: prediction!.id });
    expect(grid).toMatchObject({ predictionId: prediction!.id, gridWidth: 4, gridHeight: 4 });
    expect(grid!.values).toHaveLength(16);
    expect(grid!.values.some((v) => v !== null)).toBe(true);
    expect(grid!.values.slice(12).every((v) => v === null)).toBe(true);
  });

  it('cancels queued and running jobs; a cancelled training leaves a checkpoint that grades', async () => {
    const run = await call('training.start', { folderId, config: tinyConfig(50) });
    // A job queued behind it and cancelled there never runs.
    const queued = await call('grading.start', { folderId, runId: first.runId, slides: 'all' });
    expect(await call('grading.cancel', { jobId: queued.jobId })).toEqual({ cancelled: true });
    await waitFor('queued grading cancelled', jobState(queued.jobId, 'cancelled'));
    await waitFor(
      'a step of the long run',
      (e) =>
        e.event === 'training.progress' && e.payload.runId === run.runId && e.payload.event.type === 'step',
    );
    expect(events.some(jobState(queued.jobId, 'running'))).toBe(false);
    expect(await call('training.cancel', { runId: run.runId })).toEqual({ cancelled: true });
    await waitFor('long run cancelled', jobState(run.jobId, 'cancelled'));
    const done = progressOf(run.runId).find((e) => e.type === 'done');
    expect(done).toMatchObject({ cancelled: true });
    expect(progressOf(run.runId).some((e) => e.type === 'checkpoint' && e.name === 'last')).toBe(true);
    expect((await call('runs.list', { folderId })).find((r) => r.id === run.runId)?.status).toBe('cancelled');

    const slides = (await call('slides.list', { folderId, limit: 2 })).rows.map((r) => r.id);
    const grading = await call('grading.start', { folderId, runId: run.runId, checkpoint: 'last', slides });
    await waitFor('grading with the cancelled run done', jobState(grading.jobId, 'done'));
    const prediction = await call('predictions.get', { slideId: slides[0]!, runId: run.runId });
    expect(prediction).not.toBeNull();
    const status = await call('app.status', {});
    expect(status.jobs.map((j) => j.jobId)).toContain(grading.jobId);
  });
});
