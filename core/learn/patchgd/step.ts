import * as tf from '@tensorflow/tfjs-core';
import { setDropoutSeed } from '../models/spatial-dropout.ts';
import type { Adam } from './adam.ts';
import type { PatchBatch } from './patch-batch.ts';
import { chunkIndices, fillChunks, type GridPlan } from './grid.ts';
import type { RunModels } from './models.ts';
import { writeChunk } from './z-write.ts';

/** Embeds a chunk's patches [B, P, m, m, 3] → [B, P, d]. Gradients flow if a tape is on. */
export function embedPatches(
  backbone: RunModels['backbone'],
  patches: tf.Tensor5D,
  training: boolean,
): tf.Tensor3D {
  return tf.tidy(() => {
    const [b, p, m, , c] = patches.shape;
    const e = backbone.apply(tf.reshape(patches, [b * p, m, m, c]), { training }) as tf.Tensor2D;
    return tf.reshape(e, [b, p, e.shape[1]]);
  });
}

/** Z filled in `order` ([B, k², d], row i holding patch order[i]) put back in image order; takes ownership. */
export function toImageOrder(z: tf.Tensor3D, order: readonly number[] | undefined): tf.Tensor3D {
  if (!order) return z;
  const inverse = new Int32Array(order.length);
  order.forEach((patch, i) => (inverse[patch] = i));
  const out = tf.tidy(() => tf.gather(z, tf.tensor1d(inverse, 'int32'), 1));
  z.dispose();
  return out;
}

/**
 * Z = [B, k², d]: every patch embedded, in chunks of `chunkSize` (slices of `order` when given) read from the
 * batch's sources, with no gradient. `training` keeps batch norm in training mode as the reference does during
 * training (batch statistics; moving averages updated per chunk). `after` is prefetched while the last chunk is
 * embedded.
 */
export async function fillZ(
  backbone: RunModels['backbone'],
  batch: PatchBatch,
  chunkSize: number,
  training: boolean,
  order?: readonly number[],
  after?: readonly number[],
): Promise<tf.Tensor3D> {
  const chunks = fillChunks(batch.numPatches, chunkSize, order);
  const parts: tf.Tensor3D[] = [];
  try {
    for (const [i, chunk] of chunks.entries()) {
      const patches = await batch.tensor(chunk, chunks[i + 1] ?? after);
      parts.push(embedPatches(backbone, patches, training));
      patches.dispose();
    }
  } catch (err) {
    tf.dispose(parts);
    throw err;
  }
  const z = parts.length === 1 ? parts[0]! : tf.concat(parts, 1);
  if (parts.length > 1) tf.dispose(parts);
  return toImageOrder(z, order);
}

/** Applies g to Z [B, k², d] viewed as the k×k×d grid. */
export function headOnZ(head: RunModels['head'], z: tf.Tensor3D, training: boolean): tf.Tensor2D {
  return tf.tidy(() => {
    const [b, n, d] = z.shape;
    const k = Math.round(Math.sqrt(n));
    return head.apply(tf.reshape(z, [b, k, k, d]), { training }) as tf.Tensor2D;
  });
}

export interface InnerResult {
  /** Z with the chunk's fresh embeddings (values only; the graph is gone). */
  z: tf.Tensor3D;
  /** Cross-entropy of this iteration (before the 1/ε scaling), left on the backend: read once per step. */
  loss: tf.Scalar;
  logits: tf.Tensor2D;
  /** dL/dθ of loss/ε, one per trainable variable in `variables` order. */
  grads: tf.Tensor[];
}

/**
 * One inner iteration: re-encode the chunk with gradient, write it into the detached Z, logits = g(Z),
 * loss = CE/ε, gradients of backbone and head. Only the chunk's patches carry gradient into the backbone.
 */
export function innerIteration(
  models: RunModels,
  variables: readonly tf.Variable[],
  z: tf.Tensor3D,
  patches: tf.Tensor5D,
  chunk: readonly number[],
  oneHot: tf.Tensor2D,
  lossScale: number,
  dropoutSeed: number,
): InnerResult {
  // `patches` are the chunk's own [B, P, m, m, 3], in the chunk's order.
  setDropoutSeed(models.head, dropoutSeed);
  let newZ: tf.Tensor3D | null = null;
  let logits: tf.Tensor2D | null = null;
  const { value, grads } = tf.variableGrads(() => {
    const e = embedPatches(models.backbone, patches, true);
    newZ = tf.keep(writeChunk(z, e, chunk));
    logits = tf.keep(headOnZ(models.head, newZ, true));
    return tf.div(tf.losses.softmaxCrossEntropy(oneHot, logits), lossScale) as tf.Scalar;
  }, variables as tf.Variable[]);
  // In a tidy: the number becomes a scalar tensor of its own.
  const loss = tf.tidy(() => tf.mul(value, lossScale) as tf.Scalar);
  value.dispose();
  const ordered = variables.map((v) => grads[v.name] ?? tf.zerosLike(v));
  return { z: tf.keep(newZ!), loss, logits: logits!, grads: ordered };
}

/** Adds `next` into `sum` (taking ownership of both); returns the new sum. */
export function accumulate(sum: tf.Tensor[] | null, next: tf.Tensor[]): tf.Tensor[] {
  if (!sum) return next;
  return sum.map((s, i) => {
    const total = tf.add(s, next[i]!);
    s.dispose();
    next[i]!.dispose();
    return total;
  });
}

