/** Slide folders the user has opened: the recent-folders list. */
import { resolve } from 'node:path';
import type { DatasetLayout } from '../dataset/types.ts';
import type { Store } from './open.ts';
import { writeTransaction } from './write.ts';

export interface Folder {
  id: number;
  path: string;
  layout: DatasetLayout;
  addedAt: string;
  openedAt: string;
}

interface FolderRow {
  id: number;
  path: string;
  layout: DatasetLayout;
  added_at: string;
  opened_at: string;
}

const COLUMNS = 'id, path, layout, added_at, opened_at';

function toFolder(row: FolderRow): Folder {
  return { id: row.id, path: row.path, layout: row.layout, addedAt: row.added_at, openedAt: row.opened_at };
}

/** Adds the folder, or marks it opened now (its layout may have changed, e.g. a train.csv was added). */
export function upsertFolder(
  store: Store,
  folder: { path: string; layout: DatasetLayout },
  at?: string,
): Folder {
  const path = resolve(folder.path);
  const row = writeTransaction(
    store,
    (time) =>
      store.db
        .prepare(
          `INSERT INTO folders (path, layout, added_at, opened_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (path) DO UPDATE SET layout = excluded.layout, opened_at = excluded.opened_at
         RETURNING ${COLUMNS}`,
        )
        .get(path, folder.layout, time, time),
    at,
  ) as FolderRow;
  return toFolder(row);
}

export function getFolder(store: Store, folderId: number): Folder | null {
  const row = store.db.prepare(`SELECT ${COLUMNS} FROM folders WHERE id = ?`).get(folderId) as
    FolderRow | undefined;
  return row ? toFolder(row) : null;
}

/** Most recently opened first. */
export function recentFolders(store: Store, limit = 10): Folder[] {
  const rows = store.db
    .prepare(`SELECT ${COLUMNS} FROM folders ORDER BY opened_at DESC, id DESC LIMIT ?`)
    .all(limit) as FolderRow[];
  return rows.map(toFolder);
}
