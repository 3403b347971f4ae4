/**
 * A pathologist's review of a slide's grade. Every save appends to the history and replaces the current
 * review in the same transaction, so the two never disagree, even if the process dies mid-save.
 */
import { derivedIsup, gleasonRecordProblem, type GleasonRecord } from '../../shared/gleason.ts';
import { StoreError } from './errors.ts';
import type { Store } from './open.ts';
import { getPrediction, isGrade, latestPrediction, type Prediction } from './predictions.ts';
import { requireSlide } from './slides.ts';
import { writeTransaction } from './write.ts';

/**
 * 'agreed': the reviewer accepts the predicted grade; 'overridden': the reviewer sets another one; 'graded': the
 * reviewer sets a grade where there was no prediction to override; 'ungradable': insufficient tissue, no grade.
 */
export type ReviewStatus = 'agreed' | 'overridden' | 'graded' | 'ungradable';

export interface Review extends GleasonRecord {
  slideId: number;
  reviewer: string;
  reviewedAt: string;
  /** Null only for an ungradable slide. */
  grade: number | null;
  status: ReviewStatus;
  note: string;
  /** The prediction the reviewer judged, when there was one. */
  predictionId: number | null;
  /** The ISUP grade the recorded patterns imply; when it differs from `grade` the review is flagged. */
  derivedGrade: number | null;
}

export interface ReviewEvent extends Review {
  id: number;
  /** The reviewed grade before this save; null for the first review or after an ungradable one. */
  oldGrade: number | null;
}

export type ReviewInput = {
  slideId: number;
  reviewer: string;
  note?: string;
  /** The prediction shown to the reviewer; the slide's latest one when left out. */
  predictionId?: number;
} & Partial<GleasonRecord> &
  (
    | { status: 'agreed' }
    /** Both set the given grade; the store records 'graded' when the slide has no prediction to override. */
    | { status: 'overridden' | 'graded'; grade: number }
    | { status: 'ungradable' }
  );

interface GleasonColumns {
  primary_pattern: number | null;
  secondary_pattern: number | null;
  tertiary_pattern: number | null;
  pattern4_percent: number | null;
}

function gleasonOf(row: GleasonColumns): GleasonRecord {
  return {
    primaryPattern: row.primary_pattern,
    secondaryPattern: row.secondary_pattern,
    tertiaryPattern: row.tertiary_pattern,
    pattern4Percent: row.pattern4_percent,
  };
}

function withDerived<T extends GleasonRecord>(review: T): T & { derivedGrade: number | null } {
  return { ...review, derivedGrade: derivedIsup(review) };
}

interface ReviewEventRow extends GleasonColumns {
  id: number;
  slide_id: number;
  reviewer: string;
  reviewed_at: string;
  old_grade: number | null;
  new_grade: number | null;
  status: ReviewStatus;
  note: string;
  prediction_id: number | null;
}

function toEvent(row: ReviewEventRow): ReviewEvent {
  return withDerived({
    id: row.id,
    slideId: row.slide_id,
    reviewer: row.reviewer,
    reviewedAt: row.reviewed_at,
    oldGrade: row.old_grade,
    grade: row.new_grade,
    status: row.status,
    note: row.note,
    predictionId: row.prediction_id,
    ...gleasonOf(row),
  });
}

/** The judged prediction: the one named (it must be of this slide) or the slide's latest. */
function judgedPrediction(store: Store, input: ReviewInput): Prediction | null {
  if (input.predictionId === undefined) return latestPrediction(store, input.slideId);
  const prediction = getPrediction(store, input.predictionId);
  if (!prediction || prediction.slideId !== input.slideId)
    throw new StoreError(store.file, `has no prediction ${input.predictionId} for slide ${input.slideId}`);
  return prediction;
}

function reviewedGrade(store: Store, input: ReviewInput, prediction: Prediction | null): number | null {
  if (input.status === 'ungradable') return null;
  if (input.status !== 'agreed') {
    if (!isGrade(input.grade))
      throw new StoreError(store.file, `reviewed grade ${input.grade} is not an ISUP grade 0–5`);
    return input.grade;
  }
  if (!prediction)
    throw new StoreError(store.file, `slide ${input.slideId} has no prediction to agree with; give a grade`);
  return prediction.grade;
}

/** The stored status: setting a grade overrides a prediction only where there is one. */
function storedStatus(input: ReviewInput, prediction: Prediction | null): ReviewStatus {
  if (input.status === 'overridden' || input.status === 'graded') return prediction ? 'overridden' : 'graded';
  return input.status;
}

function gleasonInput(store: Store, input: ReviewInput): GleasonRecord {
  const record: GleasonRecord = {
    primaryPattern: input.primaryPattern ?? null,
    secondaryPattern: input.secondaryPattern ?? null,
    tertiaryPattern: input.tertiaryPattern ?? null,
    pattern4Percent: input.pattern4Percent ?? null,
  };
  const problem = gleasonRecordProblem(record);
  if (problem) throw new StoreError(store.file, `slide ${input.slideId}: ${problem}`);
  if (input.status === 'ungradable' && Object.values(record).some((v) => v !== null))
    throw new StoreError(store.file, `slide ${input.slideId} is marked ungradable but has Gleason patterns`);
  return record;
}

