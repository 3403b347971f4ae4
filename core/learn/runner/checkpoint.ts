import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import path from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { layersModelFiles, loadLayersModelDir, readJsonFile } from '../models/weights.ts';
import { UsageError } from '../../base/errors.ts';
import type { AdamState } from '../patchgd/adam.ts';
import { recoverDir, writeDirAtomic } from '../../base/atomic.ts';

const count = z.number().int().nonnegative();
const finite = z.number().finite();

/** Where training stands: enough to continue exactly where a checkpoint was written (`state.json`). */
const trainStateSchema = z
  .object({
    /** Epoch in progress (0-based) and the next batch of it to train. */
    epoch: count,
    batch: count,
    /** Image batches trained so far over the whole run (drives the learning-rate schedule). */
    globalBatch: count,
    prng: z.tuple([count, count, count, count]),
    /** Sample order of the epoch in progress. */
    order: z.array(count),
    /** Running sums of the epoch in progress. */
    partial: z.object({ lossSum: finite, correct: count, seen: count, patches: count, seconds: finite }),
    best: z.object({ metric: z.string(), value: finite, epoch: count }).nullable(),
    /** What the memory plan chose (patches per inner iteration, GD input side), so a resume reuses it. */
    patchesPerIteration: z.number().int().positive(),
    inputSize: z.number().int().positive(),
    /** Engine threads the run trains on: a resume keeps them (absent in checkpoints from before it was kept). */
    threads: z.number().int().positive().optional(),
    /** Step peak the plan measured, so a resumed run's plan reports it too. */
    planPeakBytes: count.optional(),
  })
  .strict();

export type TrainState = z.infer<typeof trainStateSchema>;

export interface Checkpoint {
  backbone: tfl.LayersModel;
  head: tfl.LayersModel;
  optimizer: AdamState;
  state: TrainState;
}

export type CheckpointName = 'last' | 'best';

function optimizerFiles(state: AdamState, files: Map<string, Uint8Array | string>): void {
  const sizes = state.m.map((m) => m.length);
  const total = sizes.reduce((a, b) => a + b, 0);
  const data = new Float32Array(2 * total);
  let offset = 0;
  for (const moments of [state.m, state.v]) {
    for (const m of moments) {
      data.set(m, offset);
      offset += m.length;
    }
  }
  files.set('optimizer.json', JSON.stringify({ iteration: state.iteration, sizes }));
  files.set('optimizer.bin', new Uint8Array(data.buffer));
}

/** The checksum file of a checkpoint: every other file's size and SHA-256, written in the same atomic save. */
export const CHECKSUMS_FILE = 'checksums.json';

const checksumsSchema = z.object({
  algorithm: z.literal('sha256'),
  files: z.record(z.string(), z.object({ bytes: count, sha256: z.string().regex(/^[0-9a-f]{64}$/) })),
});

const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex');

function checksumsFile(files: ReadonlyMap<string, Uint8Array | string>): string {
  const entries = [...files].map(([rel, data]) => [
    rel,
    { bytes: typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength, sha256: sha256(data) },
  ]);
  return JSON.stringify({ algorithm: 'sha256', files: Object.fromEntries(entries) });
}

/** Throws naming the model when any weight is NaN or infinite: such a model can only predict garbage. */
export function checkFiniteWeights(model: tfl.LayersModel, where: string): void {
  for (const w of model.weights) {
    const finiteAll = tf.tidy(() => tf.all(tf.isFinite(w.read())).dataSync()[0] === 1);
    if (!finiteAll) throw new UsageError(where, `weight ${w.name} holds NaN or infinite values`);
  }
}

/**
 * Writes `checkpoints/<name>/` atomically: models, optimizer state, training state, and their checksums. Weights
 * that are not finite are never saved: the previous checkpoint stays the last good one.
 */
export async function saveCheckpoint(
  runDir: string,
  name: CheckpointName,
  checkpoint: Checkpoint,
): Promise<void> {
  const dir = path.join(runDir, 'checkpoints', name);
  checkFiniteWeights(checkpoint.backbone, `${dir} (not saved)`);
  checkFiniteWeights(checkpoint.head, `${dir} (not saved)`);
  const files = new Map<string, Uint8Array | string>();
  await layersModelFiles(checkpoint.backbone, 'backbone', files);
  await layersModelFiles(checkpoint.head, 'head', files);
  optimizerFiles(checkpoint.optimizer, files);
  files.set('state.json', JSON.stringify(trainStateSchema.parse(checkpoint.state)));
  files.set(CHECKSUMS_FILE, checksumsFile(files));
  await writeDirAtomic(path.join(runDir, 'checkpoints'), name, files);
}

