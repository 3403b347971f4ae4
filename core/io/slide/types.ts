/** Geometry of one pyramid level, as OpenSlide reports it. */
export interface SlideLevel {
  width: number;
  height: number;
  /** level-0 pixels per pixel of this level (PANDA: 1, 4, 16; some files report 4.0005 etc.). */
  downsample: number;
  /** Tile size in pixels; for stripped (untiled) images, the image width and rows-per-strip. */
  tileWidth: number;
  tileHeight: number;
}

export interface AssociatedImage {
  /** e.g. `thumbnail`, `label`, `macro`. */
  name: string;
  width: number;
  height: number;
}

export type Compression =
  'none' | 'jpeg' | 'lzw' | 'deflate' | 'packbits' | 'webp' | 'zstd' | 'jpeg2000' | 'other';

/** What a slide holds, without reading any pixel. */
export interface SlideInfo {
  path: string;
  width: number;
  height: number;
  levels: SlideLevel[];
  /** Microns per level-0 pixel from the resolution tags, or null when the file does not say. */
  mpp: { x: number; y: number } | null;
  compression: Compression;
  photometric: 'rgb' | 'ycbcr' | 'minisblack' | 'miniswhite' | 'palette' | 'other';
  bigTiff: boolean;
  fileSize: number;
  associated: AssociatedImage[];
}

/** Interleaved 8-bit RGB pixels, row-major. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** One tile as the viewer gets it: JPEG bytes copied from the file when possible, else encoded once. */
export interface EncodedTile {
  bytes: Uint8Array;
  mime: 'image/jpeg' | 'image/png';
  /** True when the bytes come straight from the file (no decode, no re-encode). */
  passthrough: boolean;
}
