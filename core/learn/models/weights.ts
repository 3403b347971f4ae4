import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { UsageError } from '../../base/errors.ts';
import './spatial-dropout.ts';
import './sync-batch-norm.ts';

/** Parses a JSON file; failures name the file. */
export async function readJsonFile(file: string): Promise<unknown> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (err) {
    throw new UsageError(file, `cannot read: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function weightBytes(data: tf.io.WeightData | undefined): Uint8Array {
  if (!data) return new Uint8Array(0);
  return new Uint8Array(tf.io.CompositeArrayBuffer.join(data));
}

/** Adds a model in the tfjs layers format to `files`: `<prefix>/model.json` (topology + manifest), `<prefix>/weights.bin`. */
export async function layersModelFiles(
  model: tfl.LayersModel,
  prefix: string,
  files: Map<string, Uint8Array | string>,
): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const modelJson = {
        format: 'layers-model',
        generatedBy: `TensorFlow.js tfjs-layers v${tfl.version_layers}`,
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      };
      files.set(`${prefix}/model.json`, JSON.stringify(modelJson));
      files.set(`${prefix}/weights.bin`, weightBytes(artifacts.weightData));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
}

/** Loads a tfjs layers-format model folder (model.json + its weight files) from disk. */
export async function loadLayersModelDir(dir: string): Promise<tfl.LayersModel> {
  const jsonPath = path.join(dir, 'model.json');
  const json = (await readJsonFile(jsonPath)) as {
    modelTopology?: object;
    weightsManifest?: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
  };
  if (!json.modelTopology || !Array.isArray(json.weightsManifest))
    throw new UsageError(jsonPath, 'not a tfjs layers model (no modelTopology or weightsManifest)');
  const weightSpecs = json.weightsManifest.flatMap((g) => g.weights);
  const buffers = await Promise.all(
    json.weightsManifest
      .flatMap((g) => g.paths)
      .map(async (p) => new Uint8Array(await fs.readFile(path.join(dir, p)))),
  );
  const joined = new Uint8Array(buffers.reduce((n, b) => n + b.length, 0));
  let offset = 0;
  for (const b of buffers) {
    joined.set(b, offset);
    offset += b.length;
  }
  const expected = weightSpecs.reduce(
    (n, s) => n + tf.util.sizeFromShape(s.shape) * (s.dtype === 'float32' || s.dtype === 'int32' ? 4 : 1),
    0,
  );
  if (joined.length !== expected)
    throw new UsageError(
      path.join(dir, 'weights.bin'),
      `holds ${joined.length} bytes, the manifest needs ${expected}`,
    );
  try {
    return await tfl.loadLayersModel({
      load: async () => ({ modelTopology: json.modelTopology, weightSpecs, weightData: joined.buffer }),
    });
  } catch (err) {
    throw new UsageError(jsonPath, `cannot build model: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * Copies weights a user has (a tfjs layers-format folder, e.g. a converted ImageNet backbone) into `target`, layer
 * by layer where names and weight shapes match; returns the names of the layers copied. Layers that do not match
 * (such as a different classifier) keep their initial weights.
 */
export async function loadWeightsByName(target: tfl.LayersModel, dir: string): Promise<string[]> {
  const source = await loadLayersModelDir(dir);
  const copied: string[] = [];
  try {
    for (const layer of target.layers) {
      const from = source.layers.find((l) => l.name === layer.name);
      if (!from || layer.weights.length === 0) continue;
      const values = from.getWeights();
      const fits =
        values.length === layer.weights.length &&
        values.every((v, i) => tf.util.arraysEqual(v.shape, layer.weights[i]!.shape as number[]));
      if (!fits) continue;
      layer.setWeights(values);
      copied.push(layer.name);
    }
  } finally {
    source.dispose();
  }
  return copied;
}
