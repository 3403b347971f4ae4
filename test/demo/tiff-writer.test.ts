import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fromFile } from 'geotiff';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drawSlidePlan } from '../../core/io/demo/plan.ts';
import { renderRegion } from '../../core/io/demo/render.ts';
import { Prng } from '../../core/base/random.ts';
import { writeSlide } from '../../core/io/demo/slide.ts';
import { TiledTiffWriter, type TiffImageSpec } from '../../core/io/demo/tiff-writer.ts';
import { mad, openslideInfo, openslideRead } from './openslide.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';

let dir: string;
beforeAll(async () => {
  dir = await makeTempDir('patchgd-tiffw-');
});
afterAll(async () => {
  await removeDir(dir);
});

describe('TiledTiffWriter', () => {
  it('writes BigTIFF on request, readable by OpenSlide and geotiff with the same pixels', async () => {
    const plan = drawSlidePlan(Prng.fromSeed(5), {
      size: 1200,
      provider: 'karolinska',
      score: { primary: 3, secondary: 4 },
    });
    const slide = path.join(dir, 'big.tiff');
    const mask = path.join(dir, 'big_mask.tiff');
    await writeSlide(plan, slide, mask, { bigTiff: true });
    const head = await readFile(slide);
    expect([head[0], head[1], head.readUInt16LE(2), head.readUInt16LE(4)]).toEqual([0x49, 0x49, 43, 8]);
    const info = openslideInfo(slide);
    expect(info.levelCount).toBe(3);
    expect(info.dimensions[0]).toEqual([plan.width, plan.height]);
    const mine = renderRegion(plan, 500, 100, 200, 200).rgb;
    expect(mad(mine, openslideRead(slide, 0, 500, 100, 200, 200))).toBeLessThan(6);
    const img = await (await fromFile(mask)).getImage(0);
    const labels = (await img.readRasters({
      interleave: true,
      window: [500, 100, 700, 300],
    })) as unknown as Uint8Array;
    const want = renderRegion(plan, 500, 100, 200, 200).labels;
    expect(Buffer.from(labels.filter((_, i) => i % 3 === 0)).equals(Buffer.from(want))).toBe(true);
  });

  it('refuses to close with missing tiles and leaves no file behind after abort', async () => {
    const spec: TiffImageSpec = {
      width: 1000,
      height: 600,
      tileSize: 512,
      compression: 'deflate',
      photometric: 'rgb',
      reduced: false,
      pixelsPerCm: null,
    };
    const target = path.join(dir, 'partial.tiff');
    const w = await TiledTiffWriter.create(target, [spec], false);
    await w.writeTile(0, 0, 0, new Uint8Array([1, 2, 3]));
    await expect(w.writeTile(0, 2, 0, new Uint8Array([1]))).rejects.toThrow(RangeError);
    await expect(w.close()).rejects.toThrow(/missing tiles/);
    await w.abort();
    expect((await readdir(dir)).filter((f) => f.includes('partial'))).toEqual([]);
  });
});
