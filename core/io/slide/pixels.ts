import type { RgbImage } from './types.ts';

/** Pure pixel helpers on interleaved 8-bit RGB images. */

export function whiteImage(width: number, height: number): RgbImage {
  return { width, height, data: new Uint8Array(width * height * 3).fill(255) };
}

/** Copies `src` into `dst` with its top-left corner at (dx, dy), clipped to `dst`. */
export function blit(dst: RgbImage, src: RgbImage, dx: number, dy: number): void {
  const x0 = Math.max(0, dx);
  const y0 = Math.max(0, dy);
  const x1 = Math.min(dst.width, dx + src.width);
  const y1 = Math.min(dst.height, dy + src.height);
  if (x1 <= x0 || y1 <= y0) return;
  const rowBytes = (x1 - x0) * 3;
  for (let y = y0; y < y1; y++) {
    const from = ((y - dy) * src.width + (x0 - dx)) * 3;
    dst.data.set(src.data.subarray(from, from + rowBytes), (y * dst.width + x0) * 3);
  }
}

/** The top-left `width` × `height` part of an image (a copy, or the image itself when nothing is cut). */
export function crop(image: RgbImage, width: number, height: number): RgbImage {
  if (width === image.width && height === image.height) return image;
  const out = { width, height, data: new Uint8Array(width * height * 3) };
  blit(out, image, 0, 0);
  return out;
}

/**
 * Converts chunky 8-bit samples to RGB: 3+ samples are RGB (extra samples such as alpha dropped), 1–2 samples
 * are grey (photometric 0 = min-is-white is inverted).
 */
export function samplesToRgb(
  samples: Uint8Array,
  width: number,
  height: number,
  spp: number,
  minIsWhite: boolean,
): RgbImage {
  const n = width * height;
  const data = new Uint8Array(n * 3);
  if (spp === 3) {
    data.set(samples.subarray(0, n * 3));
    return { width, height, data };
  }
  for (let i = 0; i < n; i++) {
    const s = i * spp;
    if (spp >= 3) {
      data[i * 3] = samples[s]!;
      data[i * 3 + 1] = samples[s + 1]!;
      data[i * 3 + 2] = samples[s + 2]!;
    } else {
      const v = minIsWhite ? 255 - samples[s]! : samples[s]!;
      data[i * 3] = v;
      data[i * 3 + 1] = v;
      data[i * 3 + 2] = v;
    }
  }
  return { width, height, data };
}

/** Undoes TIFF horizontal differencing (Predictor 2) on chunky 8-bit rows, in place. */
export function undoHorizontalPredictor(samples: Uint8Array, width: number, rows: number, spp: number): void {
  const rowBytes = width * spp;
  for (let y = 0; y < rows; y++) {
    const start = y * rowBytes;
    for (let i = start + spp; i < start + rowBytes; i++) samples[i] = (samples[i]! + samples[i - spp]!) & 255;
  }
}
