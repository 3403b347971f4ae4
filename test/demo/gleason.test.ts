import { describe, expect, it } from 'vitest';
import { gleasonString, gleasonToIsup, SCORES_BY_GRADE } from '../../core/demo/gleason.ts';
import { Rng } from '../../core/demo/rng.ts';

describe('gleasonToIsup', () => {
  it('maps every Gleason score to its ISUP grade group', () => {
    const table: [number, number, number][] = [
      [0, 0, 0],
      [3, 3, 1],
      [3, 4, 2],
      [4, 3, 3],
      [4, 4, 4],
      [3, 5, 4],
      [5, 3, 4],
      [4, 5, 5],
      [5, 4, 5],
      [5, 5, 5],
    ];
    for (const [p, s, isup] of table) expect(gleasonToIsup(p, s), `${p}+${s}`).toBe(isup);
  });
  it('rejects patterns that are not 3, 4 or 5', () => {
    expect(() => gleasonToIsup(2, 3)).toThrow(RangeError);
    expect(() => gleasonToIsup(3, 0)).toThrow(RangeError);
  });
  it('agrees with the score table the generator draws from', () => {
    SCORES_BY_GRADE.forEach((scores, grade) => {
      for (const s of scores) expect(s ? gleasonToIsup(s.primary, s.secondary) : 0).toBe(grade);
    });
  });
});

describe('gleasonString', () => {
  it('writes benign as PANDA does per provider', () => {
    expect(gleasonString(null, 'radboud')).toBe('negative');
    expect(gleasonString(null, 'karolinska')).toBe('0+0');
    expect(gleasonString({ primary: 4, secondary: 3 }, 'radboud')).toBe('4+3');
  });
});

describe('Rng', () => {
  it('repeats for a seed and differs between seeds', () => {
    const a = new Rng(7);
    const b = new Rng(7);
    const c = new Rng(8);
    const xs = Array.from({ length: 50 }, () => a.next());
    expect(Array.from({ length: 50 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 50 }, () => c.next())).not.toEqual(xs);
    for (const x of xs) expect(x >= 0 && x < 1).toBe(true);
  });
  it('draws integers in range, roughly uniformly, and 32-hex ids', () => {
    const r = new Rng(1);
    const counts = [0, 0, 0, 0, 0, 0];
    for (let i = 0; i < 6000; i++) counts[r.int(0, 5)]! += 1;
    for (const c of counts) expect(c).toBeGreaterThan(850);
    expect(r.hexId()).toMatch(/^[0-9a-f]{32}$/);
  });
});
