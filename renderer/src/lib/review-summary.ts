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
  };
}

export function reviewSummary(rows: readonly GradedRow[]): Comparison[] {
  return [
    compare(rows, 'Ground truth vs model', 'label', 'predicted'),
    compare(rows, 'Ground truth vs reviewer', 'label', 'reviewed'),
    compare(rows, 'Reviewer vs model', 'reviewed', 'predicted'),
  ];
}
