import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetError } from '../../core/base/errors.ts';
import { CachedPatchSource } from '../../core/io/dataset/patch-cache.ts';
import { ImagePatchSource, type Normalization } from '../../core/io/dataset/patch-source.ts';
import { resampleRect, tentTaps } from '../../core/io/dataset/resample.ts';
import { SlidePatchSource } from '../../core/io/dataset/slide-patches.ts';
import {
  openSlidePatches,
  STREAM_TILE_CACHE_BYTES,
  streamingSlidePool,
} from '../../core/io/dataset/slide-source.ts';
import { readSlideSquare } from '../../core/io/dataset/square-image.ts';
import { SlidePool } from '../../core/io/slide/index.ts';
import type { RgbImage } from '../../core/io/slide/types.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';

const norm: Normalization = { mean: [0.9, 0.8, 0.7], std: [0.1, 0.2, 0.3] };

let dir: string;
beforeAll(async () => {
  dir = await makeTempDir('patch-sources-');
});
afterAll(async () => {
  await removeDir(dir);
});

/** A textured RGB image (every pixel different), so a misplaced pixel shows. */
function texture(width: number, height: number, seed = 1): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < 3; c++)
        data[(y * width + x) * 3 + c] = (x * 7 + y * 13 + c * 50 + seed * 31 + ((x * y) % 17)) & 255;
  return { width, height, data };
}

/** The m×m patch n of a square image, as bytes. */
function cut(image: RgbImage, m: number, n: number): Uint8Array {
  const k = image.width / m;
  const out = new Uint8Array(m * m * 3);
  const x = (n % k) * m;
  const y = Math.floor(n / k) * m;
  for (let row = 0; row < m; row++)
    out.set(
      image.data.subarray(((y + row) * image.width + x) * 3, ((y + row) * image.width + x + m) * 3),
      row * m * 3,
    );
  return out;
}

/** A pyramidal JPEG TIFF of `image` with small tiles (several per patch row) and a written-out pyramid. */
async function writeSlide(name: string, image: RgbImage): Promise<string> {
  const path = join(dir, name);
  await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .tiff({ tile: true, pyramid: true, compression: 'jpeg', quality: 90, tileWidth: 64, tileHeight: 64 })
    .toFile(path);
  return path;
}

describe('tent resampling', () => {
  it('gives bitwise the same pixels for a rectangle as for the whole image', () => {
    const src = texture(97, 61);
    for (const [w, h] of [
      [40, 25],
      [150, 90],
    ] as const) {
      const xt = tentTaps(src.width, w);
      const yt = tentTaps(src.height, h);
      const whole = new Uint8Array(w * h * 3);
      resampleRect(src, 0, 0, xt, yt, { x0: 0, y0: 0, width: w, height: h }, whole, 0, w);
      const part = new Uint8Array(7 * 5 * 3);
      resampleRect(src, 0, 0, xt, yt, { x0: 11, y0: 9, width: 7, height: 5 }, part, 0, 7);
      for (let y = 0; y < 5; y++)
        expect(Array.from(part.subarray(y * 21, y * 21 + 21))).toEqual(
          Array.from(whole.subarray(((9 + y) * w + 11) * 3, ((9 + y) * w + 18) * 3)),
        );
    }
  });

  it('is the identity at scale 1 and keeps a flat colour flat', () => {
    const src = texture(20, 10);
    const t = tentTaps(20, 20);
    const u = tentTaps(10, 10);
    const out = new Uint8Array(src.data.length);
    resampleRect(src, 0, 0, t, u, { x0: 0, y0: 0, width: 20, height: 10 }, out, 0, 20);
    expect(out).toEqual(src.data);
    const flat = { width: 30, height: 30, data: new Uint8Array(30 * 30 * 3).fill(77) };
    const small = new Uint8Array(7 * 7 * 3);
    resampleRect(
      flat,
      0,
      0,
      tentTaps(30, 7),
      tentTaps(30, 7),
      { x0: 0, y0: 0, width: 7, height: 7 },
      small,
      0,
      7,
    );
    expect(small.every((v) => v === 77)).toBe(true);
  });
});

