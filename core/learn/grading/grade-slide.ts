/** Grades one slide with a PatchGD model: class probabilities and a tissue-masked patch attention map. */
import * as tf from '@tensorflow/tfjs-core';
import { performance } from 'node:perf_hooks';
import { SlidePatchSource } from '../../io/dataset/slide-patches.ts';
import { PatchBatch } from '../patchgd/patch-batch.ts';
import { argmax } from '../../shared/metrics.ts';
import { embed, headLogits, type PatchgdModel } from '../runner/index.ts';
import { SlidePool } from '../../io/slide/index.ts';
import { gradCam, occlusion } from './attention.ts';
import {
  attentionGrid,
  patchGridGeometry,
  tissueOnPatchGrid,
  type AttentionGrid,
  type AttentionMethod,
  type AttentionTarget,
  type PatchGridGeometry,
} from './geometry.ts';

export type GradeStage = 'read' | 'embed' | 'attention' | 'tissue' | 'done';

export interface GradeProgress {
  stage: GradeStage;
  /** Share of this slide's work done, 0–1. */
  fraction: number;
}

export interface GradeSlideOptions {
  attention?: AttentionMethod;
  /** What the map explains (default 'cancer'). */
  attentionTarget?: AttentionTarget;
  signal?: AbortSignal;
  onProgress?: (progress: GradeProgress) => void;
  /** Pool to open the slide from (the caller's, so that a folder run keeps its slides cached). */
  pool?: SlidePool;
}

export interface SlideGrade {
  probabilities: number[];
  predicted: number;
  attention: AttentionGrid;
  /** Where the grid lies on the slide (level-0 cell size, grid side, slide size). */
  geometry: PatchGridGeometry;
  seconds: number;
}

/** Sub-cells per patch side in the tissue mask, so that a patch's tissue share is measured, not guessed. */
const TISSUE_SUBCELLS = 4;

/**
 * Reads the slide as the model's padded square image, embeds it into Z, classifies it and explains the predicted
 * class on the patch grid. `signal` stops it between stages (and between occlusion chunks) with an AbortError.
 */
export async function gradeSlide(
  model: PatchgdModel,
  slidePath: string,
  options: GradeSlideOptions = {},
): Promise<SlideGrade> {
  const start = performance.now();
  const { signal, onProgress } = options;
  const method = options.attention ?? 'gradcam';
  const explains = options.attentionTarget ?? 'cancer';
  const { imageSize, patchSize, normalization } = model.config;
  const pool = options.pool ?? new SlidePool(1);
  try {
    signal?.throwIfAborted();
    onProgress?.({ stage: 'read', fraction: 0 });
    // The slide is read patch by patch as Z fills: the square image is never built.
    const slide = await pool.acquire(slidePath);
    const batch = new PatchBatch(
      [new SlidePatchSource(slide, imageSize, patchSize, () => pool.release(slide))],
      normalization,
    );
    const square = (batch.sources[0] as SlidePatchSource).geometry;
    signal?.throwIfAborted();
    onProgress?.({ stage: 'embed', fraction: 0.2 });
    let z: tf.Tensor4D;
    try {
      z = await embed(model, batch);
    } finally {
      await batch.close();
    }
    try {
      const probs = tf.tidy(() => tf.softmax(headLogits(model, z)));
      const probabilities = Array.from(await probs.data());
      probs.dispose();
      const predicted = argmax(probabilities);
      signal?.throwIfAborted();
      onProgress?.({ stage: 'attention', fraction: 0.5 });
      const target = explains === 'cancer' ? 'cancer' : predicted;
      const raw =
        method !== 'occlusion'
          ? await gradCam(model, z, target, method === 'gradcam' ? 'symmetric' : 'single')
          : await occlusion(model, z, target, {
              signal,
              onChunk: (done, total) =>
                onProgress?.({ stage: 'attention', fraction: 0.5 + (0.3 * done) / total }),
            });
      signal?.throwIfAborted();
      onProgress?.({ stage: 'tissue', fraction: 0.8 });
      const { geometry, mask } = await pool.use(slidePath, async (slide) => {
        const { width, height } = slide.info;
        const geometry = patchGridGeometry(z.shape[1], patchSize, square.scale, width, height);
        return { geometry, mask: await slide.tissueMask({ cellSize: geometry.cell / TISSUE_SUBCELLS }) };
      });
      const tissue = tissueOnPatchGrid(mask, geometry);
      const label = { method, explains, target: predicted };
      // Cancer maps carry the slide's cancer probability, so a slide the model calls benign stays dark.
      const scale = explains === 'cancer' ? 1 - probabilities[0]! : 1;
      const attention = attentionGrid(raw, tissue, geometry, label, scale);
      onProgress?.({ stage: 'done', fraction: 1 });
      return { probabilities, predicted, attention, geometry, seconds: (performance.now() - start) / 1000 };
    } finally {
      z.dispose();
    }
  } finally {
    if (!options.pool) await pool.closeAll();
  }
}
