/**
 * A WebAssembly memory of its own for binding the SIMD kernels in tests, with a bump allocator of float32 / int32
 * arrays at 16-byte-aligned byte offsets.
 */

/** The part of the WebAssembly JS API used here (the project's TypeScript libs declare none of it). */
const { Memory } = (
  globalThis as unknown as {
    WebAssembly: { Memory: new (size: { initial: number }) => { buffer: ArrayBuffer } };
  }
).WebAssembly;

/** A fresh memory of `pages` 64 KiB pages. */
export function wasmHeap(pages: number) {
  const memory = new Memory({ initial: pages });
  let next = 16;
  const alloc = (values: Float32Array | Int32Array) => {
    const at = next;
    next += Math.ceil(values.byteLength / 16) * 16;
    new Uint8Array(memory.buffer, at, values.byteLength).set(new Uint8Array(values.buffer));
    return at;
  };
  const read = (at: number, n: number) => new Float32Array(memory.buffer, at, n).slice();
  return { memory, alloc, read };
}
