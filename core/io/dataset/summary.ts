/** Views of an opened dataset: the usable items, and the summary `patchgd dataset check` prints. */
import { relative } from 'node:path';
import { compareCodeUnits } from './rows.ts';
import type { Dataset, DatasetItem, DatasetLayout, Finding, FindingCode, Severity } from './types.ts';

/** One finding on one line, its place relative to the dataset root: `train.csv:4 [id]: message`. */
export function formatFinding(f: Finding, root: string): string {
  const where = relative(root, f.file) + (f.line !== undefined ? `:${f.line}` : '');
  return `${where}${f.imageId ? ` [${f.imageId}]` : ''}: ${f.message}`;
}

/** Items without error findings: what training or inference can use. */
export function usableItems(dataset: Dataset): DatasetItem[] {
  return dataset.items.filter((item) => !item.findings.some((f) => f.severity === 'error'));
}

export interface FindingGroup {
  code: FindingCode;
  severity: Severity;
  count: number;
  /** The first few findings of the group, in report order. */
  examples: Finding[];
}

export interface DatasetSummary {
  root: string;
  layout: DatasetLayout;
  items: number;
  usable: number;
  numClasses: number | null;
  /** Items per class label, over usable items (index = class); null for unlabelled data. */
  classCounts: number[] | null;
  /** Items per data provider (PANDA), sorted by name; empty when the layout has none. */
  providers: Record<string, number>;
  errors: number;
  warnings: number;
  /** Errors first, then by decreasing count. */
  groups: FindingGroup[];
}

/** Summarises a dataset; `examples` caps the findings kept per group. */
export function summarizeDataset(dataset: Dataset, examples = 3): DatasetSummary {
  const usable = usableItems(dataset);
  let classCounts: number[] | null = null;
  if (dataset.numClasses !== null) {
    classCounts = new Array<number>(dataset.numClasses).fill(0);
    for (const item of usable)
      if (item.label !== null) classCounts[item.label] = (classCounts[item.label] ?? 0) + 1;
  }
  const providers = new Map<string, number>();
  for (const item of dataset.items)
    if (item.provider !== undefined) providers.set(item.provider, (providers.get(item.provider) ?? 0) + 1);

  const groups = new Map<string, FindingGroup>();
  for (const f of dataset.findings) {
    const key = `${f.severity} ${f.code}`;
    const group = groups.get(key) ?? { code: f.code, severity: f.severity, count: 0, examples: [] };
    group.count++;
    if (group.examples.length < examples) group.examples.push(f);
    groups.set(key, group);
  }
  const errors = dataset.findings.filter((f) => f.severity === 'error').length;
  return {
    root: dataset.root,
    layout: dataset.layout,
    items: dataset.items.length,
    usable: usable.length,
    numClasses: dataset.numClasses,
    classCounts,
    providers: Object.fromEntries([...providers].sort(([a], [b]) => compareCodeUnits(a, b))),
    errors,
    warnings: dataset.findings.length - errors,
    groups: [...groups.values()].sort(
      (a, b) => Number(b.severity === 'error') - Number(a.severity === 'error') || b.count - a.count,
    ),
  };
}
