import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlideError } from '../../core/base/errors.ts';
import { openSlide, MAX_REGION_PIXELS } from '../../core/io/slide/index.ts';
import {
  buildTiff,
  ifdOffsetsOf,
  syntheticImage,
  tempDir,
  writeBytes,
  writePyramid,
  type RawIfd,
} from './fixtures.ts';

let dir: string;
let cleanup: () => Promise<void>;
let jpegTile: Uint8Array;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  const image = syntheticImage(64, 64);
  jpegTile = new Uint8Array(
    await sharp(image.data, { raw: { width: 64, height: 64, channels: 3 } })
      .jpeg()
      .toBuffer(),
  );
  await writePyramid(join(dir, 'good.tiff'), syntheticImage(600, 400), { compression: 'jpeg', tile: 128 });
});
afterAll(() => cleanup());

function rawIfd(overrides: Partial<RawIfd>): RawIfd {
  return {
    width: 128,
    height: 64,
    tileWidth: 64,
    tileHeight: 64,
    compression: 7,
    photometric: 6,
    tiles: [jpegTile, jpegTile],
    ...overrides,
  };
}

async function expectSlideError(promise: Promise<unknown>, problem: RegExp, file?: string): Promise<void> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SlideError);
  expect((err as SlideError).problem).toMatch(problem);
  if (file) expect((err as SlideError).file).toBe(file);
}

