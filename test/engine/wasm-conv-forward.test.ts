/**
 * The forward convolution as SIMD tap GEMMs (`conv-forward.ts`) against the cpu backend: through the FusedConv2D
 * kernel (which takes them from 16 input channels on, with no bias or activation), and called directly on shapes
 * the kernel leaves to XNNPACK (few input channels), over filter sizes, strides, dilations and paddings.
 */
import * as tf from '@tensorflow/tfjs-core';
import { backend_util, FusedConv2D } from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../core/learn/backend/backend.ts';
import { conv2dForward } from '../../core/learn/kernels/conv-forward.ts';
import { relError, uniformValues } from '../helpers/tensors.ts';

type Shape4 = [number, number, number, number];
type Pad = 'same' | 'valid' | backend_util.ExplicitPadding;

interface Case {
  x: Shape4;
  filter: Shape4;
  stride: number;
  dilation: number;
  pad: Pad;
}

const EXPLICIT: Pad = [
  [0, 0],
  [2, 1],
  [0, 2],
  [0, 0],
];

const label = (c: Case) =>
  `${c.x.join('x')} * ${c.filter.join('x')} s${c.stride} d${c.dilation} ${typeof c.pad === 'string' ? c.pad : 'explicit'}`;

/** The output of `conv` on `backend` for the case's deterministic x and filter (bias optional). */
async function run(backend: string, c: Case, conv: (x: tf.Tensor4D, f: tf.Tensor4D) => tf.Tensor) {
  await tf.setBackend(backend);
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const x = tf.tensor4d(uniformValues(size(c.x), 1), c.x);
  const filter = tf.tensor4d(uniformValues(size(c.filter), 2), c.filter);
  const out = conv(x, filter);
  const values = (await out.data()) as Float32Array;
  tf.dispose([x, filter, out]);
  return { values, shape: out.shape };
}

const fusedKernel = (c: Case, bias?: tf.Tensor1D) => (x: tf.Tensor4D, filter: tf.Tensor4D) =>
  tf.engine().runKernel(FusedConv2D, bias ? { x, filter, bias } : { x, filter }, {
    strides: c.stride,
    pad: c.pad,
    dataFormat: 'NHWC',
    dilations: c.dilation,
    activation: 'linear',
  } as never) as tf.Tensor;

async function expectMatchesCpu(c: Case, wasmConv: (x: tf.Tensor4D, f: tf.Tensor4D) => tf.Tensor) {
  const wasm = await run('wasm', c, wasmConv);
  const cpu = await run('cpu', c, fusedKernel(c));
  expect(wasm.shape).toEqual(cpu.shape);
  expect(relError(wasm.values, cpu.values)).toBeLessThan(1e-5);
}

beforeAll(async () => {
  await selectBackend({ prefer: 'wasm' });
});

describe('FusedConv2D on wasm through the SIMD forward GEMMs matches cpu', () => {
  // 9 output columns: runs of 4-, 2- and 1-pixel tiles; padded taps shorten the runs.
  const cases: Case[] = [];
  for (const [k, stride, dilation] of [
    [1, 1, 1],
    [1, 2, 1],
    [3, 1, 1],
    [3, 2, 1],
    [3, 1, 2],
  ] as const)
    for (const pad of ['same', 'valid', EXPLICIT] as Pad[])
      cases.push({ x: [2, 7, 9, 64], filter: [k, k === 3 ? 2 : 1, 64, 24], stride, dilation, pad });
  it.each(cases.map((c) => [label(c), c] as const))('%s', async (_name, c) => {
    await expectMatchesCpu(c, fusedKernel(c));
  });

  it('leaves a bias, and output channels not a multiple of 8, to the shipped kernel', async () => {
    const c: Case = { x: [1, 5, 5, 64], filter: [3, 3, 64, 12], stride: 1, dilation: 1, pad: 'same' };
    await expectMatchesCpu(c, fusedKernel(c));
    const withBias: Case = { ...c, filter: [1, 1, 64, 8] };
    const bias = async () => tf.tensor1d(uniformValues(8, 3));
    await tf.setBackend('wasm');
    const wasmBias = await bias();
    const wasm = await run('wasm', withBias, fusedKernel(withBias, wasmBias));
    wasmBias.dispose();
    await tf.setBackend('cpu');
    const cpuBias = await bias();
    const cpu = await run('cpu', withBias, fusedKernel(withBias, cpuBias));
    cpuBias.dispose();
    expect(relError(wasm.values, cpu.values)).toBeLessThan(1e-5);
  });
});

describe('the SIMD forward GEMMs called directly match cpu', () => {
  const cases: Case[] = [
    { x: [3, 6, 5, 3], filter: [3, 3, 3, 8], stride: 2, dilation: 1, pad: 'same' },
    { x: [1, 9, 8, 5], filter: [2, 3, 5, 16], stride: 1, dilation: 2, pad: EXPLICIT },
    { x: [2, 4, 4, 1], filter: [1, 1, 1, 8], stride: 1, dilation: 1, pad: 'valid' },
  ];
  it.each(cases.map((c) => [label(c), c] as const))('%s', async (_name, c) => {
    const direct = (x: tf.Tensor4D, filter: tf.Tensor4D) => {
      const info = backend_util.computeConv2DInfo(c.x, c.filter, c.stride, c.dilation, c.pad);
      return tf.engine().makeTensorFromTensorInfo(conv2dForward(tf.backend(), x, filter, info));
    };
    await expectMatchesCpu(c, direct);
  });
});
