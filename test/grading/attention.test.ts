import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gradCam, occlusion } from '../../core/learn/grading/index.ts';
import { buildHead } from '../../core/learn/models/head.ts';
import { LayerSeeds } from '../../core/learn/models/seeds.ts';
import { parseTrainConfig, type PatchgdModel } from '../../core/learn/runner/index.ts';
import { relError, uniformValues } from '../helpers/tensors.ts';

const k = 3;
const d = 2;
const w = [0.7, -0.3];

/**
 * A model whose head is linear: logit₁ = Σ_cells w·Z_cell, logit₀ = −logit₁. Grad-CAM for class 1 is then
 * ReLU(w·Z_cell) exactly, and the drop of p₁ when a cell is replaced by the mean embedding grows with w·Z_cell,
 * so both methods must rank the cells alike.
 */
function modelWithHead(head: tfl.LayersModel, grid: number, depth: number, classes: number): PatchgdModel {
  const backbone = tfl.sequential({ layers: [tfl.layers.flatten({ inputShape: [1, 1, 3] })] });
  const config = parseTrainConfig({
    backbone: 'small',
    imageSize: grid,
    patchSize: 1,
    latentDim: depth,
    numClasses: classes,
  });
  return { config, models: { method: 'patchgd', backbone, head, inputSize: 1 }, chunkSize: 1 };
}

function linearModel(): PatchgdModel {
  const weights = new Float32Array(k * k * d * 2);
  for (let cell = 0; cell < k * k; cell++)
    for (let c = 0; c < d; c++) {
      weights[(cell * d + c) * 2] = -w[c]!;
      weights[(cell * d + c) * 2 + 1] = w[c]!;
    }
  const head = tfl.sequential({
    layers: [
      tfl.layers.flatten({ inputShape: [k, k, d] }),
      tfl.layers.dense({ units: 2, useBias: false, weights: [tf.tensor2d(weights, [k * k * d, 2])] }),
    ],
  });
  return modelWithHead(head, k, d, 2);
}

let model: PatchgdModel;
let z: tf.Tensor4D;
// Cell scores w·Z well apart (−1 … 1, two negative); their sum 1.51 leaves p₁ ≈ 0.95, far from saturation.
const cells = [
  [0.5, 0.5],
  [0.4, 0.6],
  [1, 0],
  [0.3, -1],
  [1, -1],
  [-1, 1],
  [1, 1],
  [-1, 0],
  [0, -1],
];
const score = cells.map(([a, b]) => w[0]! * a! + w[1]! * b!);

beforeAll(async () => {
  await tf.setBackend('cpu');
  model = linearModel();
  z = tf.tensor4d(cells.flat(), [1, k, k, d]);
});
afterAll(() => {
  z.dispose();
  model.models.head.dispose();
  model.models.backbone.dispose();
});

const ranking = (values: ArrayLike<number>) =>
  Array.from(values, (v, i) => [v, i] as const)
    .sort((a, b) => b[0] - a[0])
    .map(([, i]) => i);

