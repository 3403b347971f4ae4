/**
 * The walk over output pixels and filter taps that the depthwise gradients (`depthwise-grads.ts`) and MaxPoolGrad
 * (`pooling.ts`) generate, with its geometry parameters and the binding that fills them.
 */
import { bump, countUp, op, type Code } from './wasm-asm.ts';

const I = 'i32' as const;

/** A sliding window over NHWC pixels: input and output sizes, window, strides and leading pads. */
export interface WindowGeometry {
  n: number;
  h: number;
  w: number;
  c: number;
  ho: number;
  wo: number;
  fh: number;
  fw: number;
  sh: number;
  sw: number;
  top: number;
  left: number;
}

/** The geometry every pixel-tap walk takes after its own pointer parameters (cBytes: channels in bytes). */
export const WALK_GEOMETRY = {
  ...{ n: I, h: I, w: I, cBytes: I, ho: I, wo: I },
  ...{ fh: I, fw: I, sh: I, sw: I, dh: I, dw: I, top: I, left: I },
};
export const WALK_LOCALS = { ni: I, i: I, j: I, a: I, b: I, y: I, col: I, outPixel: I, inPixel: I, tap: I };
export type WalkLocals = Record<keyof typeof WALK_GEOMETRY | keyof typeof WALK_LOCALS, number>;

/**
 * The walk over every output pixel (ni, i, j) and every tap (a, b) whose input pixel
 * (ni, i·sh + a·dh − top, j·sw + b·dw − left) lies inside the input. `perPixel` runs first for each output
 * pixel, with `outPixel` its byte offset in dy-shaped tensors; `perPair` then for each such tap, with `inPixel`
 * the input pixel's byte offset in x-shaped tensors and `tap` = a·fw + b.
 */
export function pixelTapWalk(L: WalkLocals, perPixel: Code, perPair: Code): Code {
  /** (outer · size + inner) · cBytes, from locals. */
  const offset = (outer: Code, size: number, inner: number): Code => [
    ...[...outer, ...op.get(size), ...op.mul, ...op.get(inner), ...op.add, ...op.get(L.cBytes), ...op.mul],
  ];
  const rowOf = (img: number, size: number, row: number): Code => [
    ...[...op.get(img), ...op.get(size), ...op.mul, ...op.get(row), ...op.add],
  ];
  // Input coordinate `at` = outer · stride + tap · dilation − pad; leave the enclosing block when outside [0, size).
  const inside = (at: number, [outer, stride, tap, dil, pad, size]: number[]): Code => [
    ...[...op.get(outer!), ...op.get(stride!), ...op.mul, ...op.get(tap!), ...op.get(dil!), ...op.mul],
    ...[...op.add, ...op.get(pad!), ...op.sub, ...op.tee(at), ...op.get(size!), ...op.geU, ...op.brIf(0)],
  ];
  const pair: Code = [
    ...[...offset(rowOf(L.ni, L.h, L.y), L.w, L.col), ...op.set(L.inPixel)],
    ...[...op.get(L.a), ...op.get(L.fw), ...op.mul, ...op.get(L.b), ...op.add, ...op.set(L.tap)],
    ...perPair,
  ];
  const columns = countUp(L.b, L.fw, op.block(inside(L.col, [L.j, L.sw, L.b, L.dw, L.left, L.w]), pair));
  const rows = countUp(L.a, L.fh, op.block(inside(L.y, [L.i, L.sh, L.a, L.dh, L.top, L.h]), columns));
  const pixel: Code = [...offset(rowOf(L.ni, L.ho, L.i), L.wo, L.j), ...op.set(L.outPixel), ...perPixel];
  return countUp(L.ni, L.n, countUp(L.i, L.ho, countUp(L.j, L.wo, pixel, rows)));
}

/** `local = base + offset` for each [local, base, offset] (offset a local, or a Code computing it). */
export const pointers = (list: [number, number, number | Code][]): Code =>
  list.flatMap(([local, base, offset]) => [
    ...op.get(base),
    ...(typeof offset === 'number' ? op.get(offset) : offset),
    ...op.add,
    ...op.set(local),
  ]);

/** `body` for each channel vector, while pointer `lead` (advanced with `others` by 16) is below `end`. */
export const overChannels = (lead: number, end: number, others: number[], ...body: Code[]): Code =>
  op.loop(...body, ...[lead, ...others].map((p) => bump(p, 16)), [
    ...op.get(lead),
    ...op.get(end),
    ...op.ltU,
    ...op.brIf(0),
  ]);

/** The walk's geometry parameters, or null when a size is zero (the loops are do-while: they must not start). */
export function walkGeometry(
  a: WindowGeometry & { dh: number; dw: number },
): Record<keyof typeof WALK_GEOMETRY, number> | null {
  const sizes = { n: a.n, h: a.h, w: a.w, cBytes: a.c * 4, ho: a.ho, wo: a.wo, fh: a.fh, fw: a.fw };
  if (!Object.values(sizes).every((d) => d > 0)) return null;
  return { ...sizes, sh: a.sh, sw: a.sw, dh: a.dh, dw: a.dw, top: a.top, left: a.left };
}
