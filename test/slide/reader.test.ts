import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSlide, TileCache, type RgbImage } from '../../core/io/slide/index.ts';
import {
  buildTiff,
  cropRef,
  meanAbsDiff,
  openSlideReference,
  syntheticImage,
  tempDir,
  writePyramid,
  writeStripped,
  writeBytes,
  type TiffCompression,
} from './fixtures.ts';

const source = syntheticImage(1200, 900);
let dir: string;
let cleanup: () => Promise<void>;

const pyramids: { name: string; compression: TiffCompression; tile: number; bigtiff?: boolean }[] = [
  { name: 'jpeg256.tiff', compression: 'jpeg', tile: 256 },
  { name: 'jpeg128-big.tiff', compression: 'jpeg', tile: 128, bigtiff: true },
  { name: 'lzw128.tiff', compression: 'lzw', tile: 128 },
  { name: 'deflate512.tiff', compression: 'deflate', tile: 512 },
  { name: 'none256-big.tiff', compression: 'none', tile: 256, bigtiff: true },
];

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  await Promise.all([
    ...pyramids.map((p) => writePyramid(join(dir, p.name), source, p)),
    writeStripped(join(dir, 'stripped-lzw.tiff'), source, 'lzw'),
    writeStripped(join(dir, 'stripped-jpeg.tiff'), source, 'jpeg'),
  ]);
});
afterAll(() => cleanup());

async function vipsPage(path: string, page: number): Promise<RgbImage> {
  const { data, info } = await sharp(path, { page })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}

describe('slide info', () => {
  it.each(pyramids)('matches OpenSlide geometry for $name', async ({ name, compression, tile, bigtiff }) => {
    const path = join(dir, name);
    const slide = await openSlide(path);
    try {
      const { report } = await openSlideReference(path);
      expect([slide.info.width, slide.info.height]).toEqual(report.dimensions);
      expect(slide.info.levels.map((l) => [l.width, l.height])).toEqual(report.level_dimensions);
      slide.info.levels.forEach((l, i) => expect(l.downsample).toBeCloseTo(report.level_downsamples[i]!, 9));
      expect(slide.info.levels.every((l) => l.tileWidth === tile && l.tileHeight === tile)).toBe(true);
      expect(slide.info.compression).toBe(compression);
      expect(slide.info.bigTiff).toBe(bigtiff ?? false);
      // sharp's xres 2000 px/mm = 20000 px/cm → 0.5 µm/px.
      expect(slide.info.mpp!.x).toBeCloseTo(0.5, 6);
      if (report.mpp_x !== null) expect(Number(report.mpp_x)).toBeCloseTo(slide.info.mpp!.x, 4);
      expect(report.resolution_unit).toBe('centimeter');
      expect(10000 / Number(report.x_resolution)).toBeCloseTo(slide.info.mpp!.x, 6);
      expect(slide.info.associated).toEqual([]);
    } finally {
      await slide.close();
    }
  });

  it('reads PANDA-like geometry (downsamples ≈ 4 and 16, MPP from pixels per cm) as OpenSlide does', async () => {
    const tile = new Uint8Array(
      await sharp(syntheticImage(128, 128).data, { raw: { width: 128, height: 128, channels: 3 } })
        .jpeg()
        .toBuffer(),
    );
    const level = (width: number, height: number, subfileType: number) => {
      const count = Math.ceil(width / 128) * Math.ceil(height / 128);
      return {
        width,
        height,
        tileWidth: 128,
        tileHeight: 128,
        compression: 7,
        photometric: 6,
        pixelsPerCm: 20500,
        subfileType,
        tiles: Array<Uint8Array>(count).fill(tile),
      };
    };
    const path = await writeBytes(
      join(dir, 'panda-like.tiff'),
      buildTiff([level(1030, 771, 0), level(257, 192, 1), level(64, 48, 1)]),
    );
    const slide = await openSlide(path);
    const { report } = await openSlideReference(path);
    expect(slide.info.levels.map((l) => [l.width, l.height])).toEqual(report.level_dimensions);
    slide.info.levels.forEach((l, i) => expect(l.downsample).toBeCloseTo(report.level_downsamples[i]!, 9));
    expect(slide.info.levels[1]!.downsample).not.toBe(4);
    expect(slide.info.mpp!.x).toBeCloseTo(10000 / 20500, 9);
    expect(10000 / Number(report.x_resolution)).toBeCloseTo(slide.info.mpp!.x, 6);
    await slide.close();
  });

  it('describes a stripped TIFF as one level whose tiles are strips', async () => {
    const slide = await openSlide(join(dir, 'stripped-lzw.tiff'));
    expect(slide.info.levels).toHaveLength(1);
    expect(slide.info.levels[0]!.tileWidth).toBe(1200);
    expect(slide.info.levels[0]!.tileHeight).toBeLessThan(900);
    await slide.close();
  });
});

