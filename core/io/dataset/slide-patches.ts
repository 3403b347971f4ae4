/**
 * Source (b): patches cut from a slide pyramid on demand. The square image is the one `readSlideSquare` returns
 * (the longer side scaled to `imageSize`, aspect kept, white padding right and below), but it is never built: a
 * patch's rectangle is mapped to the source pixels of the best level (the smallest at least as large as the
 * scaled content, level 0 when none is), those tiles are read and decoded through the slide's bounded tile cache,
 * and the rectangle is resampled with the tent filter whose taps depend only on absolute coordinates — so a
 * patch equals the same rectangle of the whole prepared image, bit for bit.
 */
import { DatasetError } from '../../base/errors.ts';
import { mapLimit } from '../slide/concurrency.ts';
import { blit, whiteImage } from '../slide/pixels.ts';
import { assembleRegion } from '../slide/region.ts';
import { chooseLevel } from '../slide/scaled.ts';
import { sharedTileCache } from '../slide/tile-cache.ts';
import type { Slide } from '../slide/slide.ts';
import type { SlideLevel } from '../slide/types.ts';
import { checkIndices, EightBitSource, patchesPerSide } from './patch-source.ts';
import { resampleRect, sourceSpan, tentTaps, type Taps } from './resample.ts';

/** Patches prepared at once: a whole chunk's tile reads in flight while the engine computes. */
const PATCH_CONCURRENCY = 16;

/** Where the scaled content of a slide lies in its square image. */
export interface SquareGeometry {
  imageSize: number;
  /** Width and height of the scaled content, at the top-left of the square. */
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

/** Reads rectangles of a slide's square image at `imageSize` px without building the image. */
export class SquareReader {
  readonly geometry: SquareGeometry;
  readonly #level: number;
  readonly #levelInfo: SlideLevel;
  readonly #taps: { x: Taps; y: Taps } | null;

  constructor(
    readonly slide: Slide,
    imageSize: number,
  ) {
    const { width, height } = slide.info;
    const fit = fitLongerSide(width, height, imageSize);
    this.geometry = {
      imageSize,
      contentWidth: fit.width,
      contentHeight: fit.height,
      scale: Math.max(width, height) / imageSize,
    };
    this.#level = chooseLevel(slide.info.levels, fit.width, fit.height);
    this.#levelInfo = slide.info.levels[this.#level]!;
    const exact = this.#levelInfo.width === fit.width && this.#levelInfo.height === fit.height;
    this.#taps = exact
      ? null
      : { x: tentTaps(this.#levelInfo.width, fit.width), y: tentTaps(this.#levelInfo.height, fit.height) };
  }

  /** Bytes of the resampling tables (the only thing this reader keeps). */
  get heldBytes(): number {
    if (!this.#taps) return 0;
    const bytes = (t: Taps) => t.start.byteLength + t.count.byteLength + t.weights.byteLength;
    return bytes(this.#taps.x) + bytes(this.#taps.y);
  }

  /**
   * Writes the square's pixels [x, x + width) × [y, y + height) into `out` (a row stride of `stride` pixels, from
   * pixel `offset`); outside the content they are white.
   */
  async readRect(
    x: number,
    y: number,
    width: number,
    height: number,
    out: Uint8Array,
    offset: number,
    stride: number,
  ): Promise<void> {
    for (let row = 0; row < height; row++)
      out.fill(255, (offset + row * stride) * 3, (offset + row * stride + width) * 3);
    const x1 = Math.min(x + width, this.geometry.contentWidth);
    const y1 = Math.min(y + height, this.geometry.contentHeight);
    if (x1 <= x || y1 <= y) return;
    const level = this.#levelInfo;
    const readTile = (col: number, row: number) => this.slide.readTileRgb(this.#level, col, row);
    if (!this.#taps) {
      // The level is the scaled content itself: tiles are copied, not resampled.
      const region = await assembleRegion(level, readTile, x, y, x1 - x, y1 - y);
      const target = { width: stride, height: out.length / 3 / stride, data: out };
      blit(target, region, offset % stride, Math.floor(offset / stride));
      return;
    }
    const xs = sourceSpan(this.#taps.x, x, x1);
    const ys = sourceSpan(this.#taps.y, y, y1);
    const region = await assembleRegion(level, readTile, xs.from, ys.from, xs.to - xs.from, ys.to - ys.from);
    resampleRect(
      region,
      xs.from,
      ys.from,
      this.#taps.x,
      this.#taps.y,
      { x0: x, y0: y, width: x1 - x, height: y1 - y },
      out,
      offset,
      stride,
    );
  }

  /** The whole square image, read in bands of tile rows so the level is never decoded at once. */
  async readSquare(bandRows = 256): Promise<Uint8Array> {
    const size = this.geometry.imageSize;
    const out = whiteImage(size, size).data;
    for (let y = 0; y < this.geometry.contentHeight; y += bandRows)
      await this.readRect(0, y, size, Math.min(bandRows, size - y), out, y * size, size);
    return out;
  }
}

/** Patches of a slide's square image, read on demand (see the module comment). */
export class SlidePatchSource extends EightBitSource {
  readonly k: number;
  readonly reader: SquareReader;

  /**
   * `release` runs on close (hands the slide back to its pool); `sharedBytes` is the most the slide's decoded-tile
   * cache holds (the process-wide one unless the slide was opened with another).
   */
  constructor(
    slide: Slide,
    readonly imageSize: number,
    readonly patchSize: number,
    private readonly release: () => void | Promise<void> = () => {},
    readonly sharedBytes = sharedTileCache.maxBytes,
  ) {
    super();
    this.k = patchesPerSide(imageSize, patchSize);
    this.reader = new SquareReader(slide, imageSize);
  }

  get heldBytes(): number {
    return this.reader.heldBytes;
  }

  get geometry(): SquareGeometry {
    return this.reader.geometry;
  }

  async readRgb(indices: readonly number[], out: Uint8Array): Promise<void> {
    checkIndices(indices, this.k * this.k, this.reader.slide.info.path);
    const m = this.patchSize;
    const order = indices.map((n, p) => ({ n, p }));
    try {
      await mapLimit(order, PATCH_CONCURRENCY, ({ n, p }) =>
        this.reader.readRect((n % this.k) * m, Math.floor(n / this.k) * m, m, m, out, p * m * m, m),
      );
    } catch (err) {
      if (err instanceof DatasetError) throw err;
      throw new DatasetError(
        this.reader.slide.info.path,
        `cannot read patches: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
  }

  async close(): Promise<void> {
    await this.release();
  }
}
