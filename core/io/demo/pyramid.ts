/**
 * Reductions of one level-0 tile to the coarser pyramid levels. The tile size is a multiple of every factor,
 * so blocks never straddle tiles and each tile reduces on its own; blocks cut by the slide's edge use only
 * the pixels inside the slide (level size = ceil(size / factor), as OpenSlide expects).
 */

/** Mean colour of each `factor` × `factor` block of an interleaved RGB tile, over its valid pixels. */
export function meanBlocks(
  rgb: Uint8Array,
  size: number,
  validW: number,
  validH: number,
  factor: number,
): { width: number; height: number; data: Uint8Array } {
  const width = Math.ceil(validW / factor);
  const height = Math.ceil(validH / factor);
  const data = new Uint8Array(width * height * 3);
  for (let by = 0; by < height; by++) {
    const y1 = Math.min((by + 1) * factor, validH);
    for (let bx = 0; bx < width; bx++) {
      const x1 = Math.min((bx + 1) * factor, validW);
      let r = 0;
      let g = 0;
      let b = 0;
      for (let y = by * factor; y < y1; y++) {
        let p = (y * size + bx * factor) * 3;
        for (let x = bx * factor; x < x1; x++, p += 3) {
          r += rgb[p] as number;
          g += rgb[p + 1] as number;
          b += rgb[p + 2] as number;
        }
      }
      const n = (y1 - by * factor) * (x1 - bx * factor);
      const o = (by * width + bx) * 3;
      data[o] = Math.round(r / n);
      data[o + 1] = Math.round(g / n);
      data[o + 2] = Math.round(b / n);
    }
  }
  return { width, height, data };
}

/**
 * Most frequent label of each block (ties go to the higher label, so small tumour foci survive reduction):
 * averaging would invent labels that mean something else.
 */
export function modeBlocks(
  labels: Uint8Array,
  size: number,
  validW: number,
  validH: number,
  factor: number,
): { width: number; height: number; data: Uint8Array } {
  const width = Math.ceil(validW / factor);
  const height = Math.ceil(validH / factor);
  const data = new Uint8Array(width * height);
  const hist = new Uint32Array(256);
  for (let by = 0; by < height; by++) {
    const y1 = Math.min((by + 1) * factor, validH);
    for (let bx = 0; bx < width; bx++) {
      const x1 = Math.min((bx + 1) * factor, validW);
      hist.fill(0);
      let best = 0;
      for (let y = by * factor; y < y1; y++)
        for (let x = bx * factor; x < x1; x++) {
          const l = labels[y * size + x] as number;
          const c = ++hist[l]!;
          if (c > hist[best]! || (c === hist[best]! && l > best)) best = l;
        }
      data[by * width + bx] = best;
    }
  }
  return { width, height, data };
}

/** Copies a `w` × `h` block with `channels` bytes per pixel into a wider buffer at (x, y). */
export function blit(
  src: Uint8Array,
  w: number,
  h: number,
  dst: Uint8Array,
  dstWidth: number,
  x: number,
  y: number,
  channels: number,
): void {
  for (let j = 0; j < h; j++)
    dst.set(src.subarray(j * w * channels, (j + 1) * w * channels), ((y + j) * dstWidth + x) * channels);
}

/** Cuts the `size` × `size` tile at tile column `col` out of a buffer `dstWidth` pixels wide and `size` rows high. */
export function cutTile(
  buf: Uint8Array,
  bufWidth: number,
  col: number,
  size: number,
  channels: number,
): Uint8Array {
  const tile = new Uint8Array(size * size * channels);
  for (let j = 0; j < size; j++) {
    const from = (j * bufWidth + col * size) * channels;
    tile.set(buf.subarray(from, from + size * channels), j * size * channels);
  }
  return tile;
}
