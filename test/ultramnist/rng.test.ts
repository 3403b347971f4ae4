import { describe, expect, it } from 'vitest';
import { createRng } from '../../core/ultramnist/rng.ts';

describe('createRng', () => {
  it('repeats its sequence for a seed and differs between seeds', () => {
    const draw = (seed: number) => Array.from({ length: 20 }, createRng(seed).next);
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
    // Seeds above 32 bits still matter.
    expect(draw(2 ** 40)).not.toEqual(draw(0));
    const stream = (n: number) => Array.from({ length: 20 }, createRng(7, n).next);
    expect(stream(0)).toEqual(draw(7));
    expect(stream(1)).not.toEqual(stream(0));
  });

  it('draws floats in [0, 1) and integers in [0, n) with a flat histogram', () => {
    const rng = createRng(1);
    const hist = new Array<number>(10).fill(0);
    for (let i = 0; i < 20000; i++) {
      const f = rng.next();
      expect(f >= 0 && f < 1).toBe(true);
      hist[rng.int(10)]!++;
    }
    for (const h of hist) expect(Math.abs(h - 2000)).toBeLessThan(200);
  });

  it('draws weighted indices in proportion to the weights', () => {
    const rng = createRng(2);
    const hist = [0, 0, 0];
    for (let i = 0; i < 30000; i++) hist[rng.weighted([1, 0, 2])]!++;
    expect(hist[1]).toBe(0);
    expect(hist[0]! / 30000).toBeCloseTo(1 / 3, 1);
    expect(hist[2]! / 30000).toBeCloseTo(2 / 3, 1);
  });

  it('shuffles into a permutation', () => {
    const items = createRng(3).shuffle(Array.from({ length: 50 }, (_, i) => i));
    expect([...items].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(items).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
});
