/**
 * Registers the project's wasm kernels, once per process. tfjs 4.22's wasm backend has no Conv2DBackpropFilter,
 * DepthwiseConv2dNativeBackpropFilter or DepthwiseConv2dNativeBackpropInput, so conv nets cannot train on it as
 * shipped; several of its other kernels are scalar loops or copies, which ours replace (see kernels.ts). The Relu
 * and Minimum gradients that use our masked product, channelAffine's gradient and the relu6 activation
 * (`relu6.ts`) are registered with them (they fall back off wasm).
 */
import { getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import { registerActivationGradients } from './activation-grads.ts';
import { registerChannelAffineGradient } from './channel-ops.ts';
import { registerRelu6 } from './relu6.ts';
import { wasmKernelConfigs } from './kernels.ts';

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
  registerActivationGradients();
  registerChannelAffineGradient();
  registerRelu6();
  registered = true;
  return names;
}
