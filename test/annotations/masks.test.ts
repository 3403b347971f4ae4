import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemoDataset } from '../../core/io/demo/index.ts';
import { openDataset } from '../../core/io/dataset/index.ts';
import { openSlide } from '../../core/io/slide/index.ts';
import { maskRegions, readMaskLabels, shrinkLabels, type LabelGrid } from '../../core/io/masks/index.ts';
import { measure, resolutionOf } from '../../core/shared/annotations.ts';
import { MASK_CLASSES, maskPixels, maskProvider } from '../../core/shared/panda-mask.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';

const px = resolutionOf(null);

/** A label grid drawn from a function of the pixel centre. */
function drawGrid(width: number, height: number, label: (x: number, y: number) => number): LabelGrid {
  const labels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) labels[y * width + x] = label(x + 0.5, y + 0.5);
  return { width, height, labels, scaleX: 1, scaleY: 1 };
}

describe('mask → polygons', () => {
  it('outlines each class with its holes, within 1 % of its pixel count', () => {
    // A disc of Gleason 4 with a Gleason 3 disc inside it (a hole in the G4 region), stroma elsewhere in a band.
    const grid = drawGrid(300, 200, (x, y) => {
      const r = Math.hypot(x - 150, y - 100);
      if (r < 25) return 3;
      if (r < 80) return 4;
      return y < 15 ? 1 : 0;
    });
    const regions = maskRegions(grid, 'radboud');
    expect(regions.map((r) => r.className)).toEqual(['Stroma', 'Gleason 3', 'Gleason 4']);
    for (const region of regions) {
      expect(Math.abs(measure(region.geometry, px).area / region.pixels - 1)).toBeLessThan(0.01);
    }
    const g4 = regions.find((r) => r.label === 4)!.geometry;
    expect(g4.coordinates).toHaveLength(1);
    expect(g4.coordinates[0]).toHaveLength(2);
    // Simplified: well under half the corners of the raw marching-squares outline.
    const raw = maskRegions(grid, 'radboud', [0]).find((r) => r.label === 4)!.geometry;
    expect(g4.coordinates[0]![0]!.length).toBeLessThan(raw.coordinates[0]![0]!.length / 2);
  });

  it('keeps separate regions of a class as the polygons of one MultiPolygon, scaled to level 0', () => {
    const grid = {
      ...drawGrid(100, 100, (x, y) => ((x < 30 || x > 70) && y > 20 && y < 80 ? 2 : 0)),
      scaleX: 4,
      scaleY: 2,
    };
    const [benign] = maskRegions(grid, 'karolinska');
    expect(benign!.className).toBe('Tumour');
    expect(benign!.geometry.coordinates).toHaveLength(2);
    const area = measure(benign!.geometry, px).area;
    expect(Math.abs(area / (benign!.pixels * 8) - 1)).toBeLessThan(0.01);
  });

  it('shrinks a grid by nearest neighbour and colours labels for the overlay', () => {
    const grid = drawGrid(400, 100, (x) => (x < 200 ? 1 : 2));
    const small = shrinkLabels(grid, 100);
    expect([small.width, small.height, small.scaleX, small.scaleY]).toEqual([100, 25, 4, 4]);
    expect([small.labels[0], small.labels[99]]).toEqual([1, 2]);
    const rgba = maskPixels([0, 2, 9], 'karolinska');
    expect([...rgba.slice(0, 4)]).toEqual([0, 0, 0, 0]);
    expect(rgba[7]).toBe(255);
    expect(rgba[11]).toBe(0);
    expect(maskProvider('Radboud')).toBe('radboud');
    expect(maskProvider('other')).toBeNull();
  });
});

describe('PANDA masks on disk', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await makeTempDir('patchgd-masks-');
    await generateDemoDataset({ out: dir, slides: 2, seed: 5, size: 1024 });
  });
  afterAll(async () => removeDir(dir));

  it('reads the mask level asked for and outlines every class within 1 % of its pixels', async () => {
    const dataset = await openDataset(dir);
    for (const item of dataset.items) {
      const provider = maskProvider(item.provider)!;
      const slide = await openSlide(item.imagePath);
      const { width, height } = slide.info;
      await slide.close();
      const full = await readMaskLabels(item.maskPath!, width, height, 4096);
      expect([full.width, full.height, full.scaleX]).toEqual([width, height, 1]);
      const coarse = await readMaskLabels(item.maskPath!, width, height, 200);
      expect(coarse.width).toBe(width / 4);
      expect(coarse.scaleX).toBe(4);
      const regions = maskRegions(full, provider);
      expect(regions.length).toBeGreaterThan(0);
      for (const region of regions) {
        expect(MASK_CLASSES[provider].some((c) => c.label === region.label)).toBe(true);
        expect(Math.abs(measure(region.geometry, px).area / region.pixels - 1)).toBeLessThan(0.01);
      }
    }
    await expect(readMaskLabels(dataset.items[0]!.maskPath!, 1000, 1000, 100)).rejects.toThrow(
      'but its slide is 1000×1000',
    );
    expect((await readFile(join(dir, 'train.csv'), 'utf8')).split('\n')[0]).toContain('data_provider');
  });
});
