import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  closeStore,
  currentReview,
  getRun,
  latestPrediction,
  listCheckpoints,
  listRuns,
  recordCheckpoint,
  recordPrediction,
  recordRun,
  reviewDraft,
  reviewHistory,
  saveReview,
  saveReviewDraft,
  StoreError,
  updateRun,
} from '../../core/io/store/index.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';
import { item, probs, seedStore, type Seeded } from './helpers.ts';

let dir: string;
let seeded: Seeded;
beforeEach(async () => {
  dir = await makeTempDir();
  seeded = seedStore(dir, [item('a', 2), item('b', 0)]);
});
afterEach(async () => {
  closeStore(seeded.store);
  await removeDir(dir);
});

const slide = (id: string): number => seeded.slides.get(id)!;

describe('runs and checkpoints', () => {
  it('records, finishes and resumes a run under one id', () => {
    const { store, folderId } = seeded;
    const runDir = join(dir, 'run-2');
    const run = recordRun(store, { runDir, folderId, config: { epochs: 3, lr: 0.001 } }, 't1');
    expect(run).toMatchObject({ runDir, status: 'running', createdAt: 't1', finishedAt: null, best: null });
    expect(run.config).toEqual({ epochs: 3, lr: 0.001 });

    const best = { metric: 'valQwk', value: 0.81, epoch: 2 };
    const done = updateRun(
      store,
      run.id,
      { status: 'cancelled', best, message: 'cancelled by the user' },
      't2',
    );
    expect(done).toMatchObject({
      status: 'cancelled',
      finishedAt: 't2',
      best,
      message: 'cancelled by the user',
    });
    // A status change alone keeps the best metric.
    expect(updateRun(store, run.id, { status: 'running' }).best).toEqual(best);

    const resumed = recordRun(store, { runDir, folderId, config: { epochs: 5, lr: 0.001 } }, 't3');
    expect(resumed).toMatchObject({ id: run.id, createdAt: 't1', status: 'running', message: null });
    expect(getRun(store, run.id)?.config).toEqual({ epochs: 5, lr: 0.001 });
    expect(listRuns(store, folderId).map((r) => r.id)).toEqual([run.id, seeded.runId]);
    expect(listRuns(store, folderId + 1)).toEqual([]);
    expect(() => updateRun(store, 999, { status: 'done' })).toThrow(/has no run with id 999/);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    for (const config of [circular, undefined, { n: 1n }])
      expect(() => recordRun(store, { runDir: join(dir, 'bad'), folderId, config })).toThrow(
        /a run configuration must be JSON data/,
      );
  });

  it('replaces a checkpoint saved again under the same name', () => {
    const { store, runId } = seeded;
    recordCheckpoint(store, { runId, name: 'last', epoch: 1, path: '/r/last', metricValue: null }, 't1');
    recordCheckpoint(store, { runId, name: 'best', epoch: 1, path: '/r/best', metricValue: 0.5 }, 't1');
    recordCheckpoint(store, { runId, name: 'last', epoch: 2, path: '/r/last', metricValue: null }, 't2');
    expect(listCheckpoints(store, runId)).toEqual([
      { runId, name: 'best', epoch: 1, path: '/r/best', metricValue: 0.5, savedAt: 't1' },
      { runId, name: 'last', epoch: 2, path: '/r/last', metricValue: null, savedAt: 't2' },
    ]);
    expect(() =>
      recordCheckpoint(store, { runId: 999, name: 'last', epoch: 1, path: '/x', metricValue: null }),
    ).toThrow(StoreError);
  });
});

describe('predictions', () => {
  it('keeps every prediction and answers the latest, overall or per run', () => {
    const { store, runId, folderId } = seeded;
    const other = recordRun(store, { runDir: join(dir, 'run-2'), folderId, config: {} });
    const first = recordPrediction(store, {
      slideId: slide('a'),
      runId,
      grade: 2,
      probabilities: probs(2, 0.6),
    });
    expect(first).toMatchObject({ grade: 2, confidence: 0.6, attentionPath: null });
    expect(first.probabilities).toEqual(probs(2, 0.6));
    const second = recordPrediction(store, {
      slideId: slide('a'),
      runId: other.id,
      grade: 3,
      probabilities: probs(3),
      attentionPath: '/r/attention/a.json',
    });
    expect(latestPrediction(store, slide('a'))?.id).toBe(second.id);
    expect(latestPrediction(store, slide('a'), runId)?.id).toBe(first.id);
    expect(latestPrediction(store, slide('b'))).toBeNull();
  });

  it('rejects grades and probabilities that cannot be an ISUP prediction', () => {
    const { store, runId } = seeded;
    const slideId = slide('a');
    expect(() => recordPrediction(store, { slideId, runId, grade: 6, probabilities: probs(0) })).toThrow(
      /not an ISUP grade/,
    );
    expect(() => recordPrediction(store, { slideId, runId, grade: 1, probabilities: [0.2, 0.2] })).toThrow(
      /sum to 0.4/,
    );
    expect(() => recordPrediction(store, { slideId, runId, grade: 3, probabilities: [0.5, 0.5] })).toThrow(
      /do not cover/,
    );
    expect(() =>
      recordPrediction(store, { slideId, runId, grade: 0, probabilities: [Number.NaN, 1, 0, 0, 0, 0] }),
    ).toThrow(/\[0, 1\]/);
    expect(() => recordPrediction(store, { slideId: 999, runId, grade: 0, probabilities: probs(0) })).toThrow(
      /has no slide with id 999/,
    );
    expect(store.db.prepare('SELECT count(*) FROM predictions').pluck().get()).toBe(0);
  });
});

