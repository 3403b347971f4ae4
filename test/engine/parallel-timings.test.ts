/**
 * The pool's timings: each worker reports the time it spent on commands, blocked at batch-norm barriers and
 * blocked waiting for the main thread's upstream gradients, and the tally restarts once taken.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkPixels } from '../helpers/patch-batch.ts';
import { selectBackend } from '../../core/learn/backend/backend.ts';
import { EnginePool } from '../../core/learn/parallel/pool.ts';
import { parseTrainConfig } from '../../core/shared/train-config.ts';
import { buildModels, disposeModels, type RunModels } from '../../core/learn/patchgd/models.ts';
import { uniformValues } from '../helpers/tensors.ts';

const config = parseTrainConfig({
  backbone: 'small',
  imageSize: 24,
  patchSize: 8,
  latentDim: 6,
  numClasses: 3,
  seed: 5,
});

/** How long the main thread holds the upstream gradients back. */
const HOLD_MS = 150;

describe('EnginePool timings', () => {
  let models: RunModels;
  let pool: EnginePool;
  beforeAll(async () => {
    const backend = (await selectBackend({ prefer: 'wasm' })).name;
    models = buildModels(config);
    pool = await EnginePool.start(models.backbone, 2, backend);
  });
  afterAll(async () => {
    await pool.close();
    disposeModels(models);
  });

  it('splits each worker’s time into busy, barrier and upstream waits, then restarts', async () => {
    const images = tf.tensor4d(uniformValues(2 * 24 * 24 * 3, 9), [2, 24, 24, 3]);
    const all = [0, 1, 2, 3, 4, 5, 6, 7, 8];
    const z = await pool.fill([all], [await chunkPixels(images, 8, all)], 2, true);
    const chunk = [0, 4, 8, 2];
    const { shares, embeddings } = await pool.innerEmbeddings(chunk, await chunkPixels(images, 8, chunk), 2);
    images.dispose();
    await new Promise((resolve) => setTimeout(resolve, HOLD_MS));
    const upstream = tf.onesLike(embeddings);
    pool.sendUpstream(shares, upstream);
    const { gradients } = await pool.takeGradients();
    tf.dispose([z, embeddings, upstream, ...gradients]);

    const timings = await pool.takeTimings();
    expect(timings).toHaveLength(2);
    for (const t of timings) {
      // Both workers sat inside their tapes while the main thread held the upstream gradients back.
      expect(t.upstreamMs).toBeGreaterThanOrEqual(HOLD_MS * 0.8);
      expect(t.barrierMs).toBeGreaterThanOrEqual(0);
      expect(t.busyMs).toBeGreaterThan(t.upstreamMs + t.barrierMs);
    }
    const again = await pool.takeTimings();
    for (const t of again) {
      expect(t.upstreamMs).toBe(0);
      expect(t.barrierMs).toBe(0);
      expect(t.busyMs).toBeLessThan(timings[0]!.busyMs);
    }
  });
});
