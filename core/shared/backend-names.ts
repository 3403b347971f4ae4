/** Backends in the order `auto` tries them; free of TensorFlow.js imports so the IPC contract can use it. */
export const BACKEND_NAMES = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/** How the wasm kernels' convolution loops multiply and add: relaxed SIMD's fused multiply-add, or mul then add. */
export const MULTIPLY_ADD_VARIANTS = ['fused', 'separate'] as const;
export type MultiplyAdd = (typeof MULTIPLY_ADD_VARIANTS)[number];

/** How the process came to run relaxed SIMD (`core/learn/backend/relaxed-simd.ts`), or that it does not. */
export const RELAXED_SIMD_STATES = ['shipped', 'enabled by flag', 'unavailable'] as const;
export type RelaxedSimd = (typeof RELAXED_SIMD_STATES)[number];
