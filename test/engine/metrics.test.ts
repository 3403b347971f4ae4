import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  accuracy,
  argmax,
  classificationReport,
  cohenKappa,
  confusionMatrix,
  quadraticWeightedKappa,
  softmax,
} from '../../core/shared/metrics.ts';
import { UsageError } from '../../core/base/errors.ts';

// A small 6-class (ISUP-like) case. Expected values were computed with scikit-learn 1.9.1:
// cohen_kappa_score(a, b, labels=range(6), weights=...) and precision_recall_fscore_support(..., zero_division=0).
const A = [0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5, 2, 2, 3];
const B = [0, 1, 1, 3, 5, 5, 1, 1, 2, 4, 4, 3, 2, 0, 3];

/**
 * Independent reference: the textbook statement of weighted kappa with normalised weights (i−j)²/(N−1)² and
 * the expected matrix built from the two raters' label histograms.
 */
function referenceQwk(a: number[], b: number[], n: number): number {
  const histA = new Array<number>(n).fill(0);
  const histB = new Array<number>(n).fill(0);
  a.forEach((y) => histA[y]!++);
  b.forEach((y) => histB[y]!++);
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const w = (i - j) ** 2 / (n - 1) ** 2;
      num += w * a.filter((y, k) => y === i && b[k] === j).length;
      den += (w * histA[i]! * histB[j]!) / a.length;
    }
  }
  return 1 - num / den;
}

/** Deterministic pseudo-random labels for the reference comparisons. */
function labels(count: number, n: number, seed: number): number[] {
  let s = seed;
  return Array.from({ length: count }, () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 16) % n;
  });
}

describe('confusionMatrix', () => {
  it('counts true classes in rows and predictions in columns', () => {
    expect(confusionMatrix([0, 0, 1, 2, 2], [0, 1, 1, 2, 0], 3)).toEqual([
      [1, 1, 0],
      [0, 1, 0],
      [1, 0, 1],
    ]);
  });
  it('keeps classes that never occur', () => {
    expect(confusionMatrix([1], [1], 4)).toEqual([
      [0, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 0, 0],
      [0, 0, 0, 0],
    ]);
  });
  it('rejects mismatched lengths and labels outside the classes', () => {
    expect(() => confusionMatrix([0, 1], [0], 2)).toThrow(UsageError);
    expect(() => confusionMatrix([0, 2], [0, 1], 2)).toThrow(/true label 2 at index 1/);
    expect(() => confusionMatrix([0, 1], [0, 1.5], 2)).toThrow(/prediction 1.5/);
    expect(() => confusionMatrix([0], [0], 0)).toThrow(/positive integer/);
  });
});

describe('accuracy', () => {
  it('is the fraction predicted right', () => {
    expect(accuracy(A, B, 6)).toBeCloseTo(9 / 15, 12);
    expect(accuracy([], [], 3)).toBeNaN();
  });
});

