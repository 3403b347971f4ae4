import type { FileHandle } from 'node:fs/promises';
import sharp from 'sharp';
import { SlideError } from '../../base/errors.ts';
import type { EncodedTile, RgbImage } from './types.ts';
import type { Ifd } from './ifd.ts';
import { readAt } from './read-at.ts';
import { completeTileJpeg } from './jpeg-stream.ts';
import { decodeLossless, decodeWithSharp } from './decode.ts';
import { blit, crop, whiteImage } from './pixels.ts';
import { tileGrid } from './validate.ts';
import type { TileCache } from './tile-cache.ts';
import type { ByteBudget } from './byte-budget.ts';

/**
 * Worst-case bytes per pixel of one decode: the decompressed samples (≤ 4 per pixel), their RGB conversion and
 * the copy cut to the level's border.
 */
const DECODE_BYTES_PER_PIXEL = 4 + 3 + 3;
/** Encoding a tile as PNG holds the full-size RGB tile and the PNG (≤ raw size plus headers). */
const ENCODE_BYTES_PER_PIXEL = 3 + 3;

/**
 * Reads the tiles of a slide's pyramid levels: raw bytes with bounds checks, JPEG passthrough, and decoded RGB
 * through a shared cache. Missing tiles (offset or byte count 0) read as white, with one warning per level.
 */
export class TileReader {
  readonly warnings: string[] = [];
  readonly #path: string;
  readonly #handle: FileHandle;
  readonly #fileSize: number;
  readonly #levels: Ifd[];
  readonly #cache: TileCache;
  readonly #cachePrefix: string;
  readonly #budget: ByteBudget;
  readonly #inFlight = new Map<string, Promise<RgbImage>>();
  readonly #warnedLevels = new Set<number>();

  constructor(
    path: string,
    handle: FileHandle,
    fileSize: number,
    levels: Ifd[],
    cache: TileCache,
    cachePrefix: string,
    budget: ByteBudget,
  ) {
    this.#budget = budget;
    this.#path = path;
    this.#handle = handle;
    this.#fileSize = fileSize;
    this.#levels = levels;
    this.#cache = cache;
    this.#cachePrefix = cachePrefix;
  }

  #error(level: number, col: number, row: number, problem: string, cause?: unknown): SlideError {
    return new SlideError(this.#path, `level ${level} tile (${col}, ${row}): ${problem}`, { cause });
  }