describe('decoded pixels', () => {
  it.each(['lzw128.tiff', 'deflate512.tiff', 'none256-big.tiff', 'stripped-lzw.tiff'])(
    'lossless %s decodes level 0 exactly and lower levels as libvips does',
    async (name) => {
      const path = join(dir, name);
      const slide = await openSlide(path);
      try {
        const full = await slide.readRegion(0, 0, 0, 1200, 900);
        expect(Buffer.compare(full.data, source.data)).toBe(0);
        for (let level = 1; level < slide.info.levels.length; level++) {
          const { width, height } = slide.info.levels[level]!;
          const ours = await slide.readRegion(level, 0, 0, width, height);
          expect(meanAbsDiff(ours, await vipsPage(path, level))).toBe(0);
        }
      } finally {
        await slide.close();
      }
    },
  );

  it.each([
    { level: 0, x: 300, y: 200, width: 400, height: 300 },
    { level: 1, x: 0, y: 0, width: 600, height: 450 },
    { level: 0, x: 1100, y: 800, width: 200, height: 150 },
    { level: 2, x: -64, y: -32, width: 120, height: 100 },
  ])('JPEG region $level/$x/$y/$width×$height matches OpenSlide (outside white)', async (r) => {
    const path = join(dir, 'jpeg256.tiff');
    const slide = await openSlide(path);
    try {
      const ours = await slide.readRegion(r.level, r.x, r.y, r.width, r.height);
      const ref = await openSlideReference(path, { ...r, out: join(dir, `ref-${r.level}-${r.x}.rgb`) });
      expect(meanAbsDiff(ours, ref.region!)).toBeLessThan(2);
      if (r.level === 0)
        expect(meanAbsDiff(ours, cropRef(source, r.x, r.y, r.width, r.height))).toBeLessThan(6);
    } finally {
      await slide.close();
    }
  });

  it('stripped JPEG decodes like libvips', async () => {
    const path = join(dir, 'stripped-jpeg.tiff');
    const slide = await openSlide(path);
    expect(meanAbsDiff(await slide.readRegion(0, 0, 0, 1200, 900), await vipsPage(path, 0))).toBeLessThan(1);
    await slide.close();
  });

  it('edge tiles are cut to the level border in readTileRgb', async () => {
    const slide = await openSlide(join(dir, 'jpeg256.tiff'));
    const tile = await slide.readTileRgb(0, 4, 3);
    expect([tile.width, tile.height]).toEqual([1200 - 4 * 256, 900 - 3 * 256]);
    await slide.close();
  });
});

describe('scaled reads', () => {
  it('reads the smallest sufficient level only', async () => {
    const cache = new TileCache(64 << 20);
    const slide = await openSlide(join(dir, 'jpeg128-big.tiff'), { cache });
    const level2 = slide.info.levels[2]!;
    const image = await slide.readScaled(200, 150);
    expect([image.width, image.height]).toEqual([200, 150]);
    // Level 2 (300×225) holds 3×2 tiles of 128 px; level 0 would add 80 more.
    expect(cache.size).toBe(Math.ceil(level2.width / 128) * Math.ceil(level2.height / 128));
    const reference = await sharp(source.data, { raw: { width: 1200, height: 900, channels: 3 } })
      .resize(200, 150, { fit: 'fill' })
      .raw()
      .toBuffer();
    expect(meanAbsDiff(image, { width: 200, height: 150, data: reference })).toBeLessThan(6);
    await slide.close();
    expect(cache.size).toBe(0);
  });

  it('thumbnail keeps the aspect ratio and never upscales', async () => {
    const slide = await openSlide(join(dir, 'lzw128.tiff'));
    const thumb = await slide.thumbnail(120);
    expect([thumb.width, thumb.height]).toEqual([120, 90]);
    const big = await slide.thumbnail(5000);
    expect([big.width, big.height]).toEqual([1200, 900]);
    await slide.close();
  });

  it('tissue mask marks the stained ellipse and not the white background', async () => {
    const slide = await openSlide(join(dir, 'jpeg256.tiff'));
    const mask = await slide.tissueMask({ gridWidth: 12, gridHeight: 9 });
    expect([mask.gridWidth, mask.gridHeight, mask.cellWidth, mask.cellHeight]).toEqual([12, 9, 100, 100]);
    // The ellipse is centred at (540, 450) with radii 420 × 315 px.
    expect(mask.values[4 * 12 + 5]).toBe(1);
    expect(mask.values[0]).toBe(0);
    expect(mask.values[8 * 12 + 11]).toBe(0);
    const ones = mask.values.reduce((a, b) => a + b, 0);
    const ellipseCells = (Math.PI * 420 * 315) / (100 * 100);
    expect(Math.abs(ones - ellipseCells)).toBeLessThan(ellipseCells * 0.3);
    const byCell = await slide.tissueMask({ cellSize: 256 });
    expect([byCell.gridWidth, byCell.gridHeight, byCell.cellWidth, byCell.cellHeight]).toEqual([
      5, 4, 256, 256,
    ]);
    // Cell (2, 1) spans x 512–767, y 256–511: inside the ellipse; cell (4, 3) is the bottom-right corner.
    expect(byCell.values[1 * 5 + 2]).toBe(1);
    expect(byCell.values[3 * 5 + 4]).toBe(0);
    await slide.close();
  });
});
