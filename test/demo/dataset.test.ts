import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fromFile } from 'geotiff';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gleasonToIsup } from '../../core/io/dataset/gleason.ts';
import { generateDemoDataset, planDataset, type DemoSummary } from '../../core/io/demo/index.ts';
import { meanBlocks } from '../../core/io/demo/pyramid.ts';
import { renderRegion } from '../../core/io/demo/render.ts';
import { DatasetError, UsageError } from '../../core/base/errors.ts';
import { mad, openslideInfo, openslideRead } from './openslide.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';

const SEED = 11;
const SLIDES = 12;
const SIZE = 2048;

let dir: string;
let out: string;
let summary: DemoSummary;

beforeAll(async () => {
  dir = await makeTempDir('patchgd-demo-');
  out = path.join(dir, 'a');
  summary = await generateDemoDataset({ out, slides: SLIDES, seed: SEED, size: SIZE });
});

afterAll(async () => {
  await removeDir(dir);
});

const slidePath = (id: string): string => path.join(out, 'train_images', `${id}.tiff`);
const maskPath = (id: string): string => path.join(out, 'train_label_masks', `${id}_mask.tiff`);

async function parseCsv(): Promise<string[][]> {
  const text = await readFile(path.join(out, 'train.csv'), 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text
    .trimEnd()
    .split('\n')
    .map((l) => l.split(','));
}

/** Mask label values at level 0, read through geotiff (lossless, so exact). */
async function maskLabels(id: string): Promise<Uint8Array> {
  const tiff = await fromFile(maskPath(id));
  const img = await tiff.getImage(0);
  const data = (await img.readRasters({ interleave: true })) as unknown as Uint8Array;
  const labels = new Uint8Array(data.length / 3);
  let coloured = 0;
  for (let i = 0; i < labels.length; i++) {
    if (data[i * 3 + 1] !== 0 || data[i * 3 + 2] !== 0) coloured++;
    labels[i] = data[i * 3] as number;
  }
  expect(coloured, 'pixels with G or B set').toBe(0);
  return labels;
}

describe('dataset layout', () => {
  it('writes train.csv exactly as PANDA does, balanced over grades and providers', async () => {
    const rows = await parseCsv();
    expect(rows[0]).toEqual(['image_id', 'data_provider', 'isup_grade', 'gleason_score']);
    const body = rows.slice(1);
    expect(body).toHaveLength(SLIDES);
    for (const [id, provider, isup, score] of body) {
      expect(id).toMatch(/^[0-9a-f]{32}$/);
      expect(['radboud', 'karolinska']).toContain(provider);
      if (score === 'negative' || score === '0+0') {
        expect(score).toBe(provider === 'radboud' ? 'negative' : '0+0');
        expect(isup).toBe('0');
      } else {
        const m = /^([345])\+([345])$/.exec(score ?? '');
        expect(m, score).not.toBeNull();
        expect(Number(isup)).toBe(gleasonToIsup(Number(m![1]), Number(m![2])));
      }
    }
    expect(new Set(body.map((r) => r[0])).size).toBe(SLIDES);
    expect(summary.perGrade).toEqual([2, 2, 2, 2, 2, 2]);
    expect(summary.perProvider).toEqual({ radboud: 6, karolinska: 6 });
    // Each grade appears once per provider: the model cannot read the grade off the provider.
    for (let g = 0; g < 6; g++)
      expect(new Set(body.filter((r) => r[2] === String(g)).map((r) => r[1])).size).toBe(2);
  });

  it('writes one slide and one mask per row and nothing else (no temporary files left)', async () => {
    const ids = (await parseCsv()).slice(1).map((r) => r[0]);
    expect((await readdir(path.join(out, 'train_images'))).sort()).toEqual(
      ids.map((i) => `${i}.tiff`).sort(),
    );
    expect((await readdir(path.join(out, 'train_label_masks'))).sort()).toEqual(
      ids.map((i) => `${i}_mask.tiff`).sort(),
    );
    expect((await readdir(out)).sort()).toEqual(['train.csv', 'train_images', 'train_label_masks']);
  });
});

describe('slide TIFFs', () => {
  it('open in OpenSlide as 3-level pyramids with downsamples 1/4/16 and PANDA resolution tags', () => {
    for (const r of summary.records.slice(0, 4)) {
      for (const file of [slidePath(r.imageId), maskPath(r.imageId)]) {
        const info = openslideInfo(file);
        expect(info.levelCount).toBe(3);
        expect(info.dimensions).toEqual(
          [1, 4, 16].map((d) => [Math.ceil(r.width / d), Math.ceil(r.height / d)]),
        );
        info.downsamples.forEach((d, i) => expect(Math.abs(d - [1, 4, 16][i]!) / d).toBeLessThan(0.01));
        expect(info.properties['tiff.ResolutionUnit']).toBe('centimeter');
        expect(10000 / Number(info.properties['tiff.XResolution'])).toBeCloseTo(0.48, 6);
        expect(10000 / Number(info.properties['tiff.YResolution'])).toBeCloseTo(0.48, 6);
      }
    }
  });

  it('read in geotiff as JPEG YCbCr tiles (slides) and Deflate RGB tiles (masks), reduced levels marked', async () => {
    const r = summary.records[0]!;
    for (const [file, compression, photometric] of [
      [slidePath(r.imageId), 7, 6],
      [maskPath(r.imageId), 8, 2],
    ] as const) {
      const tiff = await fromFile(file);
      expect(await tiff.getImageCount()).toBe(3);
      for (let level = 0; level < 3; level++) {
        const img = await tiff.getImage(level);
        const fd = img.fileDirectory;
        expect(img.isTiled).toBe(true);
        expect(img.getTileWidth()).toBe(512);
        expect(img.getWidth()).toBe(Math.ceil(r.width / 4 ** level));
        expect(fd.getValue('Compression')).toBe(compression);
        expect(fd.getValue('PhotometricInterpretation')).toBe(photometric);
        expect(fd.getValue('NewSubfileType') ?? 0).toBe(level === 0 ? 0 : 1);
        expect(await fd.loadValue('ResolutionUnit')).toBe(3);
        // µm per pixel of this level.
        const xres = (await fd.loadValue('XResolution')) as ArrayLike<number> | number;
        const ppcm = typeof xres === 'number' ? xres : (xres[0] as number) / (xres[1] as number);
        expect(10000 / ppcm).toBeCloseTo(0.48 * 4 ** level, 5);
      }
    }
  });

  it('hold the rendered pixels: OpenSlide reads match the renderer at levels 0 and 2', () => {
    const plans = [...planDataset(SEED, SLIDES, SIZE)].slice(0, 3);
    for (const { assignment, plan } of plans) {
      // A window that straddles tile borders and the middle core.
      const x = 400;
      const y = Math.round(plan.height / 2) - 150;
      const mine = renderRegion(plan, x, y, 300, 300).rgb;
      const theirs = openslideRead(slidePath(assignment.imageId), 0, x, y, 300, 300);
      expect(mad(mine, theirs)).toBeLessThan(6);
      // Level 2 against a 16× block mean of the rendered level 0 (tile-aligned so the blocks agree).
      const whole = renderRegion(plan, 0, 0, 1024, 1024);
      const reduced = meanBlocks(
        whole.rgb,
        1024,
        Math.min(1024, plan.width),
        Math.min(1024, plan.height),
        16,
      );
      const read = openslideRead(slidePath(assignment.imageId), 2, 0, 0, reduced.width, reduced.height);
      expect(mad(reduced.data, read)).toBeLessThan(6);
    }
  });
});

describe('label masks', () => {
  it('hold exactly the rendered labels, only allowed values, tumour iff graded, patterns as scored', async () => {
    const plans = [...planDataset(SEED, SLIDES, SIZE)];
    for (const { assignment: a, plan } of plans) {
      const labels = await maskLabels(a.imageId);
      const rendered = renderRegion(plan, 0, 0, plan.width, plan.height).labels;
      // Buffer comparison: a deep equality over millions of elements would take minutes.
      expect(Buffer.from(labels).equals(Buffer.from(rendered)), a.imageId).toBe(true);
      const present = new Set(labels);
      const allowed = a.provider === 'radboud' ? [0, 1, 2, 3, 4, 5] : [0, 1, 2];
      for (const v of present) expect(allowed).toContain(v);
      expect(present.has(0) && present.has(1)).toBe(true);
      if (a.provider === 'radboud') {
        const expected = a.score ? new Set([a.score.primary, a.score.secondary]) : new Set<number>();
        expect(new Set([...present].filter((v) => v >= 3)), a.imageId).toEqual(expected);
        expect(present.has(2)).toBe(true);
      } else {
        expect(present.has(2), a.imageId).toBe(a.score !== null);
      }
      if (a.score && a.score.primary !== a.score.secondary && a.provider === 'radboud') {
        // The primary pattern covers more of the slide than the secondary.
        let p = 0;
        let s = 0;
        for (const v of labels) {
          if (v === a.score.primary) p++;
          else if (v === a.score.secondary) s++;
        }
        expect(p, a.imageId).toBeGreaterThan(s);
      }
    }
  });
});

describe('determinism and atomicity', () => {
  it('gives identical bytes for the same seed and different slides for another seed', async () => {
    const again = path.join(dir, 'b');
    await generateDemoDataset({ out: again, slides: SLIDES, seed: SEED, size: SIZE });
    const hash = async (root: string, rel: string): Promise<string> =>
      createHash('sha256')
        .update(await readFile(path.join(root, rel)))
        .digest('hex');
    const files = [
      'train.csv',
      ...summary.records.flatMap((r) => [
        `train_images/${r.imageId}.tiff`,
        `train_label_masks/${r.imageId}_mask.tiff`,
      ]),
    ];
    for (const f of files) expect(await hash(again, f), f).toBe(await hash(out, f));
    const other = path.join(dir, 'c');
    const s2 = await generateDemoDataset({ out: other, slides: 2, seed: SEED + 1, size: 1024 });
    expect(s2.records.map((r) => r.imageId)).not.toEqual(summary.records.slice(0, 2).map((r) => r.imageId));
  });

  it('never shows a half-written slide under its final name', async () => {
    const target = path.join(dir, 'd');
    const seen: boolean[] = [];
    await generateDemoDataset({
      out: target,
      slides: 1,
      seed: 3,
      size: 1536,
      onProgress: (p) => {
        if (p.rowsDone < p.rows)
          seen.push(existsSync(path.join(target, 'train_images', `${p.imageId}.tiff`)));
      },
    });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((s) => !s)).toBe(true);
    expect(
      (await readdir(path.join(target, 'train_images'))).every(
        (f) => f.endsWith('.tiff') && !f.startsWith('.'),
      ),
    ).toBe(true);
  });

  it('rejects bad options and unusable folders with typed errors', async () => {
    await expect(generateDemoDataset({ out: path.join(dir, 'e'), slides: 0 })).rejects.toThrow(UsageError);
    await expect(generateDemoDataset({ out: path.join(dir, 'e'), size: 100 })).rejects.toThrow(UsageError);
    await expect(generateDemoDataset({ out: path.join(dir, 'e'), seed: 1.5 })).rejects.toThrow(UsageError);
    const file = path.join(dir, 'not-a-folder');
    await writeFile(file, 'x');
    const err = await generateDemoDataset({ out: file, slides: 1, size: 512 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as DatasetError).file).toBe(file);
    if (process.platform === 'linux') {
      // A parent that exists but takes no new entries: must fail at once, not spin.
      await expect(generateDemoDataset({ out: '/proc/patchgd-demo', slides: 1, size: 512 })).rejects.toThrow(
        DatasetError,
      );
    }
  });
});
