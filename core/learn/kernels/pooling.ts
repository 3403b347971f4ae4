/**
 * MaxPoolGrad for float32 NHWC as the SIMD walk below: each output pixel's gradient goes to the first
 * window position holding the pooled maximum. The shipped kernel is a scalar C++ loop: 249 ms for ResNet50's
 * 3×3 stride-2 pooling at batch 16. Other inputs (channels not a multiple of 4, no SIMD) go to the shipped kernel.
 */
import { backend_util, MaxPoolGrad, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { overShipped } from './shipped.ts';
import { simdUnit } from './kernel-unit.ts';
import {
  overChannels,
  pixelTapWalk,
  pointers,
  walkGeometry,
  WALK_GEOMETRY,
  WALK_LOCALS,
} from './pixel-walk.ts';
import type { WindowGeometry } from './pixel-walk.ts';
import { unitKernels } from './simd.ts';
import { op, signature, type Code } from './wasm-asm.ts';

const I = 'i32' as const;
const V = 'v128' as const;

/** Heap byte offsets of x, the pooled y, dy, the zeroed dx and a scratch row of c floats; the pooling geometry. */
export interface MaxPoolGradArgs extends WindowGeometry {
  x: number;
  y: number;
  dy: number;
  dx: number;
  scratch: number;
}

interface PoolAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

const maxPoolGradKernelConfig: KernelConfig = overShipped(MaxPoolGrad, ({ inputs, backend: b, attrs }) => {
  const { dy, input, output } = inputs as Record<'dy' | 'input' | 'output', TensorInfo>;
  const backend = b as BackendWasm;
  const simd = unitKernels(maxPoolGradUnit, backend);
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
});

/**
 * maxPoolGrad(x, pooled, dy, dx, seen, …WALK_GEOMETRY): dy of each output pixel and channel goes to the first tap
 * (in a, b order) whose input equals the pooled maximum, as the cpu backend's gradient picks the first maximum.
 * `seen` is a scratch row of per-channel masks (cleared per output pixel) marking channels already routed; dx
 * must start zeroed. Channels in vectors of 4.
 */
function maxPoolGradFunction() {
  const {
    params,
    paramNames,
    locals,
    at: L,
  } = signature(
    { x: I, pooled: I, dy: I, dx: I, seen: I, ...WALK_GEOMETRY },
    { ...WALK_LOCALS, px: I, pdx: I, py: I, pd: I, ps: I, end: I, match: V, was: V },
  );
  const clearSeen: Code = [
    ...pointers([
      [L.ps, L.seen, op.i32(0)],
      [L.end, L.seen, L.cBytes],
    ]),
    ...overChannels(L.ps, L.end, [], [...op.get(L.ps), ...op.i8x16Const(0), ...op.v128Store()]),
  ];
  const perPair: Code = [
    ...pointers([
      [L.px, L.x, L.inPixel],
      [L.pdx, L.dx, L.inPixel],
      [L.py, L.pooled, L.outPixel],
      [L.pd, L.dy, L.outPixel],
      [L.ps, L.seen, op.i32(0)],
      [L.end, L.seen, L.cBytes],
    ]),
    ...overChannels(
      L.ps,
      L.end,
      [L.px, L.pdx, L.py, L.pd],
      [...op.get(L.ps), ...op.v128Load(), ...op.set(L.was)],
      [...op.get(L.px), ...op.v128Load(), ...op.get(L.py), ...op.v128Load(), ...op.f32x4Eq],
      [...op.get(L.was), ...op.v128AndNot, ...op.set(L.match)],
      [...op.get(L.ps), ...op.get(L.was), ...op.get(L.match), ...op.v128Or, ...op.v128Store()],
      [...op.get(L.pdx), ...op.get(L.pdx), ...op.v128Load(), ...op.get(L.pd), ...op.v128Load()],
      [...op.get(L.match), ...op.v128And, ...op.f32x4Add, ...op.v128Store()],
    ),
  ];
  return { name: 'maxPoolGrad', params, paramNames, locals, body: [pixelTapWalk(L, clearSeen, perPair)] };
}

export const maxPoolGradUnit = simdUnit({
  name: 'max-pool-grad',
  functions: () => ({ maxPoolGrad: maxPoolGradFunction() }),
  bind: (call) => ({
    /** c a multiple of 4. */
    maxPoolGrad: (a: MaxPoolGradArgs) => {
      const geometry = walkGeometry({ ...a, dh: 1, dw: 1 });
      if (geometry)
        call.maxPoolGrad({ x: a.x, pooled: a.y, dy: a.dy, dx: a.dx, seen: a.scratch, ...geometry });
    },
  }),
  kernelConfigs: [maxPoolGradKernelConfig],
});
