/**
 * The main thread's side of the parallel engine: worker threads that each hold a replica of the backbone on their
 * own TensorFlow.js backend and embed a share of every chunk of patches, with batch norm synchronised among them.
 * The main thread keeps the master weights, the head, Z and the optimizer; it never blocks on a worker (all its
 * waits are promises), so a worker's failure or exit always reaches it and becomes an error, never a hang.
 */
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { abortPool, createSyncBuffers, PoolAborted, signalWorker, type SyncBuffers } from './all-reduce.ts';
import type { Command, Reply, WeightLayout, WeightSelection, WorkerTimings } from './protocol.ts';
import { createGradientSlots, sumSlots } from './gradient-slots.ts';
import { splitChunk, type Share } from './split.ts';
import { copyOut, tensorOf } from './tensor-copy.ts';

/** A worker failed (its error, or its exit), or the pool was closed while a call waited. */
export class PoolError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PoolError';
  }
}

/** A peer's "aborted" report waits this long for the failure that caused it, which names the real problem. */
const ROOT_CAUSE_GRACE_MS = 500;

/**
 * The worker's entry: next to this module when the engine runs from TypeScript; in the bundled app this code is
 * inside engine.mjs, and the bundle step writes the worker as engine-worker.mjs beside it.
 */
function workerEntry(): URL {
  return import.meta.url.endsWith('.ts')
    ? new URL('./worker-tsx.mjs', import.meta.url)
    : new URL('../../engine/parallel/engine-worker.mjs', import.meta.url);
}

/** Elements of a weight (weights have fully defined shapes). */
function sizeOf(shape: readonly (number | null)[]): number {
  return tf.util.sizeFromShape(shape as number[]);
}

function layoutOf(model: tfl.LayersModel): WeightLayout {
  const shapes = model.weights.map((w) => [...w.shape] as number[]);
  const offsets: number[] = [];
  let offset = 0;
  for (const shape of shapes) {
    offsets.push(offset);
    offset += tf.util.sizeFromShape(shape);
  }
  return { shapes, offsets, trainable: model.weights.map((w) => w.trainable) };
}

interface Waiter {
  type: Reply['type'];
  resolve: (reply: Reply) => void;
  reject: (error: Error) => void;
}

export class EnginePool {
  private failure: Error | null = null;
  private closed = false;
  private readonly waiters: Waiter[][];
  private readonly weightsView: Float32Array;

  private constructor(
    private readonly workers: Worker[],
    private readonly ports: MessagePort[],
    private readonly sync: SyncBuffers,
    private readonly layout: WeightLayout,
    weights: SharedArrayBuffer,
    private readonly gradientSlots: SharedArrayBuffer,
  ) {
    this.waiters = workers.map(() => []);
    this.weightsView = new Float32Array(weights);
    workers.forEach((worker, rank) => {
      worker.on('message', (reply: Reply) => this.onReply(rank, reply));
      worker.on('error', (err) =>
        this.fail(new PoolError(`engine worker ${rank} failed: ${err.message}`, { cause: err })),
      );
      worker.on('exit', (code) => {
        if (!this.closed) this.fail(new PoolError(`engine worker ${rank} exited (code ${code})`));
      });
    });
  }