describe('bad input', () => {
  it('rejects files that are not TIFFs, empty or missing', async () => {
    const text = await writeBytes(join(dir, 'notes.txt'), new TextEncoder().encode('hello, not a slide\n'));
    await expectSlideError(openSlide(text), /not a TIFF file/, text);
    const empty = await writeBytes(join(dir, 'empty.tiff'), new Uint8Array(0));
    await expectSlideError(openSlide(empty), /not a TIFF file/, empty);
    await expectSlideError(openSlide(join(dir, 'nope.tiff')), /cannot open \(ENOENT\)/);
  });

  it('rejects JPEG 2000 compressed slides', async () => {
    for (const code of [33003, 33005, 34712]) {
      const path = await writeBytes(
        join(dir, `j2k-${code}.tiff`),
        buildTiff([rawIfd({ compression: code })]),
      );
      await expectSlideError(
        openSlide(path),
        new RegExp(`JPEG 2000 compression \\(${code}\\) is not supported`),
        path,
      );
    }
  });

  it('detects an IFD chain that loops', async () => {
    const file = buildTiff([rawIfd({}), rawIfd({ width: 64, tiles: [jpegTile] })]);
    const [first, second] = ifdOffsetsOf(file);
    const view = new DataView(file.buffer);
    view.setUint32(second! + 2 + 12 * view.getUint16(second!, true), first!, true);
    const path = await writeBytes(join(dir, 'loop.tiff'), file);
    await expectSlideError(openSlide(path), /IFD chain loops back to offset/, path);
  });

  it('detects truncation of the directories and of the tile data', async () => {
    const good = await readFile(join(dir, 'good.tiff'));
    const [firstIfd] = ifdOffsetsOf(good);
    const cutIfd = await writeBytes(join(dir, 'cut-ifd.tiff'), good.subarray(0, firstIfd! + 20));
    await expectSlideError(openSlide(cutIfd), /past the end of the file/, cutIfd);
    // sharp writes tile data before the directories: cut into the data but keep a readable copy of the IFDs.
    const file = buildTiff([rawIfd({})]);
    const view = new DataView(file.buffer);
    const ifd = ifdOffsetsOf(file)[0]!;
    const entries = view.getUint16(ifd, true);
    for (let i = 0; i < entries; i++) {
      if (view.getUint16(ifd + 2 + 12 * i, true) !== 324) continue;
      const offsetsAt = view.getUint32(ifd + 2 + 12 * i + 8, true);
      view.setUint32(offsetsAt + 4, file.length - 10, true); // tile (1, 0) now runs past EOF
    }
    const path = await writeBytes(join(dir, 'past-eof.tiff'), file);
    const slide = await openSlide(path);
    await expect(slide.readTileRgb(0, 0, 0)).resolves.toMatchObject({ width: 64, height: 64 });
    await expectSlideError(
      slide.readTileRgb(0, 1, 0),
      /level 0 tile \(1, 0\): data at bytes .* past the end of the file/,
      path,
    );
    await expectSlideError(slide.readTile(0, 1, 0), /past the end of the file/, path);
    await slide.close();
  });

  it('rejects absurd dimensions and tile sizes', async () => {
    const huge = await writeBytes(
      join(dir, 'huge.tiff'),
      buildTiff([rawIfd({ width: 3_000_000, tiles: [jpegTile] })]),
    );
    await expectSlideError(openSlide(huge), /exceeds 1048576 px per side/, huge);
    const bigTile = await writeBytes(
      join(dir, 'bigtile.tiff'),
      buildTiff([rawIfd({ tileWidth: 16384, tileHeight: 16384, tiles: [jpegTile] })]),
    );
    await expectSlideError(openSlide(bigTile), /tile size 16384×16384 exceeds 4096 px/, bigTile);
    const fewTiles = await writeBytes(join(dir, 'few.tiff'), buildTiff([rawIfd({ tiles: [jpegTile] })]));
    await expectSlideError(openSlide(fewTiles), /has 1 tile offsets\/byte counts, needs 2/, fewTiles);
  });

  it('refuses regions over the pixel cap and requests outside the pyramid', async () => {
    const path = join(dir, 'good.tiff');
    const slide = await openSlide(path);
    await expectSlideError(
      slide.readRegion(0, 0, 0, 100_000, 100_000),
      new RegExp(`exceeds the ${MAX_REGION_PIXELS} px limit`),
      path,
    );
    await expectSlideError(slide.readRegion(0, 0, 0, 0, 10), /must be positive integers/, path);
    await expectSlideError(slide.readRegion(7, 0, 0, 10, 10), /level 7 does not exist/, path);
    await expectSlideError(slide.readTile(0, 99, 0), /outside level 0's 5×4 tile grid/, path);
    await expectSlideError(slide.readScaled(1 << 14, 1 << 14), /exceeds/, path);
    await slide.close();
    await expectSlideError(slide.readTileRgb(0, 0, 0), /slide is closed/, path);
  });

  it('names the tile of a corrupt JPEG', async () => {
    const corrupt = jpegTile.slice();
    corrupt.fill(0x5a, 200, corrupt.length - 2);
    const path = await writeBytes(
      join(dir, 'corrupt.tiff'),
      buildTiff([rawIfd({ tiles: [jpegTile, corrupt] })]),
    );
    const slide = await openSlide(path);
    await expect(slide.readTileRgb(0, 0, 0)).resolves.toBeDefined();
    await expectSlideError(slide.readTileRgb(0, 1, 0), /^level 0 tile \(1, 0\): corrupt tile data/, path);
    await expectSlideError(slide.readRegion(0, 0, 0, 128, 64), /level 0 tile \(1, 0\)/, path);
    await slide.close();
  });
});

describe('missing tiles', () => {
  it('fill white and warn once per level, as OpenSlide 4 does', async () => {
    const path = await writeBytes(
      join(dir, 'missing.tiff'),
      buildTiff([rawIfd({ width: 192, tiles: [jpegTile, null, null] })]),
    );
    const slide = await openSlide(path);
    expect(slide.warnings).toEqual([]);
    const region = await slide.readRegion(0, 0, 0, 192, 64);
    const whiteRun = (x0: number, x1: number) =>
      Array.from({ length: 64 }, (_, y) =>
        region.data.subarray((y * 192 + x0) * 3, (y * 192 + x1) * 3).every((v) => v === 255),
      ).every(Boolean);
    expect(whiteRun(64, 192)).toBe(true);
    expect(whiteRun(0, 64)).toBe(false);
    expect(slide.warnings).toHaveLength(1);
    expect(slide.warnings[0]).toMatch(/level 0: tile \(1, 0\) has no data .*filled with white/);
    const tile = await slide.readTile(0, 2, 0);
    expect(tile).toMatchObject({ mime: 'image/png', passthrough: false });
    expect(slide.warnings).toHaveLength(1);
    await slide.close();
  });
});

describe('associated images', () => {
  it('lists SVS-style label images apart from the levels and reads Aperio MPP', async () => {
    const ifds = [
      rawIfd({
        width: 256,
        height: 192,
        tiles: Array<Uint8Array>(12).fill(jpegTile),
        description:
          'Aperio Image Library v12.0.5\n256x192 [0,0 256x192] (64x64) JPEG/RGB Q=70|AppMag = 20|MPP = 0.2520',
      }),
      rawIfd({
        width: 64,
        height: 64,
        tiles: [jpegTile],
        description: 'Aperio Image Library v12.0.5\nlabel 64x64',
      }),
      rawIfd({ width: 128, height: 96, tiles: Array<Uint8Array>(4).fill(jpegTile) }),
    ];
    const path = await writeBytes(join(dir, 'aperio.svs'), buildTiff(ifds));
    const slide = await openSlide(path);
    expect(slide.info.mpp).toEqual({ x: 0.252, y: 0.252 });
    expect(slide.info.levels.map((l) => [l.width, l.height, l.downsample])).toEqual([
      [256, 192, 1],
      [128, 96, 2],
    ]);
    expect(slide.info.associated).toEqual([{ name: 'label', width: 64, height: 64 }]);
    await slide.close();
  });
});
