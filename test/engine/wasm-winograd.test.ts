/**
 * Winograd F(2×2, 3×3) and F(4×4, 3×3) (`winograd.ts`): the transform matrices against direct correlation; the
 * forward convolution and both gradients on wasm against the cpu backend, over odd and even maps (partial
 * tiles), batches and channel counts, both tiles forced; the SIMD loops in both multiply-add variants against plain
 * loops on a memory of their own; a ResNet-style bottleneck block's gradients against cpu; and which layers of the
 * backbones the automatic rule hands to Winograd.
 */
import * as tf from '@tensorflow/tfjs-core';
import { backend_util, Conv2DBackpropFilter, Conv2DBackpropInput, FusedConv2D } from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../core/learn/backend/backend.ts';
import { bindSimdKernels } from '../../core/learn/kernels/registry.ts';
import type { MultiplyAdd } from '../../core/learn/kernels/simd.ts';
import {
  runWinograd,
  runWinogradFilterGrad,
  setWinogradMode,
  winogradLayout,
  winogradSegments,
  winogradTables,
  winogradTile,
  type WinogradShape,
} from '../../core/learn/kernels/winograd.ts';
import { WINOGRAD, type WinogradTile } from '../../core/learn/kernels/winograd-transforms.ts';
import { createBackbone } from '../../core/learn/models/registry.ts';
import { relError, uniformValues } from '../helpers/tensors.ts';
import { wasmHeap } from '../helpers/wasm-heap.ts';

type Shape4 = [number, number, number, number];
const TILES: WinogradTile[] = [2, 4];
/** The forward convolution tests' tolerance (`wasm-conv-forward.test.ts`); F(4×4) stays within it here. */
const TOLERANCE = 1e-5;

const matVec = (m: number[][], v: number[]) => m.map((row) => row.reduce((s, c, k) => s + c * v[k]!, 0));

beforeAll(async () => {
  await selectBackend({ prefer: 'wasm' });
});
afterEach(() => setWinogradMode('auto'));

describe('Winograd matrices', () => {
  it.each(TILES)('F(%i, 3) gives the correlation of a t-long input with a 3-tap filter', (m) => {
    const w = WINOGRAD[m];
    const d = Array.from(uniformValues(m + 2, 11 + m), Number);
    const g = Array.from(uniformValues(3, 12 + m), Number);
    const u = matVec(w.g, g);
    const v = matVec(w.bt, d);
    const y = matVec(
      w.at,
      u.map((ue, e) => ue * v[e]!),
    );
    const direct = Array.from({ length: m }, (_, i) => d[i]! * g[0]! + d[i + 1]! * g[1]! + d[i + 2]! * g[2]!);
    y.forEach((yi, i) => expect(yi).toBeCloseTo(direct[i]!, 12));
  });
});

interface Case {
  x: Shape4;
  cout: number;
}
/** Odd and even maps (partial tiles of both sizes), batches, channel counts multiples of 4 but not of 8. */
const CASES: Case[] = [
  { x: [2, 7, 9, 8], cout: 16 },
  { x: [1, 4, 4, 12], cout: 8 },
  { x: [3, 5, 6, 16], cout: 24 },
  { x: [1, 1, 2, 4], cout: 8 },
];
const label = (c: Case) => `${c.x.join('x')} -> ${c.cout}`;

/** Runs `kernel` on `backend` with deterministic inputs of the given shapes; host copy and shape of the output. */
async function run(backend: string, shapes: Shape4[], kernel: (inputs: tf.Tensor4D[]) => tf.Tensor) {
  await tf.setBackend(backend);
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const inputs = shapes.map((s, i) => tf.tensor4d(uniformValues(size(s), i + 1), s));
  const out = kernel(inputs);
  const values = (await out.data()) as Float32Array;
  tf.dispose([...inputs, out]);
  return { values, shape: out.shape };
}

const forward = ([x, filter]: tf.Tensor4D[]) =>
  tf.engine().runKernel(FusedConv2D, { x: x!, filter: filter! }, {
    strides: 1,
    pad: 'same',
    dataFormat: 'NHWC',
    dilations: 1,
    activation: 'linear',
  } as never) as tf.Tensor;

const inputGrad = (xShape: Shape4) => (inputs: tf.Tensor4D[]) => {
  const [dy, filter] = inputs as [tf.Tensor4D, tf.Tensor4D];
  const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', inputShape: xShape };
  return tf.engine().runKernel(Conv2DBackpropInput, { dy, filter }, attrs as never) as tf.Tensor;
};

