/** Predicted ISUP grades of slides by a run, with class probabilities and the attention map's file. */
import { StoreError } from './errors.ts';
import type { Store } from './open.ts';
import { requireSlide } from './slides.ts';
import { getRun } from './runs.ts';
import { writeTransaction } from './write.ts';

export const MAX_GRADE = 5;

export interface Prediction {
  id: number;
  slideId: number;
  runId: number;
  grade: number;
  /** Probability of each grade 0..n−1 (they sum to 1). */
  probabilities: number[];
  /** Probability of the predicted grade. */
  confidence: number;
  attentionPath: string | null;
  predictedAt: string;
}

interface PredictionRow {
  id: number;
  slide_id: number;
  run_id: number;
  grade: number;
  confidence: number;
  probabilities_json: string;
  attention_path: string | null;
  predicted_at: string;
}

function toPrediction(row: PredictionRow): Prediction {
  return {
    id: row.id,
    slideId: row.slide_id,
    runId: row.run_id,
    grade: row.grade,
    probabilities: JSON.parse(row.probabilities_json) as number[],
    confidence: row.confidence,
    attentionPath: row.attention_path,
    predictedAt: row.predicted_at,
  };
}

/** Sums of softmax outputs in float32 stray from 1 by far less than this. */
const SUM_TOLERANCE = 1e-3;

export function isGrade(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= MAX_GRADE;
}

function checkPrediction(store: Store, grade: number, probabilities: readonly number[]): void {
  if (!isGrade(grade)) throw new StoreError(store.file, `predicted grade ${grade} is not an ISUP grade 0–5`);
  if (probabilities.length <= grade || probabilities.length > MAX_GRADE + 1)
    throw new StoreError(
      store.file,
      `${probabilities.length} probabilities do not cover ISUP grades 0–${grade} (at most ${MAX_GRADE + 1})`,
    );
  if (!probabilities.every((p) => Number.isFinite(p) && p >= 0 && p <= 1))
    throw new StoreError(store.file, 'probabilities must be numbers in [0, 1]');
  const sum = probabilities.reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 1) > SUM_TOLERANCE)
    throw new StoreError(store.file, `probabilities sum to ${sum}, not 1`);
}

export function recordPrediction(
  store: Store,
  prediction: {
    slideId: number;
    runId: number;
    grade: number;
    probabilities: readonly number[];
    attentionPath?: string | null;
  },
  at?: string,
): Prediction {
  const { slideId, runId, grade, probabilities } = prediction;
  checkPrediction(store, grade, probabilities);
  const row = writeTransaction(
    store,
    (time) => {
      requireSlide(store, slideId);
      if (!getRun(store, runId)) throw new StoreError(store.file, `has no run with id ${runId}`);
      return store.db
        .prepare(
          `INSERT INTO predictions (slide_id, run_id, grade, confidence, probabilities_json, attention_path,
           predicted_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *`,
        )
        .get(
          slideId,
          runId,
          grade,
          probabilities[grade],
          JSON.stringify(probabilities),
          prediction.attentionPath ?? null,
          time,
        );
    },
    at,
  ) as PredictionRow;
  return toPrediction(row);
}

export function getPrediction(store: Store, predictionId: number): Prediction | null {
  const row = store.db.prepare('SELECT * FROM predictions WHERE id = ?').get(predictionId) as
    PredictionRow | undefined;
  return row ? toPrediction(row) : null;
}

/** The slide's most recently recorded prediction, by any run or by the given one. */
export function latestPrediction(store: Store, slideId: number, runId?: number): Prediction | null {
  const row = (
    runId === undefined
      ? store.db.prepare('SELECT * FROM predictions WHERE slide_id = ? ORDER BY id DESC LIMIT 1').get(slideId)
      : store.db
          .prepare('SELECT * FROM predictions WHERE slide_id = ? AND run_id = ? ORDER BY id DESC LIMIT 1')
          .get(slideId, runId)
  ) as PredictionRow | undefined;
  return row ? toPrediction(row) : null;
}
