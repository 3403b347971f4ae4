import { describe, expect, it } from 'vitest';
import { gleasonString, gleasonToIsup, SCORES_BY_GRADE } from '../../core/demo/gleason.ts';
import { hexId } from '../../core/demo/rng.ts';
import { Prng } from '../../core/random.ts';

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

describe('hexId', () => {
  it('draws 32-hex ids like PANDA image ids, different each draw', () => {
    const prng = Prng.fromSeed(1);
    const a = hexId(prng);
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(hexId(prng)).not.toBe(a);
  });
});