const filterGrad = (filterShape: Shape4) => (inputs: tf.Tensor4D[]) => {
  const [x, dy] = inputs as [tf.Tensor4D, tf.Tensor4D];
  const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape };
  return tf.engine().runKernel(Conv2DBackpropFilter, { x, dy }, attrs as never) as tf.Tensor;
};

const infoOf = (c: Case) => backend_util.computeConv2DInfo(c.x, [3, 3, c.x[3], c.cout], 1, 1, 'same');

describe.each(TILES)('F(m×m, 3×3) with m = %i on wasm matches cpu', (m) => {
  it.each(CASES.map((c) => [label(c), c] as const))('forward %s', async (_name, c) => {
    setWinogradMode(m);
    expect(winogradTile(infoOf(c), false)).toBe(m);
    const shapes: Shape4[] = [c.x, [3, 3, c.x[3], c.cout]];
    const wasm = await run('wasm', shapes, forward);
    const cpu = await run('cpu', shapes, forward);
    expect(wasm.shape).toEqual(cpu.shape);
    expect(relError(wasm.values, cpu.values)).toBeLessThan(TOLERANCE);
  });

  // The input gradient convolves dy (cout channels, a multiple of 4) into cin channels (a multiple of 8).
  const gradCases = CASES.map((c) => ({ x: [...c.x.slice(0, 3), c.cout] as Shape4, cout: c.x[3] }));
  it.each(gradCases.map((c) => [label(c), c] as const))('input gradient %s', async (_name, c) => {
    setWinogradMode(m);
    expect(winogradTile(infoOf(c), true)).toBe(m);
    const shapes: Shape4[] = [[...c.x.slice(0, 3), c.cout] as Shape4, [3, 3, c.x[3], c.cout]];
    const wasm = await run('wasm', shapes, inputGrad(c.x));
    const cpu = await run('cpu', shapes, inputGrad(c.x));
    expect(wasm.shape).toEqual(c.x);
    expect(relError(wasm.values, cpu.values)).toBeLessThan(TOLERANCE);
  });

  it.each(CASES.map((c) => [label(c), c] as const))('filter gradient %s', async (_name, c) => {
    setWinogradMode(m);
    const filterShape: Shape4 = [3, 3, c.x[3], c.cout];
    const shapes: Shape4[] = [c.x, [...c.x.slice(0, 3), c.cout] as Shape4];
    const wasm = await run('wasm', shapes, filterGrad(filterShape));
    const cpu = await run('cpu', shapes, filterGrad(filterShape));
    expect(wasm.shape).toEqual(filterShape);
    expect(relError(wasm.values, cpu.values)).toBeLessThan(TOLERANCE);
  });
});

describe('Winograd eligibility', () => {
  it('leaves channel counts the transforms cannot vectorise, and other geometries, to the direct path', async () => {
    setWinogradMode(4);
    // 6 input channels: not a multiple of 4 (the forward path), nor of 8 (as the input gradient's output).
    const odd: Case = { x: [2, 5, 5, 6], cout: 16 };
    expect(winogradTile(infoOf(odd), false)).toBeNull();
    expect(winogradTile(infoOf(odd), true)).toBeNull();
    const strided = backend_util.computeConv2DInfo([1, 8, 8, 16], [3, 3, 16, 16], 2, 1, 'same');
    const valid = backend_util.computeConv2DInfo([1, 8, 8, 16], [3, 3, 16, 16], 1, 1, 'valid');
    const dilated = backend_util.computeConv2DInfo([1, 8, 8, 16], [3, 3, 16, 16], 1, 2, 'same');
    const wide = backend_util.computeConv2DInfo([1, 8, 8, 16], [5, 5, 16, 16], 1, 1, 'same');
    for (const info of [strided, valid, dilated, wide]) expect(winogradTile(info, false)).toBeNull();
    // Still correct through the direct path.
    const shapes: Shape4[] = [odd.x, [3, 3, 6, 16]];
    const wasm = await run('wasm', shapes, forward);
    const cpu = await run('cpu', shapes, forward);
    expect(relError(wasm.values, cpu.values)).toBeLessThan(TOLERANCE);
  });

  it('the automatic rule takes every 3×3 stride-1 layer of ResNet50 at 128², none of MobileNetV2', () => {
    const picked = (name: 'resnet50' | 'mobilenetv2') => {
      const model = createBackbone(name, { patchSize: 128, latentDim: 8, seed: 1 });
      const tiles: (WinogradTile | null)[] = [];
      for (const layer of model.layers) {
        if (layer.getClassName() !== 'Conv2D') continue;
        const config = layer.getConfig() as {
          kernelSize: [number, number];
          strides: [number, number];
          padding: 'same' | 'valid';
          dilationRate: [number, number];
          filters: number;
        };
        const [, h, w, cin] = (layer.input as tfl.SymbolicTensor).shape as number[];
        const info = backend_util.computeConv2DInfo(
          [16, h!, w!, cin!],
          [...config.kernelSize, cin!, config.filters],
          config.strides,
          config.dilationRate,
          config.padding,
        );
        tiles.push(winogradTile(info, false), winogradTile(info, true));
      }
      model.dispose();
      return tiles.filter((t) => t !== null);
    };
    // 3 + 4 + 6 + 3 bottlenecks, the first of stages 3–5 strided: 13 layers, forward and input gradient each.
    expect(picked('resnet50')).toHaveLength(26);
    expect(picked('mobilenetv2')).toEqual([]);
  });
});

