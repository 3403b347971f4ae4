/** SIMD loop for the depthwise convolution's filter gradient (see `simd.ts` for how it runs). */
import { countUp, op, signature, type Code, type FunctionSpec } from './wasm-asm.ts';

const I = 'i32' as const;

/**
 * depthwiseFilterGrad(x, dy, out, n, h, w, cBytes, ho, wo, fh, fw, sh, sw, dh, dw, top, left):
 * out[a, b, c] += Σ_{n,i,j} x[n, i·sh + a·dh − top, j·sw + b·dw − left, c] · dy[n, i, j, c] over the taps inside
 * x; channels in vectors of 4 (cBytes, the channel count in bytes, a multiple of 16). `out` must start zeroed.
 * Per output pixel the taps' channel vectors accumulate into `out`, which stays in cache (9·C floats).
 */
export function depthwiseFilterGradFunction(): FunctionSpec {
  const {
    params,
    locals,
    at: L,
  } = signature(
    {
      ...{ x: I, dy: I, out: I, n: I, h: I, w: I, cBytes: I, ho: I, wo: I },
      ...{ fh: I, fw: I, sh: I, sw: I, dh: I, dw: I, top: I, left: I },
    },
    { ni: I, i: I, j: I, a: I, b: I, y: I, col: I, dyRow: I, po: I, px: I, pd: I, end: I },
  );
  /** (outer · size + inner), from locals. */
  const index = (outer: number, size: number, inner: number): Code => [
    ...[...op.get(outer), ...op.get(size), ...op.mul, ...op.get(inner), ...op.add],
  ];
  const scaled = (local: number): Code => [...op.get(L.cBytes), ...op.mul, ...op.get(local), ...op.add];
  // One tap over the channels: out[a, b, :] += x[ni, y, col, :] · dy[ni, i, j, :].
  const channels: Code = [
    ...[
      ...index(L.a, L.fw, L.b),
      ...scaled(L.out),
      ...op.tee(L.po),
      ...op.get(L.cBytes),
      ...op.add,
      ...op.set(L.end),
    ],
    ...[...index(L.ni, L.h, L.y), ...op.get(L.w), ...op.mul, ...op.get(L.col), ...op.add, ...scaled(L.x)],
    ...[...op.set(L.px), ...op.get(L.dyRow), ...op.set(L.pd)],
    ...op.loop(
      [...op.get(L.po), ...op.get(L.po), ...op.v128Load()],
      [...op.get(L.px), ...op.v128Load(), ...op.get(L.pd), ...op.v128Load(), ...op.f32x4Mul],
      [...op.f32x4Add, ...op.v128Store()],
      ...[L.po, L.px, L.pd].map((p) => [...op.get(p), ...op.i32(16), ...op.add, ...op.set(p)]),
      [...op.get(L.po), ...op.get(L.end), ...op.ltU, ...op.brIf(0)],
    ),
  ];
  // Input coordinate `at` = outer · stride + tap · dilation − pad; leave the enclosing block when outside [0, size).
  const inside = (at: number, [outer, stride, tap, dil, pad, size]: number[]): Code => [
    ...[
      ...op.get(outer!),
      ...op.get(stride!),
      ...op.mul,
      ...op.get(tap!),
      ...op.get(dil!),
      ...op.mul,
      ...op.add,
    ],
    ...[...op.get(pad!), ...op.sub, ...op.tee(at), ...op.get(size!), ...op.geU, ...op.brIf(0)],
  ];
  const columns = countUp(L.b, L.fw, op.block(inside(L.col, [L.j, L.sw, L.b, L.dw, L.left, L.w]), channels));
  const rows = countUp(L.a, L.fh, op.block(inside(L.y, [L.i, L.sh, L.a, L.dh, L.top, L.h]), columns));
  const dyRow: Code = [
    ...[...index(L.ni, L.ho, L.i), ...op.get(L.wo), ...op.mul, ...op.get(L.j), ...op.add, ...scaled(L.dy)],
    ...op.set(L.dyRow),
  ];
  return {
    name: 'depthwiseFilterGrad',
    params,
    locals,
    body: [countUp(L.ni, L.n, countUp(L.i, L.ho, countUp(L.j, L.wo, dyRow, rows)))],
  };
}
