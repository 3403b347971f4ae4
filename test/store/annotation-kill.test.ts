import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  annotationHistory,
  closeStore,
  createAnnotation,
  getAnnotation,
  openStore,
} from '../../core/io/store/index.ts';
import { measure, rectanglePolygon, resolutionOf } from '../../core/shared/annotations.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';
import { item, seedStore } from './helpers.ts';
import { runAndKill } from './kill-child.ts';

const WRITER = fileURLToPath(new URL('./annotation-writer.ts', import.meta.url));
const ROUNDS = 3;

let dir: string;
let id: number;
beforeAll(async () => {
  dir = await makeTempDir();
  const seeded = seedStore(dir, [item('k', 2)]);
  const a = createAnnotation(
    seeded.store,
    seeded.slides.get('k')!,
    { tool: 'rectangle', geometry: rectanglePolygon([0, 0], [1, 1]), className: 'Tumour' },
    'dr a',
  );
  id = a.id;
  closeStore(seeded.store);
});
afterAll(async () => {
  await removeDir(dir);
});

describe('annotations under SIGKILL', () => {
  it('keeps every committed edit, and the annotation equals its newest history entry', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const lastCommitted = await runAndKill(WRITER, dir, [String(id), String(round)]);
      expect(lastCommitted).toBeGreaterThanOrEqual(5);
      const store = openStore(dir);
      try {
        expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');
        const edits = annotationHistory(store, id)
          .filter((e) => e.after.note.startsWith(`${round}:`))
          .map((e) => Number(e.after.note.split(':')[1]))
          .reverse();
        expect(edits.slice(0, lastCommitted + 1)).toEqual(
          Array.from({ length: lastCommitted + 1 }, (_, i) => i),
        );
        expect(edits.length - (lastCommitted + 1)).toBeLessThanOrEqual(1);
        const current = getAnnotation(store, id)!;
        expect(current).toEqual(annotationHistory(store, id)[0]!.after);
        const seq = Number(current.note.split(':')[1]);
        expect(measure(current.geometry, resolutionOf(null)).area).toBe((seq + 1) * 10);
      } finally {
        closeStore(store);
      }
    }
  }, 300_000);
});
