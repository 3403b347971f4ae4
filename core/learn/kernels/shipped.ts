/**
 * Wrapping a kernel the wasm backend ships: ours handles the cases it is faster at and hands the rest to the
 * shipped kernel, captured here before `registerWasmKernels` replaces it.
 */
import '@tensorflow/tfjs-backend-wasm';
import { getKernel, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';

type KernelArgs = Parameters<KernelFunc>[0];

/** A wasm kernel config for `name` running `fast`, or the shipped kernel where `fast` returns null. */
export function overShipped(name: string, fast: (args: KernelArgs) => TensorInfo | null): KernelConfig {
  const shipped = getKernel(name, 'wasm');
  if (!shipped) throw new Error(`wasm kernels: the wasm backend ships no '${name}' kernel`);
  const kernelFunc: KernelFunc = (args) => fast(args) ?? shipped.kernelFunc(args);
  // Shipped kernels that call C++ bind it in their setup, which the engine runs only for registered kernels.
  return { kernelName: name, backendName: 'wasm', kernelFunc, setupFunc: shipped.setupFunc };
}
