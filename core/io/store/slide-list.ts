/**
 * The slide table of a folder: one query joins each slide's label, latest prediction and current review, so a
 * page of a 10,000-slide folder comes back sorted, filtered and counted without a query per slide.
 */
import { UsageError } from '../../base/errors.ts';
import type { Store } from './open.ts';
import type { ReviewStatus } from './reviews.ts';
import { slideFields, type Slide, type SlideColumns } from './slides.ts';

export type SlideSort =
  'imageId' | 'label' | 'predicted' | 'confidence' | 'reviewed' | 'reviewStatus' | 'reviewedAt';

/** Each given criterion narrows the list; a given list keeps the slides matching one of its values (so []: none). */
export interface SlideFilter {
  /** Part of the image id, case-insensitive (ASCII letters). */
  search?: string;
  /** True grades (labels) to keep. */
  labels?: number[];
  /** Predicted grades to keep (slides without a prediction drop out). */
  predicted?: number[];
  review?: (ReviewStatus | 'unreviewed')[];
  /** Only slides whose label and predicted grade differ. */
  disagreement?: boolean;
}

export interface SlideListOptions {
  sort?: SlideSort;
  direction?: 'asc' | 'desc';
  filter?: SlideFilter;
  /** Predictions of this run only; by default the latest prediction of any run. */
  runId?: number;
  offset?: number;
  limit?: number;
}

/** A slide as the table lists it: the slide's own fields, its latest prediction and its current review. */
export interface SlideListRow extends Omit<Slide, 'folderId' | 'removedAt'> {
  prediction: {
    id: number;
    runId: number;
    grade: number;
    confidence: number;
    probabilities: number[];
    attentionPath: string | null;
    predictedAt: string;
  } | null;
  review: {
    grade: number | null;
    status: ReviewStatus;
    reviewer: string;
    reviewedAt: string;
    note: string;
  } | null;
}

export interface SlidePage {
  /** Slides matching the filter, over all pages. */
  total: number;
  rows: SlideListRow[];
}

export const MAX_PAGE = 1000;

/** Whitelisted sort columns: the caller's sort key never reaches the SQL text. */
const SORT_SQL: Record<SlideSort, string> = {
  imageId: 's.image_id',
  label: 's.label',
  predicted: 'p.grade',
  confidence: 'p.confidence',
  reviewed: 'r.grade',
  reviewStatus: 'r.status',
  reviewedAt: 'r.reviewed_at',
};

interface ListRow extends SlideColumns {
  p_id: number | null;
  p_run_id: number;
  p_grade: number;
  p_confidence: number;
  p_probabilities: string;
  p_attention: string | null;
  p_at: string;
  r_grade: number | null;
  r_status: ReviewStatus | null;
  r_reviewer: string;
  r_at: string;
  r_note: string;
  total: number;
}

function toRow(row: ListRow): SlideListRow {
  return {
    ...slideFields(row),
    prediction:
      row.p_id === null
        ? null
        : {
            id: row.p_id,
            runId: row.p_run_id,
            grade: row.p_grade,
            confidence: row.p_confidence,
            probabilities: JSON.parse(row.p_probabilities) as number[],
            attentionPath: row.p_attention,
            predictedAt: row.p_at,
          },
    review:
      row.r_status === null
        ? null
        : {
            grade: row.r_grade,
            status: row.r_status,
            reviewer: row.r_reviewer,
            reviewedAt: row.r_at,
            note: row.r_note,
          },
  };
}

function checkPaging(offset: number, limit: number): void {
  if (!Number.isInteger(offset) || offset < 0)
    throw new UsageError(null, `slide list offset must be an integer ≥ 0, got ${offset}`);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE)
    throw new UsageError(null, `slide list limit must be an integer 1–${MAX_PAGE}, got ${limit}`);
}

/** WHERE conditions and their named parameters; lists travel as JSON so the SQL text stays fixed per filter. */
function filterSql(filter: SlideFilter): { conditions: string[]; params: Record<string, unknown> } {
  const conditions: string[] = [];
  const params: Record<string, unknown> = {};
  if (filter.search) {
    conditions.push('instr(lower(s.image_id), lower(@search)) > 0');
    params.search = filter.search;
  }
  if (filter.labels) {
    conditions.push('s.label IN (SELECT value FROM json_each(@labels))');
    params.labels = JSON.stringify(filter.labels);
  }
  if (filter.predicted) {
    conditions.push('p.grade IN (SELECT value FROM json_each(@predicted))');
    params.predicted = JSON.stringify(filter.predicted);
  }
  if (filter.review) {
    conditions.push("coalesce(r.status, 'unreviewed') IN (SELECT value FROM json_each(@review))");
    params.review = JSON.stringify(filter.review);
  }
  if (filter.disagreement)
    conditions.push('s.label IS NOT NULL AND p.grade IS NOT NULL AND s.label <> p.grade');
  return { conditions, params };
}

/** The joined tables every part of the list query reads: slides, their latest prediction, their review. */
const JOINS = `
  LEFT JOIN predictions p ON p.id = l.prediction_id
  LEFT JOIN reviews r ON r.slide_id = s.id`;

/**
 * One page of the folder's present slides, sorted (ties by image id) and filtered. The page is chosen on narrow
 * rows (ids and sort keys, with the match count as a window), and only its rows are joined to their details:
 * sorting 10,000 full rows with their probabilities would cost three times as much.
 */
export function listSlides(store: Store, folderId: number, options: SlideListOptions = {}): SlidePage {
  const { sort = 'imageId', direction = 'asc', filter = {}, runId, offset = 0, limit = 100 } = options;
  checkPaging(offset, limit);
  const { conditions, params } = filterSql(filter);
  const byRun = runId === undefined ? '' : 'AND p.run_id = @runId';
  const order = `${SORT_SQL[sort]} ${direction === 'desc' ? 'DESC' : 'ASC'} NULLS LAST, s.image_id, s.id`;
  const matches = `
    WITH latest AS (
      SELECT s.id AS slide_id,
        (SELECT p.id FROM predictions p WHERE p.slide_id = s.id ${byRun} ORDER BY p.id DESC LIMIT 1) AS prediction_id
      FROM slides s WHERE s.folder_id = @folderId AND s.removed_at IS NULL
    )
    SELECT l.slide_id, l.prediction_id, count(*) OVER () AS total
    FROM latest l JOIN slides s ON s.id = l.slide_id ${JOINS}
    ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''}`;
  const bound = { ...params, folderId, limit, offset, runId };
  const rows = store.db
    .prepare(
      `WITH page AS (${matches} ORDER BY ${order} LIMIT @limit OFFSET @offset)
      SELECT s.id, s.image_id, s.path, s.file_size, s.label, s.provider, s.gleason,
        p.id AS p_id, p.run_id AS p_run_id, p.grade AS p_grade, p.confidence AS p_confidence,
        p.probabilities_json AS p_probabilities, p.attention_path AS p_attention, p.predicted_at AS p_at,
        r.grade AS r_grade, r.status AS r_status, r.reviewer AS r_reviewer, r.reviewed_at AS r_at,
        r.note AS r_note, l.total
      FROM page l JOIN slides s ON s.id = l.slide_id ${JOINS}
      ORDER BY ${order}`,
    )
    .all(bound) as ListRow[];
  // The window count rides on the rows; a page past the end has none, so those matches are counted apart.
  const total =
    rows[0]?.total ??
    (offset === 0 ? 0 : (store.db.prepare(`SELECT count(*) FROM (${matches})`).pluck().get(bound) as number));
  return { total, rows: rows.map(toRow) };
}
