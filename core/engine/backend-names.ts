/** Backends in the order `auto` tries them; free of TensorFlow.js imports so the IPC contract can use it. */
export const BACKEND_NAMES = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
