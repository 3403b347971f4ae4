/**
 * Issue 18 item 8: a hostile slide must not amplify a few KB of file into gigabytes of decoded pixels. Tiles are
 * bounded in size at open, and all decodes in flight share one byte budget.
 */
import { execFileSync } from 'node:child_process';
import { deflateSync } from 'node:zlib';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlideError } from '../../core/base/errors.ts';
import { ByteBudget, openSlide, TileCache } from '../../core/io/slide/index.ts';
import { buildTiff, tempDir, writeBytes } from './fixtures.ts';

const MiB = 1024 * 1024;
const TILE = 2048;
let dir: string;
let cleanup: () => Promise<void>;
let bombs: string;

/**
 * A deflate TIFF of 4×4 tiles of TILE² px, each one flat grey value (16 × 12 MiB decoded from ~200 KB), and a
 * one-tile second level.
 */
function deflateBombs(): Uint8Array {
  const tiles = Array.from({ length: 16 }, (_, i) => deflateSync(Buffer.alloc(TILE * TILE * 3, 10 + i)));
  return buildTiff([
    {
      width: 4 * TILE,
      height: 4 * TILE,
      tileWidth: TILE,
      tileHeight: TILE,
      compression: 8,
      photometric: 2,
      tiles,
    },
    {
      width: 256,
      height: 256,
      tileWidth: 256,
      tileHeight: 256,
      compression: 8,
      photometric: 2,
      subfileType: 1,
      tiles: [deflateSync(Buffer.alloc(256 * 256 * 3, 200))],
    },
  ]);
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  bombs = await writeBytes(join(dir, 'bombs.tiff'), deflateBombs());
});
afterAll(() => cleanup());

describe('decoded bytes in flight', () => {
  it('stay within the budget when every tile of a slide is asked for at once', async () => {
    const budget = new ByteBudget(100 * MiB);
    // A cache too small to hold a tile: every request decodes.
    const slide = await openSlide(bombs, { cache: new TileCache(1), decodeBudget: budget });
    try {
      const cells = Array.from({ length: 16 }, (_, i) => [i % 4, Math.floor(i / 4)] as const);
      const [rgb, png] = await Promise.all([
        Promise.all(cells.map(([c, r]) => slide.readTileRgb(0, c, r))),
        Promise.all(cells.map(([c, r]) => slide.readTile(0, c, r))),
      ]);
      rgb.forEach((image, i) => {
        expect(image.width).toBe(TILE);
        expect(image.data[0]).toBe(10 + i);
      });
      expect(png.every((t) => t.mime === 'image/png')).toBe(true);
      expect(budget.peak).toBeLessThanOrEqual(100 * MiB);
      // Still more than one decode at a time: the budget bounds memory, not parallelism.
      expect(budget.peak).toBeGreaterThan(TILE * TILE * 10);
      expect(budget.used).toBe(0);
    } finally {
      await slide.close();
    }
  });

  it('bound the process: 16 × 12 MiB tiles at once grow RSS by about the budget, not their sum', () => {
    const child = join(import.meta.dirname, 'decode-budget-child.ts');
    const run = (budgetMiB: number) =>
      (
        JSON.parse(
          execFileSync(
            process.execPath,
            ['--expose-gc', '--import', 'tsx', child, bombs, String(budgetMiB)],
            {
              encoding: 'utf8',
              timeout: 60_000,
            },
          ),
        ) as { growthMiB: number }
      ).growthMiB;
    // Unbounded, the same requests hold every decoded tile and its encode at once (~16 × 24 MiB).
    const bounded = run(64);
    expect(bounded).toBeLessThan(64 + 60);
  }, 60_000);

  it('still decodes a tile larger than the whole budget, alone', async () => {
    const budget = new ByteBudget(MiB);
    const slide = await openSlide(bombs, { cache: new TileCache(1), decodeBudget: budget });
    try {
      const tiles = await Promise.all([slide.readTileRgb(0, 0, 0), slide.readTileRgb(0, 1, 0)]);
      expect(tiles.map((t) => t.data[0])).toEqual([10, 11]);
      expect(budget.peak).toBeLessThan(2 * TILE * TILE * 10 + MiB);
    } finally {
      await slide.close();
    }
  });

  it('admits waiting requests first come, first served', async () => {
    const budget = new ByteBudget(10);
    const order: string[] = [];
    let release: () => void = () => {};
    const first = budget.run(8, () => new Promise<void>((r) => (release = r)).then(() => order.push('a')));
    const big = budget.run(9, async () => order.push('big'));
    // Fits beside the first, but must not overtake the request queued before it.
    const small = budget.run(1, async () => order.push('small'));
    await Promise.resolve();
    expect(order).toEqual([]);
    release();
    await Promise.all([first, big, small]);
    expect(order).toEqual(['a', 'big', 'small']);
  });
});

describe('tile dimensions', () => {
  it('refuses at open a slide whose tiles are too large to decode safely (10⁶ px sides, 8192² tiles)', async () => {
    const tile = deflateSync(Buffer.alloc(64));
    const across = Math.ceil(1_000_000 / 8192);
    const path = await writeBytes(
      join(dir, 'huge-tiles.tiff'),
      buildTiff([
        {
          width: 1_000_000,
          height: 1_000_000,
          tileWidth: 8192,
          tileHeight: 8192,
          compression: 8,
          photometric: 2,
          tiles: Array.from({ length: across * across }, () => tile),
        },
      ]),
    );
    const err = await openSlide(path).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SlideError);
    expect((err as SlideError).problem).toMatch(/tile size 8192×8192 exceeds 4096 px/);
  });
});
