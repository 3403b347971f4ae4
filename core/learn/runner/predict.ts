import * as tf from '@tensorflow/tfjs-core';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../../base/errors.ts';
import { parseTrainConfig, type TrainConfig } from '../../shared/train-config.ts';
import { loadCheckpoint, type CheckpointName } from './checkpoint.ts';
import { downscale, gdLogits } from '../patchgd/gd.ts';
import { checkLabel, loadNormalized, openPatchBatch, toBatchTensor, type Sample } from '../patchgd/image.ts';
import type { PatchBatch } from '../patchgd/patch-batch.ts';
import { disposeModels, type RunModels } from '../patchgd/models.ts';
import { fillZ, headOnZ } from '../patchgd/step.ts';
import { parallelFillZ, parallelLogits } from '../parallel/step-parallel.ts';
import { EnginePool } from '../parallel/pool.ts';
import { chooseThreads } from '../parallel/threads.ts';

/** A trained model ready for inference. */
export interface PatchgdModel {
  config: TrainConfig;
  models: RunModels;
  /** Patches embedded at once when filling Z (what the memory plan allowed in training). */
  chunkSize: number;
  /** Engine threads that fill Z in `predict` (absent or null: the calling thread does). */
  pool?: EnginePool | null;
}

export interface LoadOptions {
  /**
   * Engine threads for `predict`'s Z fill (default 1; 'auto': one per available core on the wasm and cpu
   * backends, which gain from more).
   */
  threads?: number | 'auto';
}

export interface Prediction {
  id: string;
  /** Softmax over the classes. */
  probabilities: number[];
  predicted: number;
}

/** Reads a run's configuration (`config.json`). */
export async function readRunConfig(runDir: string): Promise<TrainConfig> {
  const file = path.join(runDir, 'config.json');
  let raw: string;
  try {
    raw = await fs.readFile(file, 'utf8');
  } catch {
    throw new UsageError(file, 'no training configuration here (is this a run folder?)');
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw new UsageError(file, `not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  return parseTrainConfig(json, file);
}

/**
 * Loads a run's `best` checkpoint (or `last` when no best exists, or the one named) for inference, with a pool
 * of engine threads when `options.threads` asks for more than one (PatchGD only).
 */
export async function loadModel(
  runDir: string,
  which?: CheckpointName,
  options: LoadOptions = {},
): Promise<PatchgdModel> {
  const config = await readRunConfig(runDir);
  const names: CheckpointName[] = which ? [which] : ['best', 'last'];
  for (const name of names) {
    const ckpt = await loadCheckpoint(runDir, name);
    if (!ckpt) continue;
    const models: RunModels = {
      method: config.method,
      backbone: ckpt.backbone,
      head: ckpt.head,
      inputSize: ckpt.state.inputSize,
    };
    const backend = tf.getBackend();
    const threads =
      config.method === 'patchgd'
        ? chooseThreads(options.threads === 'auto' ? undefined : (options.threads ?? 1), backend).threads
        : 1;
    try {
      const pool = threads > 1 ? await EnginePool.start(models.backbone, threads, backend) : null;
      return { config, models, chunkSize: ckpt.state.patchesPerIteration, pool };
    } catch (err) {
      disposeModels(models);
      throw err;
    }
  }
  throw new UsageError(path.join(runDir, 'checkpoints'), `no ${names.join(' or ')} checkpoint`);
}

/** Frees a loaded model's weights and stops its engine threads. */
export function disposeModel(model: PatchgdModel): void {
  disposeModels(model.models);
  // Termination needs no waiting for: the threads stop on their own time and hold nothing of ours.
  void model.pool?.close();
}

/**
 * Z of a batch of images read from their patch sources: [B, k, k, d], batch norm in inference mode; the model's
 * pool fills it when it has one.
 */
export async function embed(model: PatchgdModel, batch: PatchBatch): Promise<tf.Tensor4D> {
  const { models, chunkSize, pool } = model;
  if (models.method !== 'patchgd') throw new UsageError(null, 'embed needs a PatchGD model (this run is GD)');
  const k = Math.round(Math.sqrt(batch.numPatches));
  const z = pool
    ? await parallelFillZ(pool, batch, chunkSize, false)
    : await fillZ(models.backbone, batch, chunkSize, false);
  const grid = tf.reshape(z, [batch.size, k, k, z.shape[2]]) as tf.Tensor4D;
  z.dispose();
  return grid;
}

/** Class logits of the head g on a latent grid Z [B, k, k, d] (differentiable in Z, for Grad-CAM). */
export function headLogits(model: PatchgdModel, z: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => {
    const [b, k, , d] = z.shape;
    return headOnZ(model.models.head, tf.reshape(z, [b, k * k, d]), false);
  });
}

/** Logits of a batch of normalised full-size images (consumed) by the GD baseline, in inference mode. */
export function gdLogitsOf(models: RunModels, images: tf.Tensor4D): tf.Tensor2D {
  const small = downscale(images, models.inputSize);
  const logits = gdLogits(models, small, false);
  small.dispose();
  return logits;
}

/** Logits of one sample by either method, in inference mode: PatchGD reads its patches from the sample's source. */
async function sampleLogits(
  models: RunModels,
  config: TrainConfig,
  chunkSize: number,
  sample: Sample,
  pool: EnginePool | null,
): Promise<tf.Tensor2D> {
  if (models.method === 'gd') {
    const image = await loadNormalized(sample, config.imageSize, config.normalization);
    return gdLogitsOf(models, toBatchTensor([image], config.imageSize));
  }
  const batch = await openPatchBatch([sample], config.imageSize, models.inputSize, config.normalization);
  try {
    if (pool) return await parallelLogits(pool, models, batch, chunkSize);
    const z = await fillZ(models.backbone, batch, chunkSize, false);
    const logits = headOnZ(models.head, z, false);
    z.dispose();
    return logits;
  } finally {
    await batch.close();
  }
}

export interface Evaluation {
  predictions: Prediction[];
  labels: number[];
  loss: number;
  accuracy: number;
}

/** Probabilities for each sample, one image at a time (memory stays that of one image). */
export async function predict(model: PatchgdModel, samples: readonly Sample[]): Promise<Prediction[]> {
  return (
    await evaluateModels(model.models, model.config, model.chunkSize, samples, false, model.pool ?? null)
  ).predictions;
}

/** Predictions plus mean cross-entropy and accuracy against the samples' labels; `pool` fills Z if given. */
export async function evaluateModels(
  models: RunModels,
  config: TrainConfig,
  chunkSize: number,
  samples: readonly Sample[],
  withLabels = true,
  pool: EnginePool | null = null,
): Promise<Evaluation> {
  const predictions: Prediction[] = [];
  const labels: number[] = [];
  let lossSum = 0;
  let correct = 0;
  for (const sample of samples) {
    const logits = await sampleLogits(models, config, chunkSize, sample, pool);
    const probs = tf.tidy(() => tf.softmax(logits));
    const probabilities = Array.from(await probs.data());
    tf.dispose([logits, probs]);
    const predicted = probabilities.indexOf(Math.max(...probabilities));
    predictions.push({ id: sample.id, probabilities, predicted });
    if (withLabels) {
      const label = checkLabel(sample, config.numClasses);
      labels.push(label);
      lossSum -= Math.log(Math.max(probabilities[label]!, 1e-12));
      if (predicted === label) correct++;
    }
  }
  const n = Math.max(1, labels.length);
  return { predictions, labels, loss: lossSum / n, accuracy: correct / n };
}