describe('attention on Z', () => {
  it('Grad-CAM of a linear head is ReLU of the weighted channel sum, in one arrangement and averaged', async () => {
    for (const views of ['single', 'symmetric'] as const) {
      const cam = await gradCam(model, z, 1, views);
      score.forEach((s, i) => expect(cam[i]).toBeCloseTo(Math.max(0, s), 5));
    }
  });

  it('occlusion and Grad-CAM agree on the constructed case', async () => {
    const cam = await gradCam(model, z, 1);
    const occ = await occlusion(model, z, 1);
    const positive = score.map((s, i) => (s > 0 ? i : -1)).filter((i) => i >= 0);
    const rankOf = (values: Float32Array) => ranking(positive.map((i) => values[i]!)).map((j) => positive[j]);
    expect(rankOf(occ)).toEqual(rankOf(cam));
    expect(ranking(occ)[0]).toBe(4);
    expect(ranking(cam)[0]).toBe(4);
    // Hiding a cell that argues against class 1 raises p₁: its score is clipped to 0.
    expect(occ[5]).toBe(0);
    expect(occ[7]).toBe(0);
  });

  it("explains 'cancer' as every class above 0 against class 0", async () => {
    // Two classes: the cancer log-odds is logit₁ − logit₀ = 2·logit₁, and 1 − p₀ is p₁.
    const cam = await gradCam(model, z, 'cancer');
    score.forEach((s, i) => expect(cam[i]).toBeCloseTo(2 * Math.max(0, s), 5));
    const occ = await occlusion(model, z, 'cancer');
    const occ1 = await occlusion(model, z, 1);
    occ1.forEach((v, i) => expect(occ[i]).toBeCloseTo(v, 6));
  });

  it('gives the same occlusion scores whatever the chunk size, and reports progress', async () => {
    const whole = await occlusion(model, z, 1);
    const progress: number[] = [];
    const chunked = await occlusion(model, z, 1, { chunkSize: 2, onChunk: (done) => progress.push(done) });
    whole.forEach((v, i) => expect(chunked[i]).toBeCloseTo(v, 6));
    expect(progress).toEqual([2, 4, 6, 8, 9]);
  });

  it('stops occlusion when the signal aborts and leaks no tensors', async () => {
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const done: number[] = [];
    const run = occlusion(model, z, 1, {
      chunkSize: 1,
      signal: controller.signal,
      onChunk: (n) => {
        done.push(n);
        if (n === 3) controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(done).toEqual([1, 2, 3]);
    await gradCam(model, z, 0);
    expect(tf.memory().numTensors).toBe(before);
  });
});

/** Cell (r, c) of a k×k grid viewed under symmetry s (bit 4 swap, 1 flip rows, 2 flip columns): its source cell. */
function sourceCell(r: number, c: number, n: number, s: number): [number, number] {
  let [y, x] = [r, c];
  if (s & 2) x = n - 1 - x;
  if (s & 1) y = n - 1 - y;
  return s & 4 ? [x, y] : [y, x];
}

/** A [1, n, n, depth] grid rearranged by symmetry s, by index arithmetic (independent of the code under test). */
function viewOf(values: Float32Array, n: number, depth: number, s: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < n; r++)
    for (let c = 0; c < n; c++) {
      const [y, x] = sourceCell(r, c, n, s);
      out.set(values.subarray((y * n + x) * depth, (y * n + x + 1) * depth), (r * n + c) * depth);
    }
  return out;
}

/** A map of a viewed grid put back in the original arrangement. */
function unview(map: Float32Array, n: number, s: number): Float32Array {
  const out = new Float32Array(map.length);
  for (let r = 0; r < n; r++)
    for (let c = 0; c < n; c++) {
      const [y, x] = sourceCell(r, c, n, s);
      out[y * n + x] = map[r * n + c]!;
    }
  return out;
}

describe('symmetric Grad-CAM on the paper head', () => {
  const n = 5;
  const depth = 4;
  let head: PatchgdModel;
  let values: Float32Array;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    head = modelWithHead(buildHead(n, depth, 6, new LayerSeeds(3), 0), n, depth, 6);
    values = uniformValues(n * n * depth, 11, 0, 2);
  });
  afterAll(() => {
    head.models.head.dispose();
    head.models.backbone.dispose();
  });

  const camOf = async (v: Float32Array, views: 'single' | 'symmetric') => {
    const grid = tf.tensor4d(v, [1, n, n, depth]);
    try {
      return await gradCam(head, grid, 'cancer', views);
    } finally {
      grid.dispose();
    }
  };

  it('is the mean of the eight arrangements’ Grad-CAMs, each put back in place', async () => {
    const mean = new Float32Array(n * n);
    for (let s = 0; s < 8; s++)
      unview(await camOf(viewOf(values, n, depth, s), 'single'), n, s).forEach((v, i) => (mean[i]! += v / 8));
    expect(relError(await camOf(values, 'symmetric'), mean)).toBeLessThan(1e-5);
  });

  it('moves with the grid: rearranging Z rearranges the map, which one arrangement alone does not do', async () => {
    const symmetric = await camOf(values, 'symmetric');
    const single = await camOf(values, 'single');
    expect(Math.max(...symmetric)).toBeGreaterThan(0);
    let singleMoves = 0;
    for (let s = 1; s < 8; s++) {
      const viewed = viewOf(values, n, depth, s);
      expect(relError(unview(await camOf(viewed, 'symmetric'), n, s), symmetric)).toBeLessThan(1e-5);
      if (relError(unview(await camOf(viewed, 'single'), n, s), single) > 1e-3) singleMoves++;
    }
    // The head's dense layer weighs each grid position differently, so a single arrangement's map depends on it.
    expect(singleMoves).toBeGreaterThan(0);
  });
});
