/** Opened slide folders: the dataset read from disk, synced into the store, and kept for this session. */
import { openDataset, summarizeDataset, type Dataset } from '../io/dataset/index.ts';
import type { HandlerReturn } from '../shared/contract.ts';
import type { Folder } from '../io/store/index.ts';
import { openProjectFolder } from '../jobs/project.ts';
import type { AppContext } from './context.ts';

/** Reads the folder's dataset, records the folder and brings its slides in the store up to date. */
export async function openFolder(ctx: AppContext, path: string): Promise<HandlerReturn<'folders.open'>> {
  const { folder, dataset, sync } = await openProjectFolder(ctx.store, path);
  ctx.datasets.set(folder.id, dataset);
  return { folder, summary: summarizeDataset(dataset), sync };
}

/** The folder's dataset as opened this session, or read again (a folder from the recent list). */
export async function datasetOf(ctx: AppContext, folder: Folder): Promise<Dataset> {
  const known = ctx.datasets.get(folder.id);
  if (known) return known;
  const dataset = await openDataset(folder.path);
  ctx.datasets.set(folder.id, dataset);
  return dataset;
}
