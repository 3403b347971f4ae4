import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createBackbone,
  layersModelFiles,
  loadLayersModelDir,
  loadWeightsByName,
} from '../../core/learn/models/index.ts';
import { UsageError } from '../../core/base/errors.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';

let root: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await makeTempDir('patchgd-weights-');
});
afterAll(async () => {
  await removeDir(root);
});

async function saveTo(model: Parameters<typeof layersModelFiles>[0], dir: string): Promise<void> {
  const files = new Map<string, Uint8Array | string>();
  await layersModelFiles(model, 'm', files);
  for (const [rel, data] of files) {
    await fs.mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await fs.writeFile(path.join(dir, rel), data);
  }
}

describe('tfjs layers-format weights', () => {
  it('round-trips a model and copies matching layers into a fresh one', async () => {
    const trained = createBackbone('small', { patchSize: 8, latentDim: 4, seed: 1 });
    await saveTo(trained, root);
    const loaded = await loadLayersModelDir(path.join(root, 'm'));
    const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 2);
    const expected = (trained.predict(x) as tf.Tensor).dataSync();
    expect(Array.from((loaded.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from(expected));

    // A backbone with another latent size takes every layer but the final dense one.
    const other = createBackbone('small', { patchSize: 8, latentDim: 6, seed: 9 });
    const copied = await loadWeightsByName(other, path.join(root, 'm'));
    expect(copied).toEqual(['conv0', 'bn0', 'conv1', 'bn1']);
    const a = trained.getLayer('conv1').getWeights()[0]!.dataSync();
    expect(Array.from(other.getLayer('conv1').getWeights()[0]!.dataSync())).toEqual(Array.from(a));
  });

  it('names the file when weights are missing or short', async () => {
    await expect(loadLayersModelDir(path.join(root, 'absent'))).rejects.toThrow(UsageError);
    await fs.writeFile(path.join(root, 'm', 'weights.bin'), new Uint8Array(8));
    await expect(loadLayersModelDir(path.join(root, 'm'))).rejects.toThrow(/weights.bin: holds 8 bytes/);
  });
});
