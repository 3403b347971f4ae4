/**
 * The project's wasm convolution-gradient kernels against the cpu backend, over a grid of shapes, strides,
 * dilations, paddings and channel multipliers; the fused convolutions on wasm; and the audit that every kernel a
 * training step touches is registered for wasm.
 */
import * as tf from '@tensorflow/tfjs-core';
import { backend_util, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../core/learn/backend/backend.ts';
import { simdKernels } from '../../core/learn/kernels/registry.ts';
import { wasmScope, type WasmOps } from '../../core/learn/kernels/wasm-ops.ts';
import { relError, uniformValues } from '../helpers/tensors.ts';

type Shape4 = [number, number, number, number];
type Pad = 'same' | 'valid' | backend_util.ExplicitPadding;

interface Host {
  values: Float32Array;
  shape: number[];
}

/** Deterministic values in [-1, 1) so failures reproduce. */
function random(shape: number[], seed: number): Host {
  return {
    values: uniformValues(
      shape.reduce((a, b) => a * b, 1),
      seed,
    ),
    shape,
  };
}

/** Runs one kernel on `backend` on host data and returns its output values. */
async function runKernel(backend: string, name: string, inputs: Record<string, Host>, attrs: object) {
  await tf.setBackend(backend);
  const tensors = Object.fromEntries(
    Object.entries(inputs).map(([k, h]) => [k, tf.tensor(h.values, h.shape)]),
  );
  const out = tf.engine().runKernel(name, tensors, attrs as never) as tf.Tensor;
  const result = { values: (await out.data()) as Float32Array, shape: out.shape };
  tf.dispose([out, ...Object.values(tensors)]);
  return result;
}

/**
 * The cpu backend's depthwise gradient kernels ignore dilation, so for dilation > 1 the reference runs at dilation 1
 * on a filter spread out with zeros (the definition of a dilated filter) and its explicit padding.
 */
function spreadFilter(f: Host, d: number): Host {
  const [fh, fw, c, m] = f.shape as Shape4;
  const sh = (fh - 1) * d + 1;
  const sw = (fw - 1) * d + 1;
  const values = new Float32Array(sh * sw * c * m);
  for (let a = 0; a < fh; a++)
    for (let b = 0; b < fw; b++)
      for (let k = 0; k < c * m; k++)
        values[(a * d * sw + b * d) * c * m + k] = f.values[(a * fw + b) * c * m + k] as number;
  return { values, shape: [sh, sw, c, m] };
}

function explicitPads(info: backend_util.Conv2DInfo): backend_util.ExplicitPadding {
  const p = info.padInfo;
  return [
    [0, 0],
    [p.top, p.bottom],
    [p.left, p.right],
    [0, 0],
  ];
}

interface Case {
  n: number;
  h: number;
  w: number;
  c: number;
  k: number;
  stride: number;
  dilation: number;
  pad: Pad;
}

const PADS: Pad[] = [
  'same',
  'valid',
  [
    [0, 0],
    [2, 1],
    [0, 2],
    [0, 0],
  ],
];

/** The grid: batch 1–3, odd and even sizes, filters 1/3 (non-square 3×2 too), strides and dilations 1/2. */
function grid(): Case[] {
  const cases: Case[] = [];
  for (const [n, h, w] of [
    [1, 7, 6],
    [3, 8, 9],
  ] as const)
    for (const k of [1, 3])
      for (const stride of [1, 2])
        for (const dilation of [1, 2])
          for (const pad of PADS)
            if (!(stride > 1 && dilation > 1)) cases.push({ n, h, w, c: 3, k, stride, dilation, pad });
  cases.push({ n: 2, h: 11, w: 5, c: 2, k: 5, stride: 2, dilation: 1, pad: 'same' });
  return cases;
}

const label = (g: Case) =>
  `${g.n}x${g.h}x${g.w}x${g.c} k${g.k} s${g.stride} d${g.dilation} ${typeof g.pad === 'string' ? g.pad : 'explicit'}`;

const TOLERANCE = 1e-4;

beforeAll(async () => {
  await selectBackend({ prefer: 'wasm' });
});

describe('Conv2D gradients on wasm match cpu', () => {
  // tfjs's Conv2D gradient kernels take no dilation attribute. Fewer and more output than input channels (both
  // orders matter to the XNNPACK 1×1 path); 4 → 8 and 8 → 16 channels take the SIMD filter gradient, and the SIMD
  // input gradient at stride 2; 3 → 8 (an RGB stem) both, with a zero fourth input channel.
  const channels = (g: Case) => [
    [3, g.n === 1 ? 4 : 2],
    [3, 8],
    [4, 8],
    [8, 16],
  ];
  // 16 → 72 channels at 17×16: the SIMD filter gradient splits the output rows into several cache blocks, and the
  // input gradient takes its SIMD path at stride 1 too (more than 64 output channels).
  const blocked = [1, 2].map((stride) => ({
    ...grid()[0]!,
    n: 2,
    h: 17,
    w: 16,
    k: 3,
    stride,
    pad: 'same' as Pad,
  }));
  const cases = [
    ...grid()
      .filter((g) => g.dilation === 1)
      .flatMap((g) => channels(g).map(([c, cout]) => ({ ...g, c: c!, cout: cout! }))),
    ...blocked.map((g) => ({ ...g, c: 16, cout: 72 })),
  ];
  it.each(cases.map((g) => [`${label(g)} to ${g.cout}`, g] as const))('%s', async (_name, g) => {
    const xShape: Shape4 = [g.n, g.h, g.w, g.c];
    const filterShape: Shape4 = [g.k, g.k === 3 ? 2 : g.k, g.c, g.cout];
    const info = backend_util.computeConv2DInfo(xShape, filterShape, g.stride, 1, g.pad);
    const x = random(xShape, 1);
    const dy = random(info.outShape, 2);
    const filter = random(filterShape, 3);
    const common = { strides: g.stride, pad: g.pad, dataFormat: 'NHWC' };
    for (const [name, inputs, attrs] of [
      ['Conv2DBackpropFilter', { x, dy }, { ...common, filterShape }],
      ['Conv2DBackpropInput', { dy, filter }, { ...common, inputShape: xShape }],
    ] as const) {
      const wasm = await runKernel('wasm', name, inputs, attrs);
      const cpu = await runKernel('cpu', name, inputs, attrs);
      expect(wasm.shape, name).toEqual(cpu.shape);
      expect(relError(wasm.values, cpu.values), name).toBeLessThan(TOLERANCE);
    }
  });
});

describe('depthwise gradients on wasm match cpu', () => {
  // 4 and 8 channels at multiplier 1 take the SIMD gradients; 3 channels or multiplier 2 the XNNPACK ones.
  const variants = [
    [3, 1],
    [3, 2],
    [4, 1],
    [8, 1],
    [4, 2],
  ] as const;
  const cases = grid().flatMap((g) => variants.map(([c, multiplier]) => ({ ...g, c, multiplier })));
  it.each(cases.map((g) => [`${label(g)} m${g.multiplier}`, g] as const))('%s', async (_name, g) => {
    const xShape: Shape4 = [g.n, g.h, g.w, g.c];
    const filterShape: Shape4 = [g.k, g.k, g.c, g.multiplier];
    const info = backend_util.computeConv2DInfo(
      xShape,
      filterShape,
      g.stride,
      g.dilation,
      g.pad,
      undefined,
      true,
    );
    const x = random(xShape, 4);
    const dy = random(info.outShape, 5);
    const filter = random(filterShape, 6);
    const attrs = { strides: g.stride, dilations: g.dilation, pad: g.pad };
    // Reference geometry: dilation folded into a spread filter, padding made explicit.
    const refAttrs = { strides: g.stride, dilations: 1, pad: explicitPads(info) };
    const spread = spreadFilter(filter, g.dilation);

    const wasmF = await runKernel(
      'wasm',
      'DepthwiseConv2dNativeBackpropFilter',
      { x, dy },
      { ...attrs, filterShape },
    );
    const cpuF = await runKernel(
      'cpu',
      'DepthwiseConv2dNativeBackpropFilter',
      { x, dy },
      { ...refAttrs, filterShape: spread.shape },
    );
    const [sh, sw] = spread.shape as Shape4;
    // Keep the reference taps that the dilated filter really has.
    const taps = new Float32Array(wasmF.values.length);
    const cm = g.c * g.multiplier;
    for (let a = 0; a < g.k; a++)
      for (let b = 0; b < g.k; b++)
        for (let k = 0; k < cm; k++)
          taps[(a * g.k + b) * cm + k] = cpuF.values[
            (a * g.dilation * sw + b * g.dilation) * cm + k
          ] as number;
    expect(wasmF.shape).toEqual(filterShape);
    expect(sh).toBe((g.k - 1) * g.dilation + 1);
    expect(relError(wasmF.values, taps)).toBeLessThan(TOLERANCE);

    const wasmX = await runKernel(
      'wasm',
      'DepthwiseConv2dNativeBackpropInput',
      { dy, filter },
      { ...attrs, inputShape: xShape },
    );
    const cpuX = await runKernel(
      'cpu',
      'DepthwiseConv2dNativeBackpropInput',
      { dy, filter: spread },
      { ...refAttrs, inputShape: xShape },
    );
    expect(wasmX.shape).toEqual(xShape);
    expect(relError(wasmX.values, cpuX.values)).toBeLessThan(TOLERANCE);
  });
});

describe('wasm gradient kernels free their intermediates', () => {
  it('leaves no tensor data behind in the wasm backend', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend();
    const x = tf.tensor(random([2, 9, 9, 4], 7).values, [2, 9, 9, 4]);
    const dy = tf.tensor(random([2, 5, 5, 8], 8).values, [2, 5, 5, 8]);
    const f = tf.tensor(random([3, 3, 4, 2], 9).values, [3, 3, 4, 2]);
    const f2 = tf.tensor(random([3, 3, 2, 8], 10).values, [3, 3, 2, 8]);
    const before = backend.numDataIds();
    const outs = [
      tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
        strides: 2,
        pad: 'same',
        dataFormat: 'NHWC',
        filterShape: [3, 3, 4, 8],
      } as never),
      tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: f2 }, {
        strides: 2,
        pad: 'same',
        dataFormat: 'NHWC',
        inputShape: [2, 9, 9, 2],
      } as never),
      tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, {
        strides: 2,
        dilations: 1,
        pad: 'same',
        filterShape: [3, 3, 4, 2],
      } as never),
      tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter: f }, {
        strides: 2,
        dilations: 1,
        pad: 'same',
        inputShape: [2, 9, 9, 4],
      } as never),
    ] as tf.Tensor[];
    // Each call leaves exactly its output.
    expect(backend.numDataIds()).toBe(before + outs.length);
    tf.dispose(outs);
    expect(backend.numDataIds()).toBe(before);
    tf.dispose([x, dy, f, f2]);
  });
});

