import type { RgbImage, SlideLevel } from './types.ts';
import { blit, whiteImage } from './pixels.ts';
import { mapLimit } from './concurrency.ts';

/** Tiles decoded at once for one region: enough to keep libvips' threads busy, few enough to bound memory. */
const REGION_CONCURRENCY = 8;

/** The tiles (col, row) of a level that a level-pixel rectangle touches, clipped to the level. */
export function tilesCovering(
  level: SlideLevel,
  x: number,
  y: number,
  width: number,
  height: number,
): { col: number; row: number }[] {
  const x0 = Math.max(0, x);
  const y0 = Math.max(0, y);
  const x1 = Math.min(level.width, x + width);
  const y1 = Math.min(level.height, y + height);
  const tiles: { col: number; row: number }[] = [];
  if (x1 <= x0 || y1 <= y0) return tiles;
  for (let row = Math.floor(y0 / level.tileHeight); row * level.tileHeight < y1; row++) {
    for (let col = Math.floor(x0 / level.tileWidth); col * level.tileWidth < x1; col++)
      tiles.push({ col, row });
  }
  return tiles;
}

/**
 * Assembles a `width` × `height` rectangle of a level starting at level pixel (x, y) from its tiles; areas
 * outside the level stay white.
 */
export async function assembleRegion(
  level: SlideLevel,
  readTile: (col: number, row: number) => Promise<RgbImage>,
  x: number,
  y: number,
  width: number,
  height: number,
): Promise<RgbImage> {
  const out = whiteImage(width, height);
  await mapLimit(tilesCovering(level, x, y, width, height), REGION_CONCURRENCY, async ({ col, row }) => {
    blit(out, await readTile(col, row), col * level.tileWidth - x, row * level.tileHeight - y);
  });
  return out;
}
