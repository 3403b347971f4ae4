import { SlideError } from '../../base/errors.ts';
import type { Ifd } from './ifd.ts';
import { MAX_SIDE, MAX_TILE_SIDE } from './limits.ts';

const JPEG2000 = new Set([33003, 33005, 34712]);
const SUPPORTED = new Set([1, 5, 7, 8, 32946, 32773, 50001]);

/** Tiles across and down an IFD (strips count as one column). */
export function tileGrid(ifd: Ifd): { across: number; down: number } {
  return { across: Math.ceil(ifd.width / ifd.tileWidth), down: Math.ceil(ifd.height / ifd.tileHeight) };
}

/** Rejects a pyramid level the reader cannot decode safely, naming the level and the problem. */
export function checkLevel(path: string, ifd: Ifd, level: number): void {
  const fail = (problem: string): never => {
    throw new SlideError(path, `level ${level} (IFD ${ifd.index}): ${problem}`);
  };
  if (!(ifd.width >= 1 && ifd.height >= 1)) fail(`invalid size ${ifd.width}×${ifd.height}`);
  if (ifd.width > MAX_SIDE || ifd.height > MAX_SIDE)
    fail(`size ${ifd.width}×${ifd.height} exceeds ${MAX_SIDE} px per side`);
  if (!(ifd.tileWidth >= 1 && ifd.tileHeight >= 1))
    fail(`invalid tile size ${ifd.tileWidth}×${ifd.tileHeight}`);
  if (ifd.tiled && (ifd.tileWidth > MAX_TILE_SIDE || ifd.tileHeight > MAX_TILE_SIDE)) {
    fail(`tile size ${ifd.tileWidth}×${ifd.tileHeight} exceeds ${MAX_TILE_SIDE} px`);
  }
  if (!ifd.tiled && ifd.tileWidth * ifd.tileHeight > MAX_TILE_SIDE * MAX_TILE_SIDE) {
    fail(`strips of ${ifd.tileWidth}×${ifd.tileHeight} px are too large`);
  }
  if (JPEG2000.has(ifd.compression)) fail(`JPEG 2000 compression (${ifd.compression}) is not supported`);
  if (ifd.compression === 6) fail('old-style JPEG compression (6) is not supported');
  if (!SUPPORTED.has(ifd.compression)) fail(`compression ${ifd.compression} is not supported`);
  if (ifd.bitsPerSample.length === 0 || ifd.bitsPerSample.some((b) => b !== 8)) {
    fail(`only 8 bits per sample are supported (got ${ifd.bitsPerSample.join(',') || 'none'})`);
  }
  const spp = ifd.samplesPerPixel;
  if (spp < 1 || spp > 4) fail(`${spp} samples per pixel are not supported`);
  if (ifd.planar !== 1 && spp > 1) fail('separate colour planes (PlanarConfiguration 2) are not supported');
  if (ifd.predictor !== 1 && ifd.predictor !== 2) fail(`predictor ${ifd.predictor} is not supported`);
  checkPhotometric(ifd, fail);
  const { across, down } = tileGrid(ifd);
  const expected = across * down;
  if (ifd.offsets.length < expected || ifd.byteCounts.length < expected) {
    fail(
      `has ${Math.min(ifd.offsets.length, ifd.byteCounts.length)} tile offsets/byte counts, needs ${expected}`,
    );
  }
}

function checkPhotometric(ifd: Ifd, fail: (problem: string) => never): void {
  const p = ifd.photometric;
  const spp = ifd.samplesPerPixel;
  if (ifd.compression === 7 || ifd.compression === 50001) {
    if (![1, 2, 6].includes(p))
      fail(
        `photometric interpretation ${p} is not supported with ${ifd.compression === 7 ? 'JPEG' : 'WebP'}`,
      );
    return;
  }
  if ((p === 0 || p === 1) && spp <= 2) return;
  if (p === 2 && spp >= 3) return;
  fail(`photometric interpretation ${p} with ${spp} samples per pixel is not supported`);
}