export interface StepDraws {
  /** Random permutation of the k² patch indices for this batch. */
  permutation: number[];
  /** One dropout seed per inner iteration. */
  dropoutSeeds: number[];
  /** Order in which the Z fill embeds the patches (a fresh permutation per batch); absent: consecutive. */
  fillOrder?: number[];
}

export interface StepResult {
  /** Mean cross-entropy over the inner iterations. */
  loss: number;
  /** Predicted classes from the last inner iteration's logits (Z fully refreshed). */
  predictions: number[];
  optimizerSteps: number;
  patchesEncoded: number;
  /** Seconds the step waited for patches from its sources (reads not hidden behind the compute). */
  patchWaitSeconds: number;
  /** Seconds of the Z fill (the rest of the step is its inner iterations and optimizer steps). */
  fillSeconds: number;
}

/**
 * One PatchGD update on a batch whose patches come from `batch`'s sources: fill Z without gradient, then the inner
 * iterations over a fresh permutation's chunks, accumulating gradients and stepping the optimizer every ε. Each
 * chunk's patches are read while the previous chunk is embedded.
 */
export async function patchgdStep(
  models: RunModels,
  variables: readonly tf.Variable[],
  optimizer: Adam,
  plan: GridPlan,
  batch: PatchBatch,
  labels: readonly number[],
  numClasses: number,
  draws: StepDraws,
  lr: number,
): Promise<StepResult> {
  const chunks = chunkIndices(draws.permutation, plan);
  const oneHot = oneHotLabels(labels, numClasses);
  let tally: StepTally | null = null;
  let sum: tf.Tensor[] | null = null;
  let optimizerSteps = 0;
  try {
    const fillStart = performance.now();
    tally = new StepTally(
      await fillZ(models.backbone, batch, plan.patchesPerIteration, true, draws.fillOrder, chunks[0]),
      plan.numPatches,
    );
    const fillSeconds = (performance.now() - fillStart) / 1000;
    for (const [it, chunk] of chunks.entries()) {
      const patches = await batch.tensor(chunk, chunks[it + 1]);
      let r: InnerResult;
      try {
        r = innerIteration(
          models,
          variables,
          tally.z,
          patches,
          chunk,
          oneHot,
          plan.accumulationSteps,
          draws.dropoutSeeds[it]!,
        );
      } finally {
        patches.dispose();
      }
      tally.absorb(r, chunk.length);
      sum = accumulate(sum, r.grads);
      if ((it + 1) % plan.accumulationSteps === 0) {
        optimizer.step(sum, lr);
        tf.dispose(sum);
        sum = null;
        optimizerSteps++;
      }
    }
    return {
      ...(await tally.summary(plan.innerIterations, labels.length)),
      optimizerSteps,
      patchWaitSeconds: batch.takeWaitMs() / 1000,
      fillSeconds,
    };
  } finally {
    tally?.dispose();
    tf.dispose([oneHot, ...(sum ?? [])]);
  }
}

/** What a PatchGD step carries across its inner iterations: the current Z and logits, the losses, the patches. */
export class StepTally {
  logits: tf.Tensor2D | null = null;
  private losses: tf.Scalar[] = [];
  private patchesEncoded: number;

  /** `z` is the filled Z, which encoded each of the `numPatches` patches once. */
  constructor(
    public z: tf.Tensor3D,
    numPatches: number,
  ) {
    this.patchesEncoded = numPatches;
  }

  /** Takes an inner iteration's Z and logits (freeing the previous ones) and counts its loss and patches. */
  absorb(r: { z: tf.Tensor3D; logits: tf.Tensor2D; loss: tf.Scalar }, chunkLength: number): void {
    this.z.dispose();
    this.z = r.z;
    this.logits?.dispose();
    this.logits = r.logits;
    this.losses.push(r.loss);
    this.patchesEncoded += chunkLength;
  }

  /** Mean loss over the iterations, the last logits' predictions, patches encoded for the batch's images. */
  async summary(
    iterations: number,
    batchSize: number,
  ): Promise<Omit<StepResult, 'optimizerSteps' | 'patchWaitSeconds' | 'fillSeconds'>> {
    // One read of all the losses: a GPU backend reads back asynchronously, and only once per step.
    const stacked = tf.stack(this.losses);
    const losses = Array.from(await stacked.data());
    stacked.dispose();
    return {
      loss: losses.reduce((a, b) => a + b, 0) / iterations,
      predictions: await argMaxRows(this.logits!),
      patchesEncoded: this.patchesEncoded * batchSize,
    };
  }

  dispose(): void {
    tf.dispose([this.z, ...(this.logits ? [this.logits] : []), ...this.losses]);
    this.losses = [];
  }
}

/** One-hot targets of a batch's labels, the cross-entropy input. */
export function oneHotLabels(labels: readonly number[], numClasses: number): tf.Tensor2D {
  return tf.tidy(() => tf.oneHot(tf.tensor1d(Int32Array.from(labels), 'int32'), numClasses) as tf.Tensor2D);
}

/** Row-wise argmax of logits as plain numbers. */
export async function argMaxRows(logits: tf.Tensor2D): Promise<number[]> {
  const classes = tf.argMax(logits, 1);
  const out = Array.from(await classes.data());
  classes.dispose();
  return out;
}
