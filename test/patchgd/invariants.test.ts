import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam } from '../../core/learn/patchgd/adam.ts';
import { parseTrainConfig } from '../../core/shared/train-config.ts';
import { fillChunks, planGrid } from '../../core/learn/patchgd/grid.ts';
import { buildModels, trainableVariables, type RunModels } from '../../core/learn/patchgd/models.ts';
import { embedPatches, fillZ, headOnZ, innerIteration, patchgdStep } from '../../core/learn/patchgd/step.ts';
import { chunkPixels, tensorBatch } from '../helpers/patch-batch.ts';
import { writeChunk } from '../../core/learn/patchgd/z-write.ts';
import { setDropoutSeed } from '../../core/learn/models/spatial-dropout.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const config = parseTrainConfig({
  backbone: 'small',
  imageSize: 24,
  patchSize: 8,
  latentDim: 6,
  numClasses: 3,
  sampling: 1 / 3,
  seed: 5,
});

function tiny(): RunModels {
  return buildModels(config);
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

function maxAbs(a: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(a)).dataSync()[0]!);
}

const images = () => tf.randomNormal([2, 24, 24, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
/** The chunk's patches of `x` as a [B, P, 8, 8, 3] tensor. */
async function chunkOf(x: tf.Tensor4D, chunk: readonly number[]): Promise<tf.Tensor5D> {
  return tf.tensor5d(await chunkPixels(x, 8, chunk), [x.shape[0], chunk.length, 8, 8, 3]);
}
const oneHot = () => tf.oneHot(tf.tensor1d([0, 2], 'int32'), 3) as tf.Tensor2D;

describe('PatchGD invariants', () => {
  it("fills Z in random chunks, as the reference's shuffled loader, each patch's embedding in its own row", async () => {
    const models = tiny();
    const x = images();
    const order = [5, 1, 7, 0, 8, 2, 6, 3, 4];
    const chunks = fillChunks(9, 3, order);
    // Batch statistics of every chunk come from patches of more than one grid row (k = 3).
    for (const chunk of chunks) expect(new Set(chunk.map((n) => Math.floor(n / 3))).size).toBeGreaterThan(1);
    const z = await fillZ(models.backbone, tensorBatch(x, 8), 3, true, order);
    for (const chunk of chunks) {
      const patches = await chunkOf(x, chunk);
      const e = embedPatches(models.backbone, patches, true);
      patches.dispose();
      chunk.forEach((patch, j) => {
        const row = tf.tidy(() => tf.slice(z, [0, patch, 0], [-1, 1, -1]));
        const own = tf.tidy(() => tf.slice(e, [0, j, 0], [-1, 1, -1]));
        expect(maxAbsDiff(row, own)).toBe(0);
        tf.dispose([row, own]);
      });
      e.dispose();
    }
    // In training mode the chunking matters: consecutive chunks (grid rows) normalise differently.
    const consecutive = await fillZ(models.backbone, tensorBatch(x, 8), 3, true);
    expect(maxAbsDiff(consecutive, z)).toBeGreaterThan(1e-3);
    tf.dispose([x, z, consecutive]);
  });

  it('Z refill equals the per-patch embedding, in image order', async () => {
    const models = tiny();
    const x = images();
    const z = await fillZ(models.backbone, tensorBatch(x, 8), 4, false);
    expect(z.shape).toEqual([2, 9, 6]);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        const patch = tf.slice(x, [0, i * 8, j * 8, 0], [2, 8, 8, 3]);
        const alone = models.backbone.apply(patch, { training: false }) as tf.Tensor;
        const row = tf.squeeze(tf.slice(z, [0, i * 3 + j, 0], [2, 1, 6]), [1]);
        expect(maxAbsDiff(alone, row)).toBeLessThan(1e-5);
        tf.dispose([patch, alone, row]);
      }
    }
    tf.dispose([x, z]);
  });

  it('the chunk write replaces only the chunk rows and routes gradient only to them', () => {
    const z = tf.randomNormal([2, 9, 4], 0, 1, 'float32', 1) as tf.Tensor3D;
    const e = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 2) as tf.Tensor3D;
    const chunk = [7, 0, 4];
    const written = writeChunk(z, e, chunk);
    const rows = tf.gather(written, tf.tensor1d(chunk, 'int32'), 1);
    expect(maxAbsDiff(rows, e)).toBe(0);
    const others = [1, 2, 3, 5, 6, 8];
    const kept = tf.gather(written, tf.tensor1d(others, 'int32'), 1);
    expect(maxAbsDiff(kept, tf.gather(z, tf.tensor1d(others, 'int32'), 1))).toBe(0);
    // Reference formulation: Z·(1 − mask) + onehot-scatter·E, differentiated by tfjs itself.
    const w = tf.randomNormal([2, 9, 4], 0, 1, 'float32', 4);
    const scatter = tf.transpose(
      tf.cast(tf.oneHot(tf.tensor1d(chunk, 'int32'), 9), 'float32'),
    ) as tf.Tensor2D; // [9, 3]
    const mask = tf.reshape(tf.sum(scatter, 1), [1, 9, 1]);
    const reference = (eIn: tf.Tensor) =>
      tf.add(
        tf.mul(z, tf.sub(1, mask)),
        tf.stack([0, 1].map((b) => tf.matMul(scatter, tf.squeeze(tf.gather(eIn, [b]), [0]) as tf.Tensor2D))),
      );
    const ours = tf.grad((eIn: tf.Tensor) => tf.sum(tf.mul(writeChunk(z, eIn as tf.Tensor3D, chunk), w)))(e);
    const theirs = tf.grad((eIn: tf.Tensor) => tf.sum(tf.mul(reference(eIn), w)))(e);
    expect(maxAbsDiff(ours, theirs)).toBeLessThan(1e-6);
    expect(maxAbsDiff(reference(e), written)).toBeLessThan(1e-6);
  });

  it('only sampled patches get gradient: the backbone gradient is the sum of their contributions', async () => {
    const models = tiny();
    const variables = trainableVariables(models);
    const nBackbone = models.backbone.trainableWeights.length;
    const x = images();
    const z = await fillZ(models.backbone, tensorBatch(x, 8), 3, true);
    const labels = oneHot();
    const chunk = [4, 8, 1];
    const patches = await chunkOf(x, chunk);
    const r = innerIteration(models, variables, z, patches, chunk, labels, 1, 99);
    // Z keeps the values of the unsampled patches.
    const others = [0, 2, 3, 5, 6, 7];
    const idx = tf.tensor1d(others, 'int32');
    expect(maxAbsDiff(tf.gather(r.z, idx, 1), tf.gather(z, idx, 1))).toBe(0);
    // dL/dZ at the new Z (same dropout masks), then Σ_p <dL/dZ_p, f(patch_p)> differentiated in the backbone.
    const dLdZ = tf.grad((zIn: tf.Tensor) => {
      setDropoutSeed(models.head, 99);
      return tf.losses.softmaxCrossEntropy(labels, headOnZ(models.head, zIn as tf.Tensor3D, true));
    })(r.z);
    const gChunk = tf.gather(dLdZ, tf.tensor1d(chunk, 'int32'), 1);
    const { grads } = tf.variableGrads(
      () => tf.sum(tf.mul(gChunk, embedPatches(models.backbone, patches, true))) as tf.Scalar,
      variables.slice(0, nBackbone),
    );
    variables.slice(0, nBackbone).forEach((v, i) => {
      const expected = grads[v.name]!;
      const actual = r.grads[i]!;
      expect(maxAbsDiff(actual, expected)).toBeLessThanOrEqual(1e-4 * Math.max(1e-3, maxAbs(expected)));
    });
    // And the unsampled rows of dL/dZ are non-zero: the head sees them, they just carry no backbone gradient.
    expect(maxAbs(tf.gather(dLdZ, idx, 1))).toBeGreaterThan(0);
  });

  it('accumulation: ε iterations of CE/ε give one optimizer step equal to a step on the mean gradient', async () => {
    const plan = planGrid(24, 8, 1 / 3, true);
    expect(plan).toMatchObject({ patchesPerIteration: 3, innerIterations: 3, accumulationSteps: 3 });
    const draws = { permutation: [5, 1, 7, 0, 8, 2, 6, 3, 4], dropoutSeeds: [11, 12, 13] };
    const lr = 1e-2;

    const a = tiny();
    const va = trainableVariables(a);
    const optA = new Adam(va);
    await patchgdStep(a, va, optA, plan, tensorBatch(images(), 8), [0, 2], 3, draws, lr);
    expect(optA.iterations).toBe(1);

    // By hand: the same inner iterations with unscaled CE, mean of their gradients, one Adam step.
    const b = tiny();
    const vb = trainableVariables(b);
    const optB = new Adam(vb);
    let z = await fillZ(b.backbone, tensorBatch(images(), 8), 3, true);
    const perIteration: tf.Tensor[][] = [];
    for (const it of [0, 1, 2]) {
      const chunk = draws.permutation.slice(it * 3, it * 3 + 3);
      const patches = await chunkOf(images(), chunk);
      const r = innerIteration(b, vb, z, patches, chunk, oneHot(), 1, draws.dropoutSeeds[it]!);
      z = r.z;
      perIteration.push(r.grads);
    }
    const mean = vb.map((_, i) => tf.div(tf.addN(perIteration.map((g) => g[i]!)), 3));
    optB.step(mean, lr);
    va.forEach((v, i) => expect(maxAbsDiff(v, vb[i]!)).toBeLessThan(1e-5));

    // Without accumulation every inner iteration steps.
    const c = tiny();
    const vc = trainableVariables(c);
    const optC = new Adam(vc);
    await patchgdStep(
      c,
      vc,
      optC,
      planGrid(24, 8, 1 / 3, false),
      tensorBatch(images(), 8),
      [0, 2],
      3,
      draws,
      lr,
    );
    expect(optC.iterations).toBe(3);
  });

  it('a step changes backbone and head weights and frees its tensors', async () => {
    const models = tiny();
    const variables = trainableVariables(models);
    const before = variables.map((v) => v.clone());
    const optimizer = new Adam(variables);
    const plan = planGrid(24, 8, 1 / 3, true);
    const draws = { permutation: [0, 1, 2, 3, 4, 5, 6, 7, 8], dropoutSeeds: [1, 2, 3] };
    const batch = () => {
      const x = images();
      const b = tensorBatch(x, 8);
      x.dispose();
      return b;
    };
    await patchgdStep(models, variables, optimizer, plan, batch(), [0, 2], 3, draws, 1e-2);
    const tensors = tf.memory().numTensors;
    await patchgdStep(models, variables, optimizer, plan, batch(), [0, 2], 3, draws, 1e-2);
    expect(tf.memory().numTensors).toBe(tensors);
    const moved = variables.map((v, i) => maxAbsDiff(v, before[i]!) > 0);
    expect(moved.slice(0, models.backbone.trainableWeights.length).every(Boolean)).toBe(true);
    expect(moved.slice(models.backbone.trainableWeights.length).every(Boolean)).toBe(true);
  });

  it('a MobileNetV2 backbone trains under PatchGD: every backbone and head variable moves', async () => {
    const mobile = buildModels(
      parseTrainConfig({
        backbone: 'mobilenetv2',
        widthMultiplier: 0.35,
        imageSize: 64,
        patchSize: 32,
        latentDim: 8,
        numClasses: 3,
        sampling: 0.5,
      }),
    );
    const variables = trainableVariables(mobile);
    const before = variables.map((v) => v.clone());
    const optimizer = new Adam(variables);
    const x = tf.randomNormal([1, 64, 64, 3], 0, 1, 'float32', 8) as tf.Tensor4D;
    const draws = { permutation: [3, 0, 2, 1], dropoutSeeds: [1, 2] };
    const plan = planGrid(64, 32, 0.5, true);
    const r = await patchgdStep(mobile, variables, optimizer, plan, tensorBatch(x, 32), [1], 3, draws, 1e-3);
    expect(Number.isFinite(r.loss)).toBe(true);
    expect(r.optimizerSteps).toBe(1);
    expect(variables.every((v, i) => maxAbsDiff(v, before[i]!) > 0)).toBe(true);
  });
});
