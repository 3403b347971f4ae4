/**
 * Sum and Mean of a float32 tensor over all axes but the last (per-channel statistics of NHWC activations, and
 * the gradients of per-channel broadcasts) as one SIMD pass down the columns. The shipped kernels transpose the
 * whole tensor to put the reduced axes last and then reduce: 3–6× slower (batch norm's moments alone run two Means
 * per layer). Other reductions go to the shipped kernels.
 */
import { Mean, Sum, util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { overShipped } from './shipped.ts';
import { simdKernels } from './simd.ts';

interface ReduceAttrs {
  axis: number | number[];
  keepDims: boolean;
}

function reduceLeadingAxes(args: Parameters<KernelFunc>[0], mean: boolean): TensorInfo | null {
  const { x } = args.inputs as { x: TensorInfo };
  const { axis, keepDims } = args.attrs as unknown as ReduceAttrs;
  const backend = args.backend as BackendWasm;
  const rank = x.shape.length;
  const channels = x.shape[rank - 1]!;
  const rows = util.sizeFromShape(x.shape) / channels;
  const axes = util.parseAxisParam(axis, x.shape);
  const leading = axes.length === rank - 1 && [...axes].sort((a, b) => a - b).every((a, i) => a === i);
  const simd = simdKernels(backend);
  if (!simd || x.dtype !== 'float32' || rank < 2 || !leading || channels % 4 !== 0 || !(rows > 0))
    return null;
  const out = backend.makeOutput(
    keepDims ? [...x.shape.slice(0, -1).map(() => 1), channels] : [channels],
    'float32',
  );
  const scratch = backend.makeOutput([channels], 'float32');
  backend.typedArrayFromHeap(out).fill(0);
  const offset = (t: TensorInfo) => backend.getMemoryOffset(t.dataId);
  simd.columnSum({ x: offset(x), rows, c: channels, scratch: offset(scratch), out: offset(out) });
  backend.disposeData(scratch.dataId);
  if (mean) {
    const sums = backend.typedArrayFromHeap(out);
    for (let i = 0; i < channels; i++) sums[i] = sums[i]! / rows;
  }
  return out;
}

/** Sum and Mean for wasm, over the leading axes; the shipped kernels otherwise. */
export const reductionKernelConfigs: readonly KernelConfig[] = [
  overShipped(Sum, (args) => reduceLeadingAxes(args, false)),
  overShipped(Mean, (args) => reduceLeadingAxes(args, true)),
];
