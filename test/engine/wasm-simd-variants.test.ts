/**
 * Both multiply-add variants of the SIMD convolution loops (relaxed SIMD's fused multiply-add, and a multiply then
 * an add) against plain loops, on a memory of their own: the engine runs the fused one (relaxed SIMD, turned on by
 * `enableRelaxedSimd` on Node 20, shipped on newer runtimes), so this file checks the other one too.
 */
import { describe, expect, it } from 'vitest';
import { bindSimdKernels } from '../../core/learn/kernels/registry.ts';
import { preferredMultiplyAdd, type MultiplyAdd } from '../../core/learn/kernels/simd.ts';
import { enableRelaxedSimd } from '../../core/learn/backend/relaxed-simd.ts';
import { relError, uniformValues } from '../helpers/tensors.ts';
import { wasmHeap } from '../helpers/wasm-heap.ts';

enableRelaxedSimd();

const heap = () => wasmHeap(4);

const [CIN, COUT] = [8, 16];
/** Segments of pixel rows: [first x pixel, first dy pixel, count], with x stepping 2 pixels (a stride). */
const SEGMENTS = [
  [0, 0, 5],
  [11, 5, 3],
] as const;
const X_PIXELS = 20;
const DY_PIXELS = 8;

function tapGemmReference(x: Float32Array, dy: Float32Array, which: 'filter' | 'input', w: Float32Array) {
  const out = new Float32Array(which === 'filter' ? CIN * COUT : X_PIXELS * CIN);
  for (const [xs, ds, count] of SEGMENTS)
    for (let k = 0; k < count; k++) {
      const [p, q] = [xs + 2 * k, ds + k];
      for (let ci = 0; ci < CIN; ci++)
        for (let co = 0; co < COUT; co++) {
          if (which === 'filter') out[ci * COUT + co]! += x[p * CIN + ci]! * dy[q * COUT + co]!;
          else out[p * CIN + ci]! += dy[q * COUT + co]! * w[ci * COUT + co]!;
        }
    }
  return out;
}

const variants = (['fused', 'separate'] as MultiplyAdd[]).map((v) => [v] as const);

describe('SIMD multiply-add variants', () => {
  it('binds both variants, and prefers the fused one', () => {
    const { memory } = heap();
    expect(bindSimdKernels(memory, 'fused')).not.toBeNull();
    expect(bindSimdKernels(memory, 'separate')).not.toBeNull();
    expect(preferredMultiplyAdd()).toBe('fused');
  });

  it.each(variants)('%s: the tap GEMMs of both convolution gradients match plain loops', (variant) => {
    const h = heap();
    const kernels = bindSimdKernels(h.memory, variant)!;
    expect(kernels).not.toBeNull();
    const x = uniformValues(X_PIXELS * CIN, 1);
    const dy = uniformValues(DY_PIXELS * COUT, 2);
    const w = uniformValues(CIN * COUT, 3);
    const [xAt, dyAt, wAt] = [h.alloc(x), h.alloc(dy), h.alloc(w)];
    const [dwAt, dxAt] = [h.alloc(new Float32Array(CIN * COUT)), h.alloc(new Float32Array(X_PIXELS * CIN))];
    const table = (base: number) =>
      h.alloc(
        Int32Array.from(SEGMENTS.flatMap(([xs, ds, n]) => [base + xs * CIN * 4, dyAt + ds * COUT * 4, n])),
      );
    const gemm = (filter: number, segs: number) => ({
      ...{ filter, cin: CIN, cout: COUT, segs, segsEnd: segs + 12 * SEGMENTS.length },
      ...{ xStep: 2 * CIN * 4, dyStep: COUT * 4 },
    });
    kernels.filterGradGemm(gemm(dwAt, table(xAt)));
    kernels.inputGradGemm(gemm(wAt, table(dxAt)));
    const filterGrad = h.read(dwAt, CIN * COUT);
    const inputGrad = h.read(dxAt, X_PIXELS * CIN);
    expect(relError(filterGrad, tapGemmReference(x, dy, 'filter', w))).toBeLessThan(1e-6);
    expect(relError(inputGrad, tapGemmReference(x, dy, 'input', w))).toBeLessThan(1e-6);
  });

  it.each(variants)('%s: both depthwise gradients match plain loops', (variant) => {
    const h = heap();
    const kernels = bindSimdKernels(h.memory, variant)!;
    expect(kernels).not.toBeNull();
    // One 5×4 image of 8 channels, a 3×3 filter at stride 1 with padding 1: output 5×4.
    const [n, hh, ww, c] = [1, 5, 4, 8];
    const x = uniformValues(hh * ww * c, 4);
    const dy = uniformValues(hh * ww * c, 5);
    const f = uniformValues(9 * c, 6);
    const [xAt, dyAt, fAt] = [h.alloc(x), h.alloc(dy), h.alloc(f)];
    const [dfAt, dxAt] = [h.alloc(new Float32Array(9 * c)), h.alloc(new Float32Array(x.length))];
    const geometry = {
      n,
      h: hh,
      w: ww,
      c,
      ho: hh,
      wo: ww,
      fh: 3,
      fw: 3,
      sh: 1,
      sw: 1,
      dh: 1,
      dw: 1,
      top: 1,
      left: 1,
    };
    kernels.depthwiseFilterGrad({ pixels: xAt, dy: dyAt, taps: dfAt, ...geometry });
    kernels.depthwiseInputGrad({ pixels: dxAt, dy: dyAt, taps: fAt, ...geometry });
    const [df, dx] = [new Float32Array(9 * c), new Float32Array(x.length)];
    for (let i = 0; i < hh; i++)
      for (let j = 0; j < ww; j++)
        for (let a = 0; a < 3; a++)
          for (let b = 0; b < 3; b++) {
            const [y, col] = [i + a - 1, j + b - 1];
            if (y < 0 || y >= hh || col < 0 || col >= ww) continue;
            for (let k = 0; k < c; k++) {
              const g = dy[(i * ww + j) * c + k]!;
              df[(a * 3 + b) * c + k]! += x[(y * ww + col) * c + k]! * g;
              dx[(y * ww + col) * c + k]! += f[(a * 3 + b) * c + k]! * g;
            }
          }
    expect(relError(h.read(dfAt, 9 * c), df)).toBeLessThan(1e-6);
    expect(relError(h.read(dxAt, x.length), dx)).toBeLessThan(1e-6);
  });
});
