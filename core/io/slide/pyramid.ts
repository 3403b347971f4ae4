import type { AssociatedImage, Compression, SlideInfo, SlideLevel } from './types.ts';
import type { Ifd } from './ifd.ts';

/** Main-chain IFDs split into pyramid levels (largest first) and associated images. */
export interface Layout {
  levels: Ifd[];
  associated: { name: string; ifd: Ifd }[];
}

/** Aperio descriptions name associated images at the start of a line ("Aperio Image Library …\nlabel 387x463"). */
function describedName(ifd: Ifd): string | null {
  const m = /^\s*(label|macro)\b/im.exec(ifd.description);
  return m ? m[1]!.toLowerCase() : null;
}

/** True when `ifd` is a reduced copy of `level0` (same aspect, within rounding of the reduction). */
function sameAspect(level0: Ifd, ifd: Ifd): boolean {
  const expectedWidth = (level0.width * ifd.height) / level0.height;
  return Math.abs(ifd.width - expectedWidth) <= Math.max(2, 0.02 * ifd.width);
}

function associatedName(ifd: Ifd, taken: Set<string>): string {
  // Aperio stores the thumbnail as the untiled IFD right after level 0.
  const base = describedName(ifd) ?? (ifd.index === 1 && !ifd.tiled ? 'thumbnail' : `image-${ifd.index}`);
  let name = base;
  for (let n = 2; taken.has(name); n++) name = `${base}-${n}`;
  taken.add(name);
  return name;
}

/**
 * Level 0 is the first IFD; a later IFD is the next level when it is organised like level 0 (tiled or not),
 * strictly smaller than the previous level, keeps the aspect ratio and is not named as an associated image.
 */
export function classifyIfds(ifds: Ifd[]): Layout {
  const [level0, ...rest] = ifds;
  if (!level0) return { levels: [], associated: [] };
  const levels = [level0];
  const associated: Layout['associated'] = [];
  const taken = new Set<string>();
  for (const ifd of rest) {
    const previous = levels[levels.length - 1]!;
    const isLevel =
      describedName(ifd) === null &&
      ifd.tiled === level0.tiled &&
      ifd.width <= previous.width &&
      ifd.height <= previous.height &&
      (ifd.width < previous.width || ifd.height < previous.height) &&
      sameAspect(level0, ifd);
    if (isLevel) levels.push(ifd);
    else associated.push({ name: associatedName(ifd, taken), ifd });
  }
  return { levels, associated };
}

/** OpenSlide's convention: the mean of the width and height reduction factors. */
export function downsampleOf(level0: Ifd, ifd: Ifd): number {
  return (level0.width / ifd.width + level0.height / ifd.height) / 2;
}

/** Aperio writes `MPP = 0.2520` into the ImageDescription. */
export function aperioMpp(description: string): number | null {
  const m = /\bMPP\s*=\s*([0-9]*\.?[0-9]+(?:[eE][-+]?\d+)?)/.exec(description);
  const value = m ? Number(m[1]) : NaN;
  return Number.isFinite(value) && value > 0 ? value : null;
}

/** Microns per pixel from a resolution (pixels per unit): unit 3 = centimetre, 2 = inch, 1 = none. */
export function micronsPerPixel(resolution: number | null, unit: number): number | null {
  if (resolution === null || !Number.isFinite(resolution) || resolution <= 0) return null;
  if (unit === 3) return 10000 / resolution;
  if (unit === 2) return 25400 / resolution;
  return null;
}

export function slideMpp(level0: Ifd): SlideInfo['mpp'] {
  const aperio = aperioMpp(level0.description);
  if (aperio !== null) return { x: aperio, y: aperio };
  const x = micronsPerPixel(level0.xResolution, level0.resolutionUnit);
  const y = micronsPerPixel(level0.yResolution, level0.resolutionUnit);
  return x !== null && y !== null ? { x, y } : null;
}

const COMPRESSION_NAMES: Record<number, Compression> = {
  1: 'none',
  5: 'lzw',
  7: 'jpeg',
  8: 'deflate',
  32946: 'deflate',
  32773: 'packbits',
  50000: 'zstd',
  50001: 'webp',
  33003: 'jpeg2000',
  33005: 'jpeg2000',
  34712: 'jpeg2000',
};

export function compressionName(code: number): Compression {
  return COMPRESSION_NAMES[code] ?? 'other';
}

const PHOTOMETRIC_NAMES: Record<number, SlideInfo['photometric']> = {
  0: 'miniswhite',
  1: 'minisblack',
  2: 'rgb',
  3: 'palette',
  6: 'ycbcr',
};

export function photometricName(code: number): SlideInfo['photometric'] {
  return PHOTOMETRIC_NAMES[code] ?? 'other';
}

export function levelOf(level0: Ifd, ifd: Ifd): SlideLevel {
  return {
    width: ifd.width,
    height: ifd.height,
    downsample: downsampleOf(level0, ifd),
    tileWidth: ifd.tileWidth,
    tileHeight: ifd.tileHeight,
  };
}

export function associatedOf(entry: Layout['associated'][number]): AssociatedImage {
  return { name: entry.name, width: entry.ifd.width, height: entry.ifd.height };
}
