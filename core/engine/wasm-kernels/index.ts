/**
 * Registers the project's wasm kernels, once per process. tfjs 4.22's wasm backend has no Conv2DBackpropFilter,
 * DepthwiseConv2dNativeBackpropFilter or DepthwiseConv2dNativeBackpropInput, so conv nets cannot train on it as
 * shipped; its Conv2DBackpropInput is a scalar C++ loop and its Identity a copy, which ours replace.
 */
import { getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import { wasmKernelConfigs } from './kernels.ts';

let registered = false;

/** Registers the kernels (idempotent) and returns their names. */
export function registerWasmKernels(): string[] {
  const names = wasmKernelConfigs.map((k) => k.kernelName);
  if (registered) return names;
  for (const config of wasmKernelConfigs) {
    // Replacing a shipped kernel: unregister first, tfjs warns on a plain re-registration.
    if (getKernel(config.kernelName, 'wasm')) unregisterKernel(config.kernelName, 'wasm');
    registerKernel(config);
  }
  registered = true;
  return names;
}