/** Saves a review: one history entry and the new current review, in one transaction. */
export function saveReview(store: Store, input: ReviewInput, at?: string): ReviewEvent {
  const reviewer = input.reviewer.trim();
  if (reviewer === '') throw new StoreError(store.file, 'a review needs the reviewer’s name');
  const row = writeTransaction(
    store,
    (time) => {
      requireSlide(store, input.slideId);
      const prediction = judgedPrediction(store, input);
      const grade = reviewedGrade(store, input, prediction);
      const status = storedStatus(input, prediction);
      const g = gleasonInput(store, input);
      const patterns = [g.primaryPattern, g.secondaryPattern, g.tertiaryPattern, g.pattern4Percent];
      const note = input.note ?? '';
      const predictionId = prediction?.id ?? null;
      const old = store.db
        .prepare('SELECT grade FROM reviews WHERE slide_id = ?')
        .pluck()
        .get(input.slideId) as number | null | undefined;
      const event = store.db
        .prepare(
          `INSERT INTO review_events (slide_id, reviewer, reviewed_at, old_grade, new_grade, status, note,
           prediction_id, primary_pattern, secondary_pattern, tertiary_pattern, pattern4_percent)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
        )
        .get(input.slideId, reviewer, time, old ?? null, grade, status, note, predictionId, ...patterns);
      store.db
        .prepare(
          `INSERT INTO reviews (slide_id, reviewer, reviewed_at, grade, status, note, prediction_id,
           primary_pattern, secondary_pattern, tertiary_pattern, pattern4_percent)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (slide_id) DO UPDATE SET reviewer = excluded.reviewer, reviewed_at = excluded.reviewed_at,
           grade = excluded.grade, status = excluded.status, note = excluded.note,
           prediction_id = excluded.prediction_id, primary_pattern = excluded.primary_pattern,
           secondary_pattern = excluded.secondary_pattern, tertiary_pattern = excluded.tertiary_pattern,
           pattern4_percent = excluded.pattern4_percent`,
        )
        .run(input.slideId, reviewer, time, grade, status, note, predictionId, ...patterns);
      // The note now lives in the review: the draft it started as is done.
      store.db.prepare('DELETE FROM review_drafts WHERE slide_id = ?').run(input.slideId);
      return event;
    },
    at,
  ) as ReviewEventRow;
  return toEvent(row);
}

export function currentReview(store: Store, slideId: number): Review | null {
  const row = store.db.prepare('SELECT * FROM reviews WHERE slide_id = ?').get(slideId) as
    | (GleasonColumns & {
        slide_id: number;
        reviewer: string;
        reviewed_at: string;
        grade: number | null;
        status: ReviewStatus;
        note: string;
        prediction_id: number | null;
      })
    | undefined;
  if (!row) return null;
  return withDerived({
    slideId: row.slide_id,
    reviewer: row.reviewer,
    reviewedAt: row.reviewed_at,
    grade: row.grade,
    status: row.status,
    note: row.note,
    predictionId: row.prediction_id,
    ...gleasonOf(row),
  });
}

/** Every save for the slide, newest first. */
export function reviewHistory(store: Store, slideId: number): ReviewEvent[] {
  const rows = store.db
    .prepare('SELECT * FROM review_events WHERE slide_id = ? ORDER BY id DESC')
    .all(slideId) as ReviewEventRow[];
  return rows.map(toEvent);
}

/** A note typed before the slide's grade, kept until the review is saved. */
export interface ReviewDraft {
  slideId: number;
  note: string;
  savedAt: string;
}

/** Keeps the slide's draft note (an empty note removes the draft); the review's own save clears it. */
export function saveReviewDraft(
  store: Store,
  slideId: number,
  note: string,
  at?: string,
): ReviewDraft | null {
  return writeTransaction(
    store,
    (time) => {
      requireSlide(store, slideId);
      if (note === '') {
        store.db.prepare('DELETE FROM review_drafts WHERE slide_id = ?').run(slideId);
        return null;
      }
      store.db
        .prepare(
          `INSERT INTO review_drafts (slide_id, note, saved_at) VALUES (?, ?, ?)
         ON CONFLICT (slide_id) DO UPDATE SET note = excluded.note, saved_at = excluded.saved_at`,
        )
        .run(slideId, note, time);
      return { slideId, note, savedAt: time };
    },
    at,
  );
}

export function reviewDraft(store: Store, slideId: number): ReviewDraft | null {
  const row = store.db
    .prepare('SELECT slide_id, note, saved_at FROM review_drafts WHERE slide_id = ?')
    .get(slideId) as { slide_id: number; note: string; saved_at: string } | undefined;
  return row ? { slideId: row.slide_id, note: row.note, savedAt: row.saved_at } : null;
}
