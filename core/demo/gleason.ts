/** Gleason patterns, ISUP grades and how PANDA writes them. */

export type Provider = 'radboud' | 'karolinska';
export type Pattern = 3 | 4 | 5;

/** A slide's Gleason score; null for a benign slide. */
export type GleasonScore = { primary: Pattern; secondary: Pattern } | null;

/** ISUP grade group from a Gleason score (primary + secondary pattern); benign is 0. */
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

/** The `gleason_score` string PANDA writes: `3+4`, or `negative` (Radboud) / `0+0` (Karolinska) for benign. */
export function gleasonString(score: GleasonScore, provider: Provider): string {
  if (score === null) return provider === 'radboud' ? 'negative' : '0+0';
  return `${score.primary}+${score.secondary}`;
}

/** The Gleason scores that give each ISUP grade (index = grade). */
export const SCORES_BY_GRADE: readonly (readonly GleasonScore[])[] = [
  [null],
  [{ primary: 3, secondary: 3 }],
  [{ primary: 3, secondary: 4 }],
  [{ primary: 4, secondary: 3 }],
  [
    { primary: 4, secondary: 4 },
    { primary: 3, secondary: 5 },
    { primary: 5, secondary: 3 },
  ],
  [
    { primary: 4, secondary: 5 },
    { primary: 5, secondary: 4 },
    { primary: 5, secondary: 5 },
  ],
];
