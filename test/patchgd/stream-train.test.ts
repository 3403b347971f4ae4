/**
 * A training run whose samples stream their slides patch by patch (`openSlidePatches` with nothing kept in
 * memory) against the same run on the whole prepared images: the same losses and weights, the batches' sources
 * closed, and the step events' patch-wait share reported.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSlidePatches } from '../../core/io/dataset/slide-source.ts';
import { readSlideSquare } from '../../core/io/dataset/square-image.ts';
import { SlidePool } from '../../core/io/slide/index.ts';
import { loadCheckpoint } from '../../core/learn/runner/checkpoint.ts';
import { trainRun, type Sample, type TrainEvent } from '../../core/learn/runner/index.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';

let root: string;
const slides: { path: string; label: number }[] = [];
beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await makeTempDir('stream-train-');
  // Four 150×100 pyramidal slides, two classes told apart by their colour.
  for (let i = 0; i < 4; i++) {
    const label = i % 2;
    const data = Buffer.alloc(150 * 100 * 3);
    for (let p = 0; p < 150 * 100; p++) {
      const x = p % 150;
      const y = Math.floor(p / 150);
      data.set(label ? [200, (x * 3) & 255, 90] : [(y * 5) & 255, 120, 220 - i * 10], p * 3);
    }
    const file = path.join(root, `s${i}.tiff`);
    await sharp(data, { raw: { width: 150, height: 100, channels: 3 } })
      .tiff({ tile: true, pyramid: true, compression: 'jpeg', quality: 90, tileWidth: 32, tileHeight: 32 })
      .toFile(file);
    slides.push({ path: file, label });
  }
});
afterAll(async () => {
  await removeDir(root);
});

const config = {
  backbone: 'small' as const,
  imageSize: 32,
  patchSize: 8,
  latentDim: 4,
  numClasses: 2,
  batchSize: 2,
  sampling: 0.25,
  epochs: 2,
  warmupEpochs: 0,
  seed: 5,
  threads: 1,
};

async function weights(runDir: string): Promise<Float32Array[]> {
  const ckpt = (await loadCheckpoint(runDir, 'last'))!;
  const out = [...ckpt.backbone.getWeights(), ...ckpt.head.getWeights()].map(
    (w) => w.dataSync() as Float32Array,
  );
  ckpt.backbone.dispose();
  ckpt.head.dispose();
  return out;
}

describe('training from streamed slides', () => {
  it('trains as on the whole images, closes every source and reports the patch wait', async () => {
    const pool = new SlidePool(8);
    const opened: string[] = [];
    const closed: string[] = [];
    const samples = (stream: boolean): Sample[] =>
      slides.map(({ path: file, label }) => ({
        id: path.basename(file),
        label,
        load: async () => (await readSlideSquare(pool, file, config.imageSize)).image,
        ...(stream
          ? {
              patches: async (size: number, patchSize: number) => {
                const source = await openSlidePatches(pool, file, size, patchSize, { inMemoryBytes: 0 });
                opened.push(file);
                const close = source.close.bind(source);
                source.close = async () => {
                  closed.push(file);
                  await close();
                };
                return source;
              },
            }
          : {}),
      }));
    try {
      const events: TrainEvent[] = [];
      const whole = await trainRun(config, samples(false), samples(false).slice(0, 2), {
        runDir: path.join(root, 'whole'),
      });
      const streamed = await trainRun(config, samples(true), samples(true).slice(0, 2), {
        runDir: path.join(root, 'streamed'),
        onEvent: (e) => events.push(e),
        progressIntervalMs: 0,
      });
      expect(streamed.history.map((h) => h.loss)).toEqual(
        whole.history.map((h) => h.loss).map((l) => expect.closeTo(l, 5)),
      );
      const [a, b] = [await weights(path.join(root, 'whole')), await weights(path.join(root, 'streamed'))];
      a.forEach((w, i) => {
        for (let j = 0; j < w.length; j++)
          expect(Math.abs(b[i]![j]! - w[j]!)).toBeLessThan(1e-5 * (1 + Math.abs(w[j]!)));
      });
      // Planning probe, 2 batches × 2 epochs of 2 slides, validation of 2 slides per epoch: all closed again.
      expect(opened.length).toBeGreaterThanOrEqual(1 + 2 * 2 * 2 + 2 * 2);
      expect(closed.sort()).toEqual(opened.sort());
      const steps = events.filter((e): e is Extract<TrainEvent, { type: 'step' }> => e.type === 'step');
      expect(steps).toHaveLength(4);
      expect(steps.every((s) => s.patchWait >= 0 && s.patchWait <= 1)).toBe(true);
      expect(await readdir(path.join(root, 'streamed'))).toContain('metrics.jsonl');
    } finally {
      await pool.closeAll();
    }
  });
});
