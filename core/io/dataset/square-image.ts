import sharp from 'sharp';
import { DatasetError } from '../../base/errors.ts';
import type { SlidePool } from '../slide/pool.ts';
import type { RgbImage } from '../slide/types.ts';

/**
 * A whole image prepared as the PatchGD reference prepares PANDA: scaled with its aspect kept so the longer side
 * is `size`, then padded with white to a size×size square. The content sits at the top-left so that square pixel
 * (x, y) maps to source pixel (x·scale, y·scale) — attention maps rely on this.
 */
export interface SquareImage {
  image: RgbImage;
  /** Width and height of the scaled content inside the square. */
  contentWidth: number;
  contentHeight: number;
  /** Source (level-0) pixels per square pixel. */
  scale: number;
}

/** Size of a width×height image scaled so that its longer side is `target`. */
export function fitLongerSide(
  width: number,
  height: number,
  target: number,
): { width: number; height: number } {
  const scale = target / Math.max(width, height);
  return {
    width: Math.max(1, Math.min(target, Math.round(width * scale))),
    height: Math.max(1, Math.min(target, Math.round(height * scale))),
  };
}

/** Copies `image` to the top-left of a size×size canvas filled with `fill`. */
export function padToSquare(image: RgbImage, size: number, fill = 255): RgbImage {
  if (image.width === size && image.height === size) return image;
  const data = new Uint8Array(size * size * 3).fill(fill);
  const rowBytes = Math.min(image.width, size) * 3;
  for (let y = 0; y < Math.min(image.height, size); y++) {
    data.set(image.data.subarray(y * image.width * 3, y * image.width * 3 + rowBytes), y * size * 3);
  }
  return { width: size, height: size, data };
}

/** Reads a whole slide at `size` px from its best pyramid level (never level 0 of a big slide). */
export async function readSlideSquare(pool: SlidePool, path: string, size: number): Promise<SquareImage> {
  return pool.use(path, async (slide) => {
    const { width, height } = slide.info;
    const fit = fitLongerSide(width, height, size);
    const scaled = await slide.readScaled(fit.width, fit.height);
    return {
      image: padToSquare(scaled, size),
      contentWidth: fit.width,
      contentHeight: fit.height,
      scale: Math.max(width, height) / size,
    };
  });
}

/** Reads a PNG/JPEG/TIFF image file (grey or colour) as a padded RGB square. */
export async function readImageFileSquare(path: string, size: number): Promise<SquareImage> {
  try {
    const meta = await sharp(path).metadata();
    if (!meta.width || !meta.height) throw new Error('image has no dimensions');
    const fit = fitLongerSide(meta.width, meta.height, size);
    const { data, info } = await sharp(path)
      .removeAlpha()
      .resize(fit.width, fit.height, { fit: 'fill' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    const rgb = info.channels === 3 ? new Uint8Array(data) : greyToRgb(new Uint8Array(data), info.channels);
    return {
      image: padToSquare({ width: info.width, height: info.height, data: rgb }, size),
      contentWidth: fit.width,
      contentHeight: fit.height,
      scale: Math.max(meta.width, meta.height) / size,
    };
  } catch (err) {
    if (err instanceof DatasetError) throw err;
    throw new DatasetError(path, `cannot read image: ${(err as Error).message}`, { cause: err });
  }
}

/** Expands 1-channel (or grey+alpha) pixels to RGB. */
function greyToRgb(data: Uint8Array, channels: number): Uint8Array {
  const pixels = data.length / channels;
  const out = new Uint8Array(pixels * 3);
  for (let i = 0; i < pixels; i++) out.fill(data[i * channels]!, i * 3, i * 3 + 3);
  return out;
}
