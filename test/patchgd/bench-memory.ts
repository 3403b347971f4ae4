/**
 * Memory benchmark: measured peak tensor bytes of one training step, PatchGD vs end-to-end GD on the full image,
 * for one image size, on the cpu backend. Prints one JSON object.
 *   npx tsx test/patchgd/bench-memory.ts [imageSize=512] [patchSize=32] [backbone=small] [latentDim=256]
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Adam } from '../../core/patchgd/adam.ts';
import { parseTrainConfig } from '../../core/patchgd/config.ts';
import { planGrid } from '../../core/patchgd/grid.ts';
import { measureGdPeak, measurePatchgdPeak, updateMargin } from '../../core/patchgd/memory.ts';
import { buildModels, disposeModels, trainableVariables } from '../../core/patchgd/models.ts';

await tf.setBackend('cpu');
const [imageSize = 512, patchSize = 32] = process.argv.slice(2, 4).map(Number);
const backbone = (process.argv[4] ?? 'small') as 'small' | 'resnet50' | 'mobilenetv2';
const latentDim = Number(process.argv[5] ?? 256);
const base = { backbone, imageSize, patchSize, latentDim, numClasses: 6, batchSize: 1 };

async function peak(method: 'patchgd' | 'gd'): Promise<{ peakBytes: number; seconds: number }> {
  const config = parseTrainConfig({ ...base, method });
  const models = buildModels(config);
  const variables = trainableVariables(models);
  const optimizer = new Adam(variables);
  const started = performance.now();
  const bytes =
    method === 'gd'
      ? await measureGdPeak(models, variables, imageSize, 1, 6)
      : await measurePatchgdPeak(
          models,
          variables,
          imageSize,
          1,
          planGrid(imageSize, patchSize, 1 / 8, true).patchesPerIteration,
          6,
        );
  const seconds = (performance.now() - started) / 1000;
  const result = { peakBytes: bytes + updateMargin(variables), seconds };
  optimizer.dispose();
  disposeModels(models);
  return result;
}

const patchgd = await peak('patchgd');
const gd = await peak('gd');
process.stdout.write(
  `${JSON.stringify({ bench: 'patchgd-step-peak', backend: tf.getBackend(), ...base, patchgd, gd, ratio: gd.peakBytes / patchgd.peakBytes })}\n`,
);
