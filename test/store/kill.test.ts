import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeStore, currentReview, openStore, reviewHistory } from '../../core/io/store/index.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';
import { item, seedStore } from './helpers.ts';
import { runAndKill } from './kill-child.ts';

const WRITER = fileURLToPath(new URL('./review-writer.ts', import.meta.url));
const ROUNDS = 5;

let dir: string;
let slideId: number;
beforeAll(async () => {
  dir = await makeTempDir();
  const seeded = seedStore(dir, [item('k', 2)]);
  slideId = seeded.slides.get('k')!;
  closeStore(seeded.store);
});
afterAll(async () => {
  await removeDir(dir);
});

describe('store under SIGKILL', () => {
  it('keeps every committed review and a consistent, intact file after repeated kills', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const lastCommitted = await runAndKill(WRITER, dir, [String(slideId), String(round)]);
      expect(lastCommitted).toBeGreaterThanOrEqual(5);

      const store = openStore(dir);
      try {
        expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');
        const saved = reviewHistory(store, slideId)
          .filter((e) => e.note.startsWith(`${round}:`))
          .map((e) => Number(e.note.split(':')[1]))
          .reverse();
        // Every reported save is there, in order; at most the one in flight when killed is extra.
        expect(saved.slice(0, lastCommitted + 1)).toEqual(
          Array.from({ length: lastCommitted + 1 }, (_, i) => i),
        );
        expect(saved.length - (lastCommitted + 1)).toBeLessThanOrEqual(1);
        // The current review is the newest history entry: both were written in one transaction.
        const newest = reviewHistory(store, slideId)[0]!;
        expect(currentReview(store, slideId)).toMatchObject({ grade: newest.grade, note: newest.note });
      } finally {
        closeStore(store);
      }
    }
  }, 300_000);
});
