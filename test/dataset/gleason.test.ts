import { describe, expect, it } from 'vitest';
import { gleasonToIsup, isupFromGleason, parseGleason } from '../../core/io/dataset/gleason.ts';

describe('isupFromGleason', () => {
  it('follows the ISUP grade-group table', () => {
    const table: Record<string, number> = {
      negative: 0,
      '0+0': 0,
      '3+3': 1,
      '3+4': 2,
      '4+3': 3,
      '4+4': 4,
      '3+5': 4,
      '5+3': 4,
      '4+5': 5,
      '5+4': 5,
      '5+5': 5,
    };
    for (const [score, isup] of Object.entries(table)) expect(isupFromGleason(score), score).toBe(isup);
  });

  it('tolerates surrounding blanks and capitals', () => {
    expect(isupFromGleason(' 4+3 ')).toBe(3);
    expect(isupFromGleason('Negative')).toBe(0);
  });

  it('returns null for anything that is not a Gleason score', () => {
    for (const score of ['', '7', '3+2', '2+3', '6+1', '3 + 4', '3+4+5', 'benign', '0+3', '4-3'])
      expect(isupFromGleason(score), score).toBeNull();
  });

  it('keeps which benign form was written', () => {
    expect(parseGleason('negative')).toEqual({ benign: true, form: 'negative' });
    expect(parseGleason('0+0')).toEqual({ benign: true, form: '0+0' });
    expect(parseGleason('5+3')).toEqual({ benign: false, primary: 5, secondary: 3 });
  });
});

describe('gleasonToIsup', () => {
  it('maps every Gleason pattern pair to its ISUP grade group', () => {
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
});
