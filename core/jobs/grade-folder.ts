/**
 * Grades every usable slide of a dataset folder and writes the results: `predictions.csv` (PANDA submission
 * form), `predictions.json` (per slide probabilities, truth, timing, error, attention files; run info; metrics
 * and the localization check when labels and masks exist), `attention/<id>.json|png` and `thumbnails/<id>.png`.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { formatCsv, openDataset, usableItems, type DatasetItem } from '../io/dataset/index.ts';
import { DatasetError, describeError, UsageError } from '../base/errors.ts';
import { evaluatePredictions, type EvaluationReport } from './predict.ts';
import { writeFileAtomic } from '../base/atomic.ts';
import { disposeModel, loadModel, type PatchgdModel } from '../learn/runner/index.ts';
import { SlidePool, type RgbImage } from '../io/slide/index.ts';
import { streamingSlidePool } from '../io/dataset/slide-source.ts';
import type { AttentionMethod, AttentionTarget } from '../learn/grading/geometry.ts';
import { gradeSlide, type GradeProgress, type SlideGrade } from '../learn/grading/grade-slide.ts';
import {
  scoredCells,
  summarizeLocalization,
  tumourOnPatchGrid,
  tumourRule,
  type LocalizationSummary,
} from '../learn/grading/localization.ts';
import { DEFAULT_OVERLAY_STYLE, overlayPng, type OverlayStyle } from '../learn/grading/overlay.ts';

export interface SlideResult {
  id: string;
  predicted: number | null;
  probabilities: number[] | null;
  /** ISUP grade from the label file, where it has one. */
  truth: number | null;
  provider: string | null;
  seconds: number;
  error: string | null;
  /** Paths relative to the output folder. */
  attention: { json: string; png: string } | null;
  thumbnail: string | null;
  /** This slide's localization AUROC (null without a mask, or without both tumour and other tissue). */
  localizationAuroc: number | null;
  /** Why the localization check could not use this slide's mask (the grade itself stands). */
  localizationError: string | null;
}

export interface GradeReport {
  createdAt: string;
  run: { dir: string; checkpoint: 'best' | 'last' | null; config: PatchgdModel['config'] };
  data: string;
  backend: string | null;
  attentionMethod: AttentionMethod;
  attentionTarget: AttentionTarget;
  slides: SlideResult[];
  metrics: EvaluationReport | null;
  localization: LocalizationSummary | null;
}

export interface GradeFolderOptions {
  runDir: string;
  dataDir: string;
  outDir: string;
  checkpoint?: 'best' | 'last';
  /** Engine threads filling Z (default 1; 'auto': one per core on the wasm and cpu backends). */
  threads?: number | 'auto';
  /** Grade only these slide ids (e.g. the run's held-out fold); every one must be a usable slide of the folder. */
  only?: ReadonlySet<string>;
  attention?: AttentionMethod;
  /** What the maps explain (default 'cancer'). */
  attentionTarget?: AttentionTarget;
  overlay?: OverlayStyle;
  /** Longer side of the thumbnails and overlays, px. */
  thumbnailSize?: number;
  /** Name of the TensorFlow.js backend in use, recorded in the report. */
  backend?: string;
  signal?: AbortSignal;
  onProgress?: (slide: { index: number; total: number; id: string }, progress: GradeProgress) => void;
  onSlide?: (done: number, total: number, result: SlideResult) => void;
}

async function png(image: RgbImage): Promise<Buffer> {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .png()
    .toBuffer();
}

interface Graded {
  result: SlideResult;
  cells: { scores: number[]; positive: boolean[] } | null;
}

