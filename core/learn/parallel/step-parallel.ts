/**
 * The PatchGD update with the backbone work spread over an engine pool's worker threads (`threads` > 1): the
 * no-grad Z fill and each inner iteration's backbone forward/backward split by patches, batch norm synchronised
 * across the workers, gradients summed. Z, the head and the optimizer stay on the main thread. It computes what
 * `patchgdStep` computes, up to floating-point rounding (sums happen in another order).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { EnginePool } from './pool.ts';
import { setDropoutSeed } from '../models/spatial-dropout.ts';
import type { Adam } from '../patchgd/adam.ts';
import { chunkIndices, fillChunks, type GridPlan } from '../patchgd/grid.ts';
import type { RunModels } from '../patchgd/models.ts';
import {
  accumulate,
  headOnZ,
  oneHotLabels,
  type InnerResult,
  type StepDraws,
  type StepResult,
  StepTally,
  toImageOrder,
} from '../patchgd/step.ts';
import { writeChunk } from '../patchgd/z-write.ts';

/**
 * Z = [B, k², d] of the images the pool holds, every patch embedded in chunks of `chunkSize` (slices of `order`
 * when given) across the workers.
 */
export async function parallelFillZ(
  pool: EnginePool,
  numPatches: number,
  chunkSize: number,
  training: boolean,
  order?: readonly number[],
): Promise<tf.Tensor3D> {
  return toImageOrder(await pool.fill(fillChunks(numPatches, chunkSize, order), training), order);
}

/** Logits of a batch of normalised images (consumed) in inference mode, Z filled by the pool. */
export async function parallelLogits(
  pool: EnginePool,
  models: RunModels,
  images: tf.Tensor4D,
  chunkSize: number,
): Promise<tf.Tensor2D> {
  const numPatches = (images.shape[1] / models.inputSize) ** 2;
  pool.setImages(images, models.inputSize);
  images.dispose();
  const z = await parallelFillZ(pool, numPatches, chunkSize, false);
  pool.dropImages();
  const logits = headOnZ(models.head, z, false);
  z.dispose();
  return logits;
}

/**
 * One inner iteration: the workers embed the chunk with gradient; here the embeddings are written into the
 * detached Z, the head runs, and dL/d(embeddings) goes back to the workers, which finish their backward passes
 * and keep their backbone gradients until the optimizer step asks for them. `grads` are the head's.
 */
export async function parallelInnerIteration(
  pool: EnginePool,
  head: RunModels['head'],
  headVariables: readonly tf.Variable[],
  z: tf.Tensor3D,
  chunk: readonly number[],
  oneHot: tf.Tensor2D,
  lossScale: number,
  dropoutSeed: number,
): Promise<InnerResult> {
  const { shares, embeddings } = await pool.innerEmbeddings(chunk);
  setDropoutSeed(head, dropoutSeed);
  let newZ: tf.Tensor3D | null = null;
  let logits: tf.Tensor2D | null = null;
  try {
    const { value, grads } = tf.engine().gradients(
      () => {
        newZ = tf.keep(writeChunk(z, embeddings, chunk));
        logits = tf.keep(headOnZ(head, newZ, true));
        return tf.div(tf.losses.softmaxCrossEntropy(oneHot, logits), lossScale) as tf.Scalar;
      },
      [...headVariables, embeddings],
      undefined,
      true,
    );
    const upstream = grads.pop() as tf.Tensor3D;
    pool.sendUpstream(shares, upstream);
    upstream.dispose();
    // In a tidy: the number becomes a scalar tensor of its own.
    const loss = tf.tidy(() => tf.mul(value, lossScale) as tf.Scalar);
    value.dispose();
    const ordered = headVariables.map((v, i) => grads[i] ?? tf.zerosLike(v));
    return { z: newZ!, loss, logits: logits!, grads: ordered };
  } finally {
    embeddings.dispose();
  }
}

export interface ParallelStepResult extends StepResult {
  /** Each worker's tensor-memory peak during the step. */
  workerPeakBytes: number[];
}

/**
 * `patchgdStep` on the pool (takes ownership of `images`): `variables` are the backbone's trainable weights
 * followed by the head's, as `trainableVariables` orders them; after each optimizer step the new backbone
 * weights go to the workers, and at the end the batch-norm moving statistics come back from them.
 */
export async function parallelPatchgdStep(
  pool: EnginePool,
  models: RunModels,
  variables: readonly tf.Variable[],
  optimizer: Adam,
  plan: GridPlan,
  images: tf.Tensor4D,
  labels: readonly number[],
  numClasses: number,
  draws: StepDraws,
  lr: number,
): Promise<ParallelStepResult> {
  const headVariables = variables.slice(models.backbone.trainableWeights.length);
  pool.setImages(images, models.inputSize);
  images.dispose();
  const oneHot = oneHotLabels(labels, numClasses);
  let tally: StepTally | null = null;
  let headSum: tf.Tensor[] | null = null;
  let optimizerSteps = 0;
  let workerPeakBytes = new Array<number>(pool.size).fill(0);
  try {
    tally = new StepTally(
      await parallelFillZ(pool, plan.numPatches, plan.patchesPerIteration, true, draws.fillOrder),
      plan.numPatches,
    );
    const chunks = chunkIndices(draws.permutation, plan);
    for (const [it, chunk] of chunks.entries()) {
      const r = await parallelInnerIteration(
        pool,
        models.head,
        headVariables,
        tally.z,
        chunk,
        oneHot,
        plan.accumulationSteps,
        draws.dropoutSeeds[it]!,
      );
      tally.absorb(r, chunk.length);
      headSum = accumulate(headSum, r.grads);
      if ((it + 1) % plan.accumulationSteps === 0) {
        const backbone = await pool.takeGradients();
        workerPeakBytes = workerPeakBytes.map((p, i) => Math.max(p, backbone.peakBytes[i] ?? 0));
        const all = [...backbone.gradients, ...headSum];
        optimizer.step(all, lr);
        tf.dispose(all);
        headSum = null;
        pool.pushWeights(models.backbone, 'trainable');
        optimizerSteps++;
      }
    }
    await pool.syncStatistics(models.backbone);
    pool.dropImages();
    return { ...(await tally.summary(plan.innerIterations, labels.length)), optimizerSteps, workerPeakBytes };
  } finally {
    tally?.dispose();
    tf.dispose([oneHot, ...(headSum ?? [])]);
  }
}
