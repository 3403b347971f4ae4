/**
 * MaxPoolGrad for float32 NHWC as the SIMD walk of `simd-conv.ts`: each output pixel's gradient goes to the first
 * window position holding the pooled maximum. The shipped kernel is a scalar C++ loop: 249 ms for ResNet50's
 * 3×3 stride-2 pooling at batch 16. Other inputs (channels not a multiple of 4, no SIMD) go to the shipped kernel.
 */
import { backend_util, MaxPoolGrad, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { overShipped } from './shipped.ts';
import { simdKernels } from './simd.ts';

interface PoolAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

export const maxPoolGradKernelConfig: KernelConfig = overShipped(
  MaxPoolGrad,
  ({ inputs, backend: b, attrs }) => {
    const { dy, input, output } = inputs as Record<'dy' | 'input' | 'output', TensorInfo>;
    const backend = b as BackendWasm;
    const simd = simdKernels(backend);
    const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as PoolAttrs;
    const info = backend_util.computePool2DInfo(
      input.shape as [number, number, number, number],
      filterSize,
      strides,
      1,
      pad,
      dimRoundingMode,
    );
    if (!simd || input.dtype !== 'float32' || info.inChannels % 4 !== 0) return null;
    const dx = backend.makeOutput(input.shape, 'float32');
    const scratch = backend.makeOutput([info.inChannels], 'float32');
    backend.typedArrayFromHeap(dx).fill(0);
    const offset = (t: TensorInfo) => backend.getMemoryOffset(t.dataId);
    simd.maxPoolGrad({
      ...{ x: offset(input), y: offset(output), dy: offset(dy), dx: offset(dx), scratch: offset(scratch) },
      ...{ n: info.batchSize, h: info.inHeight, w: info.inWidth, c: info.inChannels },
      ...{ ho: info.outHeight, wo: info.outWidth, fh: info.filterHeight, fw: info.filterWidth },
      ...{ sh: info.strideHeight, sw: info.strideWidth, top: info.padInfo.top, left: info.padInfo.left },
    });
    backend.disposeData(scratch.dataId);
    return dx;
  },
);
