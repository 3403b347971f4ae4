/**
 * Tile and thumbnail responses for slides of opened folders, as plain status/headers/body values that both
 * Electron's `protocol.handle('slide', …)` and the browser-mode HTTP server wrap. Slides are addressed by store
 * id only: the file path always comes from the store, never from a URL.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join, relative, isAbsolute } from 'node:path';
import sharp from 'sharp';
import { PatchgdError } from '../base/errors.ts';
import { writeFileAtomic } from '../base/atomic.ts';
import type { Slide } from '../io/slide/index.ts';
import { getFolder, getSlide } from '../io/store/index.ts';
import type { AppContext } from './context.ts';
import { createLimiter } from './limiter.ts';
import { makeDir } from '../base/dirs.ts';

export interface SlideResponse {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
}

export interface TileRequest {
  slideId: number;
  level: number;
  col: number;
  row: number;
  /** The request's If-None-Match header, for 304 answers. */
  ifNoneMatch?: string | null;
}

export interface ThumbRequest {
  slideId: number;
  ifNoneMatch?: string | null;
}

/**
 * Tiles of a given file never change; the ETag (size + mtime) still lets a replaced file be noticed after the
 * hour. `private`: slides are patient data, never for shared caches.
 */
export const TILE_CACHE_CONTROL = 'private, max-age=3600, immutable';
/** Longest side of a slide's thumbnail in the slide list, in pixels. */
export const THUMB_SIDE = 256;
const THUMB_QUALITY = 80;
/** Largest pyramid index accepted from a URL segment: far beyond any slide, far below float trouble. */
const MAX_INDEX = 1_000_000;

const text = (status: number, message: string): SlideResponse => ({
  status,
  headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' },
  body: new TextEncoder().encode(message),
});

/** A URL path segment as a pyramid index or slide id: plain decimal digits only, else null. */
export function parseIndex(segment: string): number | null {
  if (!/^(0|[1-9][0-9]{0,6})$/.test(segment)) return null;
  const value = Number(segment);
  return value <= MAX_INDEX ? value : null;
}

const isIndex = (n: number) => Number.isSafeInteger(n) && n >= 0 && n <= MAX_INDEX;

interface Servable {
  path: string;
  etag: string;
  /** Plain images (the `images` layout) have thumbnails but no pyramid to tile. */
  isSlide: boolean;
}

/** The slide's file if it may be served: a present slide of a folder in the store, inside that folder. */
async function servable(ctx: AppContext, slideId: number): Promise<Servable | SlideResponse> {
  if (!Number.isSafeInteger(slideId) || slideId < 1) return text(400, 'invalid slide id');
  const slide = getSlide(ctx.store, slideId);
  const folder = slide ? getFolder(ctx.store, slide.folderId) : null;
  if (!slide || !folder || slide.removedAt !== null) return text(404, `no slide ${slideId}`);
  const inside = relative(folder.path, slide.path);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) return text(404, `no slide ${slideId}`);
  try {
    const s = await stat(slide.path);
    if (!s.isFile()) return text(404, `slide ${slideId}: its file is missing`);
    return {
      path: slide.path,
      etag: `"${s.size.toString(36)}-${Math.floor(s.mtimeMs).toString(36)}"`,
      isSlide: folder.layout !== 'images',
    };
  } catch {
    return text(404, `slide ${slideId}: its file is missing`);
  }
}

function failure(err: unknown): SlideResponse {
  if (err instanceof PatchgdError) return text(500, err.message);
  return text(500, `cannot read the slide: ${err instanceof Error ? err.message : String(err)}`);
}

const notModified = (etag: string): SlideResponse => ({
  status: 304,
  headers: { ETag: etag, 'Cache-Control': TILE_CACHE_CONTROL },
  body: new Uint8Array(0),
});

const matches = (ifNoneMatch: string | null | undefined, etag: string) =>
  !!ifNoneMatch && ifNoneMatch.split(',').some((tag) => tag.trim() === etag || tag.trim() === '*');

/** True when (level, col, row) is a tile of the slide's pyramid. */
function inPyramid(slide: Slide, level: number, col: number, row: number): boolean {
  const geometry = slide.info.levels[level];
  if (!geometry) return false;
  return (
    col < Math.ceil(geometry.width / geometry.tileWidth) &&
    row < Math.ceil(geometry.height / geometry.tileHeight)
  );
}

