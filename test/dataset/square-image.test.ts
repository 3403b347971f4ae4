import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fitLongerSide,
  padToSquare,
  readImageFileSquare,
  readSlideSquare,
} from '../../core/io/dataset/square-image.ts';
import { DatasetError } from '../../core/base/errors.ts';
import { SlidePool } from '../../core/io/slide/index.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';

let dir: string;
beforeAll(async () => {
  dir = await makeTempDir('square-');
});
afterAll(async () => {
  await removeDir(dir);
});

describe('fitLongerSide', () => {
  it('scales the longer side to the target and keeps the aspect', () => {
    expect(fitLongerSide(4000, 2000, 512)).toEqual({ width: 512, height: 256 });
    expect(fitLongerSide(300, 900, 90)).toEqual({ width: 30, height: 90 });
    expect(fitLongerSide(64, 64, 128)).toEqual({ width: 128, height: 128 });
    expect(fitLongerSide(10000, 1, 100)).toEqual({ width: 100, height: 1 });
  });
});

describe('padToSquare', () => {
  it('puts the image at the top-left and fills the rest', () => {
    const img = { width: 2, height: 1, data: Uint8Array.from([1, 2, 3, 4, 5, 6]) };
    const out = padToSquare(img, 3);
    expect(out.width).toBe(3);
    expect(Array.from(out.data.subarray(0, 9))).toEqual([1, 2, 3, 4, 5, 6, 255, 255, 255]);
    expect(out.data.subarray(9).every((v) => v === 255)).toBe(true);
  });
});

describe('readImageFileSquare', () => {
  it('reads a grey PNG as RGB, scaled and padded', async () => {
    const path = join(dir, 'grey.png');
    const grey = Buffer.alloc(40 * 20);
    for (let y = 0; y < 20; y++) for (let x = 0; x < 40; x++) grey[y * 40 + x] = x < 20 ? 0 : 200;
    await sharp(grey, { raw: { width: 40, height: 20, channels: 1 } })
      .png()
      .toFile(path);
    const sq = await readImageFileSquare(path, 20);
    expect(sq.image.width).toBe(20);
    expect(sq.contentWidth).toBe(20);
    expect(sq.contentHeight).toBe(10);
    expect(sq.scale).toBe(2);
    const px = (x: number, y: number) =>
      Array.from(sq.image.data.subarray((y * 20 + x) * 3, (y * 20 + x) * 3 + 3));
    expect(px(2, 2)).toEqual([0, 0, 0]);
    expect(px(17, 2)).toEqual([200, 200, 200]);
    expect(px(5, 15)).toEqual([255, 255, 255]);
  });

  it('names the file that cannot be decoded', async () => {
    const path = join(dir, 'broken.png');
    await writeFile(path, 'not a png');
    await expect(readImageFileSquare(path, 16)).rejects.toThrow(DatasetError);
    await expect(readImageFileSquare(path, 16)).rejects.toThrow(path);
  });
});

describe('readSlideSquare', () => {
  it('reads a wide pyramidal slide at the target size from a low level', async () => {
    const path = join(dir, 'wide.tiff');
    const w = 2048;
    const h = 1024;
    const rgb = Buffer.alloc(w * h * 3);
    for (let i = 0; i < w * h; i++) rgb.set([200, 40, 120], i * 3);
    await sharp(rgb, { raw: { width: w, height: h, channels: 3 } })
      .tiff({ tile: true, pyramid: true, compression: 'jpeg', tileWidth: 256, tileHeight: 256 })
      .toFile(path);
    const pool = new SlidePool(2);
    try {
      const sq = await readSlideSquare(pool, path, 256);
      expect(sq.scale).toBe(8);
      expect(sq.contentHeight).toBe(128);
      const at = (x: number, y: number) => sq.image.data.subarray((y * 256 + x) * 3, (y * 256 + x) * 3 + 3);
      const top = at(100, 60);
      expect(Math.abs(top[0]! - 200) + Math.abs(top[1]! - 40) + Math.abs(top[2]! - 120)).toBeLessThan(15);
      expect(Array.from(at(100, 200))).toEqual([255, 255, 255]);
    } finally {
      await pool.closeAll();
    }
  });
});