describe('reviews', () => {
  it('agrees with the latest prediction, overrides it, and keeps the whole history', () => {
    const { store, runId } = seeded;
    const slideId = slide('a');
    const prediction = recordPrediction(store, { slideId, runId, grade: 3, probabilities: probs(3) });
    const agreed = saveReview(store, { slideId, reviewer: ' dr a ', status: 'agreed' }, 't1');
    expect(agreed).toMatchObject({ grade: 3, oldGrade: null, reviewer: 'dr a', predictionId: prediction.id });
    saveReview(
      store,
      { slideId, reviewer: 'dr b', status: 'overridden', grade: 4, note: 'cribriform' },
      't2',
    );
    saveReview(store, { slideId, reviewer: 'dr a', status: 'overridden', grade: 2 }, 't3');

    expect(
      reviewHistory(store, slideId).map((e) => [e.reviewedAt, e.oldGrade, e.grade, e.status, e.note]),
    ).toEqual([
      ['t3', 4, 2, 'overridden', ''],
      ['t2', 3, 4, 'overridden', 'cribriform'],
      ['t1', null, 3, 'agreed', ''],
    ]);
    expect(currentReview(store, slideId)).toEqual({
      slideId,
      reviewer: 'dr a',
      reviewedAt: 't3',
      grade: 2,
      status: 'overridden',
      note: '',
      predictionId: prediction.id,
      primaryPattern: null,
      secondaryPattern: null,
      tertiaryPattern: null,
      pattern4Percent: null,
      derivedGrade: null,
    });
    expect(currentReview(store, slide('b'))).toBeNull();
  });

  it('records Gleason patterns with the ISUP grade they imply, keeping a different grade the reviewer chose', () => {
    const { store, runId } = seeded;
    const slideId = slide('a');
    recordPrediction(store, { slideId, runId, grade: 2, probabilities: probs(2) });
    const gleason = { primaryPattern: 4, secondaryPattern: 3, tertiaryPattern: 5, pattern4Percent: 70 };
    // 4+3 is ISUP 3; the reviewer grades 4 (tertiary 5): kept, and derivedGrade shows the disagreement.
    const saved = saveReview(store, {
      slideId,
      reviewer: 'dr a',
      status: 'overridden',
      grade: 4,
      ...gleason,
    });
    expect(saved).toMatchObject({ ...gleason, grade: 4, derivedGrade: 3, status: 'overridden' });
    expect(currentReview(store, slideId)).toMatchObject({ ...gleason, grade: 4, derivedGrade: 3 });
    // Agreeing keeps the patterns too: 3+4 is ISUP 2, the model's grade.
    const agreed = saveReview(store, {
      slideId,
      reviewer: 'dr a',
      status: 'agreed',
      primaryPattern: 3,
      secondaryPattern: 4,
    });
    expect(agreed).toMatchObject({ grade: 2, derivedGrade: 2, tertiaryPattern: null, pattern4Percent: null });
  });

  it('records a grade given where no prediction exists as graded, and an ungradable slide without a grade', () => {
    const { store } = seeded;
    const slideId = slide('b');
    // The renderer and older clients send "overridden"; with nothing to override the store says "graded".
    const graded = saveReview(store, { slideId, reviewer: 'dr a', status: 'overridden', grade: 1 }, 't1');
    expect(graded).toMatchObject({ status: 'graded', grade: 1, predictionId: null });
    const ungradable = saveReview(
      store,
      { slideId, reviewer: 'dr a', status: 'ungradable', note: 'crush artefact' },
      't2',
    );
    expect(ungradable).toMatchObject({
      status: 'ungradable',
      grade: null,
      oldGrade: 1,
      note: 'crush artefact',
    });
    const regraded = saveReview(store, { slideId, reviewer: 'dr b', status: 'graded', grade: 3 }, 't3');
    expect(regraded).toMatchObject({ status: 'graded', grade: 3, oldGrade: null });
    expect(reviewHistory(store, slideId).map((e) => [e.status, e.grade])).toEqual([
      ['graded', 3],
      ['ungradable', null],
      ['graded', 1],
    ]);
  });

  it('keeps a draft note per slide until the review is saved, and forgets an emptied one', () => {
    const { store } = seeded;
    const a = slide('a');
    const b = slide('b');
    expect(reviewDraft(store, a)).toBeNull();
    saveReviewDraft(store, a, 'first thought', 't1');
    saveReviewDraft(store, a, 'second thought', 't2');
    saveReviewDraft(store, b, 'on b', 't2');
    expect(reviewDraft(store, a)).toEqual({ slideId: a, note: 'second thought', savedAt: 't2' });
    expect(saveReviewDraft(store, b, '')).toBeNull();
    expect(reviewDraft(store, b)).toBeNull();
    saveReview(store, { slideId: a, reviewer: 'dr a', status: 'graded', grade: 2, note: 'second thought' });
    expect(reviewDraft(store, a)).toBeNull();
    expect(currentReview(store, a)?.note).toBe('second thought');
    expect(() => saveReviewDraft(store, 999, 'x')).toThrow(StoreError);
  });

  it('refuses Gleason records that are not a pathologist’s report', () => {
    const { store } = seeded;
    const slideId = slide('b');
    const save = (extra: object): unknown =>
      saveReview(store, { slideId, reviewer: 'dr a', status: 'graded', grade: 2, ...extra });
    expect(() => save({ primaryPattern: 2, secondaryPattern: 3 })).toThrow(
      /primary Gleason pattern must be 3, 4 or 5/,
    );
    expect(() => save({ secondaryPattern: 3 })).toThrow(/secondary Gleason pattern needs a primary/);
    expect(() => save({ primaryPattern: 3, tertiaryPattern: 5 })).toThrow(
      /tertiary .* needs primary and secondary/,
    );
    expect(() => save({ pattern4Percent: 120 })).toThrow(/% pattern 4 must be between 0 and 100/);
    expect(() =>
      saveReview(store, {
        slideId,
        reviewer: 'dr a',
        status: 'ungradable',
        primaryPattern: 3,
        secondaryPattern: 3,
      }),
    ).toThrow(`slide ${slideId} is marked ungradable but has Gleason patterns`);
    expect(store.db.prepare('SELECT count(*) FROM review_events').pluck().get()).toBe(0);
  });

  it('refuses reviews that cannot be saved as asked, leaving nothing behind', () => {
    const { store, runId } = seeded;
    const a = slide('a');
    const b = slide('b');
    expect(() => saveReview(store, { slideId: b, reviewer: 'dr a', status: 'agreed' })).toThrow(
      /has no prediction to agree with/,
    );
    expect(() => saveReview(store, { slideId: a, reviewer: 'dr a', status: 'overridden', grade: 7 })).toThrow(
      /not an ISUP grade/,
    );
    expect(() => saveReview(store, { slideId: a, reviewer: '  ', status: 'overridden', grade: 1 })).toThrow(
      /reviewer/,
    );
    const onB = recordPrediction(store, { slideId: b, runId, grade: 1, probabilities: probs(1) });
    expect(() =>
      saveReview(store, { slideId: a, reviewer: 'dr a', status: 'agreed', predictionId: onB.id }),
    ).toThrow(`has no prediction ${onB.id} for slide ${a}`);
    expect(() =>
      saveReview(store, { slideId: 999, reviewer: 'dr a', status: 'overridden', grade: 1 }),
    ).toThrow(StoreError);
    expect(store.db.prepare('SELECT count(*) FROM review_events').pluck().get()).toBe(0);
    expect(store.db.prepare('SELECT count(*) FROM reviews').pluck().get()).toBe(0);
  });

  it('writes the history row and the current review in one transaction', () => {
    const { store } = seeded;
    const slideId = slide('a');
    saveReview(store, { slideId, reviewer: 'dr a', status: 'overridden', grade: 1 });
    // Make the second write of the save fail: the history row written before it must roll back too.
    store.db.exec(
      "CREATE TRIGGER fail_review BEFORE UPDATE ON reviews BEGIN SELECT RAISE(ABORT, 'disk trouble'); END",
    );
    expect(() => saveReview(store, { slideId, reviewer: 'dr b', status: 'overridden', grade: 5 })).toThrow(
      /disk trouble/,
    );
    expect(reviewHistory(store, slideId)).toHaveLength(1);
    expect(currentReview(store, slideId)?.grade).toBe(1);
  });

  it('names the store when another connection holds the write lock too long, and saves once it is free', () => {
    const { store } = seeded;
    const slideId = slide('a');
    const other = new Database(store.file);
    try {
      other.exec('BEGIN IMMEDIATE');
      store.db.pragma('busy_timeout = 50');
      expect(() => saveReview(store, { slideId, reviewer: 'dr a', status: 'overridden', grade: 1 })).toThrow(
        `${store.file}: is locked by another process`,
      );
      other.exec('ROLLBACK');
      expect(saveReview(store, { slideId, reviewer: 'dr a', status: 'overridden', grade: 1 }).grade).toBe(1);
    } finally {
      other.close();
    }
  });
});
