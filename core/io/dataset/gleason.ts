/** Gleason scores and the ISUP grade groups they map to. */

/** The two ways PANDA writes "no cancer": Radboud uses `negative`, Karolinska `0+0`. */
export type BenignForm = 'negative' | '0+0';

export type GleasonScore =
  { benign: true; form: BenignForm } | { benign: false; primary: number; secondary: number };

/** Parses `negative`, `0+0` or `a+b` with a, b in 3–5; anything else is null. */
export function parseGleason(score: string): GleasonScore | null {
  const text = score.trim().toLowerCase();
  if (text === 'negative' || text === '0+0') return { benign: true, form: text };
  const match = /^([345])\+([345])$/.exec(text);
  if (!match) return null;
  return { benign: false, primary: Number(match[1]), secondary: Number(match[2]) };
}

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

/** ISUP grade group of a parsed score. */
export function isupOf(score: GleasonScore): number {
  return score.benign ? 0 : gleasonToIsup(score.primary, score.secondary);
}

/** ISUP grade implied by a Gleason score string; null when the string is not a valid score. */
export function isupFromGleason(score: string): number | null {
  const parsed = parseGleason(score);
  return parsed ? isupOf(parsed) : null;
}
