/**
 * The SIMD walks of the depthwise convolution's gradients (channel multiplier 1), which `conv-grads.ts` runs for
 * DepthwiseConv2dNativeBackpropFilter and DepthwiseConv2dNativeBackpropInput (registered in `kernels.ts`).
 */
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
import { multiplyAdd, op, signature, type Code } from './wasm-asm.ts';

const I = 'i32' as const;

/**
 * Heap byte offsets and sizes. `pixels` is x (filter gradient, read) or dx (input gradient, accumulated), `taps`
 * the filter gradient (accumulated) or the filter (read).
 */
export interface DepthwiseArgs extends WindowGeometry {
  pixels: number;
  dy: number;
  taps: number;
  dh: number;
  dw: number;
}

/**
 * Both depthwise gradients (channel multiplier 1) walk the same pairs, channels in vectors of 4. Per pair:
 *   depthwiseFilterGrad(pixels = x, dy, taps = dF, …):  dF[a, b, :] += x[input pixel, :] · dy[n, i, j, :]
 *   depthwiseInputGrad(pixels = dx, dy, taps = f, …):  dx[input pixel, :] += f[a, b, :] · dy[n, i, j, :]
 * Parameters (pixels, dy, taps, …WALK_GEOMETRY); the accumulated tensor must start zeroed. The filter gradient's
 * 9·C accumulators stay in cache; the input gradient's rows are revisited by neighbouring pixels while in cache.
 */
function depthwiseFunction(name: string, accumulate: 'taps' | 'pixels', fused: boolean) {
  const { params, paramNames, locals, at } = signature(
    { pixels: I, dy: I, taps: I, ...WALK_GEOMETRY },
    { ...WALK_LOCALS, pt: I, pp: I, pd: I, end: I },
  );
  const L = at;
  const [target, other] = accumulate === 'taps' ? [L.pt, L.pp] : [L.pp, L.pt];
  const perPair: Code = [
    ...pointers([
      [L.pt, L.taps, [...op.get(L.tap), ...op.get(L.cBytes), ...op.mul]],
      [L.pp, L.pixels, L.inPixel],
      [L.pd, L.dy, L.outPixel],
      [L.end, L.pd, L.cBytes],
    ]),
    ...overChannels(
      L.pd,
      L.end,
      [L.pt, L.pp],
      op.get(target),
      multiplyAdd(
        fused,
        [...op.get(other), ...op.v128Load()],
        [...op.get(L.pd), ...op.v128Load()],
        [...op.get(target), ...op.v128Load()],
      ),
      op.v128Store(),
    ),
  ];
  return { name, params, paramNames, locals, body: [pixelTapWalk(L, [], perPair)] };
}

const depthwiseFilterGradFunction = (fused: boolean) =>
  depthwiseFunction('depthwiseFilterGrad', 'taps', fused);
const depthwiseInputGradFunction = (fused: boolean) =>
  depthwiseFunction('depthwiseInputGrad', 'pixels', fused);

export const depthwiseGradUnit = simdUnit({
  name: 'depthwise-grads',
  functions: (fused) => ({
    filter: depthwiseFilterGradFunction(fused),
    input: depthwiseInputGradFunction(fused),
  }),
  bind: (call) => {
    const walk = (f: typeof call.filter) => (a: DepthwiseArgs) => {
      const geometry = walkGeometry(a);
      if (geometry) f({ pixels: a.pixels, dy: a.dy, taps: a.taps, ...geometry });
    };
    return { depthwiseFilterGrad: walk(call.filter), depthwiseInputGrad: walk(call.input) };
  },
});