describe('ImagePatchSource', () => {
  it('cuts normalised patches equal to the whole-image normalisation (uint8 and float)', async () => {
    const image = texture(32, 32);
    const u8 = new ImagePatchSource(32, 8, image);
    const floats = Float32Array.from(image.data, (v) => v / 255);
    const f32 = new ImagePatchSource(32, 8, floats);
    expect(u8.heldBytes).toBe(32 * 32 * 3);
    expect(f32.heldBytes).toBe(32 * 32 * 12);
    const indices = [5, 0, 15];
    const got = new Float32Array(3 * 8 * 8 * 3);
    await u8.readPatches(indices, norm, got, 0);
    indices.forEach((n, p) => {
      const bytes = cut(image, 8, n);
      for (let i = 0; i < bytes.length; i++) {
        const c = i % 3;
        const expected = Math.fround((bytes[i]! * (1 / 255) - norm.mean[c]!) * (1 / norm.std[c]!));
        expect(got[p * 192 + i]).toBe(expected);
      }
    });
    const fromFloat = new Float32Array(got.length);
    await f32.readPatches(indices, norm, fromFloat, 0);
    for (let i = 0; i < got.length; i++) expect(Math.abs(fromFloat[i]! - got[i]!)).toBeLessThan(1e-5);
  });

  it('rejects patch indices outside the grid and images of the wrong size', async () => {
    const src = new ImagePatchSource(16, 8, texture(16, 16), 'img-7');
    await expect(src.readPatches([4], norm, new Float32Array(192), 0)).rejects.toThrow(
      /patch index 4.*0\.\.3/,
    );
    expect(() => new ImagePatchSource(16, 8, texture(16, 8), 'img-8')).toThrow(DatasetError);
    expect(() => new ImagePatchSource(20, 8, texture(20, 20))).toThrow(/does not split/);
  });
});

describe('SlidePatchSource', () => {
  it('gives the patches of the whole prepared square (resampled level, white padding) bit for bit', async () => {
    // 600×260: at 256 px the content is 256×111, read from level 1 (300×130) with a 1.17 shrink.
    const path = await writeSlide('wide.tiff', texture(600, 260));
    const pool = new SlidePool(2);
    try {
      const square = await readSlideSquare(pool, path, 256);
      expect(square.contentHeight).toBe(111);
      const slide = await pool.acquire(path);
      const source = new SlidePatchSource(slide, 256, 32, () => pool.release(slide));
      const all = Array.from({ length: 64 }, (_, n) => n);
      const got = new Uint8Array(64 * 32 * 32 * 3);
      await source.readRgb(all, got);
      for (const n of all) expect(got.subarray(n * 3072, (n + 1) * 3072)).toEqual(cut(square.image, 32, n));
      // Below the content every patch is white padding.
      expect(got.subarray(60 * 3072).every((v) => v === 255)).toBe(true);
      expect(got.subarray(0, 3072).some((v) => v !== 255)).toBe(true);
      await source.close();
    } finally {
      await pool.closeAll();
    }
  });

  it('copies tiles unresampled when a level is exactly the target size', async () => {
    const image = texture(256, 128, 3);
    const path = await writeSlide('exact.tiff', image);
    const pool = new SlidePool(2);
    try {
      const slide = await pool.acquire(path);
      const source = new SlidePatchSource(slide, 128, 16);
      expect(source.geometry).toEqual({ imageSize: 128, contentWidth: 128, contentHeight: 64, scale: 2 });
      const square = await readSlideSquare(pool, path, 128);
      const got = new Uint8Array(3 * 16 * 16 * 3);
      await source.readRgb([63, 0, 9], got);
      [63, 0, 9].forEach((n, p) =>
        expect(got.subarray(p * 768, (p + 1) * 768)).toEqual(cut(square.image, 16, n)),
      );
      pool.release(slide);
    } finally {
      await pool.closeAll();
    }
  });
});