describe('the SIMD kernels', () => {
  it('run on this runtime (so the 4- and 8-channel depthwise cases above test them)', async () => {
    await tf.setBackend('wasm');
    expect(simdKernels(tf.backend() as BackendWasm)).not.toBeNull();
  });
});

describe('Identity and Cast on wasm', () => {
  it('shares the input data, which outlives the input', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend();
    const x = tf.tensor([1, 2, 3, 4], [2, 2]);
    const before = backend.numDataIds();
    const y = tf.engine().runKernel('Identity', { x }) as tf.Tensor;
    expect(backend.numDataIds()).toBe(before);
    x.dispose();
    expect(await y.data()).toEqual(new Float32Array([1, 2, 3, 4]));
    y.dispose();
    expect(backend.numDataIds()).toBe(before - 1);
  });

  it('Cast shares the data when the dtype stays, and converts like cpu otherwise', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend();
    const x = tf.tensor([-1.5, 0, 2.7, 7], [4]);
    const before = backend.numDataIds();
    const same = tf.cast(x, 'float32');
    expect(backend.numDataIds()).toBe(before);
    const converted = [tf.cast(x, 'int32'), tf.cast(x, 'bool'), tf.cast(tf.cast(x, 'bool'), 'float32')];
    expect(converted.map((t) => t.dtype)).toEqual(['int32', 'bool', 'float32']);
    const wasm = await Promise.all([same, ...converted].map(async (t) => Array.from(await t.data())));
    tf.dispose([x, same, ...converted]);
    await tf.setBackend('cpu');
    const xc = tf.tensor([-1.5, 0, 2.7, 7], [4]);
    const cpu = [
      tf.cast(xc, 'float32'),
      tf.cast(xc, 'int32'),
      tf.cast(xc, 'bool'),
      tf.cast(tf.cast(xc, 'bool'), 'float32'),
    ];
    expect(wasm).toEqual(await Promise.all(cpu.map(async (t) => Array.from(await t.data()))));
    tf.dispose([xc, ...cpu]);
  });

  it('keeps the values a gradient saved while the forward tensors are freed', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor([-1, 0.5, 2, 7], [4]);
    // relu6's gradient reads its saved input after the tidy around the forward pass has freed the original.
    const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.relu6(t), tf.tensor([1, 2, 3, 4]))))(x);
    expect(Array.from(await grad.data())).toEqual([0, 2, 3, 0]);
    tf.dispose([x, grad]);
  });
});