/**
 * Checks every file against the checkpoint's checksums. A checkpoint without them (written before they existed)
 * is still read; its state is validated and its weights checked for finiteness like any other.
 */
async function verifyChecksums(dir: string): Promise<void> {
  const file = path.join(dir, CHECKSUMS_FILE);
  const text = await fs.readFile(file, 'utf8').catch(() => null);
  if (text === null) return;
  let parsed;
  try {
    parsed = checksumsSchema.safeParse(JSON.parse(text));
  } catch {
    parsed = null;
  }
  if (!parsed?.success) throw new UsageError(file, 'is damaged (not a checksum list)');
  for (const [rel, expected] of Object.entries(parsed.data.files)) {
    const where = path.join(dir, rel);
    const data = await fs.readFile(where).catch(() => null);
    if (!data) throw new UsageError(where, 'is missing from the checkpoint');
    if (data.length !== expected.bytes || sha256(data) !== expected.sha256)
      throw new UsageError(where, 'does not match its checksum: the checkpoint is damaged');
  }
}

async function loadState(dir: string): Promise<TrainState> {
  const file = path.join(dir, 'state.json');
  const parsed = trainStateSchema.safeParse(await readJsonFile(file));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(state)'}: ${i.message}`);
    throw new UsageError(file, `is not a valid training state: ${problems.join('; ')}`);
  }
  return parsed.data;
}

async function loadOptimizer(dir: string): Promise<AdamState> {
  const meta = (await readJsonFile(path.join(dir, 'optimizer.json'))) as {
    iteration: number;
    sizes: number[];
  };
  const bytes = await fs.readFile(path.join(dir, 'optimizer.bin'));
  const total = meta.sizes.reduce((a, b) => a + b, 0);
  if (bytes.length !== 8 * total)
    throw new UsageError(
      path.join(dir, 'optimizer.bin'),
      `holds ${bytes.length} bytes, expected ${8 * total}`,
    );
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  const split = (start: number) => {
    let offset = start;
    return meta.sizes.map((n) => {
      const part = all.slice(offset, offset + n);
      offset += n;
      return part;
    });
  };
  return { iteration: meta.iteration, m: split(0), v: split(total) };
}

/** Path of a checkpoint folder, after repairing an interrupted save; null when there is none. */
export async function checkpointDir(runDir: string, name: CheckpointName): Promise<string | null> {
  const parent = path.join(runDir, 'checkpoints');
  return (await recoverDir(parent, name)) ? path.join(parent, name) : null;
}

/**
 * Reads `checkpoints/<name>/` of a run; null when the run has none. Refuses (UsageError naming the file) a
 * checkpoint whose files do not match their checksums, whose state is not a valid state, or whose weights are not
 * finite.
 */
export async function loadCheckpoint(runDir: string, name: CheckpointName): Promise<Checkpoint | null> {
  const dir = await checkpointDir(runDir, name);
  if (!dir) return null;
  await verifyChecksums(dir);
  const state = await loadState(dir);
  const optimizer = await loadOptimizer(dir);
  const backbone = await loadLayersModelDir(path.join(dir, 'backbone'));
  const head = await loadLayersModelDir(path.join(dir, 'head'));
  try {
    checkFiniteWeights(backbone, path.join(dir, 'backbone', 'weights.bin'));
    checkFiniteWeights(head, path.join(dir, 'head', 'weights.bin'));
  } catch (err) {
    backbone.dispose();
    head.dispose();
    throw err;
  }
  return { backbone, head, optimizer, state };
}

/**
 * The checkpoint a run resumes from: the newer (by batches trained) of `last` and `best` that loads. Both are
 * complete states; a kill between saving `best` and `last` leaves `best` the newer or the only one, and a damaged
 * `last` leaves `best`. Null when neither exists; the first load error when none loads.
 */
export async function loadResumable(
  runDir: string,
): Promise<{ name: CheckpointName; checkpoint: Checkpoint } | null> {
  const loaded: { name: CheckpointName; checkpoint: Checkpoint }[] = [];
  let failure: unknown = null;
  for (const name of ['last', 'best'] as const) {
    try {
      const checkpoint = await loadCheckpoint(runDir, name);
      if (checkpoint) loaded.push({ name, checkpoint });
    } catch (err) {
      failure ??= err;
    }
  }
  if (loaded.length === 0) {
    if (failure) throw failure;
    return null;
  }
  loaded.sort((a, b) => b.checkpoint.state.globalBatch - a.checkpoint.state.globalBatch);
  for (const other of loaded.slice(1)) {
    other.checkpoint.backbone.dispose();
    other.checkpoint.head.dispose();
  }
  return loaded[0]!;
}
