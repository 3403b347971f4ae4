/** Tile and thumbnail responses: passthrough bytes, caching headers, and refusal of anything not a slide tile. */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../core/app/context.ts';
import { handleRequest } from '../../core/app/handlers.ts';
import {
  slideRoute,
  THUMB_SIDE,
  thumbResponse,
  tileResponse,
  TILE_CACHE_CONTROL,
} from '../../core/app/tiles.ts';
import { openSlide } from '../../core/io/slide/index.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';
import { testContext, writePandaFolder } from './helpers.ts';

let dir: string;
let ctx: AppContext;
let slideId: number;
let slidePath: string;

beforeAll(async () => {
  dir = await makeTempDir('patchgd-app-');
  await writePandaFolder(join(dir, 'panda'), [{ id: 'a1', grade: 1, width: 600, height: 400 }]);
  ctx = testContext(join(dir, 'user'));
  const opened = await handleRequest(ctx, 'folders.open', { path: join(dir, 'panda') });
  if (!opened.ok) throw new Error(opened.error.message);
  const list = await handleRequest(ctx, 'slides.list', { folderId: 1 });
  if (!list.ok) throw new Error(list.error.message);
  const row = (list.value as { rows: { id: number; path: string }[] }).rows[0]!;
  slideId = row.id;
  slidePath = row.path;
});

afterAll(async () => {
  await ctx.close();
  await removeDir(dir);
});

describe('tileResponse', () => {
  it('serves the JPEG bytes stored in the file, with caching headers', async () => {
    const slide = await openSlide(slidePath);
    try {
      for (const [level, col, row] of [
        [0, 0, 0],
        [0, 4, 3],
        [1, 1, 1],
      ] as const) {
        const response = await tileResponse(ctx, { slideId, level, col, row });
        const expected = await slide.readTile(level, col, row);
        expect(expected.passthrough).toBe(true);
        expect(response.status).toBe(200);
        expect(Buffer.from(response.body).equals(Buffer.from(expected.bytes))).toBe(true);
        expect(response.headers['Content-Type']).toBe('image/jpeg');
        expect(response.headers['Cache-Control']).toBe(TILE_CACHE_CONTROL);
        expect(response.headers['Cache-Control']).toMatch(/^private, max-age=\d+, immutable$/);
        expect(response.headers['ETag']).toMatch(/^"[0-9a-z]+-[0-9a-z]+"$/);
      }
    } finally {
      await slide.close();
    }
  });

  it('answers 304 to a matching If-None-Match', async () => {
    const first = await tileResponse(ctx, { slideId, level: 0, col: 0, row: 0 });
    const again = await tileResponse(ctx, {
      slideId,
      level: 0,
      col: 0,
      row: 0,
      ifNoneMatch: first.headers['ETag'],
    });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
  });

  it('404s tiles outside the pyramid and slides not in the store; 400s non-indices', async () => {
    expect((await tileResponse(ctx, { slideId, level: 0, col: 5, row: 0 })).status).toBe(404);
    expect((await tileResponse(ctx, { slideId, level: 9, col: 0, row: 0 })).status).toBe(404);
    expect((await tileResponse(ctx, { slideId: slideId + 50, level: 0, col: 0, row: 0 })).status).toBe(404);
    expect((await tileResponse(ctx, { slideId, level: -1, col: 0, row: 0 })).status).toBe(400);
    expect((await tileResponse(ctx, { slideId, level: 0.5, col: 0, row: 0 })).status).toBe(400);
    expect((await tileResponse(ctx, { slideId: 0, level: 0, col: 0, row: 0 })).status).toBe(400);
  });

  it('routes only well-formed slide paths', async () => {
    const tile = await slideRoute(ctx, [String(slideId), 'tiles', '0', '1', '1']);
    expect(tile.status).toBe(200);
    for (const segments of [
      ['..', 'tiles', '0', '0', '0'],
      ['%2e%2e', 'thumb'],
      [String(slideId), 'tiles', '0', '0', '..'],
      [String(slideId), 'tiles', '0', '0', '1e2'],
      [String(slideId), 'tiles', '00', '0', '0'],
      ['/etc/passwd', 'thumb'],
      [`${slideId}.0`, 'thumb'],
    ])
      expect((await slideRoute(ctx, segments)).status).toBe(400);
    expect((await slideRoute(ctx, [String(slideId), 'tiles', '0'])).status).toBe(404);
    expect((await slideRoute(ctx, [String(slideId), 'file'])).status).toBe(404);
  });
});

describe('thumbResponse', () => {
  it('renders a JPEG thumbnail once and serves it from the cache after', async () => {
    const response = await thumbResponse(ctx, { slideId });
    expect(response.status).toBe(200);
    expect(response.headers['Content-Type']).toBe('image/jpeg');
    const meta = await sharp(Buffer.from(response.body)).metadata();
    expect(Math.max(meta.width!, meta.height!)).toBe(THUMB_SIDE);
    expect(meta.width! / meta.height!).toBeCloseTo(1.5, 1);
    const cached = await readdir(join(dir, 'user', 'thumbnails'));
    expect(cached.filter((f) => f.endsWith('.jpg'))).toHaveLength(1);
    const again = await thumbResponse(ctx, { slideId });
    expect(Buffer.from(again.body).equals(Buffer.from(response.body))).toBe(true);
    expect((await thumbResponse(ctx, { slideId: 999 })).status).toBe(404);
  });
});

describe('plain images (the images layout)', () => {
  it('have JPEG thumbnails but no tiles', async () => {
    const root = join(dir, 'images');
    await mkdir(join(root, 'images'), { recursive: true });
    await writeFile(join(root, 'labels.csv'), 'image_id,label\nm1,3\n');
    await sharp({ create: { width: 512, height: 256, channels: 3, background: '#202020' } })
      .png()
      .toFile(join(root, 'images', 'm1.png'));
    const opened = await handleRequest(ctx, 'folders.open', { path: root });
    if (!opened.ok) throw new Error(opened.error.message);
    const folderId = (opened.value as { folder: { id: number } }).folder.id;
    const list = await handleRequest(ctx, 'slides.list', { folderId });
    if (!list.ok) throw new Error(list.error.message);
    const id = (list.value as { rows: { id: number }[] }).rows[0]!.id;
    const thumb = await thumbResponse(ctx, { slideId: id });
    expect(thumb.status).toBe(200);
    const meta = await sharp(Buffer.from(thumb.body)).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', THUMB_SIDE, THUMB_SIDE / 2]);
    expect((await tileResponse(ctx, { slideId: id, level: 0, col: 0, row: 0 })).status).toBe(404);
  });
});
