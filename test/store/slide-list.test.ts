import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  closeStore,
  listSlides,
  recordPrediction,
  recordRun,
  saveReview,
  syncSlides,
  type SlideListOptions,
  type SlideSort,
} from '../../core/io/store/index.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';
import { item, probs, seedStore, type Seeded } from './helpers.ts';

/** The expected state of one slide, kept beside the store to check its answers against. */
interface Model {
  imageId: string;
  label: number | null;
  predicted: number | null;
  confidence: number | null;
  predictedByRun1: number | null;
  reviewed: number | null;
  status: 'agreed' | 'overridden' | 'graded' | null;
}

const N = 10_000;
let dir: string;
let seeded: Seeded;
let models: Model[];
let run2: number;

beforeAll(async () => {
  dir = await makeTempDir();
  const ids = Array.from({ length: N }, (_, i) => `s${String(i).padStart(5, '0')}`);
  const labelOf = (i: number): number | null => (i % 97 === 0 ? null : (i * 5) % 6);
  // Removed from the folder before listing: must not appear.
  const gone = item('zz-removed', 1);
  seeded = seedStore(dir, [...ids.map((id, i) => item(id, labelOf(i))), gone]);
  const { store, folderId, runId } = seeded;
  syncSlides(store, folderId, { items: ids.map((id, i) => item(id, labelOf(i))) }, new Map());
  run2 = recordRun(store, { runDir: join(dir, 'run-2'), folderId, config: {} }).id;
  models = ids.map((imageId, i) => ({
    imageId,
    label: labelOf(i),
    predicted: null,
    confidence: null,
    predictedByRun1: null,
    reviewed: null,
    status: null,
  }));
  store.db.transaction(() => {
    models.forEach((m, i) => {
      const slideId = seeded.slides.get(m.imageId)!;
      if (i % 3 !== 0) {
        const grade = (i * 7) % 6;
        const confidence = 0.3 + ((i * 13) % 60) / 100;
        recordPrediction(store, { slideId, runId, grade, probabilities: probs(grade, confidence) });
        Object.assign(m, { predicted: grade, predictedByRun1: grade, confidence });
      }
      if (i % 5 === 0) {
        // A later run's prediction becomes the latest one.
        recordPrediction(store, { slideId, runId: run2, grade: 5, probabilities: probs(5, 0.9) });
        Object.assign(m, { predicted: 5, confidence: 0.9 });
      }
      if (i % 10 === 0) {
        saveReview(store, { slideId, reviewer: 'dr a', status: 'agreed' });
        Object.assign(m, { reviewed: m.predicted, status: 'agreed' });
      } else if (i % 7 === 0) {
        saveReview(store, { slideId, reviewer: 'dr b', status: 'overridden', grade: i % 6 });
        // With no prediction there is nothing to override: the store records "graded".
        Object.assign(m, { reviewed: i % 6, status: m.predicted === null ? 'graded' : 'overridden' });
      }
    });
  })();
}, 300_000);

afterAll(async () => {
  closeStore(seeded.store);
  await removeDir(dir);
});

const KEY: Record<Exclude<SlideSort, 'reviewedAt'>, (m: Model) => string | number | null> = {
  imageId: (m) => m.imageId,
  label: (m) => m.label,
  predicted: (m) => m.predicted,
  confidence: (m) => m.confidence,
  reviewed: (m) => m.reviewed,
  reviewStatus: (m) => m.status,
};

/** The page the store should return, computed from the model: nulls last, ties by image id. */
function expectedIds(
  sort: keyof typeof KEY,
  direction: 'asc' | 'desc',
  keep: (m: Model) => boolean,
): string[] {
  const key = KEY[sort];
  const sign = direction === 'asc' ? 1 : -1;
  return models
    .filter(keep)
    .sort((x, y) => {
      const a = key(x);
      const b = key(y);
      if (a !== b) {
        if (a === null) return 1;
        if (b === null) return -1;
        return (a < b ? -1 : 1) * sign;
      }
      return x.imageId < y.imageId ? -1 : 1;
    })
    .map((m) => m.imageId);
}

function list(options: SlideListOptions): { total: number; ids: string[] } {
  const page = listSlides(seeded.store, seeded.folderId, options);
  return { total: page.total, ids: page.rows.map((r) => r.imageId) };
}

