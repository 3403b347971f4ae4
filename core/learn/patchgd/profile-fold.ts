/**
 * `tf.profile` records every kernel a profiled call runs and, at the end, takes the peak with
 * `Math.max(...kernels)`. A PatchGD step on a large image runs hundreds of thousands of kernels (a chunk's
 * forward and backward for each of ⌈k²/P⌉ chunks): the record grows with the image (memory the step was meant
 * not to hold) and the final spread overflows the stack from 16,384 px on. So the step folds the record into
 * running figures at every chunk and forgets it; whoever profiles takes those with the profile's own.
 */
import * as tf from '@tensorflow/tfjs-core';

/** What the folded kernels showed: the peak of live bytes and the largest tensor. */
export interface Folded {
  peakBytes: number;
  largestBytes: number;
}

let folded: Folded = { peakBytes: 0, largestBytes: 0 };

/** The largest tensor among kernels' input and output shapes (4 bytes per element). */
export function largestTensorBytes(
  kernels: readonly { inputShapes: number[][]; outputShapes: number[][] }[],
): number {
  let largest = 0;
  for (const k of kernels)
    for (const shape of [...k.inputShapes, ...k.outputShapes])
      if (shape) largest = Math.max(largest, 4 * shape.reduce((a, b) => a * b, 1));
  return largest;
}

/** Folds the kernels recorded so far by an active `tf.profile` into the running figures, and empties the record. */
export function foldProfile(): void {
  const state = tf.engine().state;
  if (!state.profiling) return;
  const kernels = state.activeProfile.kernels;
  for (const kernel of kernels) folded.peakBytes = Math.max(folded.peakBytes, kernel.totalBytesSnapshot);
  folded.largestBytes = Math.max(folded.largestBytes, largestTensorBytes(kernels));
  kernels.length = 0;
}

/** The figures folded since the last call (zeros when nothing was), and restarts them. */
export function takeFolded(): Folded {
  const out = folded;
  folded = { peakBytes: 0, largestBytes: 0 };
  return out;
}
