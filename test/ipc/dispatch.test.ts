import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDataset, summarizeDataset } from '../../core/io/dataset/index.ts';
import { DatasetError, UsageError } from '../../core/base/errors.ts';
import type { RequestName } from '../../core/shared/contract.ts';
import { createHandlerTable, dispatch, type HandlerTable } from '../../core/shared/validate.ts';
import {
  closeStore,
  currentReview,
  latestPrediction,
  listSlides,
  openStore,
  recentFolders,
  recordPrediction,
  recordRun,
  reviewHistory,
  saveReview,
  statFiles,
  syncSlides,
  upsertFolder,
  writeReviewsCsv,
  type Store,
} from '../../core/io/store/index.ts';
import { writePanda } from '../dataset/helpers.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';
import { probs } from '../store/helpers.ts';

/** What the transport hands each handler; here it records which handlers ran. */
interface Context {
  calls: RequestName[];
}

const notServed = (name: RequestName) => (): never => {
  throw new UsageError(null, `${name} is not served in this test`);
};

/** A back end over a real store for the folder, slide and review requests. */
function storeHandlers(store: Store): HandlerTable<Context> {
  return createHandlerTable<Context>({
    'folders.recent': ({ limit }, ctx) => {
      ctx.calls.push('folders.recent');
      return recentFolders(store, limit);
    },
    'folders.open': async ({ path }, ctx) => {
      ctx.calls.push('folders.open');
      const dataset = await openDataset(path);
      const folder = upsertFolder(store, { path: dataset.root, layout: dataset.layout });
      const stats = await statFiles(dataset.items.map((i) => i.imagePath));
      return {
        folder,
        summary: summarizeDataset(dataset),
        sync: syncSlides(store, folder.id, dataset, stats),
      };
    },
    'slides.list': ({ folderId, ...options }, ctx) => {
      ctx.calls.push('slides.list');
      const page = listSlides(store, folderId, options);
      return {
        total: page.total,
        rows: page.rows.map((row) => ({ ...row, thumbnailUrl: `slide://${row.id}/thumb` })),
      };
    },
    'slides.info': notServed('slides.info'),
    'dataset.findings': notServed('dataset.findings'),
    'training.start': notServed('training.start'),
    'training.cancel': notServed('training.cancel'),
    'training.resume': notServed('training.resume'),
    'runs.list': notServed('runs.list'),
    'runs.metrics': notServed('runs.metrics'),
    'runs.split': notServed('runs.split'),
    'grading.start': notServed('grading.start'),
    'grading.cancel': notServed('grading.cancel'),
    'predictions.get': ({ slideId, runId }, ctx) => {
      ctx.calls.push('predictions.get');
      return latestPrediction(store, slideId, runId);
    },
    'attention.get': notServed('attention.get'),
    'reviews.save': (input, ctx) => {
      ctx.calls.push('reviews.save');
      return saveReview(store, input);
    },
    'reviews.get': ({ slideId }) => currentReview(store, slideId),
    'reviews.history': ({ slideId }) => reviewHistory(store, slideId),
    'reviews.saveDraft': notServed('reviews.saveDraft'),
    'reviews.draft': notServed('reviews.draft'),
    'reviews.exportCsv': async ({ folderId, path }) => ({
      path,
      rows: await writeReviewsCsv(store, folderId, path),
    }),
    'annotations.list': notServed('annotations.list'),
    'annotations.create': notServed('annotations.create'),
    'annotations.update': notServed('annotations.update'),
    'annotations.delete': notServed('annotations.delete'),
    'annotations.restore': notServed('annotations.restore'),
    'annotations.history': notServed('annotations.history'),
    'annotations.setClasses': notServed('annotations.setClasses'),
    'annotations.exportGeojson': notServed('annotations.exportGeojson'),
    'annotations.importGeojson': notServed('annotations.importGeojson'),
    'annotations.exportFolder': notServed('annotations.exportFolder'),
    'annotations.importFolder': notServed('annotations.importFolder'),
    'annotations.importMask': notServed('annotations.importMask'),
    'masks.get': notServed('masks.get'),
    'app.status': notServed('app.status'),
  });
}

let dir: string;
let store: Store;
let table: HandlerTable<Context>;
let ctx: Context;
beforeEach(async () => {
  dir = await makeTempDir();
  store = openStore(join(dir, 'user-data'));
  table = storeHandlers(store);
  ctx = { calls: [] };
});
afterEach(async () => {
  closeStore(store);
  await removeDir(dir);
});

