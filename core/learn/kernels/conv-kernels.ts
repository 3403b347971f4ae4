/** The SIMD units the convolutions run on (`conv-grads.ts`, `conv-forward.ts`): tap GEMMs, Winograd, depthwise. */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelBackend } from '@tensorflow/tfjs-core';
import { depthwiseGradUnit } from './depthwise-grads.ts';
import type { AllKernelsOf } from './kernel-unit.ts';
import { unitsKernels } from './simd.ts';
import { tapGemmUnit } from './tap-gemms.ts';
import { winogradUnit } from './winograd-transforms.ts';

const CONV_UNITS = [tapGemmUnit, winogradUnit, depthwiseGradUnit] as const;

export type ConvKernels = AllKernelsOf<typeof CONV_UNITS>;

/** The convolution loops on this backend's heap, or null where they cannot run. */
export const convKernels = (backend: KernelBackend): ConvKernels | null =>
  unitsKernels(CONV_UNITS, backend as BackendWasm);
