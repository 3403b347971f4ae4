/**
 * The PANDA layout: `train.csv` (image_id,data_provider,isup_grade,gleason_score), slides in
 * `train_images/<id>.tiff`, optional masks in `train_label_masks/<id>_mask.tiff`. Kaggle's unlabelled
 * `test.csv` (image_id,data_provider) with `test_images/` is read the same way, without grades.
 */
import { basename, join } from 'node:path';
import { type BenignForm, isupOf, parseGleason } from './gleason.ts';
import type { FolderIndex } from './listing.ts';
import {
  itemsFromRows,
  orphanFindings,
  parseLabel,
  report,
  rowPlace,
  type RowItem,
  sortById,
  sortFindings,
} from './rows.ts';
import type { Table } from './table.ts';
import type { Dataset, DatasetItem, Finding } from './types.ts';

interface BenignRow {
  entry: RowItem;
  form: BenignForm;
}

export const PANDA_TRAIN = {
  csv: 'train.csv',
  images: 'train_images',
  masks: 'train_label_masks',
  columns: ['image_id', 'data_provider', 'isup_grade', 'gleason_score'],
} as const;

export const PANDA_TEST = {
  csv: 'test.csv',
  images: 'test_images',
  columns: ['image_id', 'data_provider'],
} as const;

export const ISUP_CLASSES = 6;

/** How each PANDA provider writes a benign biopsy. */
export const PANDA_PROVIDERS: ReadonlyMap<string, BenignForm> = new Map<string, BenignForm>([
  ['radboud', 'negative'],
  ['karolinska', '0+0'],
]);

const slideName = (id: string): string => `${id}.tiff`;

/** Builds the dataset from the parsed label table and the folder listings; no file access. */
export function pandaDataset(
  root: string,
  table: Table,
  slides: FolderIndex,
  masks: FolderIndex | null,
  labelled: boolean,
): Dataset {
  const findings: Finding[] = [];
  const rows = itemsFromRows(table, slides, slideName, findings);
  const benign: BenignRow[] = [];
  for (const entry of rows) {
    const { row, item } = entry;
    const at = rowPlace(table.file, row.line, item.id);
    item.provider = row.get('data_provider');
    if (!PANDA_PROVIDERS.has(item.provider))
      report(findings, item, {
        severity: 'warning',
        code: 'unknown-provider',
        ...at,
        message: `data_provider "${item.provider}" is not ${[...PANDA_PROVIDERS.keys()].join(' or ')}`,
      });
    const maskNames = masks?.byId.get(item.id);
    if (masks && maskNames?.[0]) item.maskPath = join(masks.dir, maskNames[0]);
    if (!labelled) continue;

    const gradeText = row.get('isup_grade');
    item.label = parseLabel(gradeText, ISUP_CLASSES - 1);
    if (item.label === null)
      report(findings, item, {
        severity: 'error',
        code: 'bad-grade',
        ...at,
        message: `isup_grade "${gradeText}" is not an integer 0–5`,
      });
    item.gleason = row.get('gleason_score');
    const score = parseGleason(item.gleason);
    if (!score) {
      report(findings, item, {
        severity: 'warning',
        code: 'bad-gleason',
        ...at,
        message: `gleason_score "${item.gleason}" is not negative, 0+0 or a+b with a, b in 3–5`,
      });
      continue;
    }
    if (score.benign) benign.push({ entry, form: score.form });
    const implied = isupOf(score);
    if (item.label !== null && implied !== item.label)
      report(findings, item, {
        severity: 'warning',
        code: 'isup-mismatch',
        ...at,
        message: `gleason_score ${item.gleason} means ISUP ${implied}, but isup_grade is ${item.label}`,
      });
  }
  for (const f of conventionFindings(benign, table.file)) report(findings, f.item, f.finding);

  const ids = new Set(rows.map((r) => r.item.id));
  const labelFile = basename(table.file);
  findings.push(...orphanFindings(slides, ids, 'orphan-file', labelFile));
  if (masks) findings.push(...orphanFindings(masks, ids, 'orphan-mask', labelFile));
  return {
    root,
    layout: 'panda',
    items: sortById(rows.map((r) => r.item)),
    numClasses: labelled ? ISUP_CLASSES : null,
    findings: sortFindings(findings),
  };
}

/**
 * Benign rows written the way their provider does not write them. A known provider expects its own form;
 * for an unknown one the more common form in the file is taken as its convention (the first seen on a tie).
 */
function conventionFindings(
  benign: readonly BenignRow[],
  file: string,
): { item: DatasetItem; finding: Finding }[] {
  const byProvider = new Map<string, BenignRow[]>();
  for (const b of benign) {
    const provider = b.entry.item.provider ?? '';
    const list = byProvider.get(provider);
    if (list) list.push(b);
    else byProvider.set(provider, [b]);
  }
  const out: { item: DatasetItem; finding: Finding }[] = [];
  for (const [provider, list] of byProvider) {
    const expected = PANDA_PROVIDERS.get(provider) ?? majorityForm(list.map((b) => b.form));
    for (const { entry, form } of list) {
      if (form === expected) continue;
      out.push({
        item: entry.item,
        finding: {
          severity: 'warning',
          code: 'gleason-convention',
          ...rowPlace(file, entry.row.line, entry.item.id),
          message: `benign written as ${form}; ${provider || 'this provider'} writes ${expected}`,
        },
      });
    }
  }
  return out;
}

function majorityForm(forms: readonly BenignForm[]): BenignForm {
  const negatives = forms.filter((f) => f === 'negative').length;
  const zeros = forms.length - negatives;
  if (negatives !== zeros) return negatives > zeros ? 'negative' : '0+0';
  return forms[0] ?? 'negative';
}