/** Grades one item and writes its attention and thumbnail files; failures become the result's error. */
async function gradeItem(
  model: PatchgdModel,
  item: DatasetItem,
  pool: SlidePool,
  options: GradeFolderOptions,
  onProgress: (progress: GradeProgress) => void,
): Promise<Graded> {
  const result: SlideResult = {
    id: item.id,
    predicted: null,
    probabilities: null,
    truth: item.label,
    provider: item.provider ?? null,
    seconds: 0,
    error: null,
    attention: null,
    thumbnail: null,
    localizationAuroc: null,
    localizationError: null,
  };
  const start = performance.now();
  let grade: SlideGrade;
  let thumbnail: RgbImage;
  try {
    grade = await gradeSlide(model, item.imagePath, {
      attention: options.attention,
      attentionTarget: options.attentionTarget,
      signal: options.signal,
      onProgress,
      pool,
    });
    thumbnail = await pool.use(item.imagePath, (slide) => slide.thumbnail(options.thumbnailSize ?? 384));
  } catch (err) {
    if (options.signal?.aborted) throw err;
    result.error = describeError(err);
    result.seconds = (performance.now() - start) / 1000;
    return { result, cells: null };
  }
  result.predicted = grade.predicted;
  result.probabilities = grade.probabilities;
  const files = { json: `attention/${item.id}.json`, png: `attention/${item.id}.png` };
  const { slideWidth, slideHeight } = grade.geometry;
  await writeFileAtomic(
    path.join(options.outDir, files.json),
    JSON.stringify({ id: item.id, slideWidth, slideHeight, ...grade.attention }) + '\n',
  );
  await writeFileAtomic(
    path.join(options.outDir, files.png),
    await overlayPng(
      thumbnail,
      grade.attention,
      slideWidth,
      slideHeight,
      options.overlay ?? DEFAULT_OVERLAY_STYLE,
    ),
  );
  result.thumbnail = `thumbnails/${item.id}.png`;
  await writeFileAtomic(path.join(options.outDir, result.thumbnail), await png(thumbnail));
  result.attention = files;
  let cells = null;
  const rule = tumourRule(item.provider);
  if (item.maskPath && rule) {
    try {
      cells = scoredCells(grade.attention, await tumourOnPatchGrid(item.maskPath, grade.geometry, rule));
      result.localizationAuroc = summarizeLocalization([cells]).auroc;
    } catch (err) {
      result.localizationError = describeError(err);
    }
  }
  result.seconds = (performance.now() - start) / 1000;
  return { result, cells };
}

/** `image_id,isup_grade` rows for the slides that were graded. */
function submissionCsv(slides: readonly SlideResult[]): string {
  return formatCsv([
    ['image_id', 'isup_grade'],
    ...slides.filter((s) => s.predicted !== null).map((s) => [s.id, String(s.predicted)]),
  ]);
}

/** The usable items to grade: all of them, or exactly the `only` ids (a missing one is an error). */
function selectItems(
  usable: readonly DatasetItem[],
  only: ReadonlySet<string> | undefined,
  root: string,
): DatasetItem[] {
  const items = only ? usable.filter((item) => only.has(item.id)) : [...usable];
  if (only && items.length < only.size) {
    const found = new Set(items.map((item) => item.id));
    const missing = [...only].filter((id) => !found.has(id));
    throw new DatasetError(
      root,
      `${missing.length} of the requested slides are not usable slides of this folder: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}`,
    );
  }
  if (items.length === 0) throw new DatasetError(root, 'no usable slides to grade');
  return items;
}

/** Grades a dataset folder into `outDir`; an unreadable slide is reported with its error, the rest still graded. */
export async function gradeFolder(options: GradeFolderOptions): Promise<GradeReport> {
  const dataset = await openDataset(options.dataDir);
  if (dataset.layout === 'images')
    throw new DatasetError(
      dataset.root,
      'grading needs slides (a PANDA or slide folder), not an image folder',
    );
  const items = selectItems(usableItems(dataset), options.only, dataset.root);
  const model = await loadModel(options.runDir, options.checkpoint, { threads: options.threads });
  if (model.config.method !== 'patchgd') {
    disposeModel(model);
    throw new UsageError(
      options.runDir,
      'grading with attention needs a PatchGD run (this one is the GD baseline)',
    );
  }
  const pool = streamingSlidePool(4);
  const slides: SlideResult[] = [];
  const cells: { scores: number[]; positive: boolean[] }[] = [];
  try {
    await fs.mkdir(path.join(options.outDir, 'attention'), { recursive: true });
    await fs.mkdir(path.join(options.outDir, 'thumbnails'), { recursive: true });
    for (const [index, item] of items.entries()) {
      options.signal?.throwIfAborted();
      const where = { index, total: items.length, id: item.id };
      const graded = await gradeItem(model, item, pool, options, (p) => options.onProgress?.(where, p));
      slides.push(graded.result);
      if (graded.cells) cells.push(graded.cells);
      options.onSlide?.(index + 1, items.length, graded.result);
    }
  } finally {
    disposeModel(model);
    await pool.closeAll();
  }
  const labelled = slides.filter((s) => s.truth !== null && s.predicted !== null);
  const report: GradeReport = {
    createdAt: new Date().toISOString(),
    run: { dir: path.resolve(options.runDir), checkpoint: options.checkpoint ?? null, config: model.config },
    data: dataset.root,
    backend: options.backend ?? null,
    attentionMethod: options.attention ?? 'gradcam',
    attentionTarget: options.attentionTarget ?? 'cancer',
    slides,
    metrics: labelled.length
      ? evaluatePredictions(
          slides.map((s) => ({ ...s, label: s.truth })),
          model.config.numClasses,
        )
      : null,
    localization: cells.length ? summarizeLocalization(cells) : null,
  };
  await writeFileAtomic(path.join(options.outDir, 'predictions.csv'), submissionCsv(slides));
  await writeFileAtomic(
    path.join(options.outDir, 'predictions.json'),
    JSON.stringify(report, null, 1) + '\n',
  );
  return report;
}
