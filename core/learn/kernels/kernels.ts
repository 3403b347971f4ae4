/**
 * The kernel configs of one unit (see `registry.ts`): the convolution gradients the wasm backend of tfjs 4.22 lacks
 * (or ships only as a scalar loop), built from its own XNNPACK kernels through `wasmScope` or from the SIMD loops
 * of `tap-gemms.ts`, `winograd-transforms.ts` and `depthwise-grads.ts` (`conv-grads.ts`); an Identity (and
 * same-dtype Cast) that shares data instead of copying it.
 */
import {
  backend_util,
  Cast,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  DepthwiseConv2dNativeBackpropFilter,
  DepthwiseConv2dNativeBackpropInput,
  Identity,
  type DataType,
  type KernelBackend,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { conv2dFilterGrad, conv2dInputGrad, depthwiseFilterGrad, depthwiseInputGrad } from './conv-grads.ts';
import { configUnit } from './kernel-unit.ts';
import { overShipped } from './shipped.ts';
import { wasmScope, type WasmOps } from './wasm-ops.ts';

type Shape4 = [number, number, number, number];
type Pad = 'valid' | 'same' | number | backend_util.ExplicitPadding;

interface GradAttrs {
  strides: number | [number, number];
  dilations?: number | [number, number];
  pad: Pad;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** The forward convolution's geometry, computed exactly as the other backends do. */
function forwardInfo(xShape: Shape4, filterShape: Shape4, attrs: GradAttrs, depthwise: boolean) {
  if (attrs.dataFormat === 'NCHW') throw new Error('wasm convolution gradients support only NHWC data');
  return backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    depthwise,
  );
}

/** Kernels are called below the ops' own checks; a mismatched shape would make XNNPACK read past a buffer. */
function expectShape(what: string, actual: readonly number[], expected: readonly number[]): void {
  if (actual.length !== expected.length || actual.some((v, i) => v !== expected[i]))
    throw new Error(
      `wasm convolution gradient: ${what} has shape ${actual.join(',')}, expected ${expected.join(',')}`,
    );
}

type GradBody = (ops: WasmOps, a: TensorInfo, b: TensorInfo, info: backend_util.Conv2DInfo) => TensorInfo;

/** A filter-gradient kernel: inputs x and dy, attr filterShape. */
function filterGradKernel(depthwise: boolean, body: GradBody): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const a = attrs as unknown as GradAttrs & { filterShape: Shape4 };
    const info = forwardInfo(x.shape as Shape4, a.filterShape, a, depthwise);
    expectShape('dy', dy.shape, info.outShape);
    return wasmScope(backend as KernelBackend, (ops) => body(ops, x, dy, info));
  };
}

/** An input-gradient kernel: inputs dy and filter, attr inputShape. */
function inputGradKernel(depthwise: boolean, body: GradBody): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const a = attrs as unknown as GradAttrs & { inputShape: Shape4 };
    const info = forwardInfo(a.inputShape, filter.shape as Shape4, a, depthwise);
    expectShape('dy', dy.shape, info.outShape);
    expectShape('filter', filter.shape.slice(0, 3), [info.filterHeight, info.filterWidth, info.inChannels]);
    return wasmScope(backend as KernelBackend, (ops) => body(ops, dy, filter, info));
  };
}

/**
 * Identity sharing its input's data, as the cpu backend's does; the shipped one copies it. The engine runs Identity
 * to keep every tensor a gradient needs (`saveTensorsForBackwardMode`: ~1,600 calls per MobileNetV2 step), so the
 * copies cost time and, until the forward pass's intermediates are freed, twice the activation memory. Sharing is
 * safe because no wasm kernel writes into its inputs; the backend counts references per data id (as for Reshape).
 */
function sharedIdentity({ inputs, backend }: Parameters<KernelFunc>[0]): TensorInfo {
  const { x } = inputs as { x: TensorInfo };
  (backend as BackendWasm).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/**
 * Cast to the input's own dtype shares the data too, as on the cpu backend (tfjs's relu and clone gradients run
 * it on every activation). Cast to bool tests for non-zero, as on cpu: the shipped kernel converts with a typed
 * array copy, which wraps instead (−1.5 → 255, 2.7 → 2).
 */
const castKernel = overShipped(Cast, (args) => {
  const { x } = args.inputs as { x: TensorInfo };
  const { dtype } = args.attrs as unknown as { dtype: DataType };
  if (dtype === x.dtype) return sharedIdentity(args);
  if (dtype !== 'bool' || x.dtype === 'string') return null;
  const backend = args.backend as BackendWasm;
  const out = backend.makeOutput(x.shape, 'bool');
  const from = backend.typedArrayFromHeap(x);
  const to = backend.typedArrayFromHeap(out);
  for (let i = 0; i < from.length; i++) to[i] = from[i] !== 0 ? 1 : 0;
  return out;
});

const wasmKernel = (kernelName: string, kernelFunc: KernelFunc): KernelConfig => ({
  kernelName,
  backendName: 'wasm',
  kernelFunc,
});

/** The convolution gradients, Identity and Cast. */
export const convGradAndSharingUnit = configUnit({
  kernelConfigs: [
    wasmKernel(Conv2DBackpropFilter, filterGradKernel(false, conv2dFilterGrad)),
    wasmKernel(Conv2DBackpropInput, inputGradKernel(false, conv2dInputGrad)),
    wasmKernel(DepthwiseConv2dNativeBackpropFilter, filterGradKernel(true, depthwiseFilterGrad)),
    wasmKernel(DepthwiseConv2dNativeBackpropInput, inputGradKernel(true, depthwiseInputGrad)),
    wasmKernel(Identity, sharedIdentity),
    castKernel,
  ],
});