/** One tile: the JPEG bytes as stored in the file (or PNG for other compressions), with caching headers. */
export async function tileResponse(ctx: AppContext, request: TileRequest): Promise<SlideResponse> {
  const { slideId, level, col, row } = request;
  if (![level, col, row].every(isIndex)) return text(400, 'tile level, column and row must be indices');
  const file = await servable(ctx, slideId);
  if ('status' in file) return file;
  if (!file.isSlide) return text(404, `slide ${slideId} is a plain image, not a tiled slide`);
  if (matches(request.ifNoneMatch, file.etag)) return notModified(file.etag);
  try {
    return await ctx.slides.use(file.path, async (slide) => {
      if (!inPyramid(slide, level, col, row))
        return text(404, `slide ${slideId} has no tile (${col}, ${row}) at level ${level}`);
      const tile = await slide.readTile(level, col, row);
      return {
        status: 200,
        headers: { 'Content-Type': tile.mime, 'Cache-Control': TILE_CACHE_CONTROL, ETag: file.etag },
        body: tile.bytes,
      };
    });
  } catch (err) {
    return failure(err);
  }
}

/** Thumbnails in flight, so a list scrolling past a slide twice renders it once. */
const renderingThumbs = new Map<string, Promise<Uint8Array>>();
/** Thumbnails rendered at once (each decodes a whole low pyramid level). */
const thumbSlots = createLimiter(2);

async function thumbJpeg(ctx: AppContext, file: Servable): Promise<Buffer> {
  if (!file.isSlide)
    return sharp(file.path)
      .resize(THUMB_SIDE, THUMB_SIDE, { fit: 'inside' })
      .flatten({ background: '#ffffff' })
      .jpeg({ quality: THUMB_QUALITY })
      .toBuffer();
  const image = await ctx.slides.use(file.path, (slide) => slide.thumbnail(THUMB_SIDE));
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .jpeg({ quality: THUMB_QUALITY })
    .toBuffer();
}

async function renderThumb(ctx: AppContext, file: Servable, cacheFile: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(cacheFile));
  } catch {
    // Not cached yet: render it below.
  }
  const jpeg = await thumbSlots(() => thumbJpeg(ctx, file));
  // Atomic, so a crash mid-write never leaves a truncated thumbnail to serve later.
  await writeFileAtomic(cacheFile, jpeg);
  return new Uint8Array(jpeg.buffer, jpeg.byteOffset, jpeg.byteLength);
}

/** The slide's thumbnail (JPEG, longest side THUMB_SIDE), rendered once and cached in the user-data folder. */
export async function thumbResponse(ctx: AppContext, request: ThumbRequest): Promise<SlideResponse> {
  const file = await servable(ctx, request.slideId);
  if ('status' in file) return file;
  if (matches(request.ifNoneMatch, file.etag)) return notModified(file.etag);
  const folder = join(ctx.userDataDir, 'thumbnails');
  // The name hashes path and version, so a changed or replaced file gets a new thumbnail.
  const key = createHash('sha256').update(`${file.path}\0${file.etag}\0${THUMB_SIDE}`).digest('hex');
  const cacheFile = join(folder, `${key.slice(0, 32)}.jpg`);
  try {
    await makeDir(folder);
    let pending = renderingThumbs.get(cacheFile);
    if (!pending) {
      pending = renderThumb(ctx, file, cacheFile).finally(() => renderingThumbs.delete(cacheFile));
      renderingThumbs.set(cacheFile, pending);
    }
    const body = await pending;
    return {
      status: 200,
      headers: { 'Content-Type': 'image/jpeg', 'Cache-Control': TILE_CACHE_CONTROL, ETag: file.etag },
      body,
    };
  } catch (err) {
    return failure(err);
  }
}

/**
 * Routes a slide URL's path segments, as both transports name them: `[<id>, 'tiles', level, x, y]` or
 * `[<id>, 'thumb']`. Anything else is a 400/404; no segment is ever used as a path.
 */
export async function slideRoute(
  ctx: AppContext,
  segments: readonly string[],
  ifNoneMatch: string | null = null,
): Promise<SlideResponse> {
  const [id, kind, ...rest] = segments;
  const slideId = id === undefined ? null : parseIndex(id);
  if (slideId === null || slideId < 1) return text(400, 'invalid slide id');
  if (kind === 'thumb' && rest.length === 0) return thumbResponse(ctx, { slideId, ifNoneMatch });
  if (kind === 'tiles' && rest.length === 3) {
    const [level, col, row] = rest.map(parseIndex) as [number | null, number | null, number | null];
    if (level === null || col === null || row === null)
      return text(400, 'tile level, column and row must be indices');
    return tileResponse(ctx, { slideId, level, col, row, ifNoneMatch });
  }
  return text(404, 'not found');
}
