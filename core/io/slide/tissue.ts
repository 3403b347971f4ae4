import type { RgbImage } from './types.ts';

/** A coarse tissue/background grid over a slide. */
export interface TissueMask {
  gridWidth: number;
  gridHeight: number;
  /**
   * Cell size in level-0 pixels: `cellSize` as asked (last row/column partial), or slide size / grid size
   * (possibly fractional) for a requested grid.
   */
  cellWidth: number;
  cellHeight: number;
  /** Row-major, 1 = tissue. */
  values: Uint8Array;
}

export type TissueGridSpec = { gridWidth: number; gridHeight: number } | { cellSize: number };

/** HSV saturation (max − min) / max of each pixel, scaled to 0–255. */
export function saturation(image: RgbImage): Uint8Array {
  const n = image.width * image.height;
  const out = new Uint8Array(n);
  const d = image.data;
  for (let i = 0; i < n; i++) {
    const r = d[i * 3]!;
    const g = d[i * 3 + 1]!;
    const b = d[i * 3 + 2]!;
    const max = Math.max(r, g, b);
    out[i] = max === 0 ? 0 : Math.round(((max - Math.min(r, g, b)) * 255) / max);
  }
  return out;
}

/** Otsu's threshold of 8-bit values: the t maximising between-class variance of {v ≤ t} and {v > t}. */
export function otsuThreshold(values: Uint8Array): number {
  const histogram = new Float64Array(256);
  for (const v of values) histogram[v]!++;
  const total = values.length;
  let sumAll = 0;
  for (let v = 0; v < 256; v++) sumAll += v * histogram[v]!;
  let below = 0;
  let sumBelow = 0;
  let best = 0;
  let bestVariance = -1;
  for (let t = 0; t < 256; t++) {
    below += histogram[t]!;
    sumBelow += t * histogram[t]!;
    const above = total - below;
    if (below === 0 || above === 0) continue;
    const meanDiff = sumBelow / below - (sumAll - sumBelow) / above;
    const variance = below * above * meanDiff * meanDiff;
    if (variance > bestVariance) {
      bestVariance = variance;
      best = t;
    }
  }
  return best;
}

/** Saturation below this is background whatever Otsu says (blank slides would otherwise split their noise). */
export const MIN_TISSUE_SATURATION = 20;

/**
 * Grid cells whose share of tissue pixels (saturation above the Otsu threshold) reaches `minFraction`. Cell
 * sizes are in pixels of `image`, which covers the whole slide; the last row and column may be partial.
 */
export function tissueGrid(
  image: RgbImage,
  grid: Omit<TissueMask, 'values'>,
  minFraction: number,
): Uint8Array {
  const { gridWidth, gridHeight, cellWidth, cellHeight } = grid;
  const sat = saturation(image);
  const threshold = Math.max(otsuThreshold(sat), MIN_TISSUE_SATURATION);
  const tissue = new Float64Array(gridWidth * gridHeight);
  const count = new Float64Array(gridWidth * gridHeight);
  for (let y = 0; y < image.height; y++) {
    const gy = Math.min(gridHeight - 1, Math.floor(y / cellHeight));
    for (let x = 0; x < image.width; x++) {
      const cell = gy * gridWidth + Math.min(gridWidth - 1, Math.floor(x / cellWidth));
      count[cell]!++;
      if (sat[y * image.width + x]! > threshold) tissue[cell]!++;
    }
  }
  return Uint8Array.from(count, (c, i) => (c > 0 && tissue[i]! / c >= minFraction ? 1 : 0));
}
