import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  countTrainableParams,
  createBackbone,
  createHead,
  createPassThroughHead,
  headSpatialSizes,
  makeDivisible,
  SpatialDropout2D,
} from '../../core/learn/models/index.ts';
import { UsageError } from '../../core/base/errors.ts';
import { parseTrainConfig } from '../../core/shared/train-config.ts';
import { buildModels, disposeModels } from '../../core/learn/patchgd/models.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Parameters of the final dense layer to the latent size (not part of the published backbone counts). */
const latentParams = (features: number, d: number) => features * d + d;

describe('backbones', () => {
  it('ResNet50 has the published 23.5M conv/BN parameters without its classifier', () => {
    const model = createBackbone('resnet50', { patchSize: 32, latentDim: 256, seed: 1 });
    // torchvision resnet50: 25,557,032 parameters minus its 2048→1000 classifier = 23,508,032.
    expect(countTrainableParams(model) - latentParams(2048, 256)).toBe(23_508_032);
    expect(model.outputs[0]!.shape).toEqual([null, 256]);
    model.dispose();
  });

  it('MobileNetV2 1.0 has the published 2.2M parameters; the width multiplier scales it', () => {
    const full = createBackbone('mobilenetv2', { patchSize: 32, latentDim: 256, seed: 1 });
    // torchvision mobilenet_v2: 3,504,872 minus its 1280→1000 classifier = 2,223,872.
    expect(countTrainableParams(full) - latentParams(1280, 256)).toBe(2_223_872);
    const half = createBackbone('mobilenetv2', {
      patchSize: 32,
      latentDim: 256,
      widthMultiplier: 0.5,
      seed: 1,
    });
    expect(countTrainableParams(half)).toBeLessThan(countTrainableParams(full) / 2);
    expect(makeDivisible(32 * 0.5)).toBe(16);
    expect(makeDivisible(1280 * 1.4)).toBe(1792);
    full.dispose();
    half.dispose();
  });

  it('embeds m×m×3 patches to d values and is seeded', () => {
    const a = createBackbone('small', { patchSize: 8, latentDim: 5, seed: 3 });
    const b = createBackbone('small', { patchSize: 8, latentDim: 5, seed: 3 });
    const c = createBackbone('small', { patchSize: 8, latentDim: 5, seed: 4 });
    const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 7);
    const [ya, yb, yc] = [a, b, c].map((m) => m.predict(x) as tf.Tensor);
    expect(ya!.shape).toEqual([2, 5]);
    expect(Array.from(ya!.dataSync())).toEqual(Array.from(yb!.dataSync()));
    expect(Array.from(ya!.dataSync())).not.toEqual(Array.from(yc!.dataSync()));
    tf.dispose([x, ya!, yb!, yc!]);
    [a, b, c].forEach((m) => m.dispose());
  });

  it('MobileNetV2 runs forward on a real patch', () => {
    const model = createBackbone('mobilenetv2', {
      patchSize: 32,
      latentDim: 8,
      widthMultiplier: 0.35,
      seed: 1,
    });
    const y = model.predict(tf.ones([1, 32, 32, 3])) as tf.Tensor;
    expect(y.shape).toEqual([1, 8]);
    expect(Array.from(y.dataSync()).every(Number.isFinite)).toBe(true);
    y.dispose();
    model.dispose();
  });

  it('rejects unusable sizes with a clear error', () => {
    expect(() => createBackbone('resnet50', { patchSize: 16, latentDim: 8, seed: 1 })).toThrow(UsageError);
    expect(() => createBackbone('small', { patchSize: 0, latentDim: 8, seed: 1 })).toThrow(/patch size/);
    expect(() => createHead({ k: 4, latentDim: 8, numClasses: 1, seed: 1 })).toThrow(/2 classes/);
  });
});

describe('head g', () => {
  it('halves the grid until it is at most 2×2, for any k', () => {
    expect(headSpatialSizes(16)).toEqual([16, 8, 4, 2]);
    expect(headSpatialSizes(12)).toEqual([12, 6, 3, 2]);
    expect(headSpatialSizes(7)).toEqual([7, 4, 2]);
    expect(headSpatialSizes(5)).toEqual([5, 3, 2]);
    expect(headSpatialSizes(3)).toEqual([3, 2]);
    expect(headSpatialSizes(2)).toEqual([2]);
    expect(headSpatialSizes(1)).toEqual([1]);
  });

  it.each([1, 2, 3, 5, 7, 12, 16])('maps a %i×%i×d grid to class logits', (k) => {
    const d = 4;
    const head = createHead({ k, latentDim: d, numClasses: 6, seed: 2 });
    const sizes = headSpatialSizes(k);
    const last = sizes[sizes.length - 1]!;
    const dense = head.getLayer('logits');
    expect(dense.getWeights()[0]!.shape).toEqual([last * last * d, 6]);
    // blocks × (conv kernel + bias + BN γ, β) + dense
    expect(head.trainableWeights.length).toBe(sizes.length * 4 + 2);
    const z = tf.randomNormal([2, k, k, d], 0, 1, 'float32', 1);
    const logits = head.apply(z, { training: true }) as tf.Tensor;
    expect(logits.shape).toEqual([2, 6]);
    tf.dispose([z, logits]);
    head.dispose();
  });

  it('drops whole channels in training only, with reproducible masks', () => {
    const head = createHead({ k: 2, latentDim: 16, numClasses: 3, seed: 2, dropout: 0.5 });
    const layer = head.getLayer('block0_dropout');
    expect(layer).toBeInstanceOf(SpatialDropout2D);
    const x = tf.ones([1, 2, 2, 16]);
    (layer as SpatialDropout2D).setSeed(11);
    const a = layer.apply(x, { training: true }) as tf.Tensor;
    (layer as SpatialDropout2D).setSeed(11);
    const b = layer.apply(x, { training: true }) as tf.Tensor;
    const inference = layer.apply(x, { training: false }) as tf.Tensor;
    const values = a.arraySync() as number[][][][];
    // Each channel is either dropped (0) everywhere or kept and scaled by 1/(1-rate) everywhere.
    for (let c = 0; c < 16; c++) {
      const channel = [
        values[0]![0]![0]![c],
        values[0]![0]![1]![c],
        values[0]![1]![0]![c],
        values[0]![1]![1]![c],
      ];
      expect(new Set(channel).size).toBe(1);
      expect([0, 2]).toContain(channel[0]);
    }
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    expect(Array.from(inference.dataSync()).every((v) => v === 1)).toBe(true);
    tf.dispose([x, a, b, inference]);
    head.dispose();
  });

  it("the GD baseline's head has no weights and passes the backbone's class logits through", () => {
    const head = createPassThroughHead(6);
    expect(countTrainableParams(head)).toBe(0);
    const logits = tf.tensor2d([[1, -2, 3, 0.5, 0, 9]]);
    const out = head.apply(logits, { training: true }) as tf.Tensor;
    expect(Array.from(out.dataSync())).toEqual([1, -2, 3, 0.5, 0, 9]);
    expect(() => createPassThroughHead(1)).toThrow(/at least 2 classes/);
    // The run's GD models: the backbone's final dense layer is d = classes wide, as the reference's fc.
    const gd = buildModels(
      parseTrainConfig({ method: 'gd', backbone: 'small', imageSize: 32, numClasses: 3 }),
    );
    expect(gd.backbone.outputs[0]!.shape).toEqual([null, 3]);
    expect(countTrainableParams(gd.head)).toBe(0);
    disposeModels(gd);
    tf.dispose([logits, out]);
    head.dispose();
  });
});