  /** Starts `threads` workers on `backend` (the main thread's), each with a replica of `backbone`. */
  static async start(backbone: tfl.LayersModel, threads: number, backend: string): Promise<EnginePool> {
    if (!Number.isInteger(threads) || threads < 2)
      throw new RangeError(`a pool needs at least 2 threads, got ${threads}`);
    const layout = layoutOf(backbone);
    const total = layout.shapes.reduce((n, s) => n + tf.util.sizeFromShape(s), 0);
    const weights = new SharedArrayBuffer(4 * Math.max(1, total));
    const trainable = layout.shapes
      .filter((_, i) => layout.trainable[i])
      .reduce((n, s) => n + tf.util.sizeFromShape(s), 0);
    const gradients = createGradientSlots(threads, trainable);
    // A collective carries a count and two per-channel vectors; moving statistics are per channel.
    const widest = Math.max(1, ...backbone.nonTrainableWeights.map((w) => sizeOf(w.shape)));
    const sync = createSyncBuffers(threads, 2 * widest + 1);
    const workers = Array.from({ length: threads }, () => new Worker(workerEntry()));
    const channels = workers.map(() => new MessageChannel());
    const pool = new EnginePool(
      workers,
      channels.map((c) => c.port1),
      sync,
      layout,
      weights,
      gradients,
    );
    try {
      pool.writeWeights(backbone, 'all');
      const topology = backbone.toJSON(null, true) as string;
      await Promise.all(
        workers.map((worker, rank) => {
          const port = channels[rank]!.port2;
          const command: Command = {
            type: 'init',
            backend,
            topology,
            layout,
            weights,
            gradients,
            sync,
            rank,
            port,
          };
          const done = pool.expect(rank, 'ready');
          worker.postMessage(command, [port]);
          return done;
        }),
      );
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  get size(): number {
    return this.workers.length;
  }

  /**
   * Copies the backbone's weights (the selected ones) to every replica, through one shared buffer that each
   * worker reads when it reaches the command: push again only after every worker has answered a call posted
   * after this push (a training step does: its optimizer runs once the workers' gradients are in).
   */
  pushWeights(backbone: tfl.LayersModel, which: WeightSelection): void {
    this.writeWeights(backbone, which);
    this.broadcast({ type: 'weights', which });
  }

  /**
   * Embeddings [B, n, d] of the chunks' patches (n = their total length, in chunk order), each chunk split over
   * the workers; `patches[i]` are chunk i's pixels [B, P_i, m, m, 3] (handed over: the buffers move to the
   * workers). `training` runs batch norm on the chunk's statistics and updates the moving averages.
   */
  async fill(
    chunks: readonly number[][],
    patches: readonly Float32Array[],
    batchSize: number,
    training: boolean,
  ): Promise<tf.Tensor3D> {
    const split = chunks.map((chunk) => splitChunk(chunk, this.size));
    const pixels = split.map((shares, i) => sharePixels(shares, patches[i]!, batchSize));
    const replies = await Promise.all(
      this.workers.map((_, rank) => {
        const mine = split.flatMap((shares, i) =>
          shares.flatMap((s, j) => (s.rank === rank ? [{ share: s, data: pixels[i]![j]! }] : [])),
        );
        if (mine.length === 0) return null;
        const data = mine.map((x) => x.data);
        const command: Command = {
          type: 'fill',
          shares: mine.map((x) => x.share),
          patches: data,
          batchSize,
          training,
        };
        return this.call(
          rank,
          command,
          'embeddings',
          data.map((d) => d.buffer as ArrayBuffer),
        );
      }),
    );
    const parts = replies.map((r) => (r?.type === 'embeddings' ? r : null));
    return interleave(split, parts);
  }

  /**
   * First half of a parallel inner iteration: the workers embed their shares of `chunk` (pixels `patches`
   * [B, P, m, m, 3], handed over) with gradient and return the embeddings [B, P, d] (chunk order). They then
   * wait, inside their tapes, for `sendUpstream`.
   */
  async innerEmbeddings(
    chunk: readonly number[],
    patches: Float32Array,
    batchSize: number,
  ): Promise<{ shares: Share[]; embeddings: tf.Tensor3D }> {
    const shares = splitChunk(chunk, this.size);
    const pixels = sharePixels(shares, patches, batchSize);
    const replies = await Promise.all(
      shares.map((share, i) =>
        this.call(share.rank, { type: 'inner', share, patches: pixels[i]!, batchSize }, 'embeddings', [
          pixels[i]!.buffer as ArrayBuffer,
        ]),
      ),
    );
    const parts = replies.map((r) => (r.type === 'embeddings' ? r : null));
    return { shares, embeddings: interleave([shares], parts) };
  }

  /** Second half: dL/de [B, P, d] for the embeddings `innerEmbeddings` returned, split back to their workers. */
  sendUpstream(shares: readonly Share[], grad: tf.Tensor3D): void {
    this.check();
    const pieces = tf.split(
      grad,
      shares.map((s) => s.indices.length),
      1,
    );
    shares.forEach((share, i) => {
      const data = pieces[i]!.dataSync() as Float32Array;
      this.ports[share.rank]!.postMessage(data, [data.buffer as ArrayBuffer]);
      signalWorker(this.sync, share.rank);
    });
    tf.dispose(pieces);
  }

  /**
   * The backbone gradients the workers accumulated since the last call, summed over workers, one tensor per
   * trainable weight; and each worker's tensor-memory peak meanwhile.
   */
  async takeGradients(): Promise<{ gradients: tf.Tensor[]; peakBytes: number[] }> {
    const replies = await Promise.all(
      this.workers.map((_, rank) => this.call(rank, { type: 'gradients' }, 'gradients')),
    );
    const peakBytes = replies.map((r) => (r.type === 'gradients' ? r.peakBytes : 0));
    const written = replies.flatMap((r, rank) => (r.type === 'gradients' && r.written ? [rank] : []));
    const sum = sumSlots(this.gradientSlots, this.size, written);
    const gradients = this.layout.shapes
      .map((shape, i) => ({ shape, offset: this.layout.offsets[i]!, trainable: this.layout.trainable[i]! }))
      .filter((w) => w.trainable)
      .map(({ shape, offset }) => {
        const size = tf.util.sizeFromShape(shape);
        return sum ? tensorOf(sum.subarray(offset, offset + size), shape) : tf.zeros(shape);
      });
    return { gradients, peakBytes };
  }

  /**
   * Copies the moving statistics of worker 0 (which takes part in every call, so has seen every batch) into
   * `backbone`, and from there to the other replicas (a worker left out of a short chunk missed its update).
   */
  async syncStatistics(backbone: tfl.LayersModel): Promise<void> {
    const reply = await this.call(0, { type: 'statistics' }, 'statistics');
    if (reply.type !== 'statistics') return;
    let offset = 0;
    for (const w of backbone.nonTrainableWeights) {
      const size = sizeOf(w.shape);
      const value = tf.tensor(reply.data.subarray(offset, offset + size), w.shape as number[]);
      w.write(value);
      value.dispose();
      offset += size;
    }
    this.pushWeights(backbone, 'statistics');
  }

  /** Where each worker's time went since the last call (or its start): for profiling the pool's overheads. */
  async takeTimings(): Promise<WorkerTimings[]> {
    const replies = await Promise.all(
      this.workers.map((_, rank) => this.call(rank, { type: 'timings' }, 'timings')),
    );
    return replies.flatMap((r) =>
      r.type === 'timings' ? [{ busyMs: r.busyMs, barrierMs: r.barrierMs, upstreamMs: r.upstreamMs }] : [],
    );
  }

  /** Stops every worker (waking any that wait) and frees the shared buffers; calls still waiting fail. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    abortPool(this.sync);
    this.rejectAll(this.failure ?? new PoolError('the engine pool was closed'));
    this.ports.forEach((p) => p.close());
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private writeWeights(backbone: tfl.LayersModel, which: WeightSelection): void {
    backbone.weights.forEach((w, i) => {
      const trainable = this.layout.trainable[i]!;
      if ((which === 'trainable' && !trainable) || (which === 'statistics' && trainable)) return;
      copyOut(w.read(), this.weightsView, this.layout.offsets[i]!);
    });
  }

  private broadcast(command: Command): void {
    this.check();
    this.workers.forEach((w) => w.postMessage(command));
  }

  private call(
    rank: number,
    command: Command,
    type: Reply['type'],
    transfer: ArrayBuffer[] = [],
  ): Promise<Reply> {
    this.check();
    const reply = this.expect(rank, type);
    this.workers[rank]!.postMessage(command, transfer);
    return reply;
  }

  private expect(rank: number, type: Reply['type']): Promise<Reply> {
    return new Promise((resolve, reject) => this.waiters[rank]!.push({ type, resolve, reject }));
  }

  private check(): void {
    if (this.failure) throw this.failure;
    if (this.closed) throw new PoolError('the engine pool was closed');
  }

  private onReply(rank: number, reply: Reply): void {
    if (reply.type === 'error') {
      const error = new PoolError(`engine worker ${rank}: ${reply.message}`);
      if (reply.name === PoolAborted.name) setTimeout(() => this.fail(error), ROOT_CAUSE_GRACE_MS);
      else this.fail(error);
      return;
    }
    const waiter = this.waiters[rank]!.shift();
    if (!waiter) return this.fail(new PoolError(`engine worker ${rank} sent an unexpected ${reply.type}`));
    if (waiter.type !== reply.type)
      return this.fail(new PoolError(`engine worker ${rank} sent ${reply.type}, expected ${waiter.type}`));
    waiter.resolve(reply);
  }

  private fail(error: Error): void {
    if (this.failure || this.closed) return;
    this.failure = error;
    abortPool(this.sync);
    this.rejectAll(error);
  }

  private rejectAll(error: Error): void {
    for (const queue of this.waiters) for (const w of queue.splice(0)) w.reject(error);
  }
}

/** Each share's pixels [B, n_share, m, m, 3] cut from a chunk's [B, P, m, m, 3] (shares are contiguous runs). */
function sharePixels(shares: readonly Share[], patches: Float32Array, batchSize: number): Float32Array[] {
  const length = shares.reduce((n, s) => n + s.indices.length, 0);
  const per = patches.length / (batchSize * length);
  if (shares.length === 1) return [patches];
  let start = 0;
  return shares.map((share) => {
    const n = share.indices.length;
    const out = new Float32Array(batchSize * n * per);
    for (let b = 0; b < batchSize; b++)
      out.set(patches.subarray((b * length + start) * per, (b * length + start + n) * per), b * n * per);
    start += n;
    return out;
  });
}

/**
 * Reassembles [B, n, d] from per-worker embeddings: for each chunk, the workers' shares in rank order. `parts`
 * holds each worker's reply (its shares of all chunks, concatenated along the patch axis).
 */
function interleave(
  split: readonly Share[][],
  parts: readonly ({ data: Float32Array; shape: [number, number, number] } | null)[],
): tf.Tensor3D {
  const first = parts.find((p) => p !== null);
  if (!first) throw new PoolError('no worker returned embeddings');
  const [b, , d] = first.shape;
  const n = split.reduce((sum, shares) => sum + shares.reduce((s, share) => s + share.indices.length, 0), 0);
  const out = new Float32Array(b * n * d);
  const read = parts.map(() => 0);
  let written = 0;
  for (const shares of split) {
    for (const share of shares) {
      const part = parts[share.rank]!;
      const len = share.indices.length;
      for (let image = 0; image < b; image++) {
        const from = (image * part.shape[1] + read[share.rank]!) * d;
        out.set(part.data.subarray(from, from + len * d), (image * n + written) * d);
      }
      read[share.rank]! += len;
      written += len;
    }
  }
  return tf.tensor3d(out, [b, n, d]);
}
