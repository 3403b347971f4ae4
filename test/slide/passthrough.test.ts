import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completeTileJpeg, openSlide, type RgbImage } from '../../core/io/slide/index.ts';
import { headerMarkers } from '../../core/io/slide/jpeg-stream.ts';
import {
  buildTiff,
  meanAbsDiff,
  openSlideReference,
  syntheticImage,
  tempDir,
  writeBytes,
  writePyramid,
} from './fixtures.ts';

let dir: string;
let cleanup: () => Promise<void>;
const source = syntheticImage(700, 500);

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  await writePyramid(join(dir, 'jpeg.tiff'), source, { compression: 'jpeg', tile: 256 });
  await writePyramid(join(dir, 'lzw.tiff'), source, { compression: 'lzw', tile: 128 });
});
afterAll(() => cleanup());

async function decode(bytes: Uint8Array): Promise<RgbImage> {
  const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}

function markers(bytes: Uint8Array): number[] {
  return headerMarkers(bytes).map((m) => m.marker);
}

describe('JPEG passthrough', () => {
  it('returns stored tiles with JPEGTables spliced in, decoding to readTileRgb pixels', async () => {
    const slide = await openSlide(join(dir, 'jpeg.tiff'));
    const file = await readFile(join(dir, 'jpeg.tiff'));
    for (let level = 0; level < slide.info.levels.length; level++) {
      const { width, height, tileWidth, tileHeight } = slide.info.levels[level]!;
      for (let row = 0; row * tileHeight < height; row++) {
        for (let col = 0; col * tileWidth < width; col++) {
          const tile = await slide.readTile(level, col, row);
          expect(tile).toMatchObject({ mime: 'image/jpeg', passthrough: true });
          // The entropy-coded data after SOS is byte-identical to a run in the file: no re-encode.
          const sos = headerMarkers(tile.bytes).find((m) => m.marker === 0xda)!;
          expect(file.indexOf(Buffer.from(tile.bytes.subarray(sos.start, sos.start + 64)))).toBeGreaterThan(
            0,
          );
          expect(markers(tile.bytes)).toContain(0xdb); // DQT from JPEGTables
          const decoded = await decode(tile.bytes);
          expect([decoded.width, decoded.height]).toEqual([tileWidth, tileHeight]);
          const rgb = await slide.readTileRgb(level, col, row);
          const cut = {
            width: rgb.width,
            height: rgb.height,
            data: new Uint8Array(rgb.width * rgb.height * 3),
          };
          for (let y = 0; y < rgb.height; y++) {
            cut.data.set(
              decoded.data.subarray(y * tileWidth * 3, (y * tileWidth + rgb.width) * 3),
              y * rgb.width * 3,
            );
          }
          expect(meanAbsDiff(rgb, cut)).toBe(0);
        }
      }
    }
    await slide.close();
  });

  it('encodes lossless tiles once as full-size PNG, white beyond the border', async () => {
    const slide = await openSlide(join(dir, 'lzw.tiff'));
    const tile = await slide.readTile(0, 5, 3); // covers x 640–767 (image ends at 700), y 384–511 (ends at 500)
    expect(tile).toMatchObject({ mime: 'image/png', passthrough: false });
    const png = await decode(tile.bytes);
    expect([png.width, png.height]).toEqual([128, 128]);
    const rgb = await slide.readTileRgb(0, 5, 3);
    expect([rgb.width, rgb.height]).toEqual([60, 116]);
    for (let y = 0; y < 116; y++) {
      expect(
        Buffer.compare(png.data.subarray(y * 384, y * 384 + 180), rgb.data.subarray(y * 180, y * 180 + 180)),
      ).toBe(0);
    }
    expect(png.data.subarray(127 * 384).every((v) => v === 255)).toBe(true);
    await slide.close();
  });

  it('marks RGB-photometric JPEG tiles with an Adobe transform-0 segment so no YCbCr conversion happens', async () => {
    // A JPEG stores the YCbCr planes of `source`; under photometric RGB those planes are the pixels themselves.
    const tileSource = syntheticImage(256, 256);
    const jpeg = new Uint8Array(
      await sharp(tileSource.data, { raw: { width: 256, height: 256, channels: 3 } })
        .jpeg({ quality: 95, chromaSubsampling: '4:4:4' })
        .toBuffer(),
    );
    const path = await writeBytes(
      join(dir, 'rgbjpeg.tiff'),
      buildTiff([
        {
          width: 256,
          height: 256,
          tileWidth: 256,
          tileHeight: 256,
          compression: 7,
          photometric: 2,
          tiles: [jpeg],
        },
      ]),
    );
    const slide = await openSlide(path);
    const tile = await slide.readTile(0, 0, 0);
    expect(markers(tile.bytes)[0]).toBe(0xee);
    expect(markers(tile.bytes)).not.toContain(0xe0); // JFIF (which implies YCbCr) dropped
    const ours = await slide.readTileRgb(0, 0, 0);
    const ref = await openSlideReference(path, {
      level: 0,
      x: 0,
      y: 0,
      width: 256,
      height: 256,
      out: join(dir, 'rgbjpeg.rgb'),
    });
    expect(meanAbsDiff(ours, ref.region!)).toBeLessThan(1);
    // Decoding as YCbCr would give back the source image instead.
    expect(meanAbsDiff(ours, tileSource)).toBeGreaterThan(20);
    expect(meanAbsDiff(await decode(tile.bytes), ours)).toBe(0);
    await slide.close();
  });
});

describe('completeTileJpeg', () => {
  const tables = Uint8Array.of(0xff, 0xd8, 0xff, 0xdb, 0x00, 0x03, 0x07, 0xff, 0xd9);
  const tile = Uint8Array.of(0xff, 0xd8, 0xff, 0xc0, 0x00, 0x02, 0xff, 0xda, 0x00, 0x02, 0x11, 0xff, 0xd9);

  it('puts the tables after SOI, without their own SOI/EOI', () => {
    expect(Array.from(completeTileJpeg(tile, tables, false))).toEqual([
      0xff, 0xd8, 0xff, 0xdb, 0x00, 0x03, 0x07, 0xff, 0xc0, 0x00, 0x02, 0xff, 0xda, 0x00, 0x02, 0x11, 0xff,
      0xd9,
    ]);
  });

  it('returns the tile unchanged when there is nothing to add', () => {
    expect(completeTileJpeg(tile, null, false)).toBe(tile);
  });

  it('adds one Adobe marker for RGB, and none when the stream already has one', () => {
    const withAdobe = completeTileJpeg(tile, tables, true);
    expect(markers(withAdobe)).toEqual([0xee, 0xdb, 0xc0, 0xda]);
    expect(markers(completeTileJpeg(withAdobe, null, true))).toEqual([0xee, 0xdb, 0xc0, 0xda]);
  });
});
