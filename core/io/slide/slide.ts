import { open, type FileHandle } from 'node:fs/promises';
import { SlideError } from '../../base/errors.ts';
import type { EncodedTile, RgbImage, SlideInfo } from './types.ts';
import { readTiffChain } from './tiff-chain.ts';
import { loadIfds, type Ifd } from './ifd.ts';
import {
  associatedOf,
  classifyIfds,
  compressionName,
  levelOf,
  photometricName,
  slideMpp,
} from './pyramid.ts';
import { checkLevel, tileGrid } from './validate.ts';
import { TileReader } from './tile-reader.ts';
import { sharedTileCache, type TileCache } from './tile-cache.ts';
import { sharedDecodeBudget, type ByteBudget } from './byte-budget.ts';
import { assembleRegion } from './region.ts';
import { chooseLevel, scaleLevel } from './scaled.ts';
import { tissueGrid, type TissueGridSpec, type TissueMask } from './tissue.ts';
import { MAX_REGION_PIXELS } from './limits.ts';

/**
 * An open slide. Coordinates follow OpenSlide: region origins in level-0 pixels, sizes in level pixels.
 * Images from readTileRgb are shared with the tile cache: treat them as read-only.
 */
export interface Slide {
  readonly info: SlideInfo;
  /** Problems met while reading that did not stop it (e.g. missing tiles filled with white). */
  readonly warnings: readonly string[];
  readTile(level: number, col: number, row: number): Promise<EncodedTile>;
  readTileRgb(level: number, col: number, row: number): Promise<RgbImage>;
  readRegion(level: number, x0: number, y0: number, width: number, height: number): Promise<RgbImage>;
  readScaled(width: number, height: number): Promise<RgbImage>;
  thumbnail(maxSide: number): Promise<RgbImage>;
  tissueMask(spec: TissueGridSpec & { minFraction?: number }): Promise<TissueMask>;
  close(): Promise<void>;
}

export interface OpenSlideOptions {
  /** Decoded-tile cache; defaults to the process-wide shared one. */
  cache?: TileCache;
  /** Bound on the bytes tile decodes in flight may hold; defaults to the process-wide shared one. */
  decodeBudget?: ByteBudget;
}

let nextSlideId = 0;

/** Tissue masks are computed from an image with at least this many pixels per grid cell side. */
const MASK_PIXELS_PER_CELL = 8;
/** …and at least this long a side, so coarse grids still see the tissue's texture. */
const MASK_MIN_SIDE = 512;

function checkSize(path: string, what: string, width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new SlideError(path, `${what} size ${width}×${height} must be positive integers`);
  }
  if (width * height > MAX_REGION_PIXELS) {
    throw new SlideError(path, `${what} of ${width}×${height} px exceeds the ${MAX_REGION_PIXELS} px limit`);
  }
}

async function describeFile(
  path: string,
  handle: FileHandle,
  fileSize: number,
): Promise<{ info: SlideInfo; levels: Ifd[] }> {
  const chain = await readTiffChain(path, handle, fileSize);
  let ifds: Ifd[];
  try {
    ifds = await loadIfds(path, chain.ifdOffsets.length);
  } catch (err) {
    throw new SlideError(
      path,
      `cannot parse TIFF directories (${err instanceof Error ? err.message : String(err)})`,
      { cause: err },
    );
  }
  const layout = classifyIfds(ifds);
  layout.levels.forEach((ifd, i) => checkLevel(path, ifd, i));
  const level0 = layout.levels[0]!;
  const info: SlideInfo = {
    path,
    width: level0.width,
    height: level0.height,
    levels: layout.levels.map((ifd) => levelOf(level0, ifd)),
    mpp: slideMpp(level0),
    compression: compressionName(level0.compression),
    photometric: photometricName(level0.photometric),
    bigTiff: chain.bigTiff,
    fileSize,
    associated: layout.associated.map(associatedOf),
  };
  return { info, levels: layout.levels };
}

interface OpenedFile {
  handle: FileHandle;
  size: number;
  info: SlideInfo;
  levels: Ifd[];
}

/** Opens the file and reads its header and directories; on failure the handle is closed and a SlideError thrown. */
async function openDescribed(path: string): Promise<OpenedFile> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw new SlideError(path, `cannot open (${(err as NodeJS.ErrnoException).code ?? String(err)})`, {
      cause: err,
    });
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new SlideError(path, 'not a regular file');
    return { handle, size: stat.size, ...(await describeFile(path, handle, stat.size)) };
  } catch (err) {
    await handle.close();
    throw err instanceof SlideError
      ? err
      : new SlideError(path, `cannot read (${err instanceof Error ? err.message : String(err)})`, {
          cause: err,
        });
  }
}

/** Opens a pyramidal (or plain) TIFF slide. Reads only the header and directories; pixels are read on demand. */
export async function openSlide(path: string, options: OpenSlideOptions = {}): Promise<Slide> {
  const { handle, size, info, levels } = await openDescribed(path);
  const tiles = new TileReader(
    path,
    handle,
    size,
    levels,
    options.cache ?? sharedTileCache,
    `slide${nextSlideId++}/`,
    options.decodeBudget ?? sharedDecodeBudget,
  );
  return new TiffSlide(info, tiles, handle);
}

/**
 * Checks a slide's structure without decoding a pixel (what `dataset check` and training do for every slide):
 * the header, the directory chain, each level's geometry and compression, and that every level's tile data lies
 * inside the file — a truncated copy fails here instead of half way through an epoch. Throws a SlideError.
 */
