import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCsv } from '../../core/io/dataset/index.ts';
import {
  closeStore,
  exportReviewsCsv,
  recordPrediction,
  REVIEW_CSV_HEADER,
  saveReview,
  syncSlides,
  writeReviewsCsv,
} from '../../core/io/store/index.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';
import { item, probs, seedStore, type Seeded } from './helpers.ts';

let dir: string;
let seeded: Seeded;
beforeEach(async () => {
  dir = await makeTempDir();
  seeded = seedStore(dir, [item('a', 3), item('b,odd "id"', null), item('c', 1), item('d', 0)]);
});
afterEach(async () => {
  closeStore(seeded.store);
  await removeDir(dir);
});

describe('review export', () => {
  it('writes one escaped row per reviewed slide with the grade the reviewer judged', async () => {
    const { store, runId, folderId, slides } = seeded;
    const a = slides.get('a')!;
    const judged = recordPrediction(store, { slideId: a, runId, grade: 4, probabilities: probs(4) });
    saveReview(store, { slideId: a, reviewer: 'Dr. Smith, MD', status: 'agreed' }, 't1');
    // A later prediction does not change what the review judged.
    recordPrediction(store, { slideId: a, runId, grade: 1, probabilities: probs(1) });
    expect(judged.grade).toBe(4);
    const note = 'line one\nsaid "cribriform", maybe';
    saveReview(
      store,
      { slideId: slides.get('b,odd "id"')!, reviewer: 'dr b', status: 'overridden', grade: 2, note },
      't2',
    );
    // Patterns 4+3 imply ISUP 3; the reviewer's 5 is kept and flagged.
    const gleason = { primaryPattern: 4, secondaryPattern: 3, tertiaryPattern: 5, pattern4Percent: 62.5 };
    saveReview(
      store,
      { slideId: slides.get('c')!, reviewer: 'dr c', status: 'overridden', grade: 5, ...gleason },
      't3',
    );
    saveReview(store, { slideId: slides.get('d')!, reviewer: 'dr d', status: 'ungradable' }, 't4');
    // A reviewed slide removed from the folder is still exported.
    syncSlides(store, folderId, { items: [item('a', 3), item('b,odd "id"', null), item('d', 0)] }, new Map());

    const csv = exportReviewsCsv(store, folderId);
    const records = parseCsv(csv, 'export.csv').map((r) => r.fields);
    expect(records).toEqual([
      [...REVIEW_CSV_HEADER],
      ['a', '3', '4', '4', 'agreed', '', '', '', '', '', '', 'Dr. Smith, MD', 't1', ''],
      // No prediction: a grade set there is "graded", not "overridden".
      ['b,odd "id"', '', '', '2', 'graded', '', '', '', '', '', '', 'dr b', 't2', note],
      ['c', '1', '', '5', 'graded', '4', '3', '5', '3', 'yes', '62.5', 'dr c', 't3', ''],
      ['d', '0', '', '', 'ungradable', '', '', '', '', '', '', 'dr d', 't4', ''],
    ]);
    expect(csv).toContain('"b,odd ""id"""');

    const file = join(dir, 'reviews.csv');
    expect(await writeReviewsCsv(store, folderId, file)).toBe(4);
    expect(await readFile(file, 'utf8')).toBe(csv);
    expect((await readdir(dir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('exports only the header when nothing is reviewed', () => {
    expect(exportReviewsCsv(seeded.store, seeded.folderId)).toBe(REVIEW_CSV_HEADER.join(',') + '\n');
  });

  it('names the file it cannot write', async () => {
    const file = join(dir, 'no-such-folder', 'reviews.csv');
    await expect(writeReviewsCsv(seeded.store, seeded.folderId, file)).rejects.toThrow(file);
  });
});
