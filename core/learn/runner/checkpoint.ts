import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { layersModelFiles, loadLayersModelDir, readJsonFile } from '../models/weights.ts';
import { UsageError } from '../../base/errors.ts';
import type { AdamState } from '../patchgd/adam.ts';
import { recoverDir, writeDirAtomic } from '../../base/atomic.ts';
import type { PrngState } from '../../base/random.ts';

/** Where training stands: enough to continue exactly where a checkpoint was written. */
export interface TrainState {
  /** Epoch in progress (0-based) and the next batch of it to train. */
  epoch: number;
  batch: number;
  /** Image batches trained so far over the whole run (drives the learning-rate schedule). */
  globalBatch: number;
  prng: PrngState;
  /** Sample order of the epoch in progress. */
  order: number[];
  /** Running sums of the epoch in progress. */
  partial: { lossSum: number; correct: number; seen: number; patches: number; seconds: number };
  best: { metric: string; value: number; epoch: number } | null;
  /** What the memory plan chose (patches per inner iteration, GD input side), so a resume reuses it. */
  patchesPerIteration: number;
  inputSize: number;
}

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

/** Writes `checkpoints/<name>/` atomically: models, optimizer state, training state. */
export async function saveCheckpoint(
  runDir: string,
  name: CheckpointName,
  checkpoint: Checkpoint,
): Promise<void> {
  const files = new Map<string, Uint8Array | string>();
  await layersModelFiles(checkpoint.backbone, 'backbone', files);
  await layersModelFiles(checkpoint.head, 'head', files);
  optimizerFiles(checkpoint.optimizer, files);
  files.set('state.json', JSON.stringify(checkpoint.state));
  await writeDirAtomic(path.join(runDir, 'checkpoints'), name, files);
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

/** Reads `checkpoints/<name>/` of a run; null when the run has none. */
export async function loadCheckpoint(runDir: string, name: CheckpointName): Promise<Checkpoint | null> {
  const dir = await checkpointDir(runDir, name);
  if (!dir) return null;
  const backbone = await loadLayersModelDir(path.join(dir, 'backbone'));
  const head = await loadLayersModelDir(path.join(dir, 'head'));
  const optimizer = await loadOptimizer(dir);
  const state = (await readJsonFile(path.join(dir, 'state.json'))) as TrainState;
  return { backbone, head, optimizer, state };
}
