/** Every request handler through `handleRequest` (validation included) on a real store and generated slides. */
import { mkdir, readFile, writeFile, appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../core/app/context.ts';
import { handleRequest } from '../../core/app/handlers.ts';
import type { RequestInput, RequestName, RequestResult } from '../../core/shared/contract.ts';
import {
  getRun,
  recordCheckpoint,
  recordPrediction,
  recordRun,
  upsertFolder,
} from '../../core/io/store/index.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';
import { testContext, writePandaFolder } from './helpers.ts';

let dir: string;
let data: string;
let ctx: AppContext;

async function ok<C extends RequestName>(channel: C, params: RequestInput<C>): Promise<RequestResult<C>> {
  const outcome = await handleRequest(ctx, channel, params);
  if (!outcome.ok) throw new Error(`${channel} failed: ${outcome.error.message}`);
  return outcome.value as RequestResult<C>;
}

async function failure(channel: string, params: unknown) {
  const outcome = await handleRequest(ctx, channel, params);
  if (outcome.ok) throw new Error(`${channel} should have failed`);
  return outcome.error;
}

beforeAll(async () => {
  dir = await makeTempDir('patchgd-app-');
  data = join(dir, 'panda');
  await writePandaFolder(data, [
    { id: 'a1', grade: 0 },
    { id: 'b2', grade: 1, width: 300, height: 700 },
    { id: 'c3', grade: 1 },
  ]);
  // A row whose slide is missing: an error finding, and a slide listed without a file.
  await appendFile(join(data, 'train.csv'), 'd4,radboud,2,3+4\n');
  ctx = testContext(join(dir, 'user'));
});

afterAll(async () => {
  await ctx.close();
  await removeDir(dir);
});

describe('folders and slides', () => {
  it('opens a folder, syncs its slides and summarises the dataset', async () => {
    const opened = await ok('folders.open', { path: data });
    expect(opened.folder.layout).toBe('panda');
    expect(opened.folder.path).toBe(data);
    expect(opened.sync.added.sort()).toEqual(['a1', 'b2', 'c3', 'd4']);
    expect(opened.summary.items).toBe(4);
    expect(opened.summary.usable).toBe(3);
    expect(opened.summary.groups.map((g) => g.code)).toContain('missing-file');
    const again = await ok('folders.open', { path: data });
    expect(again.folder.id).toBe(opened.folder.id);
    expect(again.sync).toEqual({ added: [], changed: [], removed: [], unchanged: 4 });
    expect((await ok('folders.recent', {})).map((f) => f.path)).toEqual([data]);
  });

  it('names the folder when it is not a dataset', async () => {
    const error = await failure('folders.open', { path: join(dir, 'nowhere') });
    expect(error.code).toBe('handler-failed');
    expect(error.file).toBe(join(dir, 'nowhere'));
  });

  it('lists slides sorted and filtered, with thumbnail URLs by slide id', async () => {
    const [folder] = await ok('folders.recent', {});
    const page = await ok('slides.list', { folderId: folder!.id, sort: 'label', direction: 'desc' });
    expect(page.total).toBe(4);
    expect(page.rows.map((r) => r.imageId)).toEqual(['d4', 'b2', 'c3', 'a1']);
    for (const row of page.rows) expect(row.thumbnailUrl).toBe(`slide://${row.id}/thumb`);
    expect(page.rows[0]!.fileSize).toBeNull();
    const filtered = await ok('slides.list', { folderId: folder!.id, filter: { labels: [0] } });
    expect(filtered.rows.map((r) => r.imageId)).toEqual(['a1']);
    expect((await failure('slides.list', { folderId: 999 })).code).toBe('handler-failed');
    expect((await failure('slides.list', { folderId: folder!.id, limit: 5000 })).code).toBe(
      'invalid-request',
    );
  });

  it('describes a slide: pyramid levels, tile URL template', async () => {
    const [folder] = await ok('folders.recent', {});
    const row = (await ok('slides.list', { folderId: folder!.id })).rows.find((r) => r.imageId === 'b2')!;
    const info = await ok('slides.info', { slideId: row.id });
    expect(info).toMatchObject({ imageId: 'b2', width: 300, height: 700, compression: 'jpeg' });
    expect(info.levels.length).toBeGreaterThan(1);
    expect(info.levels[0]).toMatchObject({ width: 300, height: 700, downsample: 1, tileWidth: 128 });
    expect(info.tileUrlTemplate).toBe(`slide://${row.id}/tiles/{level}/{x}/{y}`);
    const missing = await failure('slides.info', { slideId: 12345 });
    expect(missing.problem).toMatch(/no slide with id 12345/);
  });

  it('pages the dataset findings by severity', async () => {
    const [folder] = await ok('folders.recent', {});
    const errors = await ok('dataset.findings', { folderId: folder!.id, severity: 'error' });
    expect(errors.total).toBe(1);
    expect(errors.findings[0]).toMatchObject({ code: 'missing-file', imageId: 'd4', line: 5 });
    const none = await ok('dataset.findings', { folderId: folder!.id, severity: 'error', offset: 1 });
    expect(none).toEqual({ total: 1, findings: [] });
  });
});

describe('runs, predictions, attention, reviews', () => {
  let folderId: number;
  let slideId: number;
  let runId: number;
  let predictionId: number;

  beforeAll(async () => {
    const [folder] = await ok('folders.recent', {});
    folderId = folder!.id;
    slideId = (await ok('slides.list', { folderId })).rows.find((r) => r.imageId === 'c3')!.id;
    const runDir = join(dir, 'run-x');
    await mkdir(runDir, { recursive: true });
    runId = recordRun(ctx.store, { runDir, folderId, config: { epochs: 2 }, status: 'done' }).id;
    const metric = (epoch: number) =>
      JSON.stringify({
        epoch,
        loss: 1 / (epoch + 1),
        trainAccuracy: 0.5,
        valLoss: null,
        valAccuracy: null,
        seconds: 1,
        patchesPerSecond: 10,
        lr: 0.001,
        valQwk: 0.3,
      });
    // The second line was cut short by a crash: it is skipped, not an error.
    await writeFile(join(runDir, 'metrics.jsonl'), `${metric(0)}\n${metric(1)}\n{"epoch":`);
    const attentionPath = join(runDir, 'attention-c3.json');
    await writeFile(
      attentionPath,
      JSON.stringify({
        origin: { x: 0, y: 0 },
        dx: 300,
        dy: 200,
        gridWidth: 2,
        gridHeight: 2,
        values: [0.1, null, 1, 0.5],
      }),
    );
    predictionId = recordPrediction(ctx.store, {
      slideId,
      runId,
      grade: 1,
      probabilities: [0.2, 0.7, 0.1],
      attentionPath,
    }).id;
    recordCheckpoint(ctx.store, {
      runId,
      name: 'best',
      epoch: 2,
      path: join(runDir, 'checkpoints/best'),
      metricValue: 0.3,
    });
  });

  it('lists runs and reads their metrics', async () => {
    const runs = await ok('runs.list', { folderId });
    expect(runs.map((r) => r.id)).toContain(runId);
    expect(runs.find((r) => r.id === runId)!.config).toEqual({ epochs: 2 });
    const metrics = await ok('runs.metrics', { runId });
    expect(metrics.epochs.map((e) => e.epoch)).toEqual([0, 1]);
    expect(metrics.epochs[1]!.valQwk).toBe(0.3);
    expect((await failure('runs.metrics', { runId: 777 })).problem).toMatch(/no run with id 777/);
  });

  it('answers the latest prediction and its attention grid', async () => {
    const prediction = await ok('predictions.get', { slideId });
    expect(prediction).toMatchObject({ id: predictionId, grade: 1, confidence: 0.7 });
    expect(await ok('predictions.get', { slideId, runId: runId + 100 })).toBeNull();
    const grid = await ok('attention.get', { predictionId });
    expect(grid).toMatchObject({ predictionId, gridWidth: 2, values: [0.1, null, 1, 0.5] });
    // A grid file whose cells do not fill the grid is refused, naming the file.
    const badPath = join(dir, 'run-x', 'attention-bad.json');
    await writeFile(
      badPath,
      JSON.stringify({ origin: { x: 0, y: 0 }, dx: 1, dy: 1, gridWidth: 3, gridHeight: 3, values: [0] }),
    );
    const bad = recordPrediction(ctx.store, {
      slideId,
      runId,
      grade: 0,
      probabilities: [1],
      attentionPath: badPath,
    });
    const refused = await failure('attention.get', { predictionId: bad.id });
    expect(refused).toMatchObject({ code: 'handler-failed', file: badPath });
    const plain = recordPrediction(ctx.store, { slideId, runId, grade: 1, probabilities: [0.4, 0.6] });
    expect(await ok('attention.get', { predictionId: plain.id })).toBeNull();
    // The newest prediction of the slide is the judged one from here on: record the one the tests below expect.
    predictionId = recordPrediction(ctx.store, {
      slideId,
      runId,
      grade: 1,
      probabilities: [0.2, 0.7, 0.1],
    }).id;
  });

  it('saves reviews, keeps the history and exports CSV', async () => {
    expect(await ok('reviews.saveDraft', { slideId, note: 'look again' })).toMatchObject({
      note: 'look again',
    });
    expect(await ok('reviews.draft', { slideId })).toMatchObject({ slideId, note: 'look again' });
    const agreed = await ok('reviews.save', { slideId, reviewer: 'dr a', status: 'agreed' });
    expect(agreed).toMatchObject({ grade: 1, predictionId, oldGrade: null });
    expect(await ok('reviews.draft', { slideId })).toBeNull();
    await ok('reviews.save', {
      slideId,
      reviewer: 'dr b',
      status: 'overridden',
      grade: 3,
      note: 'cribriform',
    });
    expect(await ok('reviews.get', { slideId })).toMatchObject({ grade: 3, reviewer: 'dr b' });
    const history = await ok('reviews.history', { slideId });
    expect(history.map((h) => [h.grade, h.oldGrade])).toEqual([
      [3, 1],
      [1, null],
    ]);
    const out = join(dir, 'reviews.csv');
    expect(await ok('reviews.exportCsv', { folderId, path: out })).toEqual({ path: out, rows: 1 });
    expect((await readFile(out, 'utf8')).split('\n')[1]).toMatch(/^c3,1,1,3,overridden,,,,,,,dr b,/);
    const relative = await failure('reviews.exportCsv', { folderId, path: 'reviews.csv' });
    expect(relative.problem).toMatch(/absolute path/);
    expect((await failure('reviews.save', { slideId, reviewer: ' ', status: 'agreed' })).code).toBe(
      'invalid-request',
    );
  });

  it('refuses grading without the checkpoint and training with an impossible configuration', async () => {
    const noLast = await failure('grading.start', { folderId, runId, checkpoint: 'last', slides: 'all' });
    expect(noLast.problem).toMatch(/no last checkpoint/);
    const wrongSlide = await failure('grading.start', { folderId, runId, slides: [99999] });
    expect(wrongSlide.problem).toMatch(/no slide with id 99999/);
    const bad = await failure('training.start', { folderId, config: { imageSize: 100, patchSize: 32 } });
    expect(bad).toMatchObject({ code: 'handler-failed' });
    expect(bad.problem).toMatch(/not a multiple of patch size/);
    const classes = await failure('training.start', { folderId, config: { numClasses: 2 } });
    expect(classes.problem).toMatch(/dataset has 6 classes but the configuration 2/);
    expect(classes.file).toBe(data);
    expect(await ok('training.cancel', { runId })).toEqual({ cancelled: false });
    expect(await ok('grading.cancel', { jobId: 'nope' })).toEqual({ cancelled: false });
    // Nothing was queued: no engine process was needed for any of this.
    expect(ctx.engine.pid).toBeNull();
  });
});

describe('app status', () => {
  it('reports the engine backend, versions and jobs', async () => {
    const status = await ok('app.status', {});
    expect(status.backend.name).toBe('wasm');
    expect(status.backend.wasm?.kernels.length).toBeGreaterThan(0);
    expect(status.versions.node).toBe(process.versions.node);
    expect(status.versions.sqlite).toMatch(/^3\./);
    expect(status.memory.systemTotal).toBeGreaterThan(0);
    expect(Array.isArray(status.jobs)).toBe(true);
  });
});

describe('a new launch', () => {
  it('marks runs a previous launch left training as failed, to be resumed', async () => {
    const user = join(dir, 'user-restart');
    const before = testContext(user);
    const folder = upsertFolder(before.store, { path: data, layout: 'panda' });
    const running = recordRun(before.store, { runDir: join(dir, 'run-r'), folderId: folder.id, config: {} });
    const done = recordRun(before.store, {
      runDir: join(dir, 'run-d'),
      folderId: folder.id,
      config: {},
      status: 'done',
    });
    await before.close();
    const after = testContext(user);
    try {
      expect(getRun(after.store, running.id)).toMatchObject({
        status: 'failed',
        message: expect.stringMatching(/resume/),
      });
      expect(getRun(after.store, done.id)?.status).toBe('done');
    } finally {
      await after.close();
    }
  });
});