const heap = () => wasmHeap(16);

/** 'same' 3×3 correlation by plain loops; with `swapped` the filter is [3, 3, cout, cin], rotated by 180°. */
function referenceConv(s: WinogradShape, x: Float32Array, g: Float32Array, swapped: boolean) {
  const y = new Float32Array(s.n * s.h * s.w * s.cout);
  const weight = (a: number, b: number, ci: number, co: number) =>
    swapped
      ? g[(((2 - a) * 3 + 2 - b) * s.cout + co) * s.cin + ci]!
      : g[((a * 3 + b) * s.cin + ci) * s.cout + co]!;
  for (let img = 0; img < s.n; img++)
    for (let i = 0; i < s.h; i++)
      for (let j = 0; j < s.w; j++)
        for (let a = 0; a < 3; a++)
          for (let b = 0; b < 3; b++) {
            const [r, c] = [i + a - 1, j + b - 1];
            if (r < 0 || r >= s.h || c < 0 || c >= s.w) continue;
            for (let ci = 0; ci < s.cin; ci++) {
              const v = x[((img * s.h + r) * s.w + c) * s.cin + ci]!;
              for (let co = 0; co < s.cout; co++)
                y[((img * s.h + i) * s.w + j) * s.cout + co]! += v * weight(a, b, ci, co);
            }
          }
  return y;
}

const variants = (['fused', 'separate'] as MultiplyAdd[]).flatMap((v) =>
  TILES.flatMap((m) => [false, true].map((swapped) => [v, m, swapped] as const)),
);

describe('the Winograd loops in both multiply-add variants', () => {
  it.each(variants)('%s, m = %i, swapped %s: match plain loops', (variant, m, swapped) => {
    const h = heap();
    const kernels = bindSimdKernels(h.memory, variant)!;
    expect(kernels).not.toBeNull();
    // Blocks of 32 tiles: 3 × 3 × 4 tiles of F(2×2) make a whole and a partial block.
    const shape: WinogradShape = { n: 3, h: 5, w: 7, cin: 8, cout: 16 };
    const layout = winogradLayout(shape, m, 0);
    const x = uniformValues(shape.n * shape.h * shape.w * shape.cin, 21);
    const g = uniformValues(9 * shape.cin * shape.cout, 22);
    const floats = (n: number) => new Float32Array(n);
    const [vAt, mAt] = [h.alloc(floats(layout.inputFloats)), h.alloc(floats(layout.productFloats))];
    const lastCount = layout.tiles - Math.floor((layout.tiles - 1) / layout.block) * layout.block;
    const segs = h.alloc(
      Int32Array.from([
        ...winogradSegments(layout, vAt, mAt, layout.block),
        ...winogradSegments(layout, vAt, mAt, lastCount),
      ]),
    );
    const outFloats = shape.n * shape.h * shape.w * shape.cout;
    const [xAt, yAt] = [h.alloc(x), h.alloc(floats(outFloats))];
    const [zeroAt, dumpAt] = [h.alloc(floats(shape.cin)), h.alloc(floats(shape.cout))];
    const [gAt, uAt] = [h.alloc(g), h.alloc(floats(layout.filterFloats))];
    kernels.winogradFilter(m, { g: gAt, u: uAt, cin: shape.cin, cout: shape.cout, swapped });
    runWinograd(kernels, layout, {
      ...{ filter: gAt, transformedFilter: uAt },
      ...{ transformedInput: vAt, products: mAt },
      ...{ tables: h.alloc(winogradTables(layout, xAt, yAt, zeroAt, dumpAt)) },
      ...{ segments: segs, lastSegments: segs + 12 * (m + 2) ** 2 },
    });
    const y = h.read(yAt, outFloats);
    expect(relError(y, referenceConv(shape, x, g, swapped))).toBeLessThan(TOLERANCE);
    if (swapped) return;
    // The filter gradient of the same convolution, with y as the output gradient.
    const dgAt = h.alloc(floats(9 * shape.cin * shape.cout));
    const zeroOut = h.alloc(floats(shape.cout));
    runWinogradFilterGrad(kernels, layout, {
      ...{ filter: dgAt, transformedFilter: h.alloc(floats(layout.filterFloats)) },
      ...{ transformedInput: vAt, products: mAt },
      ...{ tables: h.alloc(winogradTables(layout, xAt, yAt, zeroAt, zeroOut)) },
      ...{ segments: segs, lastSegments: segs + 12 * (m + 2) ** 2 },
    });
    const dg = new Float32Array(9 * shape.cin * shape.cout);
    for (let img = 0; img < shape.n; img++)
      for (let i = 0; i < shape.h; i++)
        for (let j = 0; j < shape.w; j++)
          for (let a = 0; a < 3; a++)
            for (let b = 0; b < 3; b++) {
              const [r, c] = [i + a - 1, j + b - 1];
              if (r < 0 || r >= shape.h || c < 0 || c >= shape.w) continue;
              for (let ci = 0; ci < shape.cin; ci++)
                for (let co = 0; co < shape.cout; co++)
                  dg[((a * 3 + b) * shape.cin + ci) * shape.cout + co]! +=
                    x[((img * shape.h + r) * shape.w + c) * shape.cin + ci]! *
                    y[((img * shape.h + i) * shape.w + j) * shape.cout + co]!;
            }
    expect(relError(h.read(dgAt, dg.length), dg)).toBeLessThan(TOLERANCE);
  });
});

