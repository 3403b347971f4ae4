import { describe, expect, it } from 'vitest';
import { gleasonToIsup } from '../../core/io/dataset/gleason.ts';
import { gleasonString, SCORES_BY_GRADE } from '../../core/io/demo/gleason.ts';
import { hexId } from '../../core/io/demo/rng.ts';
import { Prng } from '../../core/base/random.ts';

describe('SCORES_BY_GRADE', () => {
  it('agrees with the ISUP table', () => {
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
