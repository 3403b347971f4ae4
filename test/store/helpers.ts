/** Temporary stores and in-memory datasets for the store tests. */
import { join } from 'node:path';
import type { DatasetItem } from '../../core/io/dataset/types.ts';
import {
  openStore,
  recordRun,
  syncSlides,
  upsertFolder,
  type FileStat,
  type Store,
} from '../../core/io/store/index.ts';

/** A labelled PANDA-like item at `/slides/<id>.tiff` (the file need not exist: stats are passed separately). */
export function item(id: string, label: number | null, extra: Partial<DatasetItem> = {}): DatasetItem {
  return { id, imagePath: `/slides/${id}.tiff`, maskPath: null, label, findings: [], ...extra };
}

/** Stats for the items' paths, as if every file existed with the given size. */
export function statsFor(
  items: readonly DatasetItem[],
  size = 1000,
  mtimeMs = 1_700_000_000_000,
): Map<string, FileStat> {
  return new Map(items.map((it) => [it.imagePath, { size, mtimeMs }]));
}

export interface Seeded {
  store: Store;
  folderId: number;
  runId: number;
  /** Slide ids by image id. */
  slides: Map<string, number>;
}

/** A store with one folder holding `items`, and one run. */
export function seedStore(dir: string, items: readonly DatasetItem[]): Seeded {
  const store = openStore(dir);
  const folder = upsertFolder(store, { path: '/slides', layout: 'panda' });
  syncSlides(store, folder.id, { items }, statsFor(items));
  const run = recordRun(store, { runDir: join(dir, 'run-1'), folderId: folder.id, config: { epochs: 1 } });
  const rows = store.db.prepare('SELECT image_id, id FROM slides WHERE folder_id = ?').all(folder.id) as {
    image_id: string;
    id: number;
  }[];
  return { store, folderId: folder.id, runId: run.id, slides: new Map(rows.map((r) => [r.image_id, r.id])) };
}

/** Probabilities that put `p` on `grade` and share the rest evenly over the other five grades. */
export function probs(grade: number, p = 0.75): number[] {
  return Array.from({ length: 6 }, (_, g) => (g === grade ? p : (1 - p) / 5));
}
