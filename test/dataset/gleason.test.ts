import { describe, expect, it } from 'vitest';
import { gleasonToIsup, isupFromGleason, parseGleason } from '../../core/io/dataset/gleason.ts';
import { derivedIsup, gleasonRecordProblem } from '../../core/shared/gleason.ts';

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

describe('review Gleason records', () => {
  const record = (
    p: number | null,
    s: number | null,
    t: number | null = null,
    pct: number | null = null,
  ) => ({
    primaryPattern: p,
    secondaryPattern: s,
    tertiaryPattern: t,
    pattern4Percent: pct,
  });

  it('derives the ISUP grade from primary and secondary once both are given; the tertiary does not change it', () => {
    expect(derivedIsup(record(null, null))).toBeNull();
    expect(derivedIsup(record(4, null))).toBeNull();
    expect(derivedIsup(record(3, 4))).toBe(2);
    expect(derivedIsup(record(4, 3, 5))).toBe(3);
    expect(derivedIsup(record(5, 5))).toBe(5);
  });

  it('names what is wrong with a record and accepts a complete or partial valid one', () => {
    expect(gleasonRecordProblem(record(3, 4, 5, 30))).toBeNull();
    expect(gleasonRecordProblem(record(null, null, null, 0))).toBeNull();
    expect(gleasonRecordProblem(record(6, 3))).toBe('the primary Gleason pattern must be 3, 4 or 5, not 6');
    expect(gleasonRecordProblem(record(null, 3))).toBe('a secondary Gleason pattern needs a primary one');
    expect(gleasonRecordProblem(record(3, null, 4))).toBe(
      'a tertiary Gleason pattern needs primary and secondary ones',
    );
    expect(gleasonRecordProblem(record(3, 3, null, -1))).toBe(
      '% pattern 4 must be between 0 and 100, not -1',
    );
  });
});