describe('a ResNet-style bottleneck block trains identically on wasm with Winograd and on cpu', () => {
  /** 1×1 → BN → ReLU → 3×3 → BN → ReLU → 1×1 → BN, plus the identity: torchvision's bottleneck, 8 wide. */
  function block(): tfl.LayersModel {
    const input = tfl.input({ shape: [6, 7, 16] });
    const conv = (filters: number, kernelSize: number, x: tfl.SymbolicTensor) =>
      tfl.layers
        .batchNormalization()
        .apply(
          tfl.layers.conv2d({ filters, kernelSize, padding: 'same', useBias: false }).apply(x),
        ) as tfl.SymbolicTensor;
    let h = tfl.layers.reLU().apply(conv(8, 1, input)) as tfl.SymbolicTensor;
    h = tfl.layers.reLU().apply(conv(8, 3, h)) as tfl.SymbolicTensor;
    h = conv(16, 1, h);
    const out = tfl.layers.reLU().apply(tfl.layers.add().apply([h, input])) as tfl.SymbolicTensor;
    return tfl.model({ inputs: input, outputs: out });
  }

  async function gradients(model: tfl.LayersModel, xs: Float32Array) {
    const x = tf.tensor4d(xs, [2, 6, 7, 16]);
    const { grads } = tf.variableGrads(() => {
      const y = model.apply(x, { training: true }) as tf.Tensor;
      return tf.sum(tf.mul(y, tf.sin(y))) as tf.Scalar;
    });
    const names = Object.keys(grads).sort();
    const values = await Promise.all(names.map(async (n) => (await grads[n]!.data()) as Float32Array));
    tf.dispose([x, ...Object.values(grads)]);
    return { names, values };
  }

  it.each(TILES)('m = %i: every weight gradient matches', async (m) => {
    await tf.setBackend('cpu');
    const model = block();
    const weights = model.getWeights().map((w) => ({ values: w.dataSync().slice(), shape: w.shape }));
    const xs = uniformValues(2 * 6 * 7 * 16, 31);
    const cpu = await gradients(model, xs);
    await tf.setBackend('wasm');
    setWinogradMode(m);
    model.setWeights(weights.map((w) => tf.tensor(w.values, w.shape)));
    const wasm = await gradients(model, xs);
    model.dispose();
    expect(wasm.names).toEqual(cpu.names);
    wasm.values.forEach((g, i) => {
      const ref = cpu.values[i]!;
      expect(Math.max(...ref.map(Math.abs)), cpu.names[i]).toBeGreaterThan(0);
      expect(relError(g, ref), cpu.names[i]).toBeLessThan(1e-4);
    });
  });
});
