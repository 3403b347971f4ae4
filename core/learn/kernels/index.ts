/**
 * Registers the project's wasm kernels, once per process. tfjs 4.22's wasm backend has no Conv2DBackpropFilter,
 * DepthwiseConv2dNativeBackpropFilter or DepthwiseConv2dNativeBackpropInput, so conv nets cannot train on it as
 * shipped; several of its other kernels are scalar loops or copies, which ours replace. Every unit of
 * `registry.ts` contributes its kernel configs and gradients (those of the Relu and Minimum gradients, channelAffine
 * and relu6 fall back off wasm).
 */
import { getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import { kernelUnits, wasmKernelConfigs } from './registry.ts';
import { dumpWatFromEnv } from './wat-dump.ts';

let registered = false;

/** Registers the kernels and gradients (idempotent) and returns the kernels' names. */
export function registerWasmKernels(): string[] {
  const names = wasmKernelConfigs.map((k) => k.kernelName);
  if (registered) return names;
  for (const config of wasmKernelConfigs) {
    // Replacing a shipped kernel: unregister first, tfjs warns on a plain re-registration.
    if (getKernel(config.kernelName, 'wasm')) unregisterKernel(config.kernelName, 'wasm');
    registerKernel(config);
  }
  for (const unit of kernelUnits) unit.register?.();
  dumpWatFromEnv();
  registered = true;
  return names;
}
