/**
 * Separable linear ("tent") resampling of 8-bit RGB, antialiased when shrinking (the tent widens to the scale,
 * as PIL's bilinear resize does). Every output pixel is computed from absolute coordinates in a fixed order, so
 * resampling any rectangle of the output gives bitwise the pixels of resampling the whole image: a slide can be
 * prepared patch by patch and still equal the whole-image preparation.
 */
import type { RgbImage } from '../slide/types.ts';

/** The source pixels and weights of every output pixel along one axis. */
export interface Taps {
  /** First source index of output i. */
  start: Int32Array;
  /** Number of source pixels of output i. */
  count: Int32Array;
  /** Weights, `width` per output (zero-padded after `count`); they sum to 1. */
  weights: Float64Array;
  width: number;
}

/** Taps resampling `inSize` pixels to `outSize` (pixel centres at i + 0.5 on both sides, edges clamped). */
export function tentTaps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const support = Math.max(scale, 1);
  const width = Math.ceil(2 * support) + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * width);
  for (let i = 0; i < outSize; i++) {
    const centre = (i + 0.5) * scale;
    const lo = Math.max(0, Math.floor(centre - support - 0.5));
    const hi = Math.min(inSize - 1, Math.ceil(centre + support - 0.5));
    let first = -1;
    let n = 0;
    let total = 0;
    const row = i * width;
    for (let u = lo; u <= hi; u++) {
      const w = 1 - Math.abs(u + 0.5 - centre) / support;
      if (w <= 0) continue;
      if (first < 0) first = u;
      weights[row + n] = w;
      total += w;
      n++;
    }
    if (n === 0) {
      // An output centre beyond the last source centre (upscaling at the edge) takes the nearest pixel.
      first = Math.min(inSize - 1, Math.max(0, Math.floor(centre)));
      weights[row] = 1;
      total = 1;
      n = 1;
    }
    for (let t = 0; t < n; t++) weights[row + t]! /= total;
    start[i] = first;
    count[i] = n;
  }
  return { start, count, weights, width };
}

/** The source range [from, to) that outputs [from, to) of `taps` read. */
export function sourceSpan(taps: Taps, from: number, to: number): { from: number; to: number } {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = from; i < to; i++) {
    lo = Math.min(lo, taps.start[i]!);
    hi = Math.max(hi, taps.start[i]! + taps.count[i]!);
  }
  return { from: lo, to: hi };
}

/**
 * Output pixels [x0, x0 + width) × [y0, y0 + height) of the resampled image, written into `out` (row stride
 * `outStride` pixels, from `outOffset` pixels). `source` holds the source pixels from (sx, sy): it must cover
 * `sourceSpan` of both axes.
 */
export function resampleRect(
  source: RgbImage,
  sx: number,
  sy: number,
  xTaps: Taps,
  yTaps: Taps,
  rect: { x0: number; y0: number; width: number; height: number },
  out: Uint8Array,
  outOffset: number,
  outStride: number,
): void {
  const { x0, y0, width, height } = rect;
  const rows = sourceSpan(yTaps, y0, y0 + height);
  // Horizontal pass over every source row the rectangle needs, then vertical.
  const tmp = new Float64Array((rows.to - rows.from) * width * 3);
  for (let v = rows.from; v < rows.to; v++) {
    const srcRow = (v - sy) * source.width;
    const tmpRow = (v - rows.from) * width * 3;
    for (let x = 0; x < width; x++) {
      const i = x0 + x;
      const n = xTaps.count[i]!;
      const w0 = i * xTaps.width;
      let p = (srcRow + xTaps.start[i]! - sx) * 3;
      let r = 0;
      let g = 0;
      let b = 0;
      for (let t = 0; t < n; t++, p += 3) {
        const w = xTaps.weights[w0 + t]!;
        r += source.data[p]! * w;
        g += source.data[p + 1]! * w;
        b += source.data[p + 2]! * w;
      }
      tmp[tmpRow + x * 3] = r;
      tmp[tmpRow + x * 3 + 1] = g;
      tmp[tmpRow + x * 3 + 2] = b;
    }
  }
  for (let y = 0; y < height; y++) {
    const j = y0 + y;
    const n = yTaps.count[j]!;
    const w0 = j * yTaps.width;
    const first = (yTaps.start[j]! - rows.from) * width * 3;
    const dst = (outOffset + y * outStride) * 3;
    for (let x = 0; x < width * 3; x++) {
      let s = 0;
      for (let t = 0; t < n; t++) s += tmp[first + t * width * 3 + x]! * yTaps.weights[w0 + t]!;
      out[dst + x] = s <= 0 ? 0 : s >= 255 ? 255 : Math.round(s);
    }
  }
}
