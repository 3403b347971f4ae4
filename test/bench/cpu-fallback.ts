/**
 * The wasm backend as tfjs 4.22 ships it, with its missing convolution-gradient kernels patched by round trips
 * through the cpu backend: the baseline the engine-speed issue measures the project's kernels against. Only for
 * benchmarks; the engine never runs this way.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {
  Conv2DBackpropFilter,
  DepthwiseConv2dNativeBackpropFilter,
  DepthwiseConv2dNativeBackpropInput,
  type KernelBackend,
  type KernelConfig,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { shippedBatchNormGradient } from '../../core/learn/kernels/batch-norm-grad.ts';
import { wasmKernelConfigs } from '../../core/learn/kernels/registry.ts';

/** The gradient kernels tfjs 4.22's wasm backend does not have. */
const MISSING_ON_WASM = new Set<string>([
  Conv2DBackpropFilter,
  DepthwiseConv2dNativeBackpropFilter,
  DepthwiseConv2dNativeBackpropInput,
]);

interface WasmBackend extends KernelBackend {
  makeOutput(
    shape: number[],
    dtype: tf.DataType,
    offset?: number,
    values?: tf.backend_util.BackendValues,
  ): TensorInfo;
}

/** A wasm kernel that copies its inputs to the cpu backend, runs the cpu kernel there and copies the result back. */
function viaCpu(kernelName: string): KernelConfig {
  const cpuKernel = tf.getKernel(kernelName, 'cpu');
  if (!cpuKernel) throw new Error(`the cpu backend has no ${kernelName} kernel`);
  return {
    kernelName,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const wasm = backend as WasmBackend;
      const cpu = tf.findBackend('cpu') as KernelBackend;
      const moved: Record<string, TensorInfo> = {};
      for (const [name, t] of Object.entries(inputs) as [string, TensorInfo][])
        moved[name] = { ...t, dataId: cpu.write(wasm.readSync(t.dataId), t.shape, t.dtype) };
      const out = cpuKernel.kernelFunc({ inputs: moved, backend: cpu, attrs }) as TensorInfo;
      const result = wasm.makeOutput(out.shape, out.dtype, undefined, cpu.readSync(out.dataId));
      for (const t of [...Object.values(moved), out]) cpu.disposeData(t.dataId);
      return result;
    },
  };
}

/**
 * Replaces the project's wasm kernels and batch-norm gradient by what tfjs ships: its own kernel where wasm has
 * one (`shipped`, captured before the project replaced it), a cpu round trip for the three it lacks, and nothing
 * for the project's own kernels (fused Adam, masked product), so the engine takes tfjs-core's op chains there. Call
 * after `selectBackend` chose wasm. Returns the kernels that now run on the cpu.
 */
export function useShippedKernelsWithCpuFallback(shipped: ReadonlyMap<string, KernelConfig>): string[] {
  const fallbacks: string[] = [];
  for (const { kernelName } of wasmKernelConfigs) {
    tf.unregisterKernel(kernelName, 'wasm');
    const own = shipped.get(kernelName);
    if (own) tf.registerKernel(own);
    else if (MISSING_ON_WASM.has(kernelName)) {
      tf.registerKernel(viaCpu(kernelName));
      fallbacks.push(kernelName);
    }
  }
  const stockBn = shippedBatchNormGradient();
  if (!stockBn) throw new Error('no stock FusedBatchNorm gradient recorded: select the backend first');
  tf.registerGradient(stockBn);
  return fallbacks;
}

/** The wasm kernels the project replaces, as the wasm package registered them (import it before this runs). */
export function captureShippedKernels(): Map<string, KernelConfig> {
  const shipped = new Map<string, KernelConfig>();
  for (const { kernelName } of wasmKernelConfigs) {
    const own = tf.getKernel(kernelName, 'wasm');
    if (own) shipped.set(kernelName, own);
  }
  return shipped;
}
