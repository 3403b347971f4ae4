import { promises as fs } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { UsageError } from '../../base/errors.ts';
import { readStateDictFile } from '../../io/weights/state-dict.ts';
import type { StateDict, WeightTensor } from '../../io/weights/tensor.ts';
import {
  FROM_TORCH,
  LATENT_LAYER,
  PARAM_NAMES,
  TO_TORCH,
  correspondences,
  namingScheme,
  type NamingScheme,
} from './torchvision-names.ts';
import { loadWeightsByName } from './weights.ts';

export type TorchBackbone = 'resnet50' | 'mobilenetv2';

/** ImageNet's class count: a classifier this wide is the pretrained head, not a latent layer. */
const IMAGENET_CLASSES = 1000;

export interface ImportReport {
  scheme: NamingScheme;
  /** Layers given the file's weights. */
  layers: number;
  /** Whether the latent layer came from the file, or kept its fresh initialisation (and why). */
  latent: 'imported' | 'fresh';
  notes: string[];
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function listed(names: string[]): string {
  const shown = names.slice(0, 12).join(', ');
  return names.length > 12 ? `${shown} and ${names.length - 12} more` : shown;
}

/** The output width of a state_dict's final linear layer (`fc` / `classifier`), or null when it has none. */
export function latentWidth(dict: StateDict, backbone: TorchBackbone): number | null {
  const latent = correspondences(backbone, namingScheme(dict.keys())).find((c) => c.layer === LATENT_LAYER)!;
  const weight = dict.get(`${latent.module}.weight`);
  return weight && weight.shape.length === 2 ? weight.shape[0]! : null;
}

/** Strips DataParallel's `module.` prefix, which wraps every key of a state_dict saved from a wrapped model. */
function unwrap(dict: StateDict): StateDict {
  const keys = [...dict.keys()];
  if (keys.length === 0 || !keys.every((k) => k.startsWith('module.'))) return dict;
  return new Map([...dict].map(([k, v]) => [k.slice('module.'.length), v]));
}

/**
 * Copies a PyTorch state_dict (torchvision or timm names) into our backbone: convolutions OIHW → HWIO, depthwise
 * [C, 1, h, w] → [h, w, C, 1], linear [out, in] → [in, out], batch norm weight/bias/running_mean/running_var →
 * gamma/beta/moving_mean/moving_variance (num_batches_tracked is accepted and unused). Every parameter must be
 * there with the right shape and nothing else may be, or nothing is copied and the error lists the names. A
 * 1000-class `fc`/`classifier` (ImageNet's) or none at all leaves the latent layer freshly initialised, as the
 * reference does when it replaces `fc`.
 */
export function applyStateDict(
  model: tfl.LayersModel,
  backbone: TorchBackbone,
  source: StateDict,
  file: string,
): ImportReport {
  const dict = unwrap(source);
  const scheme = namingScheme(dict.keys());
  const used = new Set<string>();
  const missing: string[] = [];
  const misshaped: string[] = [];
  const assignments: Array<{ layer: tfl.layers.Layer; values: tf.Tensor[] }> = [];
  const notes: string[] = [];
  let latent: ImportReport['latent'] = 'imported';
  for (const { layer: layerName, module, kind } of correspondences(backbone, scheme)) {
    const layer = model.getLayer(layerName);
    const names = PARAM_NAMES[kind].map((p) => `${module}.${p}`);
    const targets = layer.weights.map((w) => w.shape as number[]);
    // Only the weight (first parameter) changes layout; biases and batch-norm vectors are as they are.
    const perm = FROM_TORCH[kind];
    const expected = targets.map((shape, i) =>
      perm && i === 0 ? TO_TORCH[kind]!.map((a) => shape[a]!) : shape,
    );
    if (kind === 'bn') used.add(`${module}.num_batches_tracked`);
    if (layerName === LATENT_LAYER) {
      const weight = dict.get(names[0]!);
      const width = weight?.shape[0];
      const reason =
        weight === undefined
          ? `has no ${module} layer`
          : width === IMAGENET_CLASSES && expected[0]![0] !== IMAGENET_CLASSES
            ? `has a ${IMAGENET_CLASSES}-class ${module} (ImageNet's classifier)`
            : null;
      if (reason) {
        names.forEach((n) => used.add(n));
        latent = 'fresh';
        notes.push(
          `${file} ${reason}: the backbone's weights are imported and the ${expected[0]![0]}-wide latent layer ` +
            'keeps a fresh initialisation, as the reference does',
        );
        continue;
      }
    }
    const tensors: WeightTensor[] = [];
    names.forEach((name, i) => {
      const tensor = dict.get(name);
      if (!tensor) return missing.push(name);
      used.add(name);
      if (!tf.util.arraysEqual(tensor.shape, expected[i]!))
        return misshaped.push(`${name} ${shapeText(tensor.shape)} ≠ ${shapeText(expected[i]!)}`);
      tensors.push(tensor);
    });
    if (tensors.length === names.length)
      assignments.push({
        layer,
        values: tensors.map((t, i) => {
          const value = tf.tensor(t.values, t.shape, 'float32');
          if (!perm || i > 0) return value;
          const moved = tf.transpose(value, [...perm]);
          value.dispose();
          return moved;
        }),
      });
  }
  const extra = [...dict.keys()].filter((k) => !used.has(k));
  if (missing.length || misshaped.length || extra.length) {
    tf.dispose(assignments.flatMap((a) => a.values));
    const problems = [
      missing.length ? `missing ${listed(missing)}` : '',
      misshaped.length ? `mis-shaped ${listed(misshaped)} (file ≠ expected)` : '',
      extra.length ? `unexpected ${listed(extra)}` : '',
    ].filter(Boolean);
    throw new UsageError(file, `does not fit ${scheme} ${backbone} with this width: ${problems.join('; ')}`);
  }
  for (const { layer, values } of assignments) {
    layer.setWeights(values);
    tf.dispose(values);
  }
  return { scheme, layers: assignments.length, latent, notes };
}

/** Our backbone's parameters and batch-norm statistics under torchvision's names and layouts. */
export function exportStateDict(model: tfl.LayersModel, backbone: TorchBackbone): StateDict {
  const dict: StateDict = new Map();
  for (const { layer: layerName, module, kind } of correspondences(backbone)) {
    const weights = model.getLayer(layerName).getWeights();
    const perm = TO_TORCH[kind];
    PARAM_NAMES[kind].forEach((param, i) => {
      const moved = perm !== null && i === 0;
      const value = moved ? tf.transpose(weights[i]!, [...perm]) : weights[i]!;
      dict.set(`${module}.${param}`, {
        dtype: 'F32',
        shape: value.shape,
        values: value.dataSync() as Float32Array,
      });
      if (moved) value.dispose();
    });
    // torchvision's state_dict has the counter; load_state_dict(strict=True) wants it.
    if (kind === 'bn')
      dict.set(`${module}.num_batches_tracked`, { dtype: 'I64', shape: [], values: new Float32Array(1) });
  }
  return dict;
}

export interface BackboneWeightsResult {
  notes: string[];
}

/**
 * Gives a backbone the weights at `source`: a PyTorch state_dict file (torch.save zip or safetensors, strictly
 * mapped), or a tfjs layers-format folder (what `patchgd weights import` writes; copied layer by layer by name).
 */
export async function loadBackboneWeights(
  model: tfl.LayersModel,
  backbone: string,
  source: string,
): Promise<BackboneWeightsResult> {
  const stat = await fs.stat(source).catch(() => null);
  if (!stat) throw new UsageError(source, 'no such file or folder');
  if (stat.isDirectory()) {
    const copied = await loadWeightsByName(model, source);
    if (copied.length === 0) throw new UsageError(source, 'no layer of these weights matches the backbone');
    const skipped = model.layers.filter((l) => l.weights.length > 0 && !copied.includes(l.name));
    return {
      notes: skipped.length
        ? [`${source}: layers kept fresh (no matching weights): ${listed(skipped.map((l) => l.name))}`]
        : [],
    };
  }
  if (backbone !== 'resnet50' && backbone !== 'mobilenetv2')
    throw new UsageError(source, `PyTorch weights map onto resnet50 or mobilenetv2, not ${backbone}`);
  const report = applyStateDict(model, backbone, await readStateDictFile(source), source);
  return { notes: report.notes };
}
