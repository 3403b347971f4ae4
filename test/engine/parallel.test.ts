/**
 * The engine pool on the wasm backend against the one-thread engine: the Z fill (training and inference mode)
 * and whole PatchGD steps (losses, weights, batch-norm moving statistics) agree within float tolerance, with the
 * small backbone's batch norm synchronised across workers; and failures surface as errors, never hangs.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../core/learn/backend/backend.ts';
import { EnginePool, PoolError } from '../../core/learn/parallel/pool.ts';
import { Adam } from '../../core/learn/patchgd/adam.ts';
import { parseTrainConfig } from '../../core/shared/train-config.ts';
import { planGrid } from '../../core/learn/patchgd/grid.ts';
import {
  buildModels,
  disposeModels,
  trainableVariables,
  type RunModels,
} from '../../core/learn/patchgd/models.ts';
import { fillZ, patchgdStep } from '../../core/learn/patchgd/step.ts';
import { chunkPixels, tensorBatch } from '../helpers/patch-batch.ts';
import { parallelFillZ, parallelPatchgdStep } from '../../core/learn/parallel/step-parallel.ts';
import { Prng } from '../../core/base/random.ts';
import { relError } from '../helpers/tensors.ts';

/** 24 px images, 8 px patches: k = 3, nine patches, so chunks split unevenly over the workers. */
const config = parseTrainConfig({
  backbone: 'small',
  imageSize: 24,
  patchSize: 8,
  latentDim: 6,
  numClasses: 3,
  sampling: 1 / 3,
  headDropout: 0.2,
  seed: 11,
});

/** A batch of two 24 px images, the same for a seed (tf.randomNormal's seed does not repeat across calls). */
function images(seed: number): tf.Tensor4D {
  const prng = Prng.fromSeed(seed);
  const shape: [number, number, number, number] = [2, 24, 24, 3];
  return tf.tensor4d(
    Float32Array.from({ length: 2 * 24 * 24 * 3 }, () => prng.range(-0.5, 1.5)),
    shape,
  );
}

function values(tensors: readonly tf.Tensor[]): Float32Array[] {
  return tensors.map((t) => t.dataSync() as Float32Array);
}

function weightsOf(models: RunModels): Float32Array[] {
  return values([...models.backbone.getWeights(), ...models.head.getWeights()]);
}

let backend: string;
beforeAll(async () => {
  backend = (await selectBackend({ prefer: 'wasm' })).name;
});

describe('EnginePool: Z fill', () => {
  let models: RunModels;
  let pool: EnginePool;
  beforeAll(async () => {
    models = buildModels(config);
    pool = await EnginePool.start(models.backbone, 2, backend);
  });
  afterAll(async () => {
    await pool.close();
    disposeModels(models);
  });

  for (const training of [true, false]) {
    it(`equals the serial fill in ${training ? 'training' : 'inference'} mode (chunks of 4, 4, 1)`, async () => {
      const statsBefore = values(models.backbone.nonTrainableWeights.map((w) => w.read()));
      const x = images(1);
      const parallel = await parallelFillZ(pool, tensorBatch(x, 8), 4, training);
      await pool.syncStatistics(models.backbone);
      const parallelStats = values(models.backbone.nonTrainableWeights.map((w) => w.read()));
      // Serial on the main thread from the same starting statistics.
      models.backbone.nonTrainableWeights.forEach((w, i) =>
        w.write(tf.tensor(statsBefore[i]!, w.shape as number[])),
      );
      const serial = await fillZ(models.backbone, tensorBatch(x, 8), 4, training);
      x.dispose();
      expect(parallel.shape).toEqual([2, 9, 6]);
      expect(relError(parallel.dataSync() as Float32Array, serial.dataSync() as Float32Array)).toBeLessThan(
        1e-5,
      );
      const serialStats = values(models.backbone.nonTrainableWeights.map((w) => w.read()));
      serialStats.forEach((s, i) => expect(relError(parallelStats[i]!, s)).toBeLessThan(1e-5));
      if (training) expect(relError(serialStats[0]!, statsBefore[0]!)).toBeGreaterThan(1e-3);
      else serialStats.forEach((s, i) => expect(Array.from(s)).toEqual(Array.from(statsBefore[i]!)));
      tf.dispose([parallel, serial]);
    });
  }
});

