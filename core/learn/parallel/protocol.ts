/**
 * Messages between the engine pool (main thread) and its worker threads. Commands run in the order posted; those
 * that answer do so with one reply each, in the same order. Bulk data travels in SharedArrayBuffers written by
 * the main thread (weights, images) or by the workers (gradients), or as transferred Float32Arrays (embeddings).
 */
import type { MessagePort } from 'node:worker_threads';
import type { Share } from './split.ts';
import type { SyncBuffers } from './all-reduce.ts';

/** Where each weight of the backbone lies in a weights buffer, in `model.weights` order. */
export interface WeightLayout {
  shapes: number[][];
  /** Float offset of each weight. */
  offsets: number[];
  trainable: boolean[];
}

/** Which weights a `weights` command loads: after an optimizer step only the trainable ones change. */
export type WeightSelection = 'all' | 'trainable' | 'statistics';

export type Command =
  | {
      type: 'init';
      backend: string;
      /** The backbone's topology (`model.toJSON()` output). */
      topology: string;
      layout: WeightLayout;
      weights: SharedArrayBuffer;
      /** One slot per worker of every trainable weight's gradient, concatenated in order (see `gradients`). */
      gradients: SharedArrayBuffer;
      sync: SyncBuffers;
      rank: number;
      /** Receives the upstream gradients inside an inner iteration (blocking). */
      port: MessagePort;
    }
  | { type: 'weights'; which: WeightSelection }
  /**
   * Embeds this worker's share of each chunk, in order; `patches[i]` holds share i's pixels [B, n_i, m, m, 3]
   * (the main thread reads them from the patch sources; workers hold no image). Replies `embeddings` with them
   * concatenated.
   */
  | { type: 'fill'; shares: Share[]; patches: Float32Array[]; batchSize: number; training: boolean }
  /**
   * Embeds the share's pixels `patches` [B, n, m, m, 3] with gradient, replies `embeddings`, waits on its port
   * for dL/de of them and adds this share's backbone gradients to the worker's running sum.
   */
  | { type: 'inner'; share: Share; patches: Float32Array; batchSize: number }
  /**
   * Writes the running sum (then cleared) into the worker's slot of the gradients buffer and replies `gradients`
   * with whether it did (it has none when no inner iteration ran) and the tensor-memory peak since last asked.
   */
  | { type: 'gradients' }
  /** Replies `statistics` with the batch-norm moving statistics (the non-trainable weights). */
  | { type: 'statistics' }
  /** Replies `timings` with where the worker's time went since last asked. */
  | { type: 'timings' };

/** Where a worker's time went: running commands, and (within that) blocked on peers or on the main thread. */
export interface WorkerTimings {
  busyMs: number;
  /** At batch-norm barriers, waiting for the slowest peer. */
  barrierMs: number;
  /** Inside an inner iteration, waiting for the main thread's upstream gradients. */
  upstreamMs: number;
}

export type Reply =
  | { type: 'ready' }
  /** [B, n, d] for the n patch indices of the call, flattened. */
  | { type: 'embeddings'; data: Float32Array; shape: [number, number, number] }
  | { type: 'gradients'; written: boolean; peakBytes: number }
  | { type: 'statistics'; data: Float32Array }
  | ({ type: 'timings' } & WorkerTimings)
  /** `name` is the error's class name: PoolAborted when the worker only stopped because the pool was aborted. */
  | { type: 'error'; name: string; message: string; stack?: string };
