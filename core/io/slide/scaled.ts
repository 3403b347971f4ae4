import sharp from 'sharp';
import type { RgbImage, SlideLevel } from './types.ts';
import { blit, whiteImage } from './pixels.ts';

/** Pixels decoded per band when a whole level is too large to hold at once. */
const BAND_PIXELS = 1 << 24;

/** The smallest level at least `width` × `height` (level 0 when none is), so level 0 is read only when needed. */
export function chooseLevel(levels: readonly SlideLevel[], width: number, height: number): number {
  let best = 0;
  levels.forEach((level, i) => {
    if (level.width >= width && level.height >= height) best = i;
  });
  return best;
}

/** Resizes an RGB image to exactly `width` × `height` (aspect not kept) with libvips. */
export async function resizeRgb(image: RgbImage, width: number, height: number): Promise<RgbImage> {
  if (image.width === width && image.height === height) return image;
  const data = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(width, height, { fit: 'fill' })
    .raw()
    .toBuffer();
  return { width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/**
 * A whole level resized to `width` × `height`. A level larger than one band is read and reduced in horizontal
 * bands (each whole tile rows) so memory stays bounded; band seams are resampled independently.
 */
export async function scaleLevel(
  level: SlideLevel,
  readRows: (y: number, rows: number) => Promise<RgbImage>,
  width: number,
  height: number,
  bandPixels = BAND_PIXELS,
): Promise<RgbImage> {
  const bandRows = Math.max(
    level.tileHeight,
    Math.floor(bandPixels / level.width / level.tileHeight) * level.tileHeight,
  );
  if (bandRows >= level.height) return resizeRgb(await readRows(0, level.height), width, height);
  const out = whiteImage(width, height);
  const scale = height / level.height;
  for (let y = 0; y < level.height; y += bandRows) {
    const rows = Math.min(bandRows, level.height - y);
    const top = Math.round(y * scale);
    const bottom = Math.round((y + rows) * scale);
    if (bottom > top) blit(out, await resizeRgb(await readRows(y, rows), width, bottom - top), 0, top);
  }
  return out;
}
