/**
 * Issue 18 item 13: writers contending for the store's write lock stamp their rows with the time they hold the
 * lock, so a slide's review history, in commit order, never goes back in time.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeStore, openStore } from '../../core/io/store/index.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';
import { item, seedStore } from './helpers.ts';

const WRITER = fileURLToPath(new URL('./review-writer.ts', import.meta.url));
const WRITERS = 3;
/** Saves each writer makes before it is stopped (bounded by a deadline too). */
const SAVES = 150;

let dir: string;
let slideId: number;
beforeAll(async () => {
  dir = await makeTempDir('patchgd-contention-');
  const seeded = seedStore(dir, [item('c', 2)]);
  slideId = seeded.slides.get('c')!;
  closeStore(seeded.store);
});
afterAll(() => removeDir(dir));

/** One writer saving reviews of the slide in a loop until it has made SAVES of them or 8 s have passed. */
function writer(round: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, dir, String(slideId), String(round)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let saves = 0;
    const deadline = setTimeout(() => child.kill('SIGKILL'), 8000);
    createInterface({ input: child.stdout }).on('line', () => {
      if (++saves === SAVES) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(deadline);
      resolve(saves);
    });
  });
}

describe('review events under contention', () => {
  it('carry times that never decrease in commit order', async () => {
    const saves = await Promise.all(Array.from({ length: WRITERS }, (_, i) => writer(i)));
    expect(Math.min(...saves)).toBeGreaterThan(20);
    const store = openStore(dir);
    try {
      const times = (
        store.db
          .prepare('SELECT reviewed_at FROM review_events WHERE slide_id = ? ORDER BY id')
          .all(slideId) as {
          reviewed_at: string;
        }[]
      ).map((r) => r.reviewed_at);
      expect(times.length).toBeGreaterThanOrEqual(saves.reduce((a, b) => a + b, 0));
      const backwards = times.flatMap((t, i) =>
        i > 0 && t < times[i - 1]! ? [`${times[i - 1]} → ${t}`] : [],
      );
      expect(backwards).toEqual([]);
    } finally {
      closeStore(store);
    }
  }, 30_000);
});
