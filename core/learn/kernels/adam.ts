/**
 * One Adam update of one variable as a single wasm kernel (a SIMD pass over the parameter, its gradient and both
 * moments), in place of the 13 elementwise kernels the op-by-op update dispatches per variable: ~2,000 dispatches
 * per step for MobileNetV2's or ResNet50's ~160 variables, whose cost alone is tens of milliseconds. Every operation rounds to float32 as those kernels do,
 * in the same order, so the results are the same. Registered for wasm only; `core/learn/patchgd/adam.ts` uses it where
 * the running backend has it.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { simdUnit } from './kernel-unit.ts';
import { unitKernels } from './simd.ts';
import { bump, op, signature, untilEnd, type Code } from './wasm-asm.ts';

const I = 'i32' as const;
const F = 'f32' as const;
const V = 'v128' as const;

/** Heap byte offsets of the current and next parameter and moments; float32 constants. */
export interface AdamArgs extends AdamUpdateAttrs {
  p: number;
  g: number;
  m: number;
  v: number;
  pOut: number;
  mOut: number;
  vOut: number;
  /** A multiple of 4. */
  size: number;
}

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
  const simd = unitKernels(adamUnit, backend);
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

/**
 * adam(p, g, m, v, pOut, mOut, vOut, end, beta1, oneMinusBeta1, beta2, oneMinusBeta2, correction2, epsilon,
 * stepSize), per element and in float32 at every operation, in the order of the op-by-op update it replaces:
 *   m' = m·β1 + g·(1 − β1)      v' = v·β2 + (g·g)·(1 − β2)
 *   p' = p − (m' / (√(v' / correction2) + ε)) · stepSize
 */
function adamFunction() {
  const {
    params,
    paramNames,
    locals,
    at: L,
  } = signature(
    {
      ...{ p: I, g: I, m: I, v: I, pOut: I, mOut: I, vOut: I, end: I },
      ...{ b1: F, ob1: F, b2: F, ob2: F, c2: F, eps: F, k: F },
    },
    { B1: V, OB1: V, B2: V, OB2: V, C2: V, EPS: V, K: V, M: V, VV: V },
  );
  const splat = (from: number, to: number): Code => [...op.get(from), ...op.f32x4Splat, ...op.set(to)];
  const load = (ptr: number): Code => [...op.get(ptr), ...op.v128Load()];
  const step: Code[] = [
    [...load(L.m), ...op.get(L.B1), ...op.f32x4Mul, ...load(L.g), ...op.get(L.OB1), ...op.f32x4Mul],
    [...op.f32x4Add, ...op.set(L.M)],
    [...load(L.v), ...op.get(L.B2), ...op.f32x4Mul, ...load(L.g), ...load(L.g), ...op.f32x4Mul],
    [...op.get(L.OB2), ...op.f32x4Mul, ...op.f32x4Add, ...op.set(L.VV)],
    [
      ...op.get(L.mOut),
      ...op.get(L.M),
      ...op.v128Store(),
      ...op.get(L.vOut),
      ...op.get(L.VV),
      ...op.v128Store(),
    ],
    [...op.get(L.pOut), ...load(L.p), ...op.get(L.M), ...op.get(L.VV), ...op.get(L.C2), ...op.f32x4Div],
    [...op.f32x4Sqrt, ...op.get(L.EPS), ...op.f32x4Add, ...op.f32x4Div, ...op.get(L.K), ...op.f32x4Mul],
    [...op.f32x4Sub, ...op.v128Store()],
    ...[L.p, L.g, L.m, L.v, L.mOut, L.vOut].map((ptr) => bump(ptr, 16)),
  ];
  return {
    name: 'adam',
    params,
    paramNames,
    locals,
    body: [
      ...[splat(L.b1, L.B1), splat(L.ob1, L.OB1), splat(L.b2, L.B2), splat(L.ob2, L.OB2)],
      ...[splat(L.c2, L.C2), splat(L.eps, L.EPS), splat(L.k, L.K)],
      untilEnd(L.pOut, L.end, 16, ...step),
    ],
  };
}

export const adamUnit = simdUnit({
  name: 'adam',
  functions: () => ({ adam: adamFunction() }),
  bind: (call) => ({
    // The constants are rounded to float32 on the call, from the same doubles the op-by-op update rounds.
    adam: (a: AdamArgs) => {
      if (a.size === 0) return;
      call.adam({
        ...{
          p: a.p,
          g: a.g,
          m: a.m,
          v: a.v,
          pOut: a.pOut,
          mOut: a.mOut,
          vOut: a.vOut,
          end: a.pOut + a.size * 4,
        },
        ...{ b1: a.beta1, ob1: 1 - a.beta1, b2: a.beta2, ob2: 1 - a.beta2 },
        ...{ c2: a.correction2, eps: a.epsilon, k: a.stepSize },
      });
    },
  }),
  kernelConfigs: [adamKernelConfig],
});
