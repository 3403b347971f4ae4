import { describe, expect, it } from 'vitest';
import { Prng } from '../../core/base/random.ts';

const draw = (prng: Prng, n = 20) => Array.from({ length: n }, () => prng.next());

describe('Prng', () => {
  it('repeats its sequence for a seed and differs between seeds and streams', () => {
    expect(draw(Prng.fromSeed(7))).toEqual(draw(Prng.fromSeed(7)));
    expect(draw(Prng.fromSeed(7))).not.toEqual(draw(Prng.fromSeed(8)));
    expect(Prng.fromSeed(1).nextUint32()).not.toBe(Prng.fromSeed(2).nextUint32());
    // Seeds above 32 bits still matter.
    expect(draw(Prng.fromSeed(2 ** 40))).not.toEqual(draw(Prng.fromSeed(0)));
    expect(draw(Prng.fromSeed(7, 0))).toEqual(draw(Prng.fromSeed(7)));
    expect(draw(Prng.fromSeed(7, 1))).not.toEqual(draw(Prng.fromSeed(7, 0)));
  });

  it('reproduces draws from a saved state of four 32-bit words', () => {
    const a = Prng.fromSeed(9);
    a.permutation(10);
    const state = a.state;
    expect(state).toHaveLength(4);
    expect(state.every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32)).toBe(true);
    const b = Prng.fromState(JSON.parse(JSON.stringify(state)) as number[]);
    expect(b.permutation(50)).toEqual(a.permutation(50));
    // Words saved as signed 32-bit integers continue the same sequence.
    const signed = Prng.fromState(b.state.map((w) => w | 0));
    expect(signed.nextUint32()).toBe(b.nextUint32());
  });

  it('rejects a state that is not four integers', () => {
    expect(() => Prng.fromState([1, 2, 3])).toThrow(RangeError);
    expect(() => Prng.fromState([1, 2, 3, Number.NaN])).toThrow(/four integers/);
  });

  it('draws floats in [0, 1) and integers in [0, n) with a flat histogram', () => {
    const prng = Prng.fromSeed(1);
    const hist = new Array<number>(10).fill(0);
    let sum = 0;
    for (let i = 0; i < 20000; i++) {
      const f = prng.next();
      expect(f >= 0 && f < 1).toBe(true);
      sum += f;
      hist[prng.nextInt(10)]!++;
    }
    expect(Math.abs(sum / 20000 - 0.5)).toBeLessThan(0.02);
    for (const h of hist) expect(Math.abs(h - 2000)).toBeLessThan(200);
  });

  it('draws inclusive integer ranges, float ranges and list elements', () => {
    const prng = Prng.fromSeed(3);
    const counts = [0, 0, 0, 0, 0, 0];
    for (let i = 0; i < 6000; i++) counts[prng.intBetween(0, 5)]! += 1;
    for (const c of counts) expect(c).toBeGreaterThan(850);
    for (let i = 0; i < 1000; i++) {
      const x = prng.range(-2, 3);
      expect(x >= -2 && x < 3).toBe(true);
    }
    const picked = new Set(Array.from({ length: 200 }, () => prng.pick(['a', 'b', 'c'])));
    expect([...picked].sort()).toEqual(['a', 'b', 'c']);
    expect(() => prng.pick([])).toThrow(RangeError);
  });

  it('draws weighted indices in proportion to the weights', () => {
    const prng = Prng.fromSeed(2);
    const hist = [0, 0, 0];
    for (let i = 0; i < 30000; i++) hist[prng.weighted([1, 0, 2])]!++;
    expect(hist[1]).toBe(0);
    expect(hist[0]! / 30000).toBeCloseTo(1 / 3, 1);
    expect(hist[2]! / 30000).toBeCloseTo(2 / 3, 1);
  });

  it('shuffles in place into a permutation, and draws permutations of 0..n-1', () => {
    const items = Array.from({ length: 50 }, (_, i) => i);
    const shuffled = Prng.fromSeed(3).shuffle(items);
    expect(shuffled).toBe(items);
    expect([...items].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(items).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
    const perm = Prng.fromSeed(5).permutation(256);
    expect(new Set(perm).size).toBe(256);
    expect(Math.min(...perm)).toBe(0);
    expect(Math.max(...perm)).toBe(255);
  });

  it('forks children that do not shift when a sibling draws more', () => {
    const parent = Prng.fromSeed(11);
    const first = parent.fork();
    const second = draw(parent.fork());
    expect(draw(first)).not.toEqual(second);
    const again = Prng.fromSeed(11);
    // This time the first child draws more before the second is made.
    draw(again.fork(), 100);
    expect(draw(again.fork())).toEqual(second);
  });
});
