import { describe, expect, it } from 'vitest';
import { auroc } from '../../core/learn/grading/index.ts';

describe('auroc', () => {
  it('is 1 for a perfect ranking and 0 for a reversed one', () => {
    expect(auroc([0.1, 0.2, 0.8, 0.9], [false, false, true, true])).toBe(1);
    expect(auroc([0.9, 0.8, 0.2, 0.1], [false, false, true, true])).toBe(0);
  });

  it('counts ties as one half (hand-computed pairs)', () => {
    // Positives 0.5, 0.7; negatives 0.5, 0.3, 0.7. Pairs (pos > neg = 1, tie = ½):
    // 0.5: vs 0.5 ½, vs 0.3 1, vs 0.7 0 → 1.5;  0.7: vs 0.5 1, vs 0.3 1, vs 0.7 ½ → 2.5;  4 / 6.
    expect(auroc([0.5, 0.7, 0.5, 0.3, 0.7], [true, true, false, false, false])).toBeCloseTo(4 / 6, 12);
    // All scores equal: every pair is a tie.
    expect(auroc([1, 1, 1, 1], [true, false, true, false])).toBe(0.5);
    // One positive above two of three negatives, tied with the third: (2 + ½) / 3.
    expect(auroc([2, 1, 1.5, 2], [true, false, false, false])).toBeCloseTo(2.5 / 3, 12);
  });

  it('does not depend on the input order', () => {
    const scores = [0.3, 0.1, 0.3, 0.9, 0.5, 0.1];
    const labels = [true, false, false, true, false, true];
    const order = [5, 2, 0, 4, 1, 3];
    expect(
      auroc(
        order.map((i) => scores[i]!),
        order.map((i) => labels[i]!),
      ),
    ).toBeCloseTo(auroc(scores, labels), 12);
  });

  it('is NaN when a class is missing and rejects mismatched lengths', () => {
    expect(auroc([0.1, 0.2], [true, true])).toBeNaN();
    expect(auroc([], [])).toBeNaN();
    expect(() => auroc([1, 2], [true])).toThrow(/2 scores but 1 labels/);
  });
});
