/**
 * The shared gradients buffer: one equal slot per worker, each holding that worker's backbone gradients (every
 * trainable weight's, concatenated in order). Workers write their slots straight from their heaps; the main thread
 * sums them where they lie, with no message copies and no fresh arrays.
 */

/** A buffer for `workers` slots of `length` floats. */
export function createGradientSlots(workers: number, length: number): SharedArrayBuffer {
  return new SharedArrayBuffer(4 * workers * Math.max(1, length));
}

/** Worker `rank`'s slot. */
export function gradientSlot(buffer: SharedArrayBuffer, workers: number, rank: number): Float32Array {
  const length = buffer.byteLength / 4 / workers;
  return new Float32Array(buffer, 4 * rank * length, length);
}

/**
 * The sum of the slots of `ranks` (in rank order, so the rounding is the same on every run), accumulated in place
 * in the first one's slot, which it returns; null when `ranks` is empty.
 */
export function sumSlots(
  buffer: SharedArrayBuffer,
  workers: number,
  ranks: readonly number[],
): Float32Array | null {
  const [first, ...rest] = ranks;
  if (first === undefined) return null;
  const sum = gradientSlot(buffer, workers, first);
  for (const rank of rest) {
    const slot = gradientSlot(buffer, workers, rank);
    for (let i = 0; i < sum.length; i++) sum[i]! += slot[i]!;
  }
  return sum;
}
