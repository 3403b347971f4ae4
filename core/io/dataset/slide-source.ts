/**
 * The patch source a training or inference job uses for a slide at a given size: the cheapest that fits.
 * A disk cache when the user gave a cache folder (decoding is then paid once per slide and size); else the
 * whole prepared square kept as 8-bit pixels when it is small (one decode per step instead of reading the tiles
 * for the Z fill and again for the inner iterations); else the pyramid read patch by patch, which holds no
 * image at all and so trains at any size.
 */
import { SlidePool } from '../slide/pool.ts';
import { TileCache } from '../slide/tile-cache.ts';
import { CachedPatchSource } from './patch-cache.ts';
import { ImagePatchSource, type PatchSource } from './patch-source.ts';
import { SlidePatchSource } from './slide-patches.ts';
import { readSlideSquare } from './square-image.ts';

/** Prepared squares up to this many 8-bit bytes (4,096 px: 48 MiB) are decoded whole and kept in memory. */
export const IN_MEMORY_SQUARE_BYTES = 64 * 1024 * 1024;

/**
 * Decoded tiles a job that streams slides keeps: two rows of tiles of a 32,768 px level with 512-px tiles
 * (2 × 48 MiB), so the Z fill, which walks the grid row by row, decodes each tile once. The process-wide cache
 * (256 MiB, for the viewer) would grow the resident memory with the slide instead.
 */
export const STREAM_TILE_CACHE_BYTES = 96 * 1024 * 1024;

/** A slide pool for jobs that stream slides: its own decoded-tile cache of `STREAM_TILE_CACHE_BYTES`. */
export function streamingSlidePool(maxOpen = 8): SlidePool {
  return new SlidePool(maxOpen, { cache: new TileCache(STREAM_TILE_CACHE_BYTES) });
}

export interface SlideSourceOptions {
  /** Folder of the disk patch cache (written where the user chose), or none. */
  cacheDir?: string | null;
  /** Largest 8-bit square kept in memory (default `IN_MEMORY_SQUARE_BYTES`; 0: always stream). */
  inMemoryBytes?: number;
}

/** Opens the slide at `path` as a patch source (see the module comment for the choice). */
export async function openSlidePatches(
  pool: SlidePool,
  path: string,
  imageSize: number,
  patchSize: number,
  options: SlideSourceOptions = {},
): Promise<PatchSource> {
  const stream = async () => {
    const slide = await pool.acquire(path);
    try {
      return new SlidePatchSource(
        slide,
        imageSize,
        patchSize,
        () => pool.release(slide),
        pool.cache.maxBytes,
      );
    } catch (err) {
      pool.release(slide);
      throw err;
    }
  };
  if (options.cacheDir) return CachedPatchSource.open(options.cacheDir, path, imageSize, patchSize, stream);
  if (imageSize * imageSize * 3 <= (options.inMemoryBytes ?? IN_MEMORY_SQUARE_BYTES))
    return new ImagePatchSource(
      imageSize,
      patchSize,
      (await readSlideSquare(pool, path, imageSize)).image,
      path,
    );
  return stream();
}