describe('listSlides over 10,000 slides', () => {
  it('pages through present slides in image-id order with the total count', () => {
    const first = listSlides(seeded.store, seeded.folderId, { limit: 50 });
    expect(first.total).toBe(N);
    expect(first.rows).toHaveLength(50);
    expect(first.rows.map((r) => r.imageId)).toEqual(expectedIds('imageId', 'asc', () => true).slice(0, 50));
    const last = list({ offset: N - 30, limit: 100 });
    expect(last.ids).toHaveLength(30);
    expect(last.ids.at(-1)).toBe('s09999');
    expect(list({ offset: N + 10, limit: 10 })).toEqual({ total: N, ids: [] });
  });

  it('joins label, latest prediction and current review into each row', () => {
    const page = listSlides(seeded.store, seeded.folderId, { filter: { search: 's00010' }, limit: 10 });
    expect(page.total).toBe(1);
    const row = page.rows[0]!;
    expect(row).toMatchObject({ imageId: 's00010', label: (10 * 5) % 6, fileSize: null });
    expect(row.prediction).toMatchObject({ grade: 5, confidence: 0.9, runId: run2 });
    expect(row.prediction?.probabilities).toEqual(probs(5, 0.9));
    expect(row.review).toMatchObject({ grade: 5, status: 'agreed', reviewer: 'dr a' });
    const unpredicted = listSlides(seeded.store, seeded.folderId, { filter: { search: 's00003' }, limit: 1 });
    expect(unpredicted.rows[0]).toMatchObject({ prediction: null, review: null });
  });

  for (const sort of Object.keys(KEY) as (keyof typeof KEY)[]) {
    for (const direction of ['asc', 'desc'] as const) {
      it(`sorts by ${sort} ${direction}, nulls last`, () => {
        const expected = expectedIds(sort, direction, () => true);
        expect(list({ sort, direction, limit: 1000 }).ids).toEqual(expected.slice(0, 1000));
        expect(list({ sort, direction, offset: 9500, limit: 1000 }).ids).toEqual(expected.slice(9500));
      });
    }
  }

  it('filters by labels, predicted grades, review status, disagreement and search', () => {
    const cases: [SlideListOptions['filter'], (m: Model) => boolean][] = [
      [{ labels: [0, 5] }, (m) => m.label === 0 || m.label === 5],
      [{ predicted: [5] }, (m) => m.predicted === 5],
      [{ review: ['unreviewed'] }, (m) => m.status === null],
      [{ review: ['agreed', 'overridden', 'graded'] }, (m) => m.status !== null],
      [{ review: ['graded'] }, (m) => m.status === 'graded'],
      [{ disagreement: true }, (m) => m.label !== null && m.predicted !== null && m.label !== m.predicted],
      [{ search: 'S012' }, (m) => m.imageId.includes('s012')],
      [
        { labels: [2], review: ['overridden'], predicted: [4, 5] },
        (m) => m.label === 2 && m.status === 'overridden' && m.predicted !== null && m.predicted >= 4,
      ],
    ];
    for (const [filter, keep] of cases) {
      const expected = expectedIds('label', 'desc', keep);
      expect(expected.length).toBeGreaterThan(0);
      const page = list({ filter, sort: 'label', direction: 'desc', limit: 1000 });
      expect(page.total).toBe(expected.length);
      expect(page.ids).toEqual(expected.slice(0, 1000));
    }
  });

  it('takes predictions of one run when asked', () => {
    const expected = expectedIds('predicted', 'asc', () => true);
    const byRun1 = models
      .slice()
      .sort((x, y) => {
        const a = x.predictedByRun1;
        const b = y.predictedByRun1;
        if (a !== b) return a === null ? 1 : b === null ? -1 : a - b;
        return x.imageId < y.imageId ? -1 : 1;
      })
      .map((m) => m.imageId);
    const page = list({ sort: 'predicted', runId: seeded.runId, limit: 1000 });
    expect(page.ids).toEqual(byRun1.slice(0, 1000));
    expect(page.ids).not.toEqual(expected.slice(0, 1000));
  });

  it('rejects paging outside the limits', () => {
    expect(() => list({ limit: 0 })).toThrow(/limit must be an integer 1–1000/);
    expect(() => list({ limit: 1001 })).toThrow(/limit/);
    expect(() => list({ offset: -1 })).toThrow(/offset must be an integer ≥ 0/);
    expect(() => list({ offset: 1.5 })).toThrow(/offset/);
  });
});