export async function checkSlideFile(path: string): Promise<SlideInfo> {
  const { handle, size, info, levels } = await openDescribed(path);
  try {
    levels.forEach((ifd, level) => {
      const count = tileGrid(ifd).across * tileGrid(ifd).down;
      for (let i = 0; i < count; i++) {
        const end = ifd.offsets[i]! + ifd.byteCounts[i]!;
        if (ifd.offsets[i] !== 0 && end > size)
          throw new SlideError(
            path,
            `level ${level} tile ${i}: data ends at byte ${end}, past the end of the ${size}-byte file (truncated?)`,
          );
      }
    });
    return info;
  } finally {
    await handle.close();
  }
}

class TiffSlide implements Slide {
  readonly info: SlideInfo;
  readonly #tiles: TileReader;
  readonly #handle: FileHandle;
  #closed = false;

  constructor(info: SlideInfo, tiles: TileReader, handle: FileHandle) {
    this.info = info;
    this.#tiles = tiles;
    this.#handle = handle;
  }

  get warnings(): readonly string[] {
    return this.#tiles.warnings;
  }

  #open(): TileReader {
    if (this.#closed) throw new SlideError(this.info.path, 'slide is closed');
    return this.#tiles;
  }

  async readTile(level: number, col: number, row: number): Promise<EncodedTile> {
    return this.#open().readTile(level, col, row);
  }

  async readTileRgb(level: number, col: number, row: number): Promise<RgbImage> {
    return this.#open().readTileRgb(level, col, row);
  }

  async readRegion(level: number, x0: number, y0: number, width: number, height: number): Promise<RgbImage> {
    const tiles = this.#open();
    const geometry = this.info.levels[level];
    if (!geometry || !Number.isInteger(level)) {
      throw new SlideError(
        this.info.path,
        `level ${level} does not exist (the slide has ${this.info.levels.length})`,
      );
    }
    if (!Number.isFinite(x0) || !Number.isFinite(y0))
      throw new SlideError(this.info.path, `region origin (${x0}, ${y0}) is not finite`);
    checkSize(this.info.path, 'region', width, height);
    const x = Math.floor(x0 / geometry.downsample);
    const y = Math.floor(y0 / geometry.downsample);
    return assembleRegion(geometry, (col, row) => tiles.readTileRgb(level, col, row), x, y, width, height);
  }

  async readScaled(width: number, height: number): Promise<RgbImage> {
    checkSize(this.info.path, 'scaled image', width, height);
    const level = chooseLevel(this.info.levels, width, height);
    const geometry = this.info.levels[level]!;
    const tiles = this.#open();
    const readRows = (y: number, rows: number) =>
      assembleRegion(geometry, (col, row) => tiles.readTileRgb(level, col, row), 0, y, geometry.width, rows);
    return scaleLevel(geometry, readRows, width, height);
  }

  async thumbnail(maxSide: number): Promise<RgbImage> {
    if (!Number.isInteger(maxSide) || maxSide < 1)
      throw new SlideError(this.info.path, `thumbnail size ${maxSide} must be a positive integer`);
    const scale = Math.min(1, maxSide / Math.max(this.info.width, this.info.height));
    return this.readScaled(
      Math.max(1, Math.round(this.info.width * scale)),
      Math.max(1, Math.round(this.info.height * scale)),
    );
  }

  async tissueMask(spec: TissueGridSpec & { minFraction?: number }): Promise<TissueMask> {
    const { width, height, path } = this.info;
    const grid =
      'cellSize' in spec
        ? {
            gridWidth: Math.ceil(width / spec.cellSize),
            gridHeight: Math.ceil(height / spec.cellSize),
            cellWidth: spec.cellSize,
            cellHeight: spec.cellSize,
          }
        : {
            gridWidth: spec.gridWidth,
            gridHeight: spec.gridHeight,
            cellWidth: width / spec.gridWidth,
            cellHeight: height / spec.gridHeight,
          };
    if (
      !Number.isInteger(grid.gridWidth) ||
      !Number.isInteger(grid.gridHeight) ||
      grid.gridWidth < 1 ||
      grid.gridHeight < 1
    ) {
      throw new SlideError(
        path,
        `tissue grid ${grid.gridWidth}×${grid.gridHeight} must be positive integers`,
      );
    }
    if (grid.gridWidth * grid.gridHeight > MAX_REGION_PIXELS) {
      throw new SlideError(path, `tissue grid ${grid.gridWidth}×${grid.gridHeight} has too many cells`);
    }
    const side = Math.max(MASK_MIN_SIDE, MASK_PIXELS_PER_CELL * Math.max(grid.gridWidth, grid.gridHeight));
    const scale = Math.min(
      1,
      side / Math.max(width, height),
      Math.sqrt(MAX_REGION_PIXELS / 4 / (width * height)),
    );
    const image = await this.readScaled(
      Math.max(1, Math.round(width * scale)),
      Math.max(1, Math.round(height * scale)),
    );
    const inImage = {
      ...grid,
      cellWidth: (grid.cellWidth * image.width) / width,
      cellHeight: (grid.cellHeight * image.height) / height,
    };
    return { ...grid, values: tissueGrid(image, inImage, spec.minFraction ?? 0.1) };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#tiles.evict();
    await this.#handle.close();
  }
}
