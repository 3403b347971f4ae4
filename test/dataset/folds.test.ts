import { describe, expect, it } from 'vitest';
import { stratifiedKFold } from '../../core/io/dataset/folds.ts';
import { UsageError } from '../../core/base/errors.ts';
import { Prng } from '../../core/base/random.ts';

/** counts[fold][label] */
function countsPerFold(labels: number[], folds: number[], k: number, classes: number): number[][] {
  const counts = Array.from({ length: k }, () => new Array<number>(classes).fill(0));
  folds.forEach((fold, i) => {
    const row = counts[fold];
    const label = labels[i];
    if (row === undefined || label === undefined) throw new Error(`fold ${fold} out of range`);
    row[label] = (row[label] ?? 0) + 1;
  });
  return counts;
}

const spread = (values: number[]): number => Math.max(...values) - Math.min(...values);

describe('stratifiedKFold', () => {
  // Unbalanced classes like PANDA's, with sizes that do not divide by k.
  const prng = Prng.fromSeed(7);
  const labels = Array.from({ length: 1003 }, () => Math.min(5, Math.floor(prng.next() * prng.next() * 8)));

  it('spreads every class over the folds within ±1, and the fold sizes too', () => {
    for (const k of [2, 5, 7]) {
      const folds = stratifiedKFold(labels, k, 42);
      expect(folds).toHaveLength(labels.length);
      expect(folds.every((f) => Number.isInteger(f) && f >= 0 && f < k)).toBe(true);
      const counts = countsPerFold(labels, folds, k, 6);
      for (let c = 0; c < 6; c++)
        expect(spread(counts.map((row) => row[c] ?? 0)), `k=${k} class ${c}`).toBeLessThanOrEqual(1);
      expect(spread(counts.map((row) => row.reduce((a, b) => a + b, 0)))).toBeLessThanOrEqual(1);
    }
  });

  it('is deterministic for a seed and differs between seeds', () => {
    const a = stratifiedKFold(labels, 5, 42);
    expect(stratifiedKFold(labels, 5, 42)).toEqual(a);
    const b = stratifiedKFold(labels, 5, 43);
    expect(b).not.toEqual(a);
    // Different seeds reshuffle members, not the balance.
    expect(
      countsPerFold(labels, b, 5, 6)
        .map((r) => r.reduce((x, y) => x + y, 0))
        .sort(),
    ).toEqual(
      countsPerFold(labels, a, 5, 6)
        .map((r) => r.reduce((x, y) => x + y, 0))
        .sort(),
    );
  });

  it('handles sparse labels and a class smaller than k', () => {
    const folds = stratifiedKFold([9, 9, 9, 100, 0, 0, 0, 0], 4, 1);
    expect(new Set(folds).size).toBe(4);
    expect(new Set([folds[4], folds[5], folds[6], folds[7]]).size).toBe(4);
  });

  it('rejects bad k, seeds and labels', () => {
    expect(() => stratifiedKFold([0, 1, 0], 1, 0)).toThrow(UsageError);
    expect(() => stratifiedKFold([0, 1, 0], 2.5, 0)).toThrow('fold count must be an integer ≥ 2, got 2.5');
    expect(() => stratifiedKFold([0, 1], 3, 0)).toThrow('cannot split 2 items into 3 folds');
    expect(() => stratifiedKFold([0, 1], 2, 0.5)).toThrow('seed must be an integer');
    expect(() => stratifiedKFold([0, Number.NaN], 2, 0)).toThrow('label NaN of item 1 is not an integer');
  });
});
