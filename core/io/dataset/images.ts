/**
 * The labelled image-folder layout: `labels.csv` (image_id,label) with images `<image_id>.<png|jpg|jpeg|tif|tiff>`
 * in an `images/` subfolder when there is one, else next to `labels.csv` (the UltraMNIST generator writes
 * `images/`). Labels are class indices 0, 1, 2, …; the class count is the largest label plus one.
 */
import { basename } from 'node:path';
import type { FolderIndex } from './listing.ts';
import {
  itemsFromRows,
  orphanFindings,
  parseLabel,
  report,
  rowPlace,
  sortById,
  sortFindings,
} from './rows.ts';
import type { Table } from './table.ts';
import type { Dataset, Finding } from './types.ts';

export const IMAGE_FOLDER = {
  csv: 'labels.csv',
  images: 'images',
  columns: ['image_id', 'label'],
  extensions: ['.png', '.jpg', '.jpeg', '.tif', '.tiff'],
} as const;

/** Classes beyond this are a typo, not a dataset: the model's output layer would be absurdly large. */
export const MAX_CLASSES = 10_000;

/** Builds the dataset from the parsed label table and the image folder listing; no file access. */
export function imageFolderDataset(root: string, table: Table, images: FolderIndex): Dataset {
  const findings: Finding[] = [];
  const rows = itemsFromRows(table, images, (id) => `${id}.png`, findings);
  let maxLabel = -1;
  for (const { row, item } of rows) {
    const text = row.get('label');
    item.label = parseLabel(text, MAX_CLASSES - 1);
    if (item.label === null)
      report(findings, item, {
        severity: 'error',
        code: 'bad-label',
        ...rowPlace(table.file, row.line, item.id),
        message: `label "${text}" is not an integer 0–${MAX_CLASSES - 1}`,
      });
    else maxLabel = Math.max(maxLabel, item.label);
  }
  const ids = new Set(rows.map((r) => r.item.id));
  findings.push(...orphanFindings(images, ids, 'orphan-file', basename(table.file)));
  return {
    root,
    layout: 'images',
    items: sortById(rows.map((r) => r.item)),
    numClasses: maxLabel >= 0 ? maxLabel + 1 : null,
    findings: sortFindings(findings),
  };
}
