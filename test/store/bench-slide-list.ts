/**
 * Benchmark: listSlides on a 10,000-slide folder with predictions from two runs and reviews, for each sort key
 * and a filtered page. Prints one JSON object (median milliseconds per page of 100).
 * Run: npx tsx test/store/bench-slide-list.ts
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
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
import { slideSortSchema } from '../../core/shared/contract.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';
import { item, probs, seedStore } from './helpers.ts';

const SLIDES = 10_000;
const REPEATS = 15;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const dir = await makeTempDir();
try {
  const items = Array.from({ length: SLIDES }, (_, i) => item(`s${String(i).padStart(5, '0')}`, i % 6));
  const t0 = performance.now();
  const { store, folderId, runId, slides } = seedStore(dir, items);
  const seedMs = performance.now() - t0;
  const run2 = recordRun(store, { runDir: join(dir, 'run-2'), folderId, config: {} }).id;
  store.db.transaction(() => {
    items.forEach((it, i) => {
      const slideId = slides.get(it.id)!;
      recordPrediction(store, { slideId, runId, grade: (i * 7) % 6, probabilities: probs((i * 7) % 6) });
      if (i % 2 === 0)
        recordPrediction(store, { slideId, runId: run2, grade: i % 6, probabilities: probs(i % 6, 0.5) });
      if (i % 4 === 0) saveReview(store, { slideId, reviewer: 'dr a', status: 'agreed' });
    });
  })();
  const t1 = performance.now();
  const resync = syncSlides(
    store,
    folderId,
    { items },
    new Map(items.map((it) => [it.imagePath, { size: 1000, mtimeMs: 1_700_000_000_000 }])),
  );
  const resyncMs = performance.now() - t1;

  const time = (options: SlideListOptions): number => {
    const runs: number[] = [];
    for (let r = 0; r < REPEATS; r++) {
      const start = performance.now();
      listSlides(store, folderId, options);
      runs.push(performance.now() - start);
    }
    return Number(median(runs).toFixed(2));
  };
  const sorts: readonly SlideSort[] = slideSortSchema.options;
  const pageMs = Object.fromEntries(
    sorts.map((sort) => [sort, time({ sort, direction: 'desc', limit: 100 })]),
  );
  const result = {
    benchmark: 'store.listSlides',
    slides: SLIDES,
    predictions: SLIDES * 1.5,
    reviews: SLIDES / 4,
    seedAndSyncMs: Number(seedMs.toFixed(1)),
    resyncUnchangedMs: Number(resyncMs.toFixed(1)),
    resyncUnchanged: resync.unchanged,
    pageOf100MedianMs: pageMs,
    lastPageMs: time({ sort: 'predicted', offset: SLIDES - 100, limit: 100 }),
    filteredMs: time({
      filter: { disagreement: true, review: ['unreviewed'] },
      sort: 'confidence',
      limit: 100,
    }),
    oneRunMs: time({ runId: run2, sort: 'predicted', limit: 100 }),
    node: process.version,
  };
  closeStore(store);
  console.log(JSON.stringify(result));
} finally {
  await removeDir(dir);
}
