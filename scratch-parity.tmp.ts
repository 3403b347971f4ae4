import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from './core/engine/backend.ts';
import { parseTrainConfig } from './core/patchgd/config.ts';
import { buildModels, trainableVariables, disposeModels } from './core/patchgd/models.ts';
import { fillZ, innerIteration, toPatches, oneHotLabels } from './core/patchgd/step.ts';
import { gdGradients, downscale } from './core/patchgd/gd.ts';
import { relError, uniformValues } from './test/helpers/tensors.ts';

async function run(backend: string, backbone: string, method: 'patchgd'|'gd', weights: Float32Array[] | null) {
  await tf.setBackend(backend);
  const config = parseTrainConfig({ backbone, method, widthMultiplier: backbone==='mobilenetv2'?0.35:undefined, imageSize: 64, patchSize: 32, latentDim: 8, numClasses: 3, sampling: 0.5, seed: 3 } as never);
  const models = buildModels(config, method === 'gd' ? 32 : undefined);
  const vars = trainableVariables(models);
  const all = [...models.backbone.weights, ...models.head.weights];
  if (weights) all.forEach((w, i) => w.write(tf.tensor(weights[i]!, w.shape)));
  const init = await Promise.all(all.map(async (w) => (await w.read().data()) as Float32Array));
  const images = tf.tensor4d(uniformValues(2 * 64 * 64 * 3, 9), [2, 64, 64, 3]);
  const oneHot = oneHotLabels([0, 2], 3);
  const t0 = performance.now();
  let loss: tf.Scalar, grads: tf.Tensor[];
  if (method === 'patchgd') {
    const patches = toPatches(images, 32);
    const z = fillZ(models.backbone, patches, 2, true);
    const r = innerIteration(models, vars, z, patches, [1, 2], oneHot, 1, 7);
    loss = r.loss; grads = r.grads;
  } else {
    const r = gdGradients(models, vars, downscale(images, 32), oneHot);
    loss = r.loss; grads = r.grads;
  }
  const l = (await loss.data())[0]!;
  const g = await Promise.all(grads.map(async (t) => (await t.data()) as Float32Array));
  const ms = performance.now() - t0;
  disposeModels(models);
  return { l, g, init, ms, names: vars.map(v=>v.name) };
}

await selectBackend({ prefer: 'wasm', env: {} });
await selectBackend({ prefer: 'webgpu', softwareGpu: true, env: {} });
const which = process.argv[2]!.split(',');
const meth = process.argv[3] as 'gd';
for (const backbone of [process.argv[4] ?? 'mobilenetv2']) {
  const a = await run(which[0]!, backbone, meth, null);
  const b = await run(which[1]!, backbone, meth, a.init);
  let gmax = 0; for (const g of a.g) for (const v of g) gmax = Math.max(gmax, Math.abs(v));
  const errs = a.g.map((g, i) => { let e = 0; g.forEach((v, j) => (e = Math.max(e, Math.abs(v - b.g[i]![j]!)))); return e / gmax; });
  const worst = Math.max(...errs);
  console.log(which, backbone, meth, 'loss', a.l, b.l, 'worst', worst.toExponential(2), a.names[errs.indexOf(worst)]);
}
