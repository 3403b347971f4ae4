/** The folder's reviews as CSV, one row per reviewed slide, for analysis outside the app. */
import { formatCsv } from '../dataset/csv.ts';
import { writeCsvFile } from '../dataset/csv-file.ts';
import { derivedIsup } from '../../shared/gleason.ts';
import type { Store } from './open.ts';

export const REVIEW_CSV_HEADER = [
  'image_id',
  'true_grade',
  'predicted_grade',
  'reviewed_grade',
  'status',
  'gleason_primary',
  'gleason_secondary',
  'gleason_tertiary',
  'isup_from_patterns',
  'grade_differs_from_patterns',
  'pct_pattern_4',
  'reviewer',
  'time',
  'note',
] as const;

interface ExportRow {
  image_id: string;
  label: number | null;
  predicted: number | null;
  grade: number | null;
  status: string;
  primary_pattern: number | null;
  secondary_pattern: number | null;
  tertiary_pattern: number | null;
  pattern4_percent: number | null;
  reviewer: string;
  reviewed_at: string;
  note: string;
}

const cell = (value: number | null): string => (value === null ? '' : String(value));

function gleasonCells(row: ExportRow): string[] {
  const derived = derivedIsup({
    primaryPattern: row.primary_pattern,
    secondaryPattern: row.secondary_pattern,
    tertiaryPattern: row.tertiary_pattern,
    pattern4Percent: row.pattern4_percent,
  });
  const differs = derived !== null && row.grade !== null && derived !== row.grade;
  return [
    cell(row.primary_pattern),
    cell(row.secondary_pattern),
    cell(row.tertiary_pattern),
    cell(derived),
    differs ? 'yes' : '',
    cell(row.pattern4_percent),
  ];
}

/**
 * Header plus one row per reviewed slide (removed slides too: their reviews are still work done), by image
 * id. The predicted grade is the one the reviewer judged; blank fields mean no label, no prediction, no grade
 * (status `ungradable`) or a Gleason figure not recorded. `grade_differs_from_patterns` is `yes` where the
 * reviewer's grade is not the one the primary + secondary patterns imply.
 */
export function reviewCsvRows(store: Store, folderId: number): string[][] {
  const rows = store.db
    .prepare(
      `SELECT s.image_id, s.label, p.grade AS predicted, r.grade, r.status, r.reviewer, r.reviewed_at, r.note,
         r.primary_pattern, r.secondary_pattern, r.tertiary_pattern, r.pattern4_percent
       FROM reviews r
         JOIN slides s ON s.id = r.slide_id
         LEFT JOIN predictions p ON p.id = r.prediction_id
       WHERE s.folder_id = ?
       ORDER BY s.image_id`,
    )
    .all(folderId) as ExportRow[];
  return [
    [...REVIEW_CSV_HEADER],
    ...rows.map((row) => [
      row.image_id,
      cell(row.label),
      cell(row.predicted),
      cell(row.grade),
      row.status,
      ...gleasonCells(row),
      row.reviewer,
      row.reviewed_at,
      row.note,
    ]),
  ];
}

export function exportReviewsCsv(store: Store, folderId: number): string {
  return formatCsv(reviewCsvRows(store, folderId));
}

/** Writes the export atomically (temp file + rename); returns the number of reviewed slides written. */
export async function writeReviewsCsv(store: Store, folderId: number, path: string): Promise<number> {
  const rows = reviewCsvRows(store, folderId);
  await writeCsvFile(path, rows);
  return rows.length - 1;
}
