/** Gleason scores the demo draws, and how PANDA writes them (the ISUP table is `core/io/dataset/gleason.ts`). */

export type Provider = 'radboud' | 'karolinska';
export type Pattern = 3 | 4 | 5;

/** A slide's Gleason score; null for a benign slide. */
export type GleasonScore = { primary: Pattern; secondary: Pattern } | null;

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
