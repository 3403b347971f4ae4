/**
 * One Adam update of one variable as a single wasm kernel (a SIMD pass over the parameter, its gradient and both
 * moments), in place of the 13 elementwise kernels the op-by-op update dispatches per variable: ~2,000 dispatches
 * per step for MobileNetV2's or ResNet50's ~160 variables, whose cost alone is tens of milliseconds. Every operation rounds to float32 as those kernels do,
 * in the same order, so the results are the same. Registered for wasm only; `core/learn/patchgd/adam.ts` uses it where
 * the running backend has it.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { simdKernels } from './simd.ts';

/** Inputs {param, grad, m, v}; attrs `AdamUpdateAttrs`; outputs [param, m, v] after the update. */
export const ADAM_UPDATE = 'PatchGDAdamUpdate';

export interface AdamUpdateAttrs {
  beta1: number;
  beta2: number;
  epsilon: number;
  /** 1 − β2^t */
  correction2: number;
  /** lr / (1 − β1^t) */
  stepSize: number;
}

const f = Math.fround;

type Four = [Float32Array, Float32Array, Float32Array, Float32Array];

/**
 * Elements from `from` on of [p, g, m, v] → [p', m', v'] in float32 arithmetic: each double result rounded to
 * float32, which for + − · / √ of floats is the correctly rounded float32 result. For the tail the SIMD loop leaves.
 */
function adamScalar(
  a: AdamUpdateAttrs,
  [p, g, m, v]: Four,
  [pOut, mOut, vOut]: Float32Array[],
  from: number,
) {
  const [b1, ob1, b2, ob2] = [f(a.beta1), f(1 - a.beta1), f(a.beta2), f(1 - a.beta2)];
  const [c2, eps, k] = [f(a.correction2), f(a.epsilon), f(a.stepSize)];
  for (let i = from; i < p.length; i++) {
    const gi = g[i]!;
    const mi = f(f(m[i]! * b1) + f(gi * ob1));
    const vi = f(f(v[i]! * b2) + f(f(gi * gi) * ob2));
    mOut![i] = mi;
    vOut![i] = vi;
    pOut![i] = f(p[i]! - f(f(mi / f(f(Math.sqrt(f(vi / c2))) + eps)) * k));
  }
}

const adamUpdate: KernelFunc = ({ inputs, backend: b, attrs }) => {
  const backend = b as BackendWasm;
  const { param, grad, m, v } = inputs as Record<'param' | 'grad' | 'm' | 'v', TensorInfo>;
  const a = attrs as unknown as AdamUpdateAttrs;
  if ([param, grad, m, v].some((t) => t.dtype !== 'float32' || !util.arraysEqual(t.shape, param.shape)))
    throw new Error(`${ADAM_UPDATE}: param, grad, m and v must be float32 of one shape`);
  const outs = [0, 1, 2].map(() => backend.makeOutput(param.shape, 'float32'));
  const [pOut, mOut, vOut] = outs as [TensorInfo, TensorInfo, TensorInfo];
  const size = backend.typedArrayFromHeap(param).length;
  const simd = simdKernels(backend);
  const vectorized = simd ? size - (size % 4) : 0;
  const offset = (t: TensorInfo) => backend.getMemoryOffset(t.dataId);
  simd?.adam({
    ...{ p: offset(param), g: offset(grad), m: offset(m), v: offset(v) },
    ...{ pOut: offset(pOut), mOut: offset(mOut), vOut: offset(vOut), size: vectorized },
    ...a,
  });
  const view = (t: TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array;
  adamScalar(a, [param, grad, m, v].map(view) as Four, outs.map(view), vectorized);
  return outs;
};

export const adamKernelConfig: KernelConfig = {
  kernelName: ADAM_UPDATE,
  backendName: 'wasm',
  kernelFunc: adamUpdate,
};
