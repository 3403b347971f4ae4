/**
 * A small toolkit for writing wasm kernels out of the wasm backend's own kernels and the SIMD loops of the kernel units.
 * Every op runs the kernel function registered for 'wasm' directly on `TensorInfo`s, so data stays in the wasm
 * heap: no round trip through the engine, no copy to JS, no other backend. A `WasmOps` records every tensor it
 * creates (ops' outputs and its own allocations); `wasmScope` frees them all except the one result the kernel
 * returns.
 */
import { getKernel, type KernelBackend, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type Shape4 = [number, number, number, number];

/** Pads as [top, bottom, left, right]; a negative pad crops the input instead. */
export type SignedPads = [number, number, number, number];

export type ConvKind = 'Conv2D' | 'DepthwiseConv2dNative';

export interface ConvSpec {
  strides: [number, number];
  dilations: [number, number];
  pads: SignedPads;
}

export class WasmOps {
  private readonly created: TensorInfo[] = [];

  constructor(readonly backend: KernelBackend) {}

  /** A new float32 tensor of zeros, recorded for disposal. */
  zeros(shape: number[]): TensorInfo {
    const out = (this.backend as BackendWasm).makeOutput(shape, 'float32');
    (this.backend as BackendWasm).typedArrayFromHeap(out).fill(0);
    this.created.push(out);
    return out;
  }

  /** A new float32 tensor whose values the caller will all write, recorded for disposal. */
  output(shape: number[]): TensorInfo {
    const out = (this.backend as BackendWasm).makeOutput(shape, 'float32');
    this.created.push(out);
    return out;
  }

  /** An int32 tensor holding `values`, recorded for disposal. */
  int32(values: Int32Array): TensorInfo {
    const out = (this.backend as BackendWasm).makeOutput([values.length], 'int32', undefined, values);
    this.created.push(out);
    return out;
  }

  /** A float32 copy with its own data (the backend's Identity shares the input's: see kernels.ts). */
  copy(x: TensorInfo): TensorInfo {
    const backend = this.backend as BackendWasm;
    const out = backend.makeOutput(x.shape, 'float32');
    backend.typedArrayFromHeap(out).set(backend.typedArrayFromHeap(x));
    this.created.push(out);
    return out;
  }

  /**
   * The first `channels` channels (last axis) of a float32 tensor, recorded for disposal: a loop over the heap
   * (PadV2 cannot crop the channel axis, and Slice would copy one short run per pixel).
   */
  keepChannels(x: TensorInfo, channels: number): TensorInfo {
    const backend = this.backend as BackendWasm;
    const c = x.shape[x.shape.length - 1]!;
    const out = backend.makeOutput([...x.shape.slice(0, -1), channels], 'float32');
    const [from, to] = [backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(out)];
    for (let p = 0, q = 0; q < to.length; p += c) for (let k = 0; k < channels; k++) to[q++] = from[p + k]!;
    this.created.push(out);
    return out;
  }

  /** Byte offset of a tensor's data in the wasm heap. */
  offset(t: TensorInfo): number {
    return (this.backend as BackendWasm).getMemoryOffset(t.dataId);
  }

  /** Runs the wasm kernel `name` and records its output for disposal. */
  run(name: string, inputs: Record<string, TensorInfo> | TensorInfo[], attrs: NamedAttrMap = {}): TensorInfo {
    const config = getKernel(name, 'wasm');
    if (!config) throw new Error(`wasm kernels: the wasm backend has no '${name}' kernel to build on`);
    // Concat takes its inputs as an array; the registry types every kernel's inputs as a name map.
    const out = config.kernelFunc({
      inputs: inputs as Record<string, TensorInfo>,
      backend: this.backend,
      attrs,
    });
    if (Array.isArray(out)) throw new Error(`wasm kernels: '${name}' returned several tensors, expected one`);
    this.created.push(out);
    return out;
  }

  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    return this.run('Transpose', { x }, { perm });
  }

  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.run('Reshape', { x }, { shape });
  }

  /** Sum over one axis, dropping it. */
  sum(x: TensorInfo, axis: number): TensorInfo {
    return this.run('Sum', { x }, { axis: [axis], keepDims: false });
  }

  /** Filter rotated by 180° in its two spatial axes (the first two). */
  rotate180(filter: TensorInfo): TensorInfo {
    return this.run('Reverse', { x: filter }, { dims: [0, 1] });
  }

  /**
   * Spreads an NHWC tensor's pixels `stride` apart, zeros between them: [N, H, W, C] → [N, H·sh, W·sw, C]. The
   * real pixels sit at rows 0, sh, 2sh, …, so the result ends with sh − 1 rows (and sw − 1 columns) of zeros,
   * which callers count as padding. One pad of a rank-5 view does the interleaving.
   */
  zeroDilate(x: TensorInfo, sh: number, sw: number): TensorInfo {
    if (sh === 1 && sw === 1) return x;
    const [n, h, w, c] = x.shape as Shape4;
    const spread = this.pad(this.reshape(x, [n * h, 1, w, 1, c]), [
      [0, 0],
      [0, sh - 1],
      [0, 0],
      [0, sw - 1],
      [0, 0],
    ]);
    return this.reshape(spread, [n, h * sh, w * sw, c]);
  }

  /**
   * Pads with zeros, or crops where a pad is negative: the backend's PadV2 takes signed pads (the tests pin this),
   * which makes it the fast crop too. tfjs's own slice kernels copy per element in JS or in a generic C++ loop,
   * 30-100× slower.
   */
  pad(x: TensorInfo, paddings: [number, number][]): TensorInfo {
    if (paddings.every(([a, b]) => a === 0 && b === 0)) return x;
    return this.run('PadV2', { x }, { paddings, constantValue: 0 });
  }

  /**
   * Pixels (begin + i·stride) of axes 1 and 2 of a rank-4 tensor, `count` of them per axis. Done as pads: one
   * (signed) pad aligns the kept pixels to the start of stride-sized blocks, then a crop per axis keeps the first
   * of each block.
   */
  subsample(
    x: TensorInfo,
    begin: [number, number],
    count: [number, number],
    stride: [number, number],
  ): TensorInfo {
    const [n, h, w, c] = x.shape as Shape4;
    const [bh, bw] = begin;
    const [kh, kw] = count;
    const [sh, sw] = stride;
    let out = this.pad(x, [
      [0, 0],
      [-bh, kh * sh - h + bh],
      [-bw, kw * sw - w + bw],
      [0, 0],
    ]);
    if (sh > 1) {
      const crop: [number, number][] = [
        [0, 0],
        [0, 1 - sh],
        [0, 0],
      ];
      out = this.pad(this.reshape(out, [n * kh, sh, kw * sw * c]), crop);
    }
    if (sw > 1) {
      const crop: [number, number][] = [
        [0, 0],
        [0, 1 - sw],
        [0, 0],
      ];
      out = this.pad(this.reshape(out, [n * kh * kw, sw, c]), crop);
    }
    return this.reshape(out, [n, kh, kw, c]);
  }

  /**
   * NHWC convolution of either kind with explicit, possibly negative, pads. XNNPACK does the arithmetic; negative
   * pads become a crop of the input, which is the same thing.
   */
  conv(kind: ConvKind, x: TensorInfo, filter: TensorInfo, spec: ConvSpec): TensorInfo {
    const [top, bottom, left, right] = spec.pads;
    const grow = (p: number) => Math.max(0, p);
    const cut = (p: number) => Math.min(0, p);
    const input = this.pad(x, [
      [0, 0],
      [cut(top), cut(bottom)],
      [cut(left), cut(right)],
      [0, 0],
    ]);
    const attrs: NamedAttrMap = {
      strides: spec.strides,
      dilations: spec.dilations,
      pad: [
        [0, 0],
        [grow(top), grow(bottom)],
        [grow(left), grow(right)],
        [0, 0],
      ],
      dataFormat: 'NHWC',
    };
    return this.run(kind, { x: input, filter }, attrs);
  }

  /** Frees every recorded tensor except `keep` (all of them when it is null). */
  disposeAllBut(keep: TensorInfo | null): void {
    for (const t of this.created) if (t !== keep) this.backend.disposeData(t.dataId);
    this.created.length = 0;
  }
}

/** Runs `body` with a fresh `WasmOps` and frees all its intermediates, keeping only the returned tensor. */
export function wasmScope(backend: KernelBackend, body: (ops: WasmOps) => TensorInfo): TensorInfo {
  const ops = new WasmOps(backend);
  let result: TensorInfo | null = null;
  try {
    result = body(ops);
    return result;
  } finally {
    ops.disposeAllBut(result);
  }
}
