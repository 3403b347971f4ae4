import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSlide, SlidePool } from '../../core/io/slide/index.ts';
import { syntheticImage, tempDir, writeBytes, writePyramid } from './fixtures.ts';
import { cli } from '../helpers/cli.ts';

const patchgd = (...args: string[]) => cli(args);

let dir: string;
let cleanup: () => Promise<void>;
let slidePath: string;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  slidePath = join(dir, 'slide.tiff');
  await writePyramid(slidePath, syntheticImage(640, 480), { compression: 'jpeg', tile: 128 });
});
afterAll(() => cleanup());

describe('patchgd slide', () => {
  it('info --json reports the geometry', async () => {
    const { code, stdout } = await patchgd('slide', 'info', slidePath, '--json');
    expect(code).toBe(0);
    const info = JSON.parse(stdout) as Record<string, unknown>;
    expect(info).toMatchObject({ width: 640, height: 480, compression: 'jpeg', bigTiff: false });
    expect(info.levels).toEqual([
      { width: 640, height: 480, downsample: 1, tileWidth: 128, tileHeight: 128 },
      { width: 320, height: 240, downsample: 2, tileWidth: 128, tileHeight: 128 },
      { width: 160, height: 120, downsample: 4, tileWidth: 128, tileHeight: 128 },
      { width: 80, height: 60, downsample: 8, tileWidth: 128, tileHeight: 128 },
    ]);
    expect((info.mpp as { x: number }).x).toBeCloseTo(0.5);
  });

  it('region writes the PNG the library reads, and tile writes the passthrough JPEG', async () => {
    const out = join(dir, 'region.png');
    const region = await patchgd(
      'slide',
      'region',
      slidePath,
      '--level',
      '1',
      '--x',
      '200',
      '--y',
      '100',
      '--width',
      '150',
      '--height',
      '90',
      '--out',
      out,
    );
    expect(region.code).toBe(0);
    const { data, info } = await sharp(out).raw().toBuffer({ resolveWithObject: true });
    const slide = await openSlide(slidePath);
    const expected = await slide.readRegion(1, 200, 100, 150, 90);
    expect([info.width, info.height]).toEqual([150, 90]);
    expect(Buffer.compare(data, expected.data)).toBe(0);
    const tileOut = join(dir, 'tile.jpg');
    const tile = await patchgd(
      'slide',
      'tile',
      slidePath,
      '--level',
      '0',
      '--col',
      '1',
      '--row',
      '2',
      '--out',
      tileOut,
    );
    expect(tile.code).toBe(0);
    expect(Buffer.compare(await readFile(tileOut), (await slide.readTile(0, 1, 2)).bytes)).toBe(0);
    await slide.close();
  });

  it('prints error: <file>: <problem> and exits non-zero on bad input', async () => {
    const bad = await writeBytes(join(dir, 'bad.tiff'), new TextEncoder().encode('not a tiff at all'));
    const result = await patchgd('slide', 'info', bad);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(`error: ${bad}: not a TIFF file (no II/MM byte-order mark)`);
    const usage = await patchgd(
      'slide',
      'tile',
      slidePath,
      '--level',
      'two',
      '--col',
      '0',
      '--row',
      '0',
      '--out',
      join(dir, 'x'),
    );
    expect(usage.code).toBe(1);
    expect(usage.stderr).toMatch(/--level must be an integer ≥ 0, got 'two'/);
  });
});

describe('SlidePool', () => {
  it('keeps at most maxOpen idle slides open and reuses open ones', async () => {
    const paths = await Promise.all(
      [0, 1, 2].map(async (i) => {
        const path = join(dir, `pool-${i}.tiff`);
        await writePyramid(path, syntheticImage(64 + i, 64), {
          compression: 'lzw',
          tile: 64,
          pyramid: false,
        });
        return path;
      }),
    );
    const pool = new SlidePool(2);
    const first = await pool.acquire(paths[0]!);
    expect(await pool.acquire(paths[0]!)).toBe(first);
    pool.release(first);
    pool.release(first);
    for (const path of paths.slice(1))
      await pool.use(path, async (s) => expect(s.info.width).toBeGreaterThan(63));
    expect(pool.openCount).toBe(2);
    // The least recently used slide was closed on eviction.
    await expect(first.readTileRgb(0, 0, 0)).rejects.toThrow(/slide is closed/);
    const reopened = await pool.acquire(paths[0]!);
    expect(reopened).not.toBe(first);
    await pool.closeAll();
    expect(pool.openCount).toBe(0);
  });

  it('never closes a slide that is in use', async () => {
    const path = join(dir, 'pool-0.tiff');
    const other = join(dir, 'pool-1.tiff');
    const pool = new SlidePool(1);
    const held = await pool.acquire(path);
    await pool.use(other, async () => undefined);
    await expect(held.readTileRgb(0, 0, 0)).resolves.toMatchObject({ width: 64, height: 64 });
    await pool.closeAll();
  });
});
