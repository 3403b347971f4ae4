/** Gleason scores and the ISUP grade groups they map to. */
import { gleasonToIsup } from '../../shared/gleason.ts';

export { gleasonToIsup };

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

/** ISUP grade group of a parsed score. */
export function isupOf(score: GleasonScore): number {
  return score.benign ? 0 : gleasonToIsup(score.primary, score.secondary);
}

/** ISUP grade implied by a Gleason score string; null when the string is not a valid score. */
export function isupFromGleason(score: string): number | null {
  const parsed = parseGleason(score);
  return parsed ? isupOf(parsed) : null;
}
