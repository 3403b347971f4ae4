/** One worker's share of a call: patch indices, and its place in the group of workers of that call. */
export interface Share {
  indices: number[];
  rank: number;
  /** Workers taking part in the call: ranks 0…group−1 (never one with nothing to do). */
  group: number;
}

/**
 * Splits `chunk` into contiguous, near-equal shares for at most `workers` workers, in order, so that the shares
 * concatenated are the chunk. A chunk shorter than the pool uses fewer workers: a worker without patches would
 * have no batch to normalise and must not join the batch-norm barriers.
 */
export function splitChunk(chunk: readonly number[], workers: number): Share[] {
  const group = Math.max(1, Math.min(workers, chunk.length));
  const shares: Share[] = [];
  let start = 0;
  for (let rank = 0; rank < group; rank++) {
    const end = start + Math.floor(chunk.length / group) + (rank < chunk.length % group ? 1 : 0);
    shares.push({ indices: chunk.slice(start, end), rank, group });
    start = end;
  }
  return shares;
}
