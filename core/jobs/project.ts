/**
 * The project a front door works on: the store in the user-data folder and a slide folder opened into it. The app
 * (`folders.open`) and the CLI share this, so a folder opened by either is the same folder to the other.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { openDataset, type Dataset } from '../io/dataset/index.ts';
import {
  statFiles,
  syncSlides,
  upsertFolder,
  type Folder,
  type Store,
  type SyncReport,
} from '../io/store/index.ts';

/** Where the app keeps its store and runs when no folder is given (XDG data folder on Linux). */
export const DEFAULT_USER_DATA = join(
  process.env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'),
  'patchgd-studio',
);

export interface OpenedFolder {
  folder: Folder;
  dataset: Dataset;
  sync: SyncReport;
}

/** Reads the folder's dataset, records the folder and brings its slides in the store up to date. */
export async function openProjectFolder(store: Store, path: string): Promise<OpenedFolder> {
  const dataset = await openDataset(resolve(path));
  const folder = upsertFolder(store, { path: dataset.root, layout: dataset.layout });
  const stats = await statFiles(dataset.items.map((item) => item.imagePath));
  const sync = syncSlides(store, folder.id, dataset, stats);
  return { folder, dataset, sync };
}
