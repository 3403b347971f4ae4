/**
 * FusedBatchNorm gradient benchmark: the project's gradient against tfjs-core 4.22's, at batch-norm shapes of
 * MobileNetV2 and ResNet50 at a 128² input, batch 16. Two timings per shape, each the median of --iters calls:
 * - `grad`: the gradient alone (the FusedBatchNorm vjp for x, mean, variance, scale and offset),
 * - `train`: training-mode batch norm as tfjs-layers runs it, forward and backward (moments, batchNorm, and the
 *   gradient flowing back through the moments).
 *
 *   npx tsx test/bench/bn-grad.ts --json [--backend wasm] [--iters 9]
 *
 * Prints one JSON object.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { FusedBatchNorm, getGradient, registerGradient, type GradConfig } from '@tensorflow/tfjs-core';
import { selectBackend, type BackendPreference } from '../../core/learn/backend/backend.ts';
import { shippedBatchNormGradient } from '../../core/learn/kernels/batch-norm-grad.ts';

const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    backend: { type: 'string', default: 'wasm' },
    iters: { type: 'string', default: '9' },
  },
});
const iters = Number(args.iters);

const SHAPES: { layer: string; shape: [number, number, number, number] }[] = [
  { layer: 'MobileNetV2 stem', shape: [16, 64, 64, 32] },
  { layer: 'MobileNetV2 expand', shape: [16, 64, 64, 96] },
  { layer: 'MobileNetV2 block 3', shape: [16, 32, 32, 144] },
  { layer: 'MobileNetV2 block 6', shape: [16, 16, 16, 192] },
  { layer: 'MobileNetV2 head', shape: [16, 4, 4, 1280] },
  { layer: 'ResNet50 layer1', shape: [16, 32, 32, 256] },
  { layer: 'ResNet50 layer3', shape: [16, 8, 8, 1024] },
];

function medianMs(step: () => void): number {
  step();
  const times: number[] = [];
  for (let i = 0; i < iters; i++) {
    const start = performance.now();
    step();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return Math.round(times[iters >> 1]! * 10) / 10;
}

function timings(shape: [number, number, number, number]) {
  const c = shape[3];
  const x = tf.randomNormal(shape);
  const dy = tf.randomNormal(shape);
  const mean = tf.randomNormal([c]);
  const variance = tf.randomUniform([c], 0.5, 2);
  const scale = tf.randomUniform([c], 0.5, 1.5);
  const offset = tf.randomNormal([c]);
  const read = (ts: tf.Tensor[]) => {
    for (const t of ts) t.dataSync();
    tf.dispose(ts);
  };
  const grad = medianMs(() => {
    const bn = (...a: tf.Tensor[]) => tf.batchNorm(a[0]!, a[1]!, a[2]!, a[4], a[3], 1e-3);
    read(tf.grads(bn)([x, mean, variance, scale, offset], dy));
  });
  const train = medianMs(() => {
    const bn = (xi: tf.Tensor, s: tf.Tensor, o: tf.Tensor) => {
      const m = tf.moments(xi, [0, 1, 2]);
      return tf.batchNorm(xi, m.mean, m.variance, o, s, 1e-3);
    };
    read(tf.grads(bn)([x, scale, offset], dy));
  });
  tf.dispose([x, dy, mean, variance, scale, offset]);
  return { grad, train };
}

await selectBackend({ prefer: args.backend as BackendPreference, env: {} });
const ours = getGradient(FusedBatchNorm) as GradConfig;
const shipped = shippedBatchNormGradient()!;
const results = SHAPES.map(({ layer, shape }) => {
  registerGradient(shipped);
  const before = timings(shape);
  registerGradient(ours);
  const after = timings(shape);
  const speedup = (a: number, b: number) => Math.round((a / b) * 10) / 10;
  process.stderr.write(`${layer} ${shape.join('×')}: grad ${before.grad} → ${after.grad} ms\n`);
  return {
    layer,
    shape,
    shipped_ms: before,
    ours_ms: after,
    speedup: { grad: speedup(before.grad, after.grad), train: speedup(before.train, after.train) },
  };
});
const out = {
  backend: tf.getBackend(),
  iters,
  loadavg: os.loadavg().map((l) => Math.round(l * 100) / 100),
  results,
};
console.log(args.json ? JSON.stringify(out) : JSON.stringify(out, null, 2));
