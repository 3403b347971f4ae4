import sharp from 'sharp';
import { DatasetError } from '../../base/errors.ts';
import type { SlidePool } from '../slide/pool.ts';
import type { RgbImage } from '../slide/types.ts';
import { fitLongerSide, SquareReader } from './slide-patches.ts';

export { fitLongerSide };

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

/**
 * Reads a whole slide at `size` px from its best pyramid level (never level 0 of a big slide), with the
 * resampling of the slide patch source, so that training from whole images and from streamed patches agree.
 */
export async function readSlideSquare(pool: SlidePool, path: string, size: number): Promise<SquareImage> {
  return pool.use(path, async (slide) => {
    const reader = new SquareReader(slide, size);
    const { contentWidth, contentHeight, scale } = reader.geometry;
    return {
      image: { width: size, height: size, data: await reader.readSquare() },
      contentWidth,
      contentHeight,
      scale,
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
