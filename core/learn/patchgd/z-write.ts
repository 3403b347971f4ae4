import * as tf from '@tensorflow/tfjs-core';

/**
 * Index map that replaces rows `chunk` of Z (N rows) by the rows of E appended after Z: row i reads Z[i] unless i
 * is the p-th chunk index, then it reads row N + p of concat(Z, E).
 */
function replacementMap(numPatches: number, chunk: readonly number[]): Int32Array {
  const map = new Int32Array(numPatches);
  for (let i = 0; i < numPatches; i++) map[i] = i;
  chunk.forEach((index, p) => {
    map[index] = numPatches + p;
  });
  return map;
}

/**
 * Z with the chunk's rows replaced by fresh embeddings E, differentiable in E only (Z is detached).
 * z: [B, N, d] (constant), e: [B, P, d], chunk: the P patch indices. tfjs' scatter has no gradient and a one-hot
 * matMul costs O(N·P·d); the gradient of this write is just the rows of dL/dZ at the chunk, so a custom gradient
 * gathers them, and the forward is one gather over concat(Z, E). Both are O(N·d) and exist on every backend.
 */
export function writeChunk(z: tf.Tensor3D, e: tf.Tensor3D, chunk: readonly number[]): tf.Tensor3D {
  const [, numPatches] = z.shape;
  const write = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const eIn = args[0] as tf.Tensor;
    const value = tf.tidy(() =>
      tf.gather(tf.concat([z, eIn], 1), tf.tensor1d(replacementMap(numPatches, chunk), 'int32'), 1),
    );
    return {
      value,
      gradFunc: (dy: tf.Tensor | tf.Tensor[]) =>
        tf.tidy(() => tf.gather(dy as tf.Tensor, tf.tensor1d(Int32Array.from(chunk), 'int32'), 1)),
    };
  });
  return write(e) as tf.Tensor3D;
}
