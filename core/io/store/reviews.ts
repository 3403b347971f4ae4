/**
 * A pathologist's review of a slide's grade. Every save appends to the history and replaces the current
 * review in the same transaction, so the two never disagree, even if the process dies mid-save.
 */
import { StoreError } from './errors.ts';
import type { Store } from './open.ts';
import { getPrediction, isGrade, latestPrediction, type Prediction } from './predictions.ts';
import { requireSlide } from './slides.ts';
import { writeTransaction } from './write.ts';

/** 'agreed': the reviewer accepts the predicted grade; 'overridden': the reviewer sets another one. */
export type ReviewStatus = 'agreed' | 'overridden';

export interface Review {
  slideId: number;
  reviewer: string;
  reviewedAt: string;
  grade: number;
  status: ReviewStatus;
  note: string;
  /** The prediction the reviewer judged, when there was one. */
  predictionId: number | null;
}

export interface ReviewEvent extends Review {
  id: number;
  /** The reviewed grade before this save; null for the first review. */
  oldGrade: number | null;
}

export type ReviewInput = {
  slideId: number;
  reviewer: string;
  note?: string;
  /** The prediction shown to the reviewer; the slide's latest one when left out. */
  predictionId?: number;
} & ({ status: 'agreed' } | { status: 'overridden'; grade: number });

interface ReviewEventRow {
  id: number;
  slide_id: number;
  reviewer: string;
  reviewed_at: string;
  old_grade: number | null;
  new_grade: number;
  status: ReviewStatus;
  note: string;
  prediction_id: number | null;
}

function toEvent(row: ReviewEventRow): ReviewEvent {
  return {
    id: row.id,
    slideId: row.slide_id,
    reviewer: row.reviewer,
    reviewedAt: row.reviewed_at,
    oldGrade: row.old_grade,
    grade: row.new_grade,
    status: row.status,
    note: row.note,
    predictionId: row.prediction_id,
  };
}

/** The judged prediction: the one named (it must be of this slide) or the slide's latest. */
function judgedPrediction(store: Store, input: ReviewInput): Prediction | null {
  if (input.predictionId === undefined) return latestPrediction(store, input.slideId);
  const prediction = getPrediction(store, input.predictionId);
  if (!prediction || prediction.slideId !== input.slideId)
    throw new StoreError(store.file, `has no prediction ${input.predictionId} for slide ${input.slideId}`);
  return prediction;
}

function reviewedGrade(store: Store, input: ReviewInput, prediction: Prediction | null): number {
  if (input.status === 'overridden') {
    if (!isGrade(input.grade))
      throw new StoreError(store.file, `reviewed grade ${input.grade} is not an ISUP grade 0–5`);
    return input.grade;
  }
  if (!prediction)
    throw new StoreError(store.file, `slide ${input.slideId} has no prediction to agree with; give a grade`);
  return prediction.grade;
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
      const note = input.note ?? '';
      const predictionId = prediction?.id ?? null;
      const old = store.db
        .prepare('SELECT grade FROM reviews WHERE slide_id = ?')
        .pluck()
        .get(input.slideId) as number | undefined;
      const event = store.db
        .prepare(
          `INSERT INTO review_events (slide_id, reviewer, reviewed_at, old_grade, new_grade, status, note,
           prediction_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
        )
        .get(input.slideId, reviewer, time, old ?? null, grade, input.status, note, predictionId);
      store.db
        .prepare(
          `INSERT INTO reviews (slide_id, reviewer, reviewed_at, grade, status, note, prediction_id)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (slide_id) DO UPDATE SET reviewer = excluded.reviewer, reviewed_at = excluded.reviewed_at,
           grade = excluded.grade, status = excluded.status, note = excluded.note,
           prediction_id = excluded.prediction_id`,
        )
        .run(input.slideId, reviewer, time, grade, input.status, note, predictionId);
      return event;
    },
    at,
  ) as ReviewEventRow;
  return toEvent(row);
}

export function currentReview(store: Store, slideId: number): Review | null {
  const row = store.db.prepare('SELECT * FROM reviews WHERE slide_id = ?').get(slideId) as
    | {
        slide_id: number;
        reviewer: string;
        reviewed_at: string;
        grade: number;
        status: ReviewStatus;
        note: string;
        prediction_id: number | null;
      }
    | undefined;
  if (!row) return null;
  return {
    slideId: row.slide_id,
    reviewer: row.reviewer,
    reviewedAt: row.reviewed_at,
    grade: row.grade,
    status: row.status,
    note: row.note,
    predictionId: row.prediction_id,
  };
}

/** Every save for the slide, newest first. */
export function reviewHistory(store: Store, slideId: number): ReviewEvent[] {
  const rows = store.db
    .prepare('SELECT * FROM review_events WHERE slide_id = ? ORDER BY id DESC')
    .all(slideId) as ReviewEventRow[];
  return rows.map(toEvent);
}
