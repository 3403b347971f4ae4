/**
 * The streamed PatchGD path against the in-memory one: a slide read patch by patch (and through the disk cache)
 * gives the Z and the training step of the whole prepared image held as a tensor, and the patch grid stays
 * aligned with the slide's label mask and the attention geometry.
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CachedPatchSource } from '../../core/io/dataset/patch-cache.ts';
import { SlidePatchSource } from '../../core/io/dataset/slide-patches.ts';
import { readSlideSquare } from '../../core/io/dataset/square-image.ts';
import { SlidePool } from '../../core/io/slide/index.ts';
import { patchGridGeometry } from '../../core/learn/grading/geometry.ts';
import { tumourOnPatchGrid } from '../../core/learn/grading/localization.ts';
import { Adam } from '../../core/learn/patchgd/adam.ts';
import { planGrid } from '../../core/learn/patchgd/grid.ts';
import { loadNormalized, toBatchTensor } from '../../core/learn/patchgd/image.ts';
import { buildModels, disposeModels, trainableVariables } from '../../core/learn/patchgd/models.ts';
import { PatchBatch } from '../../core/learn/patchgd/patch-batch.ts';
import { embedPatches, fillZ, patchgdStep } from '../../core/learn/patchgd/step.ts';
import { parseTrainConfig } from '../../core/shared/train-config.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';
import { tensorBatch } from '../helpers/patch-batch.ts';

const config = parseTrainConfig({
  backbone: 'small',
  imageSize: 64,
  patchSize: 16,
  latentDim: 6,
  numClasses: 3,
  sampling: 0.25,
  seed: 9,
});

let dir: string;
let slidePath: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await makeTempDir('patch-step-');
  // 300×180 with texture: at 64 px the content is 64×38, resampled from the 75×45 level, with padding below.
  const w = 300;
  const h = 180;
  const data = Buffer.alloc(w * h * 3);
  for (let i = 0; i < w * h; i++) {
    const x = i % w;
    const y = Math.floor(i / w);
    data.set([(x * 3 + y) & 255, (y * 5) & 255, ((x ^ y) * 7) & 255], i * 3);
  }
  slidePath = join(dir, 'slide.tiff');
  await sharp(data, { raw: { width: w, height: h, channels: 3 } })
    .tiff({ tile: true, pyramid: true, compression: 'jpeg', quality: 90, tileWidth: 32, tileHeight: 32 })
    .toFile(slidePath);
});
afterAll(async () => {
  await removeDir(dir);
});

/** The in-memory path: the whole prepared square, normalised, as one [1, S, S, 3] tensor. */
async function wholeImage(pool: SlidePool): Promise<tf.Tensor4D> {
  const square = await readSlideSquare(pool, slidePath, 64);
  const pixels = await loadNormalized(
    { id: 'slide', label: 0, load: async () => square.image },
    64,
    config.normalization,
  );
  return toBatchTensor([pixels], 64);
}

