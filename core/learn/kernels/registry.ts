/**
 * Every kernel unit of the folder, in registration order: `registerWasmKernels` registers their tfjs kernel
 * configs and gradients, `wat-dump.ts` writes their modules, and tests bind them all. Adding a kernel adds its unit
 * here.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { maskedProductUnit } from './activation-grads.ts';
import { adamUnit } from './adam.ts';
import { channelAffineUnit } from './channel-ops.ts';
import { forwardConvKernelConfig } from './conv-forward.ts';
import { depthwiseGradUnit } from './depthwise-grads.ts';
import { elementwiseUnit } from './elementwise.ts';
import { configUnit, isSimdUnit, type AllKernelsOf } from './kernel-unit.ts';
import { convGradAndSharingUnit } from './kernels.ts';
import { maxPoolGradUnit } from './pooling.ts';
import { columnReductionUnit } from './reductions.ts';
import { relu6Unit } from './relu6.ts';
import { bindUnits, unitsKernels, type MultiplyAdd } from './simd.ts';
import { sliceKernelConfig } from './slice.ts';
import { tapGemmUnit } from './tap-gemms.ts';
import { winogradUnit } from './winograd-transforms.ts';

/** Registration order: the kernel names `registerWasmKernels` returns follow it. */
export const kernelUnits = [
  convGradAndSharingUnit,
  elementwiseUnit,
  columnReductionUnit,
  configUnit({ kernelConfigs: [sliceKernelConfig] }),
  maxPoolGradUnit,
  maskedProductUnit,
  adamUnit,
  channelAffineUnit,
  configUnit({ kernelConfigs: [forwardConvKernelConfig] }),
  relu6Unit,
  depthwiseGradUnit,
  tapGemmUnit,
  winogradUnit,
] as const;

/** The units with SIMD functions. */
export const simdUnits = kernelUnits.filter(isSimdUnit);

/** The methods of every unit's SIMD functions. */
export type SimdKernels = AllKernelsOf<typeof kernelUnits>;

/** Every kernel config this project registers for the wasm backend. */
export const wasmKernelConfigs: readonly KernelConfig[] = kernelUnits.flatMap(
  (unit) => unit.kernelConfigs ?? [],
);

interface Memory {
  buffer: ArrayBuffer | SharedArrayBuffer;
}

/** Every unit's methods in the `multiplyAdd` variant bound to `memory`, or null where one cannot run. */
export const bindSimdKernels = (memory: Memory, multiplyAdd: MultiplyAdd) =>
  bindUnits(simdUnits, memory, multiplyAdd) as SimdKernels | null;

/** Every unit's methods bound to `backend`'s memory (fused multiply-add where the runtime has it), or null. */
export const simdKernels = (backend: BackendWasm) => unitsKernels(simdUnits, backend) as SimdKernels | null;