  /** The IFD of a level, after checking that the tile exists in its grid. */
  #locate(level: number, col: number, row: number): Ifd {
    const ifd = this.#levels[level];
    if (!ifd || !Number.isInteger(level)) {
      throw new SlideError(
        this.#path,
        `level ${level} does not exist (the slide has ${this.#levels.length})`,
      );
    }
    const { across, down } = tileGrid(ifd);
    if (
      !Number.isInteger(col) ||
      !Number.isInteger(row) ||
      col < 0 ||
      row < 0 ||
      col >= across ||
      row >= down
    ) {
      throw new SlideError(
        this.#path,
        `tile (${col}, ${row}) is outside level ${level}'s ${across}×${down} tile grid`,
      );
    }
    return ifd;
  }

  /** Size of the image area a tile covers (edge tiles are cut by the level's border). */
  #validSize(ifd: Ifd, col: number, row: number): { width: number; height: number } {
    return {
      width: Math.min(ifd.tileWidth, ifd.width - col * ifd.tileWidth),
      height: Math.min(ifd.tileHeight, ifd.height - row * ifd.tileHeight),
    };
  }

  /** The tile's stored bytes, or null for a missing tile. */
  async #readStored(ifd: Ifd, level: number, col: number, row: number): Promise<Uint8Array | null> {
    const index = row * tileGrid(ifd).across + col;
    const offset = ifd.offsets[index]!;
    const count = ifd.byteCounts[index]!;
    if (offset === 0 || count === 0) {
      if (!this.#warnedLevels.has(level)) {
        this.#warnedLevels.add(level);
        this.warnings.push(
          `level ${level}: tile (${col}, ${row}) has no data (and maybe others); filled with white`,
        );
      }
      return null;
    }
    if (offset + count > this.#fileSize) {
      throw this.#error(
        level,
        col,
        row,
        `data at bytes ${offset}–${offset + count} lies past the end of the file (truncated?)`,
      );
    }
    // Compressed data larger than twice the raw pixels (plus headroom for JPEG headers) is not a real tile.
    const limit = ifd.tileWidth * ifd.tileHeight * ifd.samplesPerPixel * 2 + 65536;
    if (count > limit)
      throw this.#error(level, col, row, `byte count ${count} is implausible for the tile size`);
    return readAt(this.#handle, offset, count);
  }

  #jpegStream(ifd: Ifd, level: number, col: number, row: number, stored: Uint8Array): Uint8Array {
    if (stored[0] !== 0xff || stored[1] !== 0xd8)
      throw this.#error(level, col, row, 'JPEG data does not start with an SOI marker');
    return completeTileJpeg(stored, ifd.jpegTables, ifd.photometric === 2);
  }

  /**
   * The tile as an image file. JPEG levels: the stored bytes made standalone (tables spliced in, colour
   * marker fixed), never decoded, with the full stored tile size — edge tiles keep the padding the writer
   * stored beyond the image border. Other compressions: decoded once and encoded as PNG (lossless, so label
   * masks survive), also at the full tile size with white beyond the border. Missing tiles are white PNGs.
   */
  async readTile(level: number, col: number, row: number): Promise<EncodedTile> {
    const ifd = this.#locate(level, col, row);
    if (ifd.compression === 7) {
      const stored = await this.#readStored(ifd, level, col, row);
      if (stored)
        return {
          bytes: this.#jpegStream(ifd, level, col, row, stored),
          mime: 'image/jpeg',
          passthrough: true,
        };
    }
    // One reservation covers the decode and the encode: decoded pixels waiting for their encode are counted.
    const encodeCost = ifd.tileWidth * ifd.tileHeight * ENCODE_BYTES_PER_PIXEL;
    const png = await this.#budget.run(this.#decodeCost(ifd, col, row) + encodeCost, async () => {
      const key = this.#key(level, col, row);
      let rgb = this.#cache.get(key);
      if (!rgb) {
        rgb = await this.#decodeNow(ifd, level, col, row);
        this.#cache.set(key, rgb);
      }
      const full = whiteImage(ifd.tileWidth, ifd.tileHeight);
      blit(full, rgb, 0, 0);
      return sharp(full.data, { raw: { width: full.width, height: full.height, channels: 3 } })
        .png({ compressionLevel: 1 })
        .toBuffer();
    });
    return {
      bytes: new Uint8Array(png.buffer, png.byteOffset, png.byteLength),
      mime: 'image/png',
      passthrough: false,
    };
  }

  #key(level: number, col: number, row: number): string {
    return `${this.#cachePrefix}${level}/${col}/${row}`;
  }

  /** The tile's pixels, cut to the part inside the level (edge tiles are smaller than the tile size). */
  readTileRgb(level: number, col: number, row: number): Promise<RgbImage> {
    const ifd = this.#locate(level, col, row);
    const key = this.#key(level, col, row);
    const cached = this.#cache.get(key);
    if (cached) return Promise.resolve(cached);
    let pending = this.#inFlight.get(key);
    if (!pending) {
      pending = this.#decode(ifd, level, col, row).finally(() => this.#inFlight.delete(key));
      pending.then((image) => this.#cache.set(key, image)).catch(() => undefined);
      this.#inFlight.set(key, pending);
    }
    return pending;
  }

  /** Worst-case bytes one decode of the tile holds: its stored bytes and the pixels derived from them. */
  #decodeCost(ifd: Ifd, col: number, row: number): number {
    const rows = ifd.tiled ? ifd.tileHeight : this.#validSize(ifd, col, row).height;
    const stored = ifd.byteCounts[row * tileGrid(ifd).across + col] ?? 0;
    return ifd.tileWidth * rows * DECODE_BYTES_PER_PIXEL + stored;
  }

  /** Decodes within the shared budget, so that hostile tiles requested at once cannot add up to gigabytes. */
  #decode(ifd: Ifd, level: number, col: number, row: number): Promise<RgbImage> {
    return this.#budget.run(this.#decodeCost(ifd, col, row), () => this.#decodeNow(ifd, level, col, row));
  }

  async #decodeNow(ifd: Ifd, level: number, col: number, row: number): Promise<RgbImage> {
    const valid = this.#validSize(ifd, col, row);
    const stored = await this.#readStored(ifd, level, col, row);
    if (!stored) return whiteImage(valid.width, valid.height);
    let image: RgbImage;
    try {
      image =
        ifd.compression === 7
          ? await decodeWithSharp(this.#jpegStream(ifd, level, col, row, stored))
          : await decodeLossless(stored, ifd, ifd.tiled ? ifd.tileHeight : valid.height);
    } catch (err) {
      if (err instanceof SlideError) throw err;
      throw this.#error(
        level,
        col,
        row,
        `corrupt tile data (${err instanceof Error ? err.message : String(err)})`,
        err,
      );
    }
    if (image.width < valid.width || image.height < valid.height) {
      throw this.#error(
        level,
        col,
        row,
        `decoded to ${image.width}×${image.height}, expected at least ${valid.width}×${valid.height}`,
      );
    }
    return crop(image, valid.width, valid.height);
  }

  /** Forgets this slide's decoded tiles. */
  evict(): void {
    this.#cache.deletePrefix(this.#cachePrefix);
  }
}
