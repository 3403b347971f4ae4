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
import type { PatchBatch } from '../patchgd/patch-batch.ts';

/** Chunks of the Z fill posted to the workers ahead of the one they embed (bounds the patches in flight). */
export const FILL_AHEAD = 2;

/**
 * Z = [B, k², d] of the batch, every patch embedded in chunks of `chunkSize` (slices of `order` when given)
 * across the workers. Chunks are read on this thread and posted while the workers embed the previous ones;
 * `after` is prefetched at the end.
 */
export async function parallelFillZ(
  pool: EnginePool,
  batch: PatchBatch,
  chunkSize: number,
  training: boolean,
  order?: readonly number[],
  after?: readonly number[],
): Promise<tf.Tensor3D> {
  const chunks = fillChunks(batch.numPatches, chunkSize, order);
  const parts: Promise<tf.Tensor3D>[] = [];
  try {
    for (const [i, chunk] of chunks.entries()) {
      if (i >= FILL_AHEAD) await parts[i - FILL_AHEAD];
      const data = await batch.read(chunk);
      const next = chunks[i + 1] ?? after;
      if (next) batch.prefetch(next);
      const part = pool.fill([chunk], [data], batch.size, training);
      part.catch(() => undefined);
      parts.push(part);
    }
    const z = await Promise.all(parts);
    const out = z.length === 1 ? z[0]! : tf.concat(z, 1);
    if (z.length > 1) tf.dispose(z);
    return toImageOrder(out, order);
  } catch (err) {
    for (const r of await Promise.allSettled(parts)) if (r.status === 'fulfilled') r.value.dispose();
    throw err;
  }
}

/** Logits of a batch in inference mode, Z filled by the pool. */
export async function parallelLogits(
  pool: EnginePool,
  models: RunModels,
  batch: PatchBatch,
  chunkSize: number,
): Promise<tf.Tensor2D> {
  const z = await parallelFillZ(pool, batch, chunkSize, false);
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
  patches: Float32Array,
  batchSize: number,
  oneHot: tf.Tensor2D,
  lossScale: number,
  dropoutSeed: number,
): Promise<InnerResult> {
  const { shares, embeddings } = await pool.innerEmbeddings(chunk, patches, batchSize);
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
 * `patchgdStep` on the pool, patches read from `batch` on this thread: `variables` are the backbone's trainable weights
 * followed by the head's, as `trainableVariables` orders them; after each optimizer step the new backbone
 * weights go to the workers, and at the end the batch-norm moving statistics come back from them.
 */
export async function parallelPatchgdStep(
  pool: EnginePool,
  models: RunModels,
  variables: readonly tf.Variable[],
  optimizer: Adam,
  plan: GridPlan,
  batch: PatchBatch,
  labels: readonly number[],
  numClasses: number,
  draws: StepDraws,
  lr: number,
): Promise<ParallelStepResult> {
  const headVariables = variables.slice(models.backbone.trainableWeights.length);
  const chunks = chunkIndices(draws.permutation, plan);
  const oneHot = oneHotLabels(labels, numClasses);
  let tally: StepTally | null = null;
  let headSum: tf.Tensor[] | null = null;
  let optimizerSteps = 0;
  let workerPeakBytes = new Array<number>(pool.size).fill(0);
  try {
    const fillStart = performance.now();
    tally = new StepTally(
      await parallelFillZ(pool, batch, plan.patchesPerIteration, true, draws.fillOrder, chunks[0]),
      plan.numPatches,
    );
    const fillSeconds = (performance.now() - fillStart) / 1000;
    for (const [it, chunk] of chunks.entries()) {
      const patches = await batch.read(chunk);
      const next = chunks[it + 1];
      if (next) batch.prefetch(next);
      const r = await parallelInnerIteration(
        pool,
        models.head,
        headVariables,
        tally.z,
        chunk,
        patches,
        batch.size,
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
    return {
      ...(await tally.summary(plan.innerIterations, labels.length)),
      optimizerSteps,
      workerPeakBytes,
      patchWaitSeconds: batch.takeWaitMs() / 1000,
      fillSeconds,
    };
  } finally {
    tally?.dispose();
    tf.dispose([oneHot, ...(headSum ?? [])]);
  }
}
