/** The folder's reviews as CSV, one row per reviewed slide, for analysis outside the app. */
import { formatCsv } from '../dataset/csv.ts';
import { writeCsvFile } from '../dataset/csv-file.ts';
import type { Store } from './open.ts';

export const REVIEW_CSV_HEADER = [
  'image_id',
  'true_grade',
  'predicted_grade',
  'reviewed_grade',
  'status',
  'reviewer',
  'time',
  'note',
] as const;

interface ExportRow {
  image_id: string;
  label: number | null;
  predicted: number | null;
  grade: number;
  status: string;
  reviewer: string;
  reviewed_at: string;
  note: string;
}

const cell = (value: number | null): string => (value === null ? '' : String(value));

/**
 * Header plus one row per reviewed slide (removed slides too: their reviews are still work done), by image
 * id. The predicted grade is the one the reviewer judged; blank fields mean no label or no prediction.
 */
export function reviewCsvRows(store: Store, folderId: number): string[][] {
  const rows = store.db
    .prepare(
      `SELECT s.image_id, s.label, p.grade AS predicted, r.grade, r.status, r.reviewer, r.reviewed_at, r.note
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
      String(row.grade),
      row.status,
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
