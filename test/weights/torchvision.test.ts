import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../core/learn/backend/backend.ts';
import { createBackbone } from '../../core/learn/models/registry.ts';
import {
  applyStateDict,
  exportStateDict,
  type TorchBackbone,
} from '../../core/learn/models/pytorch-weights.ts';
import { PARAM_NAMES, TO_TORCH, correspondences } from '../../core/learn/models/torchvision-names.ts';
import { writeSafetensors } from '../../core/io/weights/safetensors.ts';
import { readStateDictFile } from '../../core/io/weights/state-dict.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';
import { readNpyFile, reference, relativeError, torchMissing } from './reference.ts';

// torchvision's models with fixed seeds against ours with their weights imported, on the engine's backend (wasm):
// outputs in eval and train mode, one step's gradients, and the export loaded back into PyTorch. References are
// PyTorch in float64 from the same float32 weights (PyTorch's own float32 error is printed alongside; its
// training-mode gradients are the least accurate of the three).
const CASES: Array<{ name: TorchBackbone; torch: string; width: number }> = [
  { name: 'mobilenetv2', torch: 'mobilenet_v2', width: 0.5 },
  { name: 'mobilenetv2', torch: 'mobilenet_v2', width: 1 },
  { name: 'resnet50', torch: 'resnet50', width: 1 },
];
const TOLERANCE = 1e-4;

beforeAll(async () => {
  await selectBackend({ prefer: 'wasm', env: {} });
});

function outputOf(model: tfl.LayersModel, x: tf.Tensor4D, training: boolean): Float32Array {
  return tf.tidy(() => (model.apply(x, { training }) as tf.Tensor).dataSync() as Float32Array);
}

describe.skipIf(torchMissing !== null).each(CASES)(
  '$torch (width $width) from PyTorch',
  ({ name, torch, width }) => {
    let dir: string;
    let x: tf.Tensor4D;
    let model: tfl.LayersModel;
    let torchErrors: { eval: number; train: number; grads: number };
    const args = [torch, String(width), '256'];

    beforeAll(async () => {
      dir = await makeTempDir(`weights-${torch}-`);
      await reference('make', ...args, '7', dir);
      const batch = await readNpyFile(path.join(dir, 'x.npy'));
      x = tf.transpose(
        tf.tensor4d(batch.values, batch.shape as [number, number, number, number]),
        [0, 2, 3, 1],
      );
      model = createBackbone(name, { patchSize: 64, latentDim: 256, widthMultiplier: width, seed: 1 });
      torchErrors = JSON.parse(await readFile(path.join(dir, 'torch-float32-errors.json'), 'utf8'));
    }, 120_000);

    afterAll(async () => {
      model?.dispose();
      x?.dispose();
      await removeDir(dir);
    });

    it('imports torch.save and safetensors alike and matches in eval and train mode', async () => {
      const fromPt = await readStateDictFile(path.join(dir, 'model.pt'));
      const fromSafetensors = await readStateDictFile(path.join(dir, 'model.safetensors'));
      expect([...fromSafetensors.keys()]).toEqual([...fromPt.keys()]);
      // Byte comparison: vitest's deep equality takes minutes over ResNet50's 25 M values.
      const bytes = (values: Float32Array) =>
        Buffer.from(values.buffer, values.byteOffset, values.byteLength);
      const differing = [...fromPt].filter(
        ([key, t]) => !bytes(fromSafetensors.get(key)!.values).equals(bytes(t.values)),
      );
      expect(differing.map(([key]) => key)).toEqual([]);
      const report = applyStateDict(model, name, fromPt, 'model.pt');
      expect(report).toMatchObject({ scheme: 'torchvision', latent: 'imported', notes: [] });
      const evalRef = await readNpyFile(path.join(dir, 'eval.npy'));
      const trainRef = await readNpyFile(path.join(dir, 'train.npy'));
      const evalErr = relativeError([[outputOf(model, x, false), evalRef.values]]);
      const trainErr = relativeError([[outputOf(model, x, true), trainRef.values]]);
      console.log(
        `${torch} ${width}: output error eval ${evalErr.toExponential(2)}, train ${trainErr.toExponential(2)} ` +
          `(PyTorch float32: ${torchErrors.eval.toExponential(2)}, ${torchErrors.train.toExponential(2)})`,
      );
      expect(evalErr).toBeLessThanOrEqual(TOLERANCE);
      expect(trainErr).toBeLessThanOrEqual(TOLERANCE);
    }, 300_000);

    it("computes one training step's gradients as torch.autograd does", async () => {
      const r = await readNpyFile(path.join(dir, 'r.npy'));
      const reference = await readStateDictFile(path.join(dir, 'grads.safetensors'));
      const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
      const { value, grads } = tf.variableGrads(() => {
        const y = model.apply(x, { training: true }) as tf.Tensor2D;
        return tf.sum(tf.mul(y, tf.tensor2d(r.values, r.shape as [number, number])));
      }, variables);
      value.dispose();
      const pairs: Array<[Float32Array, Float32Array]> = [];
      for (const { layer, module, kind } of correspondences(name)) {
        model.getLayer(layer).trainableWeights.forEach((w, i) => {
          const grad = grads[(w.read() as tf.Variable).name]!;
          const perm = TO_TORCH[kind];
          const torchLayout = perm && i === 0 ? tf.transpose(grad, [...perm]) : grad;
          pairs.push([
            torchLayout.dataSync() as Float32Array,
            reference.get(`${module}.${PARAM_NAMES[kind][i]}`)!.values,
          ]);
          if (torchLayout !== grad) torchLayout.dispose();
        });
      }
      tf.dispose(grads);
      expect(pairs).toHaveLength(reference.size);
      const err = relativeError(pairs);
      console.log(
        `${torch} ${width}: gradient error ${err.toExponential(2)} (PyTorch float32: ${torchErrors.grads.toExponential(2)})`,
      );
      expect(err).toBeLessThanOrEqual(TOLERANCE);
    }, 180_000);

    it('exports weights that PyTorch loads strictly and computes the same outputs with', async () => {
      const file = path.join(dir, 'exported.safetensors');
      await writeFile(file, writeSafetensors(exportStateDict(model, name)));
      await reference('check', ...args, file, path.join(dir, 'x.npy'), path.join(dir, 'check.npy'));
      const theirs = await readNpyFile(path.join(dir, 'check.npy'));
      expect(relativeError([[outputOf(model, x, false), theirs.values]])).toBeLessThanOrEqual(TOLERANCE);
    }, 120_000);
  },
);
