/**
 * The patches of one batch of images, read from their patch sources chunk by chunk: the engine never holds the
 * images, only the chunk it embeds and the one being read next. A chunk is read while the previous one is
 * embedded (the reads are asynchronous: file reads and tile decoding run on libuv's and libvips' threads), and
 * the time the engine waits for patches is tallied.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Normalization, PatchSource } from '../../io/dataset/patch-source.ts';
import { foldProfile } from './profile-fold.ts';

export class PatchBatch {
  readonly patchSize: number;
  readonly numPatches: number;
  #waitMs = 0;
  #ahead: { chunk: readonly number[]; data: Promise<Float32Array> } | null = null;

  constructor(
    readonly sources: readonly PatchSource[],
    readonly norm: Normalization,
  ) {
    const [first] = sources;
    if (!first) throw new RangeError('a patch batch needs at least one image');
    if (sources.some((s) => s.imageSize !== first.imageSize || s.patchSize !== first.patchSize))
      throw new RangeError('the images of a batch must share their size and patch size');
    this.patchSize = first.patchSize;
    this.numPatches = (first.imageSize / first.patchSize) ** 2;
  }

  get size(): number {
    return this.sources.length;
  }

  /** Values of one chunk of `length` patches of every image ([B, P, m, m, 3]). */
  chunkValues(length: number): number {
    return this.sources.length * length * this.patchSize ** 2 * 3;
  }

  /**
   * Bytes this batch holds outside tensors: its sources' pixels and buffers, and `chunks` chunks of patches alive
   * at once (two on one thread: the one embedded and the one read ahead).
   */
  heldBytes(chunkSize: number, chunks = 2): number {
    return this.sources.reduce((n, s) => n + s.heldBytes, 0) + chunks * 4 * this.chunkValues(chunkSize);
  }

  /** Milliseconds spent awaiting patches since the last call; restarts the tally. */
  takeWaitMs(): number {
    const ms = this.#waitMs;
    this.#waitMs = 0;
    return ms;
  }

  /** Starts reading `chunk` so that the next `read` of it finds it ready (one chunk ahead at most). */
  prefetch(chunk: readonly number[]): void {
    if (this.#ahead && sameChunk(this.#ahead.chunk, chunk)) return;
    const data = this.#load(chunk);
    data.catch(() => undefined);
    this.#ahead = { chunk, data };
  }

  /** [B, P, m, m, 3] normalised float32 patches of `chunk` of every image, in the chunk's order. */
  async read(chunk: readonly number[]): Promise<Float32Array> {
    // Every chunk of a step passes here: a profile's kernel record is kept short (see profile-fold.ts).
    foldProfile();
    const ahead = this.#ahead && sameChunk(this.#ahead.chunk, chunk) ? this.#ahead.data : null;
    this.#ahead = null;
    const started = performance.now();
    try {
      return await (ahead ?? this.#load(chunk));
    } finally {
      this.#waitMs += performance.now() - started;
    }
  }

  /** `read` as a tensor; `next`, when given, is prefetched before waiting. */
  async tensor(chunk: readonly number[], next?: readonly number[]): Promise<tf.Tensor5D> {
    const data = this.read(chunk);
    if (next) this.prefetch(next);
    const m = this.patchSize;
    return tf.tensor5d(await data, [this.sources.length, chunk.length, m, m, 3]);
  }

  async #load(chunk: readonly number[]): Promise<Float32Array> {
    const per = chunk.length * this.patchSize ** 2 * 3;
    const out = new Float32Array(this.sources.length * per);
    await Promise.all(this.sources.map((s, b) => s.readPatches(chunk, this.norm, out, b * per)));
    return out;
  }

  /** Closes every source. */
  async close(): Promise<void> {
    this.#ahead = null;
    await Promise.all(this.sources.map((s) => s.close()));
  }
}

function sameChunk(a: readonly number[], b: readonly number[]): boolean {
  return a === b || (a.length === b.length && a.every((n, i) => n === b[i]));
}
