/** Public API of the dataset module. */
export type { CsvRecord } from './csv.ts';
export { formatCsv, parseCsv } from './csv.ts';
export { readCsvFile, writeCsvFile } from './csv-file.ts';
export { stratifiedKFold } from './folds.ts';
export { gleasonToIsup, isupFromGleason, parseGleason, type GleasonScore } from './gleason.ts';
export { openDataset } from './open.ts';
export { checkDataset, checkImageFiles } from './check-files.ts';
export {
  formatFinding,
  summarizeDataset,
  usableItems,
  type DatasetSummary,
  type FindingGroup,
} from './summary.ts';
export type { Dataset, DatasetItem, DatasetLayout, Finding, FindingCode, Severity } from './types.ts';
