/**
 * `tf.profile` records every kernel a profiled call runs and, at the end, takes the peak with
 * `Math.max(...kernels)`. A PatchGD step on a large image runs hundreds of thousands of kernels (a chunk's
 * forward and backward for each of ⌈k²/P⌉ chunks): the record grows with the image (memory the step was meant
 * not to hold) and the final spread overflows the stack from 16,384 px on. So the step folds the record into a
 * running peak at every chunk and forgets it; whoever profiles takes that peak with the profile's own.
 */
import * as tf from '@tensorflow/tfjs-core';

let folded = 0;

/** Folds the kernels recorded so far by an active `tf.profile` into the running peak, and empties the record. */
export function foldProfile(): void {
  const state = tf.engine().state;
  if (!state.profiling) return;
  const kernels = state.activeProfile.kernels;
  for (const kernel of kernels) folded = Math.max(folded, kernel.totalBytesSnapshot);
  kernels.length = 0;
}

/** The running peak folded since the last call (0 when nothing was), and restarts it. */
export function takeFoldedPeak(): number {
  const peak = folded;
  folded = 0;
  return peak;
}
