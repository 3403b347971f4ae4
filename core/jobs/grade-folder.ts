/**
 * Grades every usable slide of a dataset folder and writes the results: `predictions.csv` (PANDA submission
 * form), `predictions.json` (per slide probabilities, truth, timing, error, attention files; run info; metrics
 * and the localization check when labels and masks exist), `attention/<id>.json|png` and `thumbnails/<id>.png`. The slides go through the grading loop (`grade.ts`);
 * this module lists them and is the loop's sink for a folder.
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { formatCsv, openDataset, usableItems, type DatasetItem } from '../io/dataset/index.ts';
import { DatasetError, describeError } from '../base/errors.ts';
import { evaluatePredictions, type EvaluationReport } from './predict.ts';
import { writeFileAtomic } from '../base/atomic.ts';
import type { PatchgdModel } from '../learn/runner/index.ts';
import type { RgbImage } from '../io/slide/index.ts';
import type { AttentionMethod, AttentionTarget } from '../learn/grading/geometry.ts';
import type { GradeProgress } from '../learn/grading/grade-slide.ts';
import {
  scoredCells,
  summarizeLocalization,
  tumourOnPatchGrid,
  tumourRule,
  type LocalizationSummary,
} from '../learn/grading/localization.ts';
import { summarizeItems, type ItemSummary } from './item-outcome.ts';
import { DEFAULT_OVERLAY_STYLE, overlayPng, type OverlayStyle } from '../learn/grading/overlay.ts';
import { checkOutputDir, makeDir } from '../base/dirs.ts';
import { runGrading, type GradeSink } from './grade.ts';

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
  /** Slides graded and failed: a report whose slides all failed is a failed job. */
  summary: ItemSummary;
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

type ScoredCells = ReturnType<typeof scoredCells>;

async function png(image: RgbImage): Promise<Buffer> {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .png()
    .toBuffer();
}

/** A result without a grade yet: the item's own facts. */
function emptyResult(item: DatasetItem): SlideResult {
  return {
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
}

const secondsSince = (start: number) => (performance.now() - start) / 1000;

/**
 * The folder's sink: per slide the attention grid (JSON) and its overlay (PNG), the thumbnail and the
 * localization check against the slide's mask; the results and scored cells are collected for the report.
 */
function folderSink(
  options: GradeFolderOptions,
  slides: SlideResult[],
  cells: ScoredCells[],
): GradeSink<DatasetItem> {
  return {
    async start() {
      await makeDir(path.join(options.outDir, 'attention'));
      await makeDir(path.join(options.outDir, 'thumbnails'));
    },
    async graded(item, grade, { index, total, startedAt, pool }) {
      // The loop is asked for attention (`requireAttention`), so every grade has its slide.
      const { attention, geometry } = grade.slide!;
      const thumbnail = await pool.use(item.imagePath, (slide) =>
        slide.thumbnail(options.thumbnailSize ?? 384),
      );
      const result = { ...emptyResult(item), predicted: grade.predicted, probabilities: grade.probabilities };
      const files = { json: `attention/${item.id}.json`, png: `attention/${item.id}.png` };
      const { slideWidth, slideHeight } = geometry;
      await writeFileAtomic(
        path.join(options.outDir, files.json),
        JSON.stringify({ id: item.id, slideWidth, slideHeight, ...attention }) + '\n',
      );
      await writeFileAtomic(
        path.join(options.outDir, files.png),
        await overlayPng(
          thumbnail,
          attention,
          slideWidth,
          slideHeight,
          options.overlay ?? DEFAULT_OVERLAY_STYLE,
        ),
      );
      result.thumbnail = `thumbnails/${item.id}.png`;
      await writeFileAtomic(path.join(options.outDir, result.thumbnail), await png(thumbnail));
      result.attention = files;
      const rule = tumourRule(item.provider);
      if (item.maskPath && rule) {
        try {
          const scored = scoredCells(attention, await tumourOnPatchGrid(item.maskPath, geometry, rule));
          cells.push(scored);
          result.localizationAuroc = summarizeLocalization([scored]).auroc;
        } catch (err) {
          result.localizationError = describeError(err);
        }
      }
      result.seconds = secondsSince(startedAt);
      slides.push(result);
      options.onSlide?.(index + 1, total, result);
    },
    failed(item, error, { index, total, startedAt }) {
      const result = { ...emptyResult(item), error: describeError(error), seconds: secondsSince(startedAt) };
      slides.push(result);
      options.onSlide?.(index + 1, total, result);
    },
  };
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
  // Before any slide is graded: an --out that cannot be written used to fail only after all the work.
  checkOutputDir(options.outDir);
  const dataset = await openDataset(options.dataDir);
  if (dataset.layout === 'images')
    throw new DatasetError(
      dataset.root,
      'grading needs slides (a PANDA or slide folder), not an image folder',
    );
  const items = selectItems(usableItems(dataset), options.only, dataset.root);
  const slides: SlideResult[] = [];
  const cells: ScoredCells[] = [];
  const { cancelled, config } = await runGrading(
    {
      runDir: options.runDir,
      checkpoint: options.checkpoint,
      threads: options.threads,
      items,
      layout: dataset.layout,
      requireAttention: true,
      attention: options.attention,
      attentionTarget: options.attentionTarget,
      signal: options.signal,
      onProgress: ({ index, total, item }, p) => options.onProgress?.({ index, total, id: item.id }, p),
    },
    folderSink(options, slides, cells),
  );
  // A cancelled run writes no predictions.
  if (cancelled) options.signal!.throwIfAborted();
  const labelled = slides.filter((s) => s.truth !== null && s.predicted !== null);
  const report: GradeReport = {
    createdAt: new Date().toISOString(),
    run: { dir: path.resolve(options.runDir), checkpoint: options.checkpoint ?? null, config },
    data: dataset.root,
    backend: options.backend ?? null,
    attentionMethod: options.attention ?? 'gradcam',
    attentionTarget: options.attentionTarget ?? 'cancer',
    summary: summarizeItems(slides),
    slides,
    metrics: labelled.length
      ? evaluatePredictions(
          slides.map((s) => ({ ...s, label: s.truth })),
          config.numClasses,
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