describe('EnginePool: PatchGD steps', () => {
  it('three 2-thread steps equal three 1-thread steps (losses, weights, moving statistics)', async () => {
    const serial = buildModels(config);
    const parallel = buildModels(config);
    const plan = planGrid(24, 8, 1 / 3, true);
    const serialVars = trainableVariables(serial);
    const parallelVars = trainableVariables(parallel);
    const serialOpt = new Adam(serialVars);
    const parallelOpt = new Adam(parallelVars);
    const pool = await EnginePool.start(parallel.backbone, 2, backend);
    const prng = Prng.fromSeed(3);
    try {
      for (let step = 0; step < 3; step++) {
        const draws = {
          permutation: prng.permutation(plan.numPatches),
          dropoutSeeds: [1, 2, 3].map((i) => step * 10 + i),
          fillOrder: prng.permutation(plan.numPatches),
        };
        const labels = [step % 3, (step + 1) % 3];
        const a = await patchgdStep(
          serial,
          serialVars,
          serialOpt,
          plan,
          tensorBatch(images(step), 8),
          labels,
          3,
          draws,
          1e-2,
        );
        const b = await parallelPatchgdStep(
          pool,
          parallel,
          parallelVars,
          parallelOpt,
          plan,
          tensorBatch(images(step), 8),
          labels,
          3,
          draws,
          1e-2,
        );
        expect(b.optimizerSteps).toBe(1);
        expect(b.patchesEncoded).toBe(a.patchesEncoded);
        expect(Math.abs(b.loss - a.loss)).toBeLessThan(1e-5 * Math.max(1, a.loss));
        expect(b.workerPeakBytes.every((p) => p > 0)).toBe(true);
      }
      const [wa, wb] = [weightsOf(serial), weightsOf(parallel)];
      // Training moved the weights, and both runs moved them the same way.
      expect(relError(wa[0]!, values(buildModels(config).backbone.getWeights())[0]!)).toBeGreaterThan(1e-3);
      wa.forEach((w, i) => expect(relError(wb[i]!, w)).toBeLessThan(1e-4));
    } finally {
      await pool.close();
      serialOpt.dispose();
      parallelOpt.dispose();
      disposeModels(serial);
      disposeModels(parallel);
    }
  });
});

describe('EnginePool: failures', () => {
  it('a worker error becomes an error on the main thread and poisons the pool', async () => {
    const models = buildModels(config);
    const pool = await EnginePool.start(models.backbone, 2, backend);
    try {
      // 10 values are not two patches of two images: the worker fails on the fill command.
      await expect(pool.fill([[0, 1]], [new Float32Array(10)], 2, true)).rejects.toThrow(
        /engine worker \d: 5 values are not 1 square RGB patches of 2 images/,
      );
      await expect(parallelFillZ(pool, tensorBatch(images(1), 8), 4, true)).rejects.toThrow(PoolError);
    } finally {
      await pool.close();
      disposeModels(models);
    }
  });

  it('a wrong upstream gradient fails the workers inside their tapes, and the error surfaces', async () => {
    const models = buildModels(config);
    const pool = await EnginePool.start(models.backbone, 2, backend);
    try {
      const chunk = [0, 4, 8];
      const { shares, embeddings } = await pool.innerEmbeddings(
        chunk,
        await chunkPixels(images(1), 8, chunk),
        2,
      );
      const wrong = tf.zeros([2, 3, 5]) as tf.Tensor3D;
      pool.sendUpstream(shares, wrong);
      await expect(pool.takeGradients()).rejects.toThrow(PoolError);
      tf.dispose([embeddings, wrong]);
    } finally {
      await pool.close();
      disposeModels(models);
    }
  });

  it('closing while workers wait inside their tapes stops them', async () => {
    const models = buildModels(config);
    const pool = await EnginePool.start(models.backbone, 2, backend);
    const chunk = [1, 2, 3, 5];
    const { embeddings } = await pool.innerEmbeddings(chunk, await chunkPixels(images(1), 8, chunk), 2);
    embeddings.dispose();
    const started = Date.now();
    await pool.close();
    expect(Date.now() - started).toBeLessThan(5000);
    expect(() => pool.pushWeights(models.backbone, 'all')).toThrow(/closed/);
    disposeModels(models);
  });

  it('a worker that cannot start its backend fails the start', async () => {
    const models = buildModels(config);
    await expect(EnginePool.start(models.backbone, 2, 'no-such-backend')).rejects.toThrow(
      /engine worker \d: .*no-such-backend/,
    );
    disposeModels(models);
  });
});
