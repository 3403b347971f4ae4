/** Agreement between truth, model and reviewer over a folder's slides: confusion matrices and QWK. */
import { confusionMatrix, kappaFromConfusion, type ConfusionMatrix } from '#shared';

export const GRADES = 6;

export interface GradedRow {
  label: number | null;
  predicted: number | null;
  reviewed: number | null;
}

const WHO: Record<keyof GradedRow, string> = { label: 'truth', predicted: 'model', reviewed: 'reviewer' };

export interface Comparison {
  title: string;
  rowsAre: string;
  colsAre: string;
  n: number;
  matrix: ConfusionMatrix;
  qwk: number;
  /** Fraction of the n slides where both agree; NaN when n is 0. */
  accuracy: number;
}

function compare(
  rows: readonly GradedRow[],
  title: string,
  a: keyof GradedRow,
  b: keyof GradedRow,
): Comparison {
  const pairs = rows.filter((r) => r[a] !== null && r[b] !== null && r[a]! < GRADES && r[b]! < GRADES);
  const matrix = confusionMatrix(
    pairs.map((r) => r[a]!),
    pairs.map((r) => r[b]!),
    GRADES,
  );
  return {
    title,
    rowsAre: WHO[a],
    colsAre: WHO[b],
    n: pairs.length,
    matrix,
    qwk: kappaFromConfusion(matrix, 'quadratic'),
    accuracy: pairs.length === 0 ? NaN : matrix.reduce((sum, line, i) => sum + line[i]!, 0) / pairs.length,
  };
}

export function reviewSummary(rows: readonly GradedRow[]): Comparison[] {
  return [
    compare(rows, 'Ground truth vs model', 'label', 'predicted'),
    compare(rows, 'Ground truth vs reviewer', 'label', 'reviewed'),
    compare(rows, 'Reviewer vs model', 'reviewed', 'predicted'),
  ];
}

/**
 * A slide's part in the run shown: `train` if the run trained on it, else `held-out` (the fold the run held out
 * for validation, or a slide outside its data): the model never saw it, so only these give honest figures.
 */
export type SplitRole = 'train' | 'held-out';
export type SummaryScope = SplitRole | 'all';

export const SCOPE_NAMES: Record<SummaryScope, string> = {
  'held-out': 'held-out slides',
  train: 'training slides',
  all: 'all slides (training included)',
};

export function splitRole(imageId: string, train: ReadonlySet<string>): SplitRole {
  return train.has(imageId) ? 'train' : 'held-out';
}

/** The three comparisons over the slides of one scope; with no run shown (role null) only `all` has slides. */
export function scopedSummary(
  rows: readonly (GradedRow & { role: SplitRole | null })[],
  scope: SummaryScope,
): Comparison[] {
  return reviewSummary(scope === 'all' ? rows : rows.filter((r) => r.role === scope));
}
