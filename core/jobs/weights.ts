import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { UsageError } from '../base/errors.ts';
import { writeDirAtomic, writeFileAtomic } from '../base/atomic.ts';
import {
  applyStateDict,
  exportStateDict,
  latentWidth,
  type TorchBackbone,
} from '../learn/models/pytorch-weights.ts';
import { createBackbone } from '../learn/models/registry.ts';
import { layersModelFiles, loadLayersModelDir, loadWeightsByName } from '../learn/models/weights.ts';
import { loadCheckpoint } from '../learn/runner/checkpoint.ts';
import { readRunConfig } from '../learn/runner/predict.ts';
import { readNpy } from '../io/weights/npy.ts';
import { writeSafetensors } from '../io/weights/safetensors.ts';
import { readStateDictFile } from '../io/weights/state-dict.ts';

/** The latent size of the reference (and our default) when a file brings none of its own. */
const DEFAULT_LATENT = 256;
/** The smallest patch our backbones take; weights do not depend on it, so imported folders are built at it. */
const IMPORT_PATCH = 32;

export interface ImportWeightsJob {
  backbone: TorchBackbone;
  /** MobileNetV2 width multiplier (default 1). */
  width?: number;
  from: string;
  out: string;
  /** Latent size d; default the file's `fc`/`classifier` width, or 256 when it has ImageNet's (or none). */
  latentDim?: number;
  /** Seed of the fresh initialisation of layers the file does not provide. */
  seed?: number;
}

export interface ImportWeightsResult {
  out: string;
  scheme: string;
  layers: number;
  latentDim: number;
  latent: 'imported' | 'fresh';
  notes: string[];
}

/**
 * Converts a PyTorch state_dict into a tfjs layers-format backbone folder (model.json, weights.bin, and
 * import.json saying where it came from), which `train --backbone-weights` and `embed --weights` take.
 */
export async function importWeights(job: ImportWeightsJob): Promise<ImportWeightsResult> {
  const dict = await readStateDictFile(job.from);
  const width = latentWidth(dict, job.backbone);
  const latentDim = job.latentDim ?? (width !== null && width !== 1000 ? width : DEFAULT_LATENT);
  const model = createBackbone(job.backbone, {
    patchSize: IMPORT_PATCH,
    latentDim,
    widthMultiplier: job.width,
    seed: job.seed ?? 42,
  });
  try {
    const report = applyStateDict(model, job.backbone, dict, job.from);
    const files = new Map<string, Uint8Array | string>();
    await layersModelFiles(model, 'backbone', files);
    const folder = new Map([...files].map(([name, data]) => [path.basename(name), data]));
    const provenance = {
      backbone: job.backbone,
      widthMultiplier: job.width ?? 1,
      source: path.resolve(job.from),
      scheme: report.scheme,
      latentDim,
      latent: report.latent,
    };
    folder.set('import.json', JSON.stringify(provenance, null, 2));
    const out = path.resolve(job.out);
    await writeDirAtomic(path.dirname(out), path.basename(out), folder);
    return {
      out,
      scheme: report.scheme,
      layers: report.layers,
      latentDim,
      latent: report.latent,
      notes: report.notes,
    };
  } finally {
    model.dispose();
  }
}

export interface ExportWeightsJob {
  /** Run folder written by `patchgd train`. */
  model: string;
  out: string;
  checkpoint?: 'best' | 'last';
}

