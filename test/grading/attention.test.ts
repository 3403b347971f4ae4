import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gradCam, occlusion } from '../../core/grading/index.ts';
import { parseTrainConfig, type PatchgdModel } from '../../core/patchgd/index.ts';

const k = 3;
const d = 2;
const w = [0.7, -0.3];

/**
 * A model whose head is linear: logit₁ = Σ_cells w·Z_cell, logit₀ = −logit₁. Grad-CAM for class 1 is then
 * ReLU(w·Z_cell) exactly, and the drop of p₁ when a cell is replaced by the mean embedding grows with w·Z_cell,
 * so both methods must rank the cells alike.
 */
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
  const backbone = tfl.sequential({ layers: [tfl.layers.flatten({ inputShape: [1, 1, 3] })] });
  const config = parseTrainConfig({
    backbone: 'small',
    imageSize: k,
    patchSize: 1,
    latentDim: d,
    numClasses: 2,
  });
  return { config, models: { method: 'patchgd', backbone, head, inputSize: 1 }, chunkSize: 1 };
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
  it('Grad-CAM of a linear head is ReLU of the weighted channel sum', () => {
    const cam = gradCam(model, z, 1);
    score.forEach((s, i) => expect(cam[i]).toBeCloseTo(Math.max(0, s), 5));
  });

  it('occlusion and Grad-CAM agree on the constructed case', async () => {
    const cam = gradCam(model, z, 1);
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
    const cam = gradCam(model, z, 'cancer');
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
    gradCam(model, z, 0);
    expect(tf.memory().numTensors).toBe(before);
  });
});
