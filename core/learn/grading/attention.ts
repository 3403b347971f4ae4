/**
 * Patch attention on the latent grid Z [1, k, k, d] of one image: Grad-CAM and occlusion. Both run the head g
 * only, so neither needs the slide's pixels again.
 */
import * as tf from '@tensorflow/tfjs-core';
import { headLogits, type PatchgdModel } from '../runner/index.ts';

/**
 * What a map explains: one class's score, or 'cancer' — every class above 0 (ISUP ≥ 1) against class 0 (benign).
 * Grades are ordinal, so a single grade's score also holds what separates it from the neighbouring grades, which is
 * spread over the slide; the cancer score is what the tumour itself contributes.
 */
export type AttentionScore = number | 'cancer';

/** The differentiable score of `target` from logits [1, C]: a logit, or log-odds of any class above 0. */
function scoreOf(logits: tf.Tensor2D, target: AttentionScore): tf.Scalar {
  if (target !== 'cancer') return tf.sum(tf.slice(logits, [0, target], [1, 1]));
  const classes = logits.shape[1];
  const above = tf.logSumExp(tf.slice(logits, [0, 1], [1, classes - 1]));
  return tf.sub(above, tf.sum(tf.slice(logits, [0, 0], [1, 1])));
}

/** Probability of `target` per row of probabilities [n, C]: the class's, or 1 − p(class 0). */
function probabilityOf(probs: tf.Tensor2D, target: AttentionScore): tf.Tensor2D {
  const n = probs.shape[0];
  return target === 'cancer'
    ? tf.sub(1, tf.slice(probs, [0, 0], [n, 1]))
    : tf.slice(probs, [0, target], [n, 1]);
}

/** ReLU(Σ_c w_c·Z[…, c]) with w the spatial mean of ∂score/∂Z: one Grad-CAM map [1, k, k] of Z as given. */
function gradCamView(model: PatchgdModel, z: tf.Tensor4D, target: AttentionScore): tf.Tensor3D {
  return tf.tidy(() => {
    const score = (zz: tf.Tensor) => scoreOf(headLogits(model, zz as tf.Tensor4D), target);
    const weights = tf.mean(tf.grad(score)(z), [1, 2], true);
    return tf.relu(tf.sum<tf.Tensor3D>(tf.mul(z, weights), -1));
  });
}

/** The 8 symmetries of the square grid: bit 4 swaps rows and columns, bit 1 flips rows, bit 2 flips columns. */
const GRID_SYMMETRIES = [0, 1, 2, 3, 4, 5, 6, 7] as const;

/** Swaps the grid axes 1 and 2 of [1, k, k, …]. */
function swapGridAxes<T extends tf.Tensor>(x: T): T {
  return tf.transpose(x, [0, 2, 1, ...x.shape.slice(3).map((_, i) => i + 3)]);
}

/** Symmetry `s` applied to a [1, k, k, …] grid: the swap first, then the flips. */
function toView<T extends tf.Tensor>(x: T, s: number): T {
  let out = s & 4 ? swapGridAxes(x) : x;
  if (s & 1) out = tf.reverse(out, 1);
  if (s & 2) out = tf.reverse(out, 2);
  return out;
}

/** The inverse of `toView`: the flips first, then the swap. */
function fromView<T extends tf.Tensor>(x: T, s: number): T {
  let out = x;
  if (s & 2) out = tf.reverse(out, 2);
  if (s & 1) out = tf.reverse(out, 1);
  return s & 4 ? swapGridAxes(out) : out;
}

export type GradCamViews = 'symmetric' | 'single';

/**
 * Grad-CAM on Z: channel weights are the spatial mean of ∂score/∂Z, the map is ReLU(Σ_c w_c·Z[…, c]).
 * 'symmetric' (default) averages the maps of the 8 symmetric arrangements of the grid (each computed on the
 * transformed Z and transformed back): the head ends in a position-specific dense layer, so one arrangement's
 * channel weights also hold where on the grid the evidence happens to sit; averaging over the grid's symmetries
 * keeps what the patches' content contributes (in the spirit of augmented Grad-CAM, Morbidelli et al., ICASSP
 * 2020, with the grid's symmetries as the augmentation). The symmetric map is equivariant: transforming Z
 * transforms the map. Returns k² row-major scores (≥ 0).
 */
export async function gradCam(
  model: PatchgdModel,
  z: tf.Tensor4D,
  target: AttentionScore,
  views: GradCamViews = 'symmetric',
): Promise<Float32Array> {
  const cam = tf.tidy(() => {
    if (views === 'single') return gradCamView(model, z, target);
    const maps = GRID_SYMMETRIES.map((s) => fromView(gradCamView(model, toView(z, s), target), s));
    return tf.div(tf.addN(maps), maps.length);
  });
  const out = (await cam.data()) as Float32Array;
  cam.dispose();
  return Float32Array.from(out);
}

export interface OcclusionOptions {
  /** Occluded copies of Z pushed through the head at once (default: about 16 MB of them). */
  chunkSize?: number;
  signal?: AbortSignal;
  /** Called after each chunk with the cells done so far. */
  onChunk?: (done: number, total: number) => void;
}

/** Occluded Zs per head batch so that one batch holds about 2^22 floats. */
function defaultChunk(cells: number, depth: number): number {
  return Math.max(1, Math.min(cells, Math.floor(2 ** 22 / (cells * depth))));
}

/**
 * Occlusion on Z: each cell in turn is replaced by the mean embedding of all cells and the drop of the target's
 * probability is its score (negative drops, where hiding the cell helps the target, count as 0).
 * Returns k² row-major scores. Yields to the event loop between chunks so that `signal` can stop it.
 */
export async function occlusion(
  model: PatchgdModel,
  z: tf.Tensor4D,
  target: AttentionScore,
  options: OcclusionOptions = {},
): Promise<Float32Array> {
  const [, k, , d] = z.shape;
  const cells = k * k;
  const chunk = options.chunkSize ?? defaultChunk(cells, d);
  const baseProbs = tf.tidy(() => probabilityOf(tf.softmax(headLogits(model, z)), target));
  const base = (await baseProbs.data())[0]!;
  baseProbs.dispose();
  const flat = tf.reshape(z, [1, cells, d]);
  const mean = tf.mean(flat, 1, true);
  const scores = new Float32Array(cells);
  try {
    for (let start = 0; start < cells; start += chunk) {
      options.signal?.throwIfAborted();
      const n = Math.min(chunk, cells - start);
      const p = tf.tidy(() => {
        // Row b of the batch has cell start+b replaced by the mean: Z·(1 − onehot) + mean·onehot.
        const onehot = tf.reshape(tf.oneHot(tf.range(start, start + n, 1, 'int32'), cells), [n, cells, 1]);
        const occluded = tf.add(tf.mul(flat, tf.sub(1, onehot)), tf.mul(mean, onehot));
        const logits = headLogits(model, tf.reshape(occluded, [n, k, k, d]) as tf.Tensor4D);
        return probabilityOf(tf.softmax(logits), target);
      });
      const values = await p.data();
      p.dispose();
      for (let b = 0; b < n; b++) scores[start + b] = Math.max(0, base - values[b]!);
      options.onChunk?.(start + n, cells);
      await new Promise((resolve) => setImmediate(resolve));
    }
    return scores;
  } finally {
    tf.dispose([flat, mean]);
  }
}
