/**
 * Kernel fixes for tfjs-backend-webgpu 4.22, registered when webgpu starts. Its AddN binds every input as a
 * storage buffer in one shader, so more inputs than the device's maxStorageBuffersPerShaderStage − 1 (7 at
 * WebGPU's default limit) make an invalid pipeline: Dawn reports a validation error and the output is garbage
 * (Grad-CAM's mean over the grid's eight symmetries hit it). Ours sums groups that fit, then the partial sums.
 */
import {
  AddN,
  getKernel,
  registerKernel,
  unregisterKernel,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';

interface DeviceBackend {
  device: { limits: { maxStorageBuffersPerShaderStage: number } };
  disposeData(dataId: object): boolean;
}

function groupedAddN(shipped: KernelFunc): KernelFunc {
  const addN: KernelFunc = ({ inputs, backend, attrs }) => {
    const tensors = inputs as unknown as TensorInfo[];
    const b = backend as unknown as DeviceBackend;
    // One storage buffer is the output.
    const fit = Math.max(2, b.device.limits.maxStorageBuffersPerShaderStage - 1);
    if (tensors.length <= fit) return shipped({ inputs, backend, attrs });
    const partials: TensorInfo[] = [];
    for (let i = 0; i < tensors.length; i += fit)
      partials.push(shipped({ inputs: tensors.slice(i, i + fit) as never, backend, attrs }) as TensorInfo);
    const sum = addN({ inputs: partials as never, backend, attrs });
    for (const p of partials) b.disposeData(p.dataId);
    return sum;
  };
  return addN;
}

let registered = false;

/** Replaces the shipped webgpu kernels above (idempotent; the webgpu package must be loaded). */
export function registerWebgpuKernels(): void {
  if (registered) return;
  const shipped = getKernel(AddN, 'webgpu');
  if (!shipped) throw new Error('tfjs-backend-webgpu registers no AddN kernel to replace');
  const config: KernelConfig = {
    kernelName: AddN,
    backendName: 'webgpu',
    kernelFunc: groupedAddN(shipped.kernelFunc),
  };
  unregisterKernel(AddN, 'webgpu');
  registerKernel(config);
  registered = true;
}