describe('dispatch over a store-backed handler table', () => {
  it('opens a folder, lists its slides, saves and exports a review through the contract', async () => {
    const root = join(dir, 'panda');
    await writePanda(root, ['a,radboud,3,4+3', 'b,karolinska,0,0+0'], ['a', 'b']);
    const opened = await dispatch(table, 'folders.open', { path: root }, ctx);
    if (!opened.ok) throw new Error(opened.error.message);
    expect(opened.value.sync.added).toEqual(['a', 'b']);
    expect(opened.value.summary).toMatchObject({ items: 2, usable: 2, layout: 'panda' });
    const folderId = opened.value.folder.id;

    const listed = await dispatch(table, 'slides.list', { folderId, sort: 'label', direction: 'desc' }, ctx);
    if (!listed.ok) throw new Error(listed.error.message);
    expect(listed.value.rows.map((r) => [r.imageId, r.label, r.thumbnailUrl])).toEqual([
      ['a', 3, `slide://${listed.value.rows[0]!.id}/thumb`],
      ['b', 0, `slide://${listed.value.rows[1]!.id}/thumb`],
    ]);
    const slideId = listed.value.rows[0]!.id;
    const run = recordRun(store, { runDir: join(dir, 'run'), folderId, config: {} });
    recordPrediction(store, { slideId, runId: run.id, grade: 3, probabilities: probs(3) });

    const saved = await dispatch(table, 'reviews.save', { slideId, reviewer: 'dr a', status: 'agreed' }, ctx);
    expect(saved).toMatchObject({ ok: true, value: { grade: 3, status: 'agreed', oldGrade: null } });
    const history = await dispatch(table, 'reviews.history', { slideId }, ctx);
    expect(history.ok && history.value).toHaveLength(1);

    const file = join(dir, 'reviews.csv');
    const exported = await dispatch(table, 'reviews.exportCsv', { folderId, path: file }, ctx);
    expect(exported).toEqual({ ok: true, value: { path: file, rows: 1 } });
    expect(await readFile(file, 'utf8')).toContain('a,3,3,3,agreed,,,,,,,dr a,');
    expect(ctx.calls).toEqual(['folders.open', 'slides.list', 'reviews.save']);
  });

  it('does not call any handler for an unknown channel', async () => {
    for (const name of ['slides.delete', '__proto__', 'hasOwnProperty']) {
      const outcome = await dispatch(table, name, {}, ctx);
      expect(outcome).toMatchObject({ ok: false, error: { code: 'unknown-channel' } });
    }
    expect(ctx.calls).toEqual([]);
  });

  it('does not call the handler for a bad payload', async () => {
    const outcomes = await Promise.all([
      dispatch(table, 'reviews.save', { slideId: 1, reviewer: 'dr a', status: 'overridden' }, ctx),
      dispatch(table, 'folders.recent', { limit: -3 }, ctx),
      dispatch(table, 'slides.list', 'folder 1', ctx),
      dispatch(table, 'predictions.get', undefined, ctx),
    ]);
    for (const outcome of outcomes) {
      expect(outcome.ok).toBe(false);
      if (!outcome.ok) expect(outcome.error.code).toBe('invalid-request');
    }
    expect(ctx.calls).toEqual([]);
  });

  it('turns typed handler errors into handler-failed with the file and problem', async () => {
    const missing = join(dir, 'nowhere');
    const outcome = await dispatch(table, 'folders.open', { path: missing }, ctx);
    expect(outcome).toEqual({
      ok: false,
      error: {
        code: 'handler-failed',
        message: `${missing}: does not exist`,
        file: missing,
        problem: 'does not exist',
        issues: [],
      },
    });
    const review = await dispatch(
      table,
      'reviews.save',
      { slideId: 99, reviewer: 'x', status: 'agreed' },
      ctx,
    );
    expect(review).toMatchObject({
      ok: false,
      error: { code: 'handler-failed', file: store.file, message: `${store.file}: has no slide with id 99` },
    });
    const usage = await dispatch(table, 'app.status', {}, ctx);
    expect(usage).toMatchObject({
      ok: false,
      error: {
        code: 'handler-failed',
        file: null,
        message: 'app.status is not served in this test',
        problem: 'app.status is not served in this test',
      },
    });
  });

  it('turns unexpected failures and contract-breaking results into typed errors, never a rejection', async () => {
    const broken = createHandlerTable<Context>({
      ...table,
      'folders.recent': () => {
        throw new TypeError('cannot read properties of undefined');
      },
      'reviews.get': () => Promise.reject('a bare string'),
      'predictions.get': () => ({ grade: 9 }) as never,
      'runs.list': async () => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        throw new DatasetError('/data/x/train.csv', 'line 3: quoted field is never closed');
      },
    });
    expect(await dispatch(broken, 'folders.recent', {}, ctx)).toMatchObject({
      ok: false,
      error: { code: 'internal-error', message: 'unexpected failure: cannot read properties of undefined' },
    });
    expect(await dispatch(broken, 'reviews.get', { slideId: 1 }, ctx)).toMatchObject({
      ok: false,
      error: { code: 'internal-error', message: 'unexpected failure: a bare string' },
    });
    const invalid = await dispatch(broken, 'predictions.get', { slideId: 1 }, ctx);
    expect(invalid).toMatchObject({ ok: false, error: { code: 'invalid-result' } });
    expect(!invalid.ok && invalid.error.issues.length).toBeGreaterThan(0);
    expect(await dispatch(broken, 'runs.list', {}, ctx)).toMatchObject({
      ok: false,
      error: {
        code: 'handler-failed',
        file: '/data/x/train.csv',
        message: '/data/x/train.csv: line 3: quoted field is never closed',
      },
    });
  });

  it('freezes the table it creates', () => {
    expect(Object.isFrozen(table)).toBe(true);
  });
});
