/**
 * The one grading loop, shared by `patchgd grade` (`grade-folder.ts`) and the app's engine process
 * (`core/app/grade-items.ts`): loads a run's model, grades the given items one after another through one slide
 * pool, reports progress, stops when cancelled, and turns a failing item into that item's error while the others
 * go on. What is done with each result — files, store records, events — is the caller's sink.
 */
import { performance } from 'node:perf_hooks';
import { UsageError } from '../base/errors.ts';
import type { DatasetLayout } from '../io/dataset/index.ts';
import { readImageFileSquare, readSlideSquare } from '../io/dataset/square-image.ts';
import type { SlidePool } from '../io/slide/pool.ts';
import { streamingSlidePool } from '../io/dataset/slide-source.ts';
import type { AttentionMethod, AttentionTarget } from '../learn/grading/geometry.ts';
import { gradeSlide, type GradeProgress, type SlideGrade } from '../learn/grading/grade-slide.ts';
import {
  disposeModel,
  loadModel,
  predict,
  type PatchgdModel,
  type TrainConfig,
} from '../learn/runner/index.ts';

/** What the loop needs of an item; callers pass their own item type through to their sink. */
export interface GradeTarget {
  imagePath: string;
}

export interface ItemGrade {
  predicted: number;
  probabilities: number[];
  /** The slide's grade with its attention grid and geometry; null when graded without attention. */
  slide: SlideGrade | null;
}

/** Where an item stands in the run, passed to the sink with it. */
export interface ItemContext {
  index: number;
  total: number;
  /** `performance.now()` when this item began, so a sink can time its own output work with the grading. */
  startedAt: number;
  /** The run's slide pool (a sink that reads the slide again, e.g. for a thumbnail, finds it open). */
  pool: SlidePool;
}

export interface GradeSink<I extends GradeTarget> {
  /** Once the model is loaded and accepted, before the first item. */
  start?(config: TrainConfig): Promise<void>;
  /** One graded item: write or record its outputs. What it throws becomes this item's error. */
  graded(item: I, grade: ItemGrade, context: ItemContext): Promise<void>;
  /** An item that could not be graded, or whose outputs could not be written; the run goes on. */
  failed(item: I, error: unknown, context: ItemContext): void;
}

export interface GradeLoopOptions<I extends GradeTarget> {
  runDir: string;
  checkpoint?: 'best' | 'last';
  /** Engine threads filling Z (default 1; 'auto': one per core on the wasm and cpu backends). */
  threads?: number | 'auto';
  items: readonly I[];
  /** Plain images go through the image decoder and are predicted without attention; slides through the pool. */
  layout: DatasetLayout;
  /**
   * Refuse runs that cannot give attention (the GD baseline) instead of predicting their items without it; a
   * slide folder's grading report is about attention (the CLI), the app grades any run.
   */
  requireAttention?: boolean;
  attention?: AttentionMethod;
  /** What the maps explain (default 'cancer'). */
  attentionTarget?: AttentionTarget;
  signal?: AbortSignal;
  onProgress?: (slide: { index: number; total: number; item: I }, progress: GradeProgress) => void;
}

export interface GradeLoopResult {
  /** True when the signal stopped the run before every item was done. */
  cancelled: boolean;
  config: TrainConfig;
}

/** Slides kept open at once: each is opened more than once (its image, its tissue, a sink's thumbnail). */
const OPEN_SLIDES = 4;

/** Probabilities only: plain images, and runs of the GD baseline (attention lives on PatchGD's patch grid). */
async function predictOnly(
  model: PatchgdModel,
  imagePath: string,
  layout: DatasetLayout,
  pool: SlidePool,
): Promise<ItemGrade> {
  const size = model.config.imageSize;
  const sample = {
    id: imagePath,
    label: -1,
    load: async () =>
      (layout === 'images'
        ? await readImageFileSquare(imagePath, size)
        : await readSlideSquare(pool, imagePath, size)
      ).image,
  };
  const [prediction] = await predict(model, [sample]);
  return { predicted: prediction!.predicted, probabilities: prediction!.probabilities, slide: null };
}

const withSlide = (slide: SlideGrade): ItemGrade => ({
  predicted: slide.predicted,
  probabilities: slide.probabilities,
  slide,
});

/** Grades `items` with the run's model into `sink`; a failing item is the sink's `failed`, never the run's end. */
export async function runGrading<I extends GradeTarget>(
  options: GradeLoopOptions<I>,
  sink: GradeSink<I>,
): Promise<GradeLoopResult> {
  const { items, signal } = options;
  const model = await loadModel(options.runDir, options.checkpoint, { threads: options.threads });
  // Slides are read patch by patch as Z fills, through the job's own bounded tile cache.
  const pool = streamingSlidePool(OPEN_SLIDES);
  try {
    const withAttention = options.layout !== 'images' && model.config.method === 'patchgd';
    if (!withAttention && options.requireAttention)
      throw new UsageError(
        options.runDir,
        'grading with attention needs a PatchGD run (this one is the GD baseline)',
      );
    const attentionOptions = { attention: options.attention, attentionTarget: options.attentionTarget };
    await sink.start?.(model.config);
    for (const [index, item] of items.entries()) {
      if (signal?.aborted) return { cancelled: true, config: model.config };
      const context = { index, total: items.length, startedAt: performance.now(), pool };
      try {
        const onProgress = (p: GradeProgress) =>
          options.onProgress?.({ index, total: items.length, item }, p);
        const grade = withAttention
          ? withSlide(
              await gradeSlide(model, item.imagePath, { ...attentionOptions, signal, onProgress, pool }),
            )
          : await predictOnly(model, item.imagePath, options.layout, pool);
        await sink.graded(item, grade, context);
      } catch (err) {
        if (signal?.aborted) return { cancelled: true, config: model.config };
        sink.failed(item, err, context);
      }
    }
    return { cancelled: false, config: model.config };
  } finally {
    disposeModel(model);
    await pool.closeAll();
  }
}