describe('streamed patches against the whole image in memory', () => {
  it('Z from the slide source and from its disk cache equals Z of the whole-image tensor', async () => {
    const pool = new SlidePool(2);
    const models = buildModels(config);
    try {
      const image = await wholeImage(pool);
      // Reference Z cut with tensor slices of the whole image, independent of the sources' own cutting code.
      const k = 4;
      const reference = tf.tidy(() => {
        const rows = [];
        for (let n = 0; n < k * k; n++)
          rows.push(tf.slice(image, [0, Math.floor(n / k) * 16, (n % k) * 16, 0], [1, 16, 16, 3]));
        const e = embedPatches(
          models.backbone,
          tf.reshape(tf.concat(rows, 0), [1, k * k, 16, 16, 3]) as tf.Tensor5D,
          false,
        );
        return e;
      });
      const slide = await pool.acquire(slidePath);
      const source = new SlidePatchSource(slide, 64, 16);
      const streamed = await fillZ(models.backbone, new PatchBatch([source], config.normalization), 3, false);
      const cached = await CachedPatchSource.open(join(dir, 'cache'), slidePath, 64, 16, async () => source);
      const fromCache = await fillZ(
        models.backbone,
        new PatchBatch([cached], config.normalization),
        5,
        false,
      );
      await cached.close();
      pool.release(slide);
      const ref = reference.dataSync();
      for (const z of [streamed, fromCache]) {
        const got = z.dataSync();
        expect(got.length).toBe(ref.length);
        let worst = 0;
        for (let i = 0; i < ref.length; i++)
          worst = Math.max(worst, Math.abs(got[i]! - ref[i]!) / (1 + Math.abs(ref[i]!)));
        expect(worst).toBeLessThan(1e-5);
      }
      tf.dispose([image, reference, streamed, fromCache]);
    } finally {
      disposeModels(models);
      await pool.closeAll();
    }
  });

  it('a training step from the slide source gives the loss and weights of the step on the whole image', async () => {
    const pool = new SlidePool(2);
    const plan = planGrid(64, 16, config.sampling, true);
    const draws = {
      permutation: [9, 3, 14, 0, 7, 12, 1, 5, 15, 2, 8, 11, 4, 6, 10, 13],
      dropoutSeeds: [1, 2, 3, 4],
    };
    const run = async (batch: PatchBatch) => {
      const models = buildModels(config);
      const variables = trainableVariables(models);
      const optimizer = new Adam(variables);
      const r = await patchgdStep(models, variables, optimizer, plan, batch, [2], 3, draws, 1e-2);
      const weights = variables.map((v) => v.dataSync().slice());
      optimizer.dispose();
      disposeModels(models);
      await batch.close();
      return { loss: r.loss, weights };
    };
    try {
      // In memory: the normalised whole image as the source (identity normalisation: values read back as given).
      const image = await wholeImage(pool);
      const inMemory = await run(tensorBatch(image, 16));
      image.dispose();
      const slide = await pool.acquire(slidePath);
      const streamed = await run(
        new PatchBatch(
          [new SlidePatchSource(slide, 64, 16, () => pool.release(slide))],
          config.normalization,
        ),
      );
      expect(Math.abs(streamed.loss - inMemory.loss)).toBeLessThan(1e-5 * Math.max(1, inMemory.loss));
      streamed.weights.forEach((w, i) => {
        const ref = inMemory.weights[i]!;
        for (let j = 0; j < w.length; j++)
          expect(Math.abs(w[j]! - ref[j]!)).toBeLessThan(1e-5 * (1 + Math.abs(ref[j]!)));
      });
    } finally {
      await pool.closeAll();
    }
  });

  it('keeps the patch grid aligned with the label mask and the attention geometry', async () => {
    // A 512×256 slide, white, with a dark block at level-0 (270..310, 90..130); its mask marks the block 5.
    const w = 512;
    const h = 256;
    const slide = Buffer.alloc(w * h * 3, 255);
    const mask = Buffer.alloc(w * h * 3, 0);
    for (let y = 90; y < 130; y++)
      for (let x = 270; x < 310; x++) {
        slide.set([40, 20, 90], (y * w + x) * 3);
        mask.set([5, 0, 0], (y * w + x) * 3);
      }
    const tiff = { tile: true, pyramid: true, tileWidth: 64, tileHeight: 64 } as const;
    const path = join(dir, 'block.tiff');
    const maskPath = join(dir, 'block_mask.tiff');
    await sharp(slide, { raw: { width: w, height: h, channels: 3 } })
      .tiff({ ...tiff, compression: 'jpeg' })
      .toFile(path);
    await sharp(mask, { raw: { width: w, height: h, channels: 3 } })
      .tiff({ ...tiff, compression: 'lzw' })
      .toFile(maskPath);
    const pool = new SlidePool(2);
    try {
      const opened = await pool.acquire(path);
      const source = new SlidePatchSource(opened, 128, 16);
      // 8×8 grid, 64 level-0 px a cell: the block lies in row 1, column 4.
      const geometry = patchGridGeometry(8, 16, source.geometry.scale, w, h);
      expect(geometry.cell).toBe(64);
      const tumour = await tumourOnPatchGrid(maskPath, geometry, (label) => label >= 3);
      expect(Array.from(tumour.keys()).filter((n) => tumour[n] === 1)).toEqual([1 * 8 + 4]);
      const pixels = new Uint8Array(64 * 16 * 16 * 3);
      await source.readRgb(
        Array.from({ length: 64 }, (_, n) => n),
        pixels,
      );
      const darkness = Array.from({ length: 64 }, (_, n) =>
        pixels.subarray(n * 768, (n + 1) * 768).reduce((s, v) => s + (255 - v), 0),
      );
      expect(darkness.indexOf(Math.max(...darkness))).toBe(12);
      // Rows 4..7 are the white padding below the 512×256 content.
      expect(darkness.slice(32).every((d) => d === 0)).toBe(true);
      pool.release(opened);
    } finally {
      await pool.closeAll();
    }
  });
});
