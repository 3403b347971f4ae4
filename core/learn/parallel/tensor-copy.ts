/**
 * Copies between tensors and the pool's shared Float32Arrays with as few copies and allocations as the backend
 * allows. Weights and gradients cross between threads at every optimizer step (ResNet50: 94 MB each way) while
 * every other thread waits, so an avoided copy — or an avoided fresh array, whose page faults cost about as much
 * as the copy — shortens the part of the step that does not run in parallel.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

function wasmBackend(): BackendWasm | null {
  return tf.getBackend() === 'wasm' ? (tf.backend() as BackendWasm) : null;
}

/** Writes a float32 tensor's values into `target` from `offset` on: straight from the wasm heap where it lives there. */
export function copyOut(tensor: tf.Tensor, target: Float32Array, offset: number): void {
  const wasm = wasmBackend();
  target.set((wasm ? wasm.typedArrayFromHeap(tensor) : tensor.dataSync()) as Float32Array, offset);
}

/**
 * A tensor holding the current values of `values` (a view of a buffer that is rewritten later): the wasm backend
 * copies them into its heap as it creates the tensor, other backends may keep the array, so they get a copy.
 */
export function tensorOf(values: Float32Array, shape: number[]): tf.Tensor {
  return tf.tensor(wasmBackend() ? values : values.slice(), shape);
}
