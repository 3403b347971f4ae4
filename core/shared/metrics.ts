/**
 * Evaluation metrics for integer class labels 0..numClasses−1. Pure functions; bad input (length mismatch,
 * labels outside the classes) throws a UsageError. Metrics that are undefined on the given data (no samples,
 * or kappa when the expected disagreement is zero) are NaN, as in scikit-learn; callers show them as "n/a".
 */
import { UsageError } from '../base/errors.ts';

/** Rows are true classes, columns predicted classes: `m[t][p]` counts samples of class t predicted as p. */
export type ConfusionMatrix = number[][];

function checkLabels(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, numClasses: number): void {
  if (!Number.isInteger(numClasses) || numClasses < 1)
    throw new UsageError(null, `the number of classes must be a positive integer, got ${numClasses}`);
  if (yTrue.length !== yPred.length)
    throw new UsageError(null, `${yTrue.length} true labels but ${yPred.length} predictions`);
  for (const [name, ys] of [
    ['true label', yTrue],
    ['prediction', yPred],
  ] as const) {
    for (let i = 0; i < ys.length; i++) {
      const y = ys[i]!;
      if (!Number.isInteger(y) || y < 0 || y >= numClasses)
        throw new UsageError(null, `${name} ${y} at index ${i} is not a class in 0..${numClasses - 1}`);
    }
  }
}

export function confusionMatrix(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  numClasses: number,
): ConfusionMatrix {
  checkLabels(yTrue, yPred, numClasses);
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < yTrue.length; i++) m[yTrue[i]!]![yPred[i]!]!++;
  return m;
}

function total(m: ConfusionMatrix): number {
  return m.reduce((s, row) => s + row.reduce((a, b) => a + b, 0), 0);
}

/** Fraction of samples predicted right; NaN with no samples. */
export function accuracy(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, numClasses: number): number {
  const m = confusionMatrix(yTrue, yPred, numClasses);
  return m.reduce((s, row, i) => s + row[i]!, 0) / total(m);
}

export type KappaWeights = 'none' | 'linear' | 'quadratic';

/**
 * Cohen's kappa from a confusion matrix, as scikit-learn's `cohen_kappa_score(labels=range(N), weights=…)`:
 * κ = 1 − Σ w·O / Σ w·E, with E the outer product of the marginals scaled to the same total and w(i, j) = 0/1,
 * |i−j| or (i−j)². Dividing w by (N−1)² (the usual statement of the quadratic weights) cancels in the ratio.
 * NaN when Σ w·E = 0 (both raters always give the same single class, or no samples): kappa is undefined
 * there and a number would claim agreement beyond chance that was never measured.
 */
export function kappaFromConfusion(m: ConfusionMatrix, weights: KappaWeights): number {
  const n = m.length;
  const rows = m.map((row) => row.reduce((a, b) => a + b, 0));
  const cols = Array.from({ length: n }, (_, j) => m.reduce((s, row) => s + row[j]!, 0));
  const sum = rows.reduce((a, b) => a + b, 0);
  let observed = 0;
  let expected = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const d = Math.abs(i - j);
      const w = weights === 'none' ? (d === 0 ? 0 : 1) : weights === 'linear' ? d : d * d;
      observed += w * m[i]![j]!;
      expected += (w * rows[i]! * cols[j]!) / sum;
    }
  }
  return expected === 0 || sum === 0 ? Number.NaN : 1 - observed / expected;
}

export function cohenKappa(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  numClasses: number,
  weights: KappaWeights = 'none',
): number {
  return kappaFromConfusion(confusionMatrix(yTrue, yPred, numClasses), weights);
}

/** Quadratic weighted kappa over all `numClasses` classes (the PANDA metric). */
export function quadraticWeightedKappa(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  numClasses: number,
): number {
  return cohenKappa(yTrue, yPred, numClasses, 'quadratic');
}

export interface ClassScores {
  precision: number;
  recall: number;
  f1: number;
  /** Number of samples of this true class. */
  support: number;
}

export interface ClassificationReport {
  perClass: ClassScores[];
  /** Unweighted means over all classes (scikit-learn's `average='macro'`). */
  macro: { precision: number; recall: number; f1: number };
  accuracy: number;
}

/** 0 when the denominator is 0, as scikit-learn's default `zero_division`. */
function ratio(num: number, den: number): number {
  return den === 0 ? 0 : num / den;
}

/** Per-class precision, recall and F1 from a confusion matrix, with macro averages and accuracy. */
export function classificationReport(m: ConfusionMatrix): ClassificationReport {
  const perClass = m.map((row, c): ClassScores => {
    const tp = row[c]!;
    const support = row.reduce((a, b) => a + b, 0);
    const predicted = m.reduce((s, r) => s + r[c]!, 0);
    const precision = ratio(tp, predicted);
    const recall = ratio(tp, support);
    return { precision, recall, f1: ratio(2 * tp, support + predicted), support };
  });
  const mean = (key: 'precision' | 'recall' | 'f1'): number =>
    perClass.reduce((s, c) => s + c[key], 0) / perClass.length;
  return {
    perClass,
    macro: { precision: mean('precision'), recall: mean('recall'), f1: mean('f1') },
    accuracy: m.reduce((s, row, i) => s + row[i]!, 0) / total(m),
  };
}

/** Index of the largest value (the first on ties); -1 for an empty input. */
export function argmax(values: ArrayLike<number>): number {
  let best = -1;
  for (let i = 0; i < values.length; i++) if (best < 0 || values[i]! > values[best]!) best = i;
  return best;
}

/** Softmax that cannot overflow: the largest logit is subtracted before exponentiating. */
export function softmax(logits: ArrayLike<number>): Float64Array {
  const out = new Float64Array(logits.length);
  if (logits.length === 0) return out;
  const max = logits[argmax(logits)]!;
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += out[i] = Math.exp(logits[i]! - max);
  for (let i = 0; i < out.length; i++) out[i]! /= sum;
  return out;
}
