/** Keeps a folder's slides in step with its dataset, noticing new, changed and removed files. */
import { stat } from 'node:fs/promises';
import type { DatasetItem } from '../dataset/types.ts';
import { StoreError } from './errors.ts';
import type { Store } from './open.ts';
import { writeTransaction } from './write.ts';

export interface FileStat {
  size: number;
  mtimeMs: number;
}

export interface SyncReport {
  /** Image ids new to the folder, or back after having been removed. */
  added: string[];
  /** Image ids whose file changed (path, size or modification time), appeared or went missing. */
  changed: string[];
  /** Image ids no longer in the dataset; their slides are hidden, their reviews and predictions kept. */
  removed: string[];
  unchanged: number;
}

export interface Slide {
  id: number;
  folderId: number;
  imageId: string;
  path: string;
  /** Null when the file is missing. */
  fileSize: number | null;
  label: number | null;
  provider: string | null;
  gleason: string | null;
  removedAt: string | null;
}

/** The `slides` columns that every slide query returns to callers. */
export interface SlideColumns {
  id: number;
  image_id: string;
  path: string;
  file_size: number | null;
  label: number | null;
  provider: string | null;
  gleason: string | null;
}

interface SlideRow extends SlideColumns {
  folder_id: number;
  file_mtime_ms: number | null;
  removed_at: string | null;
}

/** How many files are stat'ed at once: enough to hide latency on network shares, few enough for handles. */
const STAT_BATCH = 64;

/** Stats each path; files that cannot be stat'ed (missing, unreadable) are left out of the map. */
export async function statFiles(paths: readonly string[]): Promise<Map<string, FileStat>> {
  const stats = new Map<string, FileStat>();
  for (let i = 0; i < paths.length; i += STAT_BATCH) {
    await Promise.all(
      paths.slice(i, i + STAT_BATCH).map(async (path) => {
        try {
          const s = await stat(path);
          if (s.isFile()) stats.set(path, { size: s.size, mtimeMs: s.mtimeMs });
        } catch {
          // A missing file is recorded as such (null size), not an error: the dataset already reports it.
        }
      }),
    );
  }
  return stats;
}

/** The first item per id: the dataset keeps file order among duplicates, and the first one is the usable one. */
function firstPerId(items: readonly DatasetItem[]): Map<string, DatasetItem> {
  const byId = new Map<string, DatasetItem>();
  for (const item of items) if (!byId.has(item.id)) byId.set(item.id, item);
  return byId;
}

function fileChanged(row: SlideRow, path: string, file: FileStat | undefined): boolean {
  return (
    row.path !== path ||
    row.file_size !== (file?.size ?? null) ||
    row.file_mtime_ms !== (file?.mtimeMs ?? null)
  );
}

function labelsChanged(row: SlideRow, item: DatasetItem): boolean {
  return (
    row.label !== item.label ||
    row.provider !== (item.provider ?? null) ||
    row.gleason !== (item.gleason ?? null)
  );
}

/**
 * Brings the folder's slides in line with `dataset` in one transaction. `stats` holds the files that exist
 * (see statFiles), keyed by image path. Labels, providers and Gleason scores are refreshed from the labels; rows
 * with nothing new are not rewritten, so reopening a large unchanged folder writes nothing.
 */
export function syncSlides(
  store: Store,
  folderId: number,
  dataset: { readonly items: readonly DatasetItem[] },
  stats: ReadonlyMap<string, FileStat>,
  at?: string,
): SyncReport {
  const items = firstPerId(dataset.items);
  return writeTransaction(
    store,
    (time) => {
      const folder = store.db.prepare('SELECT 1 FROM folders WHERE id = ?').get(folderId);
      if (!folder) throw new StoreError(store.file, `has no slide folder with id ${folderId}`);
      const existing = new Map(
        (store.db.prepare('SELECT * FROM slides WHERE folder_id = ?').all(folderId) as SlideRow[]).map(
          (row) => [row.image_id, row],
        ),
      );
      const insert = store.db.prepare(
        `INSERT INTO slides (folder_id, image_id, path, file_size, file_mtime_ms, label, provider, gleason)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      const update = store.db.prepare(
        `UPDATE slides SET path = ?, file_size = ?, file_mtime_ms = ?, label = ?, provider = ?, gleason = ?,
         removed_at = NULL WHERE id = ?`,
      );
      const remove = store.db.prepare('UPDATE slides SET removed_at = ? WHERE id = ?');
      const report: SyncReport = { added: [], changed: [], removed: [], unchanged: 0 };

      for (const [id, item] of items) {
        const file = stats.get(item.imagePath);
        const values = [
          item.imagePath,
          file?.size ?? null,
          file?.mtimeMs ?? null,
          item.label,
          item.provider ?? null,
          item.gleason ?? null,
        ];
        const row = existing.get(id);
        if (!row) {
          insert.run(folderId, id, ...values);
          report.added.push(id);
          continue;
        }
        const changed = fileChanged(row, item.imagePath, file);
        if (row.removed_at === null && !changed && !labelsChanged(row, item)) {
          report.unchanged++;
          continue;
        }
        update.run(...values, row.id);
        if (row.removed_at !== null) report.added.push(id);
        else if (changed) report.changed.push(id);
        else report.unchanged++;
      }
      for (const [id, row] of existing) {
        if (items.has(id) || row.removed_at !== null) continue;
        remove.run(time, row.id);
        report.removed.push(id);
      }
      return report;
    },
    at,
  );
}

/** A slide's shared columns as API fields. */
export function slideFields(row: SlideColumns) {
  return {
    id: row.id,
    imageId: row.image_id,
    path: row.path,
    fileSize: row.file_size,
    label: row.label,
    provider: row.provider,
    gleason: row.gleason,
  };
}

function toSlide(row: SlideRow): Slide {
  return { ...slideFields(row), folderId: row.folder_id, removedAt: row.removed_at };
}

export function getSlide(store: Store, slideId: number): Slide | null {
  const row = store.db.prepare('SELECT * FROM slides WHERE id = ?').get(slideId) as SlideRow | undefined;
  return row ? toSlide(row) : null;
}

/** The slide, or a StoreError naming the store when there is none with that id. */
/** The folder's slides that are still part of its dataset, by image id. */
export function presentSlides(store: Store, folderId: number): Slide[] {
  const ids = store.db
    .prepare('SELECT id FROM slides WHERE folder_id = ? AND removed_at IS NULL ORDER BY image_id')
    .pluck()
    .all(folderId) as number[];
  return ids.map((id) => getSlide(store, id)!);
}

export function requireSlide(store: Store, slideId: number): Slide {
  const slide = getSlide(store, slideId);
  if (!slide) throw new StoreError(store.file, `has no slide with id ${slideId}`);
  return slide;
}
