import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetError } from '../../core/base/errors.ts';
import {
  generateUltraMnist,
  loadMnistDigits,
  type UltraMnistSummary,
} from '../../core/io/ultramnist/index.ts';
import { decodeDigitFile } from '../../core/io/ultramnist/mnist-digits.ts';
import { resizeBilinear } from '../../core/io/ultramnist/resize.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';

let tmp: string;
const SIZE = 256;
const opts = { count: 24, size: SIZE, classes: 28, seed: 7, split: 'train' } as const;
let summary: UltraMnistSummary;
let progress: [number, number][];

beforeAll(async () => {
  tmp = await makeTempDir('ultramnist-');
  progress = [];
  summary = await generateUltraMnist({
    ...opts,
    outDir: path.join(tmp, 'a'),
    onProgress: (done, total) => progress.push([done, total]),
  });
});
afterAll(async () => {
  await removeDir(tmp);
});

async function pixels(
  file: string,
): Promise<{ data: Buffer; channels: number; width: number; height: number }> {
  // sharp converts to sRGB on output unless told to keep one band.
  const { data, info } = await sharp(file).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
  return { data, channels: info.channels, width: info.width, height: info.height };
}

describe('loadMnistDigits', () => {
  it('exposes the 10,000 digits of the mnist package as 28×28 8-bit samples', async () => {
    const mnist = await loadMnistDigits();
    expect(mnist.samples.map((s) => s.length)).toEqual([
      1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978,
    ]);
    for (const cls of mnist.samples) expect(cls.every((s) => s.length === 784)).toBe(true);
    // Real handwriting: dark background, some saturated ink.
    const first = mnist.samples[3]![0]!;
    expect(first[0]).toBe(0);
    expect(Math.max(...first)).toBeGreaterThan(240);
  });

  it('rejects a malformed digit file naming it', () => {
    expect(() => decodeDigitFile('/x/3.json', { data: [0.5, 0.2] })).toThrow(DatasetError);
    expect(() => decodeDigitFile('/x/3.json', { data: new Array(784).fill(2) })).toThrow(
      /\/x\/3.json.*not in/,
    );
    expect(() => decodeDigitFile('/x/3.json', null)).toThrow(/multiple of 784/);
  });
});

describe('generateUltraMnist', () => {
  it('writes labels.csv, meta.json and one grayscale PNG per image', async () => {
    const dir = path.join(tmp, 'a');
    const csv = (await readFile(path.join(dir, 'labels.csv'), 'utf8')).trimEnd().split('\n');
    expect(csv[0]).toBe('image_id,label');
    expect(csv.slice(1)).toEqual(summary.images.map((im) => `${im.imageId},${im.label}`));
    const files = (await readdir(path.join(dir, 'images'))).sort();
    expect(files).toEqual(summary.images.map((im) => `${im.imageId}.png`));
    expect((await readdir(dir)).sort()).toEqual(['images', 'labels.csv', 'meta.json']);
    const meta = JSON.parse(await readFile(path.join(dir, 'meta.json'), 'utf8'));
    expect(meta.params).toEqual(opts);
    expect(meta.images).toEqual(summary.images);
    expect(summary.classCounts.reduce((a, b) => a + b, 0)).toBe(24);
    const info = await sharp(path.join(dir, 'images', files[0]!)).metadata();
    expect([info.format, info.width, info.height, info.channels, info.depth]).toEqual([
      'png',
      SIZE,
      SIZE,
      1,
      'uchar',
    ]);
  });

  it('draws exactly the digits listed in meta.json, whose sum is the label, on black', async () => {
    const mnist = await loadMnistDigits();
    for (const im of summary.images) {
      const { data, channels } = await pixels(path.join(tmp, 'a', 'images', `${im.imageId}.png`));
      expect(channels).toBe(1);
      const inBox = new Uint8Array(SIZE * SIZE);
      for (const d of im.digits) {
        const glyph = resizeBilinear(mnist.samples[d.digit]![d.sampleIndex]!, 28, 28, d.side, d.side);
        for (let y = 0; y < d.side; y++)
          for (let x = 0; x < d.side; x++) {
            expect(data[(d.y + y) * SIZE + d.x + x]).toBe(glyph[y * d.side + x]);
            inBox[(d.y + y) * SIZE + d.x + x] = 1;
          }
      }
      let strayInk = 0;
      for (let i = 0; i < data.length; i++) if (!inBox[i] && data[i] !== 0) strayInk++;
      expect(strayInk).toBe(0);
      expect(im.digits.reduce((s, d) => s + d.digit, 0)).toBe(im.label);
    }
  });

  it('reports progress once per image', () => {
    expect(progress).toHaveLength(24);
    expect(progress.at(-1)).toEqual([24, 24]);
    expect(progress.map(([done]) => done)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
  });

  it('produces identical files for the same seed', async () => {
    const dir = path.join(tmp, 'b');
    await generateUltraMnist({ ...opts, outDir: dir });
    for (const f of ['labels.csv', 'meta.json'])
      expect(await readFile(path.join(dir, f))).toEqual(await readFile(path.join(tmp, 'a', f)));
    for (const im of summary.images.slice(0, 4)) {
      const a = await pixels(path.join(tmp, 'a', 'images', `${im.imageId}.png`));
      const b = await pixels(path.join(dir, 'images', `${im.imageId}.png`));
      expect(b.data.equals(a.data)).toBe(true);
    }
  });

  it('fails with a dataset error naming the folder it cannot create', async () => {
    const blocker = path.join(tmp, 'a', 'labels.csv');
    await expect(generateUltraMnist({ ...opts, count: 1, outDir: blocker })).rejects.toThrow(DatasetError);
    await expect(generateUltraMnist({ ...opts, count: 1, outDir: blocker })).rejects.toThrow(blocker);
  });
});