describe('CachedPatchSource', () => {
  it('writes the patches once and reads back the same normalised patches; parameters key the file', async () => {
    const image = texture(64, 64, 5);
    const file = join(dir, 'cached.png');
    await writeFile(
      file,
      await sharp(image.data, { raw: { width: 64, height: 64, channels: 3 } })
        .png()
        .toBuffer(),
    );
    const cacheDir = join(dir, 'cache');
    const memory = new ImagePatchSource(64, 16, image);
    let opened = 0;
    const open = (src: ImagePatchSource) => async () => {
      opened++;
      return src;
    };
    const cached = await CachedPatchSource.open(cacheDir, file, 64, 16, open(memory));
    const indices = [15, 3, 0, 7];
    const a = new Float32Array(4 * 768);
    const b = new Float32Array(4 * 768);
    await memory.readPatches(indices, norm, a, 0);
    await cached.readPatches(indices, norm, b, 0);
    expect(b).toEqual(a);
    await cached.close();
    // Reopening reuses the file without opening the source; another patch size writes another one.
    const again = await CachedPatchSource.open(cacheDir, file, 64, 16, open(memory));
    expect(again.file).toBe(cached.file);
    expect(opened).toBe(1);
    await again.close();
    const other = await CachedPatchSource.open(
      cacheDir,
      file,
      64,
      32,
      open(new ImagePatchSource(64, 32, image)),
    );
    expect(other.file).not.toBe(cached.file);
    await other.close();
    expect((await readdir(cacheDir)).filter((f) => f.endsWith('.patches'))).toHaveLength(2);
    // A changed image file gets a fresh cache.
    await writeFile(
      file,
      await sharp(texture(64, 64, 6).data, { raw: { width: 64, height: 64, channels: 3 } })
        .png()
        .toBuffer(),
    );
    const changed = await CachedPatchSource.open(
      cacheDir,
      file,
      64,
      16,
      open(new ImagePatchSource(64, 16, texture(64, 64, 6))),
    );
    expect(changed.file).not.toBe(cached.file);
    await expect(changed.readRgb([16], new Uint8Array(768))).rejects.toThrow(DatasetError);
    await changed.close();
  });
});

describe('openSlidePatches', () => {
  it('keeps small squares in memory, streams larger ones, and uses the disk cache when given: same pixels', async () => {
    const path = await writeSlide('choice.tiff', texture(400, 300, 4));
    const pool = new SlidePool(2);
    try {
      const inMemory = await openSlidePatches(pool, path, 128, 32);
      const streamed = await openSlidePatches(pool, path, 128, 32, { inMemoryBytes: 0 });
      const cached = await openSlidePatches(pool, path, 128, 32, { cacheDir: join(dir, 'slide-cache') });
      expect(inMemory).toBeInstanceOf(ImagePatchSource);
      expect(inMemory.heldBytes).toBe(128 * 128 * 3);
      expect(streamed).toBeInstanceOf(SlidePatchSource);
      expect(streamed.heldBytes).toBeLessThan(128 * 128);
      expect(streamed.sharedBytes).toBe(pool.cache.maxBytes);
      expect(streamingSlidePool().cache.maxBytes).toBe(STREAM_TILE_CACHE_BYTES);
      expect(cached).toBeInstanceOf(CachedPatchSource);
      const read = async (s: typeof inMemory) => {
        const out = new Float32Array(16 * 32 * 32 * 3);
        await s.readPatches(
          Array.from({ length: 16 }, (_, n) => 15 - n),
          norm,
          out,
          0,
        );
        return out;
      };
      const expected = await read(inMemory);
      expect(await read(streamed)).toEqual(expected);
      expect(await read(cached)).toEqual(expected);
      await Promise.all([inMemory.close(), streamed.close(), cached.close()]);
      await expect(
        openSlidePatches(pool, join(dir, 'missing.tiff'), 128, 32, { inMemoryBytes: 0 }),
      ).rejects.toThrow(/missing\.tiff/);
    } finally {
      await pool.closeAll();
    }
  });
});
