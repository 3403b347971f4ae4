/**
 * Gleason patterns and the ISUP grade groups they map to, shared by the dataset reader, the store's review
 * records and the review panel (which derives the grade while the pathologist types the patterns).
 */

/**
 * ISUP grade group of a Gleason pattern pair (Epstein et al. 2016, as PANDA uses it); `0+0` is benign, grade 0.
 * Patterns other than 3–5 are a RangeError: callers pass patterns they already checked.
 */
export function gleasonToIsup(primary: number, secondary: number): number {
  if (primary === 0 && secondary === 0) return 0;
  const valid = (p: number): boolean => p === 3 || p === 4 || p === 5;
  if (!valid(primary) || !valid(secondary))
    throw new RangeError(`not a Gleason score: ${primary}+${secondary}`);
  const sum = primary + secondary;
  if (sum <= 6) return 1;
  if (sum === 7) return primary === 3 ? 2 : 3;
  if (sum === 8) return 4;
  return 5;
}

/** What a pathologist records besides the grade; every field may be left out. */
export interface GleasonRecord {
  primaryPattern: number | null;
  secondaryPattern: number | null;
  tertiaryPattern: number | null;
  /** Percentage of pattern 4 in the tumour, 0–100. */
  pattern4Percent: number | null;
}

export const NO_GLEASON: GleasonRecord = {
  primaryPattern: null,
  secondaryPattern: null,
  tertiaryPattern: null,
  pattern4Percent: null,
};

/** The ISUP grade the recorded primary and secondary patterns imply; null until both are given. */
export function derivedIsup(record: GleasonRecord): number | null {
  const { primaryPattern: p, secondaryPattern: s } = record;
  return p === null || s === null ? null : gleasonToIsup(p, s);
}

/**
 * Why the record cannot be saved, or null when it can: patterns are 3–5, a secondary needs a primary and a
 * tertiary both, and % pattern 4 is 0–100.
 */
export function gleasonRecordProblem(record: GleasonRecord): string | null {
  const patterns: [string, number | null][] = [
    ['primary', record.primaryPattern],
    ['secondary', record.secondaryPattern],
    ['tertiary', record.tertiaryPattern],
  ];
  for (const [name, value] of patterns)
    if (value !== null && value !== 3 && value !== 4 && value !== 5)
      return `the ${name} Gleason pattern must be 3, 4 or 5, not ${value}`;
  if (record.secondaryPattern !== null && record.primaryPattern === null)
    return 'a secondary Gleason pattern needs a primary one';
  if (record.tertiaryPattern !== null && record.secondaryPattern === null)
    return 'a tertiary Gleason pattern needs primary and secondary ones';
  const pct = record.pattern4Percent;
  if (pct !== null && !(Number.isFinite(pct) && pct >= 0 && pct <= 100))
    return `% pattern 4 must be between 0 and 100, not ${pct}`;
  return null;
}
