import { describe, expect, it } from 'vitest';
import {
  FACTOR_WEIGHTS,
  MIN_DIGIT_SIDE,
  digitSide,
  drawDigitValues,
  findFreeSpot,
  gridLayout,
  layoutDigits,
  overlaps,
  type Box,
} from '../../core/io/ultramnist/layout.ts';
import { Prng } from '../../core/base/random.ts';

function expectDisjointInside(boxes: readonly Box[], size: number): void {
  boxes.forEach((a, i) => {
    expect(a.x >= 0 && a.y >= 0 && a.x + a.side <= size && a.y + a.side <= size).toBe(true);
    boxes.slice(i + 1).forEach((b) => expect(overlaps(a, b)).toBe(false));
  });
}

describe('digitSide', () => {
  it('gives the benchmark sizes on a 4000-px canvas', () => {
    expect(digitSide(1, true, 4000)).toBe(14);
    expect(digitSide(1, false, 4000)).toBe(28);
    for (let f = 2; f <= 9; f++) expect(digitSide(f, false, 4000)).toBe(28 * f);
  });
  it('scales with the canvas but never below 14 px', () => {
    expect(digitSide(9, false, 512)).toBe(32);
    expect(digitSide(5, false, 512)).toBe(18);
    expect(digitSide(1, false, 512)).toBe(MIN_DIGIT_SIDE);
    expect(digitSide(9, false, 8000)).toBe(504);
  });
});

describe('overlaps', () => {
  it('treats touching boxes as not overlapping', () => {
    expect(overlaps({ x: 0, y: 0, side: 10 }, { x: 10, y: 0, side: 10 })).toBe(false);
    expect(overlaps({ x: 0, y: 0, side: 10 }, { x: 9, y: 9, side: 10 })).toBe(true);
  });
});

describe('drawDigitValues', () => {
  it('draws 3–5 digits in 0..9 that sum to the label, every label 0..27', () => {
    const rng = Prng.fromSeed(5);
    for (let label = 0; label <= 27; label++) {
      for (let k = 0; k < 20; k++) {
        const values = drawDigitValues(label, rng);
        expect(values.length >= 3 && values.length <= 5).toBe(true);
        expect(values.every((v) => Number.isInteger(v) && v >= 0 && v <= 9)).toBe(true);
        expect(values.reduce((a, b) => a + b, 0)).toBe(label);
      }
    }
  });
  it('uses four or five digits only when three cannot reach the sum', () => {
    const rng = Prng.fromSeed(6);
    for (let k = 0; k < 30; k++) expect(drawDigitValues(40, rng).length).toBe(5);
    expect(() => drawDigitValues(46, rng)).toThrow(RangeError);
  });
});

describe('findFreeSpot', () => {
  it('finds the one free position left when random tries are hopeless', () => {
    // A 100-px canvas with everything but a 20-px corner taken: the exhaustive search must find it.
    const placed: Box[] = [
      { x: 0, y: 0, side: 80 },
      { x: 80, y: 0, side: 20 },
      { x: 80, y: 20, side: 20 },
      { x: 80, y: 40, side: 20 },
      { x: 80, y: 60, side: 20 },
      { x: 0, y: 80, side: 20 },
      { x: 20, y: 80, side: 20 },
      { x: 40, y: 80, side: 20 },
      { x: 60, y: 80, side: 20 },
    ];
    expect(findFreeSpot(20, placed, 100, Prng.fromSeed(1))).toEqual({ x: 80, y: 80, side: 20 });
  });
  it('returns null when no position is free', () => {
    // Four 14-px digits that block every 14-px position on a 64-px canvas.
    const placed = [11, 37].flatMap((x) => [11, 37].map((y) => ({ x, y, side: 14 })));
    expect(findFreeSpot(14, placed, 64, Prng.fromSeed(1))).toBeNull();
    expect(findFreeSpot(65, [], 64, Prng.fromSeed(1))).toBeNull();
  });
});

describe('layoutDigits', () => {
  it('places digits inside the canvas without overlapping boxes', () => {
    const rng = Prng.fromSeed(9);
    for (const size of [64, 96, 256, 512, 4000]) {
      for (let k = 0; k < 60; k++) {
        const boxes = layoutDigits(3 + (k % 3), size, rng);
        expect(boxes).toHaveLength(3 + (k % 3));
        expectDisjointInside(boxes, size);
        boxes.forEach((b) => expect(b.side).toBe(digitSide(b.factor, b.halved, size)));
      }
    }
  });

  it('draws scale factors with the benchmark weights on a canvas with room', () => {
    const rng = Prng.fromSeed(10);
    const hist = new Array<number>(9).fill(0);
    let halved = 0;
    let ones = 0;
    for (let k = 0; k < 1500; k++) {
      for (const b of layoutDigits(4, 4000, rng)) {
        hist[b.factor - 1]!++;
        if (b.factor === 1) {
          ones++;
          if (b.halved) halved++;
        }
      }
    }
    const total = hist.reduce((a, b) => a + b, 0);
    hist.forEach((h, i) => expect(h / total).toBeCloseTo(FACTOR_WEIGHTS[i]! / 25, 1));
    expect(halved / ones).toBeCloseTo(0.5, 1);
  });

  it('always completes on the smallest canvas, where earlier digits can box the last one in', () => {
    const rng = Prng.fromSeed(11);
    for (let k = 0; k < 2000; k++) expectDisjointInside(layoutDigits(5, 64, rng), 64);
  });

  it('falls back to a grid of the smallest digits', () => {
    const boxes = gridLayout(5, 64, Prng.fromSeed(12));
    expectDisjointInside(boxes, 64);
    expect(boxes.every((b) => b.side === MIN_DIGIT_SIDE && b.factor === 1 && b.halved)).toBe(true);
    expect(() => gridLayout(5, 28, Prng.fromSeed(12))).toThrow(RangeError);
  });
});
