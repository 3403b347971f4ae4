import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fromFile } from 'geotiff';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drawSlidePlan } from '../../core/demo/plan.ts';
import { renderRegion } from '../../core/demo/render.ts';
import { Rng } from '../../core/demo/rng.ts';
import { writeSlide } from '../../core/demo/slide.ts';
import { TiledTiffWriter, type TiffImageSpec } from '../../core/demo/tiff-writer.ts';
import { mad, openslideInfo, openslideRead } from './openslide.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'patchgd-tiffw-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('TiledTiffWriter', () => {
  it('writes BigTIFF on request, readable by OpenSlide and geotiff with the same pixels', async () => {
    const plan = drawSlidePlan(new Rng(5), {
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
