/** Shorthands for the contract's types the screens pass around. */
import type { RequestInput, RequestResult } from '#shared';

export type Folder = RequestResult<'folders.open'>['folder'];
export type DatasetSummary = RequestResult<'folders.open'>['summary'];
export type SlideRow = RequestResult<'slides.list'>['rows'][number];
export type SlideInfo = RequestResult<'slides.info'>;
export type Prediction = NonNullable<RequestResult<'predictions.get'>>;
export type Attention = NonNullable<RequestResult<'attention.get'>>;
export type ReviewEvent = RequestResult<'reviews.save'>;
export type Run = RequestResult<'runs.list'>[number];
export type EpochMetrics = RequestResult<'runs.metrics'>['epochs'][number];
export type AppStatus = RequestResult<'app.status'>;
export type SlideQuery = Omit<RequestInput<'slides.list'>, 'offset' | 'limit'>;

export const REVIEW_STATES = ['unreviewed', 'agreed', 'overridden', 'graded', 'ungradable'] as const;

/** A grade, or a dash when there is none. */
export function gradeLabel(grade: number | null | undefined): string {
  return grade === null || grade === undefined ? '—' : String(grade);
}

export function percent(p: number): string {
  return `${Math.round(p * 100)}%`;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

/** "1 h 02 min", "3 min 05 s", "12 s". */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600)
    return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
  if (s >= 60) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${s} s`;
}