/** Writes a trained run's backbone as safetensors under torchvision's names (loadable by `load_state_dict`). */
export async function exportWeights(job: ExportWeightsJob): Promise<{ out: string; tensors: number }> {
  const config = await readRunConfig(job.model);
  if (config.backbone !== 'resnet50' && config.backbone !== 'mobilenetv2')
    throw new UsageError(
      job.model,
      `its ${config.backbone} backbone has no torchvision counterpart to export to`,
    );
  const names = job.checkpoint ? [job.checkpoint] : (['best', 'last'] as const);
  for (const name of names) {
    const ckpt = await loadCheckpoint(job.model, name);
    if (!ckpt) continue;
    try {
      const dict = exportStateDict(ckpt.backbone, config.backbone);
      const metadata = {
        format: 'pt',
        backbone: config.backbone,
        width_mult: String(config.widthMultiplier),
      };
      await writeFileAtomic(job.out, writeSafetensors(dict, metadata));
      return { out: path.resolve(job.out), tensors: dict.size };
    } finally {
      ckpt.backbone.dispose();
      ckpt.head.dispose();
    }
  }
  throw new UsageError(path.join(job.model, 'checkpoints'), `no ${names.join(' or ')} checkpoint`);
}

export interface EmbedJob {
  backbone: TorchBackbone;
  width?: number;
  /** A PyTorch state_dict file or a folder written by `importWeights`. */
  weights: string;
  /** NCHW float .npy batch, used as is (no normalisation). */
  input: string;
  /** Batch statistics in the batch norms instead of the running ones. */
  trainMode?: boolean;
}

/** Builds a backbone sized for `patchSize` holding the weights at `source`, every layer filled from it. */
async function backboneWithWeights(
  job: Pick<EmbedJob, 'backbone' | 'width' | 'weights'>,
  patchSize: number,
): Promise<tfl.LayersModel> {
  const options = { patchSize, widthMultiplier: job.width, seed: 0 };
  const stat = await fs.stat(job.weights).catch(() => null);
  if (!stat) throw new UsageError(job.weights, 'no such file or folder');
  if (!stat.isDirectory()) {
    const dict = await readStateDictFile(job.weights);
    const model = createBackbone(job.backbone, {
      ...options,
      latentDim: latentWidth(dict, job.backbone) ?? DEFAULT_LATENT,
    });
    try {
      const report = applyStateDict(model, job.backbone, dict, job.weights);
      if (report.latent === 'fresh') throw new UsageError(job.weights, report.notes.join('; '));
      return model;
    } catch (err) {
      model.dispose();
      throw err;
    }
  }
  const source = await loadLayersModelDir(job.weights);
  let latentDim: number;
  try {
    const kernel = source.layers.find((l) => l.name === 'latent')?.weights[0];
    if (!kernel) throw new UsageError(job.weights, `holds no latent layer: not a ${job.backbone} backbone`);
    latentDim = kernel.shape[1]!;
  } finally {
    source.dispose();
  }
  const model = createBackbone(job.backbone, { ...options, latentDim });
  const copied = await loadWeightsByName(model, job.weights);
  const missing = model.layers.filter((l) => l.weights.length > 0 && !copied.includes(l.name));
  if (missing.length) {
    model.dispose();
    throw new UsageError(
      job.weights,
      `does not fit ${job.backbone} with this width: no weights for ${missing.map((l) => l.name).join(', ')}`,
    );
  }
  return model;
}

/** The backbone's output (the latent vectors) for a batch of images, as PyTorch computes it on the same batch. */
export async function embedBatch(job: EmbedJob): Promise<number[][]> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await fs.readFile(job.input));
  } catch (err) {
    throw new UsageError(job.input, `cannot read: ${err instanceof Error ? err.message : String(err)}`);
  }
  const batch = readNpy(bytes, job.input);
  const [n, c, h, w] = batch.shape;
  if (batch.shape.length !== 4 || c !== 3 || h !== w)
    throw new UsageError(
      job.input,
      `expected an N×3×S×S (NCHW) batch, got shape [${batch.shape.join(', ')}]`,
    );
  const model = await backboneWithWeights(job, h!);
  try {
    const latent = tf.tidy(() => {
      const x = tf.transpose(tf.tensor4d(batch.values, [n!, c!, h!, w!]), [0, 2, 3, 1]);
      return model.apply(x, { training: job.trainMode === true }) as tf.Tensor2D;
    });
    const rows = latent.arraySync();
    latent.dispose();
    return rows;
  } finally {
    model.dispose();
  }
}