describe('wasm gradient kernels reject inconsistent shapes', () => {
  it('throws instead of reading past a buffer', async () => {
    await tf.setBackend('wasm');
    const dy = tf.zeros([1, 4, 4, 8]);
    const filter = tf.zeros([3, 3, 2, 5]);
    expect(() =>
      tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, {
        strides: 1,
        pad: 'same',
        dataFormat: 'NHWC',
        inputShape: [1, 4, 4, 2],
      } as never),
    ).toThrow(/dy has shape 1,4,4,8, expected 1,4,4,5/);
    tf.dispose([dy, filter]);
  });
});

describe('WasmOps building blocks', () => {
  /** Runs `body` in a scope on a [2, 5, 7, 3] ramp and returns the result as nested arrays. */
  async function onRamp(body: (ops: WasmOps, x: TensorInfo) => TensorInfo) {
    await tf.setBackend('wasm');
    const x = tf.tensor4d(
      Array.from({ length: 2 * 5 * 7 * 3 }, (_, i) => i + 1),
      [2, 5, 7, 3],
    );
    const out = tf.engine().makeTensorFromTensorInfo(wasmScope(tf.backend(), (ops) => body(ops, x)));
    const result = { shape: out.shape, values: out.arraySync() as number[][][][] };
    tf.dispose([x, out]);
    return result;
  }
  const ramp = (n: number, y: number, x: number, c: number) => ((n * 5 + y) * 7 + x) * 3 + c + 1;

  it('pads with zeros where a pad is positive and crops where it is negative', async () => {
    const { shape, values } = await onRamp((ops, x) =>
      ops.pad(x, [
        [0, 0],
        [-1, 2],
        [1, -3],
        [0, 0],
      ]),
    );
    expect(shape).toEqual([2, 6, 5, 3]);
    for (let y = 0; y < 6; y++)
      for (let c = 0; c < 5; c++) {
        const inside = y + 1 < 5 && c - 1 >= 0;
        expect(values[1]?.[y]?.[c]?.[2]).toBe(inside ? ramp(1, y + 1, c - 1, 2) : 0);
      }
  });

  it('subsamples pixels begin + i·stride on the two spatial axes', async () => {
    const { shape, values } = await onRamp((ops, x) => ops.subsample(x, [1, 2], [2, 2], [2, 3]));
    expect(shape).toEqual([2, 2, 2, 3]);
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 2; j++) expect(values[0]?.[i]?.[j]?.[1]).toBe(ramp(0, 1 + 2 * i, 2 + 3 * j, 1));
  });

  it('spreads pixels stride apart with zeros between and after them', async () => {
    const { shape, values } = await onRamp((ops, x) => ops.zeroDilate(x, 2, 3));
    expect(shape).toEqual([2, 10, 21, 3]);
    for (let y = 0; y < 10; y++)
      for (let c = 0; c < 21; c++) {
        const real = y % 2 === 0 && c % 3 === 0;
        expect(values[1]?.[y]?.[c]?.[0]).toBe(real ? ramp(1, y / 2, c / 3, 0) : 0);
      }
  });
});
