import type { Prng } from '../../base/random.ts';

/** Canvas side of the UltraMNIST benchmark; digit sizes are defined relative to it. */
export const BENCHMARK_CANVAS = 4000;
/** Relative weights of the scale factors f = 1..9 in the benchmark. */
export const FACTOR_WEIGHTS: readonly number[] = [5, 4, 3, 2, 1, 1, 2, 3, 4];
/** Smallest digit side: the benchmark's shrunk f = 1 digit, and the least at which MNIST stays legible. */
export const MIN_DIGIT_SIDE = 14;
/** Smallest canvas: a grid of at least 4×4 cells of the smallest digit, so five digits always fit. */
export const MIN_CANVAS = 64;
export const MIN_DIGITS = 3;
export const MAX_DIGITS = 5;
/** Random positions tried per digit before the exhaustive search. */
const RANDOM_TRIES = 40;

export interface Box {
  x: number;
  y: number;
  side: number;
}

/** How one digit is drawn: its scale factor, whether it is the shrunk f = 1 variant, and its placed box. */
export interface DigitLayout extends Box {
  factor: number;
  halved: boolean;
}

/**
 * Side in pixels of a digit on a canvas of `canvasSize`. On the 4000-px benchmark canvas: 28·f, or 14 for the
 * halved f = 1 digit. Other canvases scale these sizes by canvasSize/4000 so the digits cover the same share of
 * the image, but never below 14 px: on a 512-px canvas digits are 14–32 px, each within about one 32-px patch,
 * so reading the sum takes many patches from all over the image.
 */
export function digitSide(factor: number, halved: boolean, canvasSize: number): number {
  const benchmarkSide = factor === 1 ? (halved ? 14 : 28) : 28 * factor;
  return Math.max(MIN_DIGIT_SIDE, Math.round((benchmarkSide * canvasSize) / BENCHMARK_CANVAS));
}

/**
 * Digit values summing to `label` (0..45): the count is drawn uniformly from the counts 3..5 that can reach
 * the sum, then each digit uniformly among the values that keep the rest reachable; the order is shuffled.
 */
export function drawDigitValues(label: number, rng: Prng): number[] {
  const counts: number[] = [];
  for (let n = MIN_DIGITS; n <= MAX_DIGITS; n++) if (9 * n >= label) counts.push(n);
  if (!Number.isInteger(label) || label < 0 || counts.length === 0)
    throw new RangeError(`no ${MIN_DIGITS}–${MAX_DIGITS} digits sum to ${label}`);
  const n = counts[rng.nextInt(counts.length)]!;
  const values: number[] = [];
  let rest = label;
  for (let left = n; left > 0; left--) {
    const lo = Math.max(0, rest - 9 * (left - 1));
    const hi = Math.min(9, rest);
    const v = rng.intBetween(lo, hi);
    values.push(v);
    rest -= v;
  }
  return rng.shuffle(values);
}

export function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.side && b.x < a.x + a.side && a.y < b.y + b.side && b.y < a.y + a.side;
}

function isFree(box: Box, placed: readonly Box[]): boolean {
  return placed.every((p) => !overlaps(box, p));
}

/**
 * A position for a `side`-px box free of `placed`, or null when none exists. Random tries first; then an
 * exhaustive search over the positions whose left edge is 0 or the right edge of a placed box, and likewise for
 * the top: any free box can slide left and up until it touches such an edge, so if none of these is free, the
 * box does not fit anywhere.
 */
export function findFreeSpot(
  side: number,
  placed: readonly Box[],
  canvasSize: number,
  rng: Prng,
): Box | null {
  const span = canvasSize - side + 1;
  if (span <= 0) return null;
  for (let t = 0; t < RANDOM_TRIES; t++) {
    const box = { x: rng.nextInt(span), y: rng.nextInt(span), side };
    if (isFree(box, placed)) return box;
  }
  const edges = [0, ...placed.map((p) => p.x + p.side)].filter((v) => v < span);
  const rows = [0, ...placed.map((p) => p.y + p.side)].filter((v) => v < span);
  const free: Box[] = [];
  for (const x of edges) for (const y of rows) if (isFree({ x, y, side }, placed)) free.push({ x, y, side });
  return free.length > 0 ? free[rng.nextInt(free.length)]! : null;
}

function drawFactor(rng: Prng, below = FACTOR_WEIGHTS.length + 1): { factor: number; halved: boolean } {
  const factor = 1 + rng.weighted(FACTOR_WEIGHTS.slice(0, below - 1));
  return { factor, halved: factor === 1 && rng.next() < 0.5 };
}

/** Last resort: every digit at the smallest size in distinct cells of a grid (always fits on a legal canvas). */
export function gridLayout(count: number, canvasSize: number, rng: Prng): DigitLayout[] {
  const perRow = Math.floor(canvasSize / MIN_DIGIT_SIDE);
  if (perRow * perRow < count) throw new RangeError(`${count} digits do not fit a ${canvasSize}-px canvas`);
  const cells = rng.shuffle(Array.from({ length: perRow * perRow }, (_, i) => i)).slice(0, count);
  return cells.map((cell) => ({
    factor: 1,
    halved: true,
    x: (cell % perRow) * MIN_DIGIT_SIDE,
    y: Math.floor(cell / perRow) * MIN_DIGIT_SIDE,
    side: MIN_DIGIT_SIDE,
  }));
}

/**
 * Draws a scale factor per digit and places the digits without overlapping boxes. A digit that does not fit
 * is redrawn with a smaller factor (then as the halved f = 1 digit); if even that fails, the whole image falls
 * back to `gridLayout`. Every step shrinks something, so this always ends.
 */
export function layoutDigits(count: number, canvasSize: number, rng: Prng): DigitLayout[] {
  const placed: DigitLayout[] = [];
  for (let i = 0; i < count; i++) {
    let { factor, halved } = drawFactor(rng);
    for (;;) {
      const spot = findFreeSpot(digitSide(factor, halved, canvasSize), placed, canvasSize, rng);
      if (spot) {
        placed.push({ ...spot, factor, halved });
        break;
      }
      if (factor > 1) ({ factor, halved } = drawFactor(rng, factor));
      else if (!halved) halved = true;
      else return gridLayout(count, canvasSize, rng);
    }
  }
  return placed;
}
