/** The unlabelled slide-folder layout: every slide file directly in the folder is an item, its id the file stem. */
import { join } from 'node:path';
import type { FolderIndex } from './listing.ts';
import { report, sortById } from './rows.ts';
import type { Dataset, DatasetItem, Finding } from './types.ts';

export const SLIDE_EXTENSIONS = ['.tiff', '.tif', '.svs', '.ndpi', '.btf'] as const;

/** Builds the dataset from the folder listing; no file access. */
export function slideFolderDataset(root: string, slides: FolderIndex): Dataset {
  const findings: Finding[] = [];
  const items: DatasetItem[] = [];
  for (const [id, names] of slides.byId) {
    const [first, ...others] = names.map((name) => join(slides.dir, name));
    if (first === undefined) continue;
    items.push({ id, imagePath: first, maskPath: null, label: null, findings: [] });
    for (const path of others) {
      const item: DatasetItem = { id, imagePath: path, maskPath: null, label: null, findings: [] };
      items.push(item);
      report(findings, item, {
        severity: 'error',
        code: 'duplicate-id',
        file: path,
        imageId: id,
        message: `slide id ${id} is also ${first}`,
      });
    }
  }
  return { root, layout: 'slides', items: sortById(items), numClasses: null, findings };
}