describe('cohenKappa / quadraticWeightedKappa', () => {
  it('matches scikit-learn on a 6-class case for all weightings', () => {
    expect(quadraticWeightedKappa(A, B, 6)).toBeCloseTo(0.8407079646017699, 12);
    expect(cohenKappa(A, B, 6, 'linear')).toBeCloseTo(0.7044334975369458, 12);
    expect(cohenKappa(A, B, 6)).toBeCloseTo(0.521276595744681, 12);
  });

  it('gives the published Cohen kappa of 0.4 for the classic two-rater example', () => {
    // 50 items: both yes 20, A yes/B no 5, A no/B yes 10, both no 15 (Wikipedia, "Cohen's kappa").
    const a = [...Array(25).fill(1), ...Array(25).fill(0)];
    const b = [...Array(20).fill(1), ...Array(5).fill(0), ...Array(10).fill(1), ...Array(15).fill(0)];
    expect(cohenKappa(a, b, 2)).toBeCloseTo(0.4, 12);
    // With two classes every weighting is the same.
    expect(quadraticWeightedKappa(a, b, 2)).toBeCloseTo(0.4, 12);
  });

  it('weights by the class distance over all N classes, even ones that never occur', () => {
    // scikit-learn gives 0.4887640449438202 with labels=range(6), but 0.5 if it only sees the labels 0, 2, 5.
    expect(quadraticWeightedKappa([0, 2, 5, 5, 2, 0, 2], [0, 5, 5, 2, 2, 2, 0], 6)).toBeCloseTo(
      0.4887640449438202,
      12,
    );
  });

  it('agrees with the textbook formula on random label sets', () => {
    for (const [count, n, seed] of [
      [40, 6, 1],
      [200, 6, 2],
      [97, 10, 3],
      [500, 28, 4],
    ] as const) {
      const a = labels(count, n, seed);
      const b = a.map((y, i) => (i % 3 === 0 ? labels(1, n, seed * 1000 + i)[0]! : y));
      expect(quadraticWeightedKappa(a, b, n)).toBeCloseTo(referenceQwk(a, b, n), 10);
    }
  });

  it('is 1 for perfect agreement, 0 for a constant prediction, NaN when undefined', () => {
    expect(quadraticWeightedKappa([0, 1, 2, 5], [0, 1, 2, 5], 6)).toBe(1);
    expect(quadraticWeightedKappa([0, 1, 2, 3], [2, 2, 2, 2], 4)).toBe(0);
    // Both raters always say 3: scikit-learn returns nan.
    expect(quadraticWeightedKappa([3, 3, 3], [3, 3, 3], 6)).toBeNaN();
    expect(quadraticWeightedKappa([], [], 6)).toBeNaN();
  });

  it('is negative for systematic disagreement', () => {
    expect(quadraticWeightedKappa([0, 1, 2, 3, 4, 5], [5, 4, 3, 2, 1, 0], 6)).toBeCloseTo(-1, 12);
  });

  const hasSklearn = spawnSync('/usr/bin/python3', ['-c', 'import sklearn']).status === 0;
  it.skipIf(!hasSklearn)('matches scikit-learn run live on random label sets', () => {
    const cases = [
      [300, 6, 11],
      [120, 28, 12],
    ].map(([count, n, seed]) => {
      const a = labels(count!, n!, seed!);
      return { a, b: a.map((y, i) => (i % 2 ? labels(1, n!, i)[0]! : y)), n: n! };
    });
    const script =
      'import json,sys\nfrom sklearn.metrics import cohen_kappa_score as k\n' +
      "print(json.dumps([k(c['a'],c['b'],labels=list(range(c['n'])),weights='quadratic') for c in json.load(sys.stdin)]))";
    const out = spawnSync('/usr/bin/python3', ['-c', script], {
      input: JSON.stringify(cases),
      encoding: 'utf8',
    });
    const expected = JSON.parse(out.stdout) as number[];
    cases.forEach((c, i) => expect(quadraticWeightedKappa(c.a, c.b, c.n)).toBeCloseTo(expected[i]!, 10));
  });
});

describe('classificationReport', () => {
  it('matches scikit-learn precision/recall/F1/support per class', () => {
    const r = classificationReport(confusionMatrix(A, B, 6));
    expect(r.perClass.map((c) => c.precision)).toEqual([0.5, 0.5, 1, 2 / 3, 0.5, 0.5]);
    expect(r.perClass.map((c) => c.recall)).toEqual([0.5, 1, 0.5, 2 / 3, 0.5, 0.5]);
    r.perClass
      .map((c) => c.f1)
      .forEach((f, i) => expect(f).toBeCloseTo([0.5, 2 / 3, 2 / 3, 2 / 3, 0.5, 0.5][i]!, 12));
    expect(r.perClass.map((c) => c.support)).toEqual([2, 2, 4, 3, 2, 2]);
    expect(r.accuracy).toBeCloseTo(9 / 15, 12);
    expect(r.macro.f1).toBeCloseTo((0.5 * 3 + (2 / 3) * 3) / 6, 12);
  });

  it('scores 0 where a class is never predicted or never occurs (scikit-learn zero_division=0)', () => {
    const r = classificationReport(confusionMatrix([0, 0, 1], [0, 0, 0], 3));
    expect(r.perClass[0]).toEqual({ precision: 2 / 3, recall: 1, f1: 0.8, support: 2 });
    expect(r.perClass[1]).toEqual({ precision: 0, recall: 0, f1: 0, support: 1 });
    expect(r.perClass[2]).toEqual({ precision: 0, recall: 0, f1: 0, support: 0 });
  });
});

describe('argmax / softmax', () => {
  it('picks the first largest value', () => {
    expect(argmax([1, 3, 3, 2])).toBe(1);
    expect(argmax([])).toBe(-1);
  });
  it('sums to one and survives huge logits', () => {
    const p = softmax([1000, 1001, 999]);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(p[1]! / p[0]!).toBeCloseTo(Math.E, 10);
    const q = softmax([0, Math.log(3)]);
    expect(q[0]).toBeCloseTo(0.25, 12);
    expect(q[1]).toBeCloseTo(0.75, 12);
  });
});
