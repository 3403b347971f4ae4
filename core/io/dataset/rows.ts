/** Checks every label-file layout shares: row shape, ids, duplicates, the image behind each row, orphan files. */
import { join } from 'node:path';
import type { FolderIndex } from './listing.ts';
import type { Table, TableRow } from './table.ts';
import type { DatasetItem, Finding } from './types.ts';

export interface RowItem {
  row: TableRow;
  item: DatasetItem;
}

/** Records a finding in the dataset's list and, when it concerns one, in the item's own list. */
export function report(findings: Finding[], item: DatasetItem | null, finding: Finding): void {
  findings.push(finding);
  item?.findings.push(finding);
}

/** Where a row finding points: the label file, the row's line and its id (left out when empty). */
export function rowPlace(file: string, line: number, id: string): Pick<Finding, 'file' | 'line' | 'imageId'> {
  return id ? { file, line, imageId: id } : { file, line };
}

/** Why an id cannot name a file in the image folder, or null when it can. */
export function idProblem(id: string): string | null {
  if (id === '') return 'image_id is empty';
  if (/[/\\\0]/.test(id) || id === '.' || id === '..') return `image_id "${id}" is not a plain file name`;
  return null;
}

/**
 * One item per data row, label not yet set. `expectedName` gives the file name a row's image should have;
 * it is the path reported when the image is missing.
 */
export function itemsFromRows(
  table: Table,
  images: FolderIndex,
  expectedName: (id: string) => string,
  findings: Finding[],
): RowItem[] {
  const file = table.file;
  if (table.rows.length === 0)
    findings.push({ severity: 'error', code: 'no-rows', file, message: 'has a header but no rows' });
  const seen = new Map<string, number>();
  return table.rows.map((row) => {
    const id = row.get('image_id');
    const names = images.byId.get(id) ?? [];
    const [first] = names;
    const item: DatasetItem = {
      id,
      imagePath: join(images.dir, first ?? expectedName(id)),
      maskPath: null,
      label: null,
      findings: [],
    };
    const at = rowPlace(file, row.line, id);
    if (row.fieldCount !== table.columns.length)
      report(findings, item, {
        severity: 'error',
        code: 'wrong-field-count',
        ...at,
        message: `has ${row.fieldCount} fields, the header has ${table.columns.length}`,
      });
    const problem = idProblem(id);
    if (problem) {
      report(findings, item, { severity: 'error', code: 'bad-id', ...at, message: problem });
      return { row, item };
    }
    const firstLine = seen.get(id);
    if (firstLine === undefined) seen.set(id, row.line);
    else
      report(findings, item, {
        severity: 'error',
        code: 'duplicate-id',
        ...at,
        message: `image_id ${id} already appears on line ${firstLine}`,
      });
    if (names.length === 0)
      report(findings, item, {
        severity: 'error',
        code: 'missing-file',
        ...at,
        message: `image ${item.imagePath} does not exist`,
      });
    else if (names.length > 1)
      report(findings, item, {
        severity: 'error',
        code: 'ambiguous-file',
        ...at,
        message: `several images match: ${names.join(', ')}`,
      });
    return { row, item };
  });
}

/** Warnings for files of `index` whose id no row names. */
export function orphanFindings(
  index: FolderIndex,
  rowIds: ReadonlySet<string>,
  code: 'orphan-file' | 'orphan-mask',
  labelFile: string,
): Finding[] {
  const orphans: Finding[] = [];
  for (const [id, names] of index.byId) {
    if (rowIds.has(id)) continue;
    for (const name of names)
      orphans.push({
        severity: 'warning',
        code,
        file: join(index.dir, name),
        imageId: id,
        message: `no row of ${labelFile} names ${id}`,
      });
  }
  return orphans;
}

/** Code-unit order: the same on every machine, unlike localeCompare. */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Items sorted by id; the sort is stable, so rows sharing an id keep their file order. */
export function sortById(items: DatasetItem[]): DatasetItem[] {
  return [...items].sort((a, b) => compareCodeUnits(a.id, b.id));
}

/** Integer label in [0, max], or null. Accepts only plain digits: `1.0`, `+1` or `1e2` are mistakes to report. */
export function parseLabel(text: string, max: number): number | null {
  if (!/^\d{1,9}$/.test(text)) return null;
  const value = Number(text);
  return value <= max ? value : null;
}

/** Row findings in line order (checks run in several passes), then file findings in their given order. */
export function sortFindings(findings: Finding[]): Finding[] {
  const key = (f: Finding): number => f.line ?? Number.MAX_SAFE_INTEGER;
  return [...findings].sort((a, b) => key(a) - key(b));
}
