/**
 * Every request of the IPC contract bound to the store, the slide reader, the datasets and the engine host.
 * Slides are addressed by store id only (never by a path from the UI), and only slides of folders in the store
 * are served.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { DatasetError, UsageError } from '../base/errors.ts';
import { attentionGridSchema, epochMetricsSchema, type HandlerReturn } from '../shared/contract.ts';
import { createHandlerTable, dispatch, type HandlerTable, type IpcOutcome } from '../shared/validate.ts';
import {
  annotationHistory,
  createAnnotation,
  currentReview,
  deleteAnnotation,
  restoreAnnotation,
  setClasses,
  updateAnnotation,
  getPrediction,
  latestPrediction,
  listRuns,
  listSlides,
  recentFolders,
  reviewHistory,
  saveReview,
  saveReviewDraft,
  reviewDraft,
  writeReviewsCsv,
  type Run,
} from '../io/store/index.ts';
import {
  annotationSlide,
  exportFolder,
  importFolder,
  importGeoJson,
  importMask,
  maskGrid,
  slideAnnotations,
} from './annotations.ts';
import type { AppContext } from './context.ts';
import { attentionFileSchema } from './engine-protocol.ts';
import { datasetOf, openFolder } from './datasets.ts';
import { cancelGrading, startGrading } from './grading.ts';
import { appStatus } from './status.ts';
import { presentSlide, requireFolder, requireRun } from './lookups.ts';
import { cancelTraining, resumeTraining, startTraining } from './training.ts';
import { slideGeoJson } from '../jobs/annotations.ts';
import { readSplitRecord } from '../jobs/split-record.ts';

async function slideInfo(ctx: AppContext, slideId: number): Promise<HandlerReturn<'slides.info'>> {
  const slide = presentSlide(ctx, slideId);
  const info = await ctx.slides.use(slide.path, async (s) => s.info);
  return {
    slideId,
    imageId: slide.imageId,
    path: slide.path,
    width: info.width,
    height: info.height,
    levels: info.levels,
    mpp: info.mpp,
    compression: info.compression,
    fileSize: info.fileSize,
    associated: info.associated,
    tileUrlTemplate: ctx.urls.tileTemplate(slideId),
    thumbnailUrl: ctx.urls.thumbnail(slideId),
  };
}

function runView(run: Run): HandlerReturn<'runs.list'>[number] {
  const config = typeof run.config === 'object' && run.config !== null ? run.config : {};
  return { ...run, config: config as Record<string, unknown> };
}

/** The run's finished epochs from its metrics.jsonl. */
async function runMetrics(ctx: AppContext, runId: number): Promise<HandlerReturn<'runs.metrics'>> {
  const run = requireRun(ctx, runId);
  let text: string;
  try {
    text = await readFile(join(run.runDir, 'metrics.jsonl'), 'utf8');
  } catch {
    return { runId, epochs: [] };
  }
  // Lines the contract does not accept (cut short by a crash, or from another version) are left out.
  const epochs = text.split('\n').flatMap((line) => {
    if (line.trim() === '') return [];
    try {
      const parsed = epochMetricsSchema.safeParse(JSON.parse(line));
      return parsed.success ? [parsed.data] : [];
    } catch {
      return [];
    }
  });
  return { runId, epochs };
}

/** The prediction's attention grid (DSA griddata JSON next to the run), or null when it has none. */
async function attention(ctx: AppContext, predictionId: number): Promise<HandlerReturn<'attention.get'>> {
  const prediction = getPrediction(ctx.store, predictionId);
  if (!prediction) throw new UsageError(ctx.store.file, `has no prediction with id ${predictionId}`);
  if (!prediction.attentionPath) return null;
  let json: unknown;
  try {
    json = JSON.parse(await readFile(prediction.attentionPath, 'utf8'));
  } catch (err) {
    throw new DatasetError(
      prediction.attentionPath,
      `cannot read the attention grid (${(err as Error).message})`,
    );
  }
  const file = attentionFileSchema.safeParse(json);
  const grid = attentionGridSchema.safeParse(file.success ? { ...file.data, predictionId } : null);
  if (!grid.success) throw new DatasetError(prediction.attentionPath, 'is not a valid attention grid');
  return grid.data;
}

export function createAppHandlers(): HandlerTable<AppContext> {
  return createHandlerTable<AppContext>({
    'folders.recent': ({ limit }, ctx) => recentFolders(ctx.store, limit),
    'folders.open': ({ path }, ctx) => openFolder(ctx, path),
    'slides.list': ({ folderId, ...options }, ctx) => {
      requireFolder(ctx, folderId);
      const page = listSlides(ctx.store, folderId, options);
      return {
        total: page.total,
        rows: page.rows.map((row) => ({ ...row, thumbnailUrl: ctx.urls.thumbnail(row.id) })),
      };
    },
    'slides.info': ({ slideId }, ctx) => slideInfo(ctx, slideId),
    'dataset.findings': async ({ folderId, severity, offset, limit }, ctx) => {
      const dataset = await datasetOf(ctx, requireFolder(ctx, folderId));
      const findings = dataset.findings.filter((f) => severity === undefined || f.severity === severity);
      return { total: findings.length, findings: findings.slice(offset, offset + limit) };
    },
    'training.start': (params, ctx) => startTraining(ctx, params),
    'training.cancel': ({ runId }, ctx) => {
      requireRun(ctx, runId);
      return { cancelled: cancelTraining(ctx, runId) };
    },
    'training.resume': (params, ctx) => resumeTraining(ctx, params),
    'runs.list': ({ folderId }, ctx) => listRuns(ctx.store, folderId).map(runView),
    'runs.metrics': ({ runId }, ctx) => runMetrics(ctx, runId),
    'runs.split': async ({ runId }, ctx) => {
      const record = await readSplitRecord(requireRun(ctx, runId).runDir);
      return { runId, train: record.train, heldOut: record.val };
    },
    'grading.start': (params, ctx) => startGrading(ctx, params),
    'grading.cancel': ({ jobId }, ctx) => ({ cancelled: cancelGrading(ctx, jobId) }),
    'predictions.get': ({ slideId, runId }, ctx) => {
      presentSlide(ctx, slideId);
      return latestPrediction(ctx.store, slideId, runId);
    },
    'attention.get': ({ predictionId }, ctx) => attention(ctx, predictionId),
    'reviews.save': (input, ctx) => {
      presentSlide(ctx, input.slideId);
      return saveReview(ctx.store, input);
    },
    'reviews.get': ({ slideId }, ctx) => currentReview(ctx.store, presentSlide(ctx, slideId).id),
    'reviews.history': ({ slideId }, ctx) => reviewHistory(ctx.store, presentSlide(ctx, slideId).id),
    'reviews.saveDraft': ({ slideId, note }, ctx) =>
      saveReviewDraft(ctx.store, presentSlide(ctx, slideId).id, note),
    'reviews.draft': ({ slideId }, ctx) => reviewDraft(ctx.store, presentSlide(ctx, slideId).id),
    'reviews.exportCsv': async ({ folderId, path }, ctx) => {
      requireFolder(ctx, folderId);
      if (!isAbsolute(path)) throw new UsageError(path, 'the export file must be an absolute path');
      return { path, rows: await writeReviewsCsv(ctx.store, folderId, path) };
    },
    'annotations.list': ({ slideId }, ctx) => slideAnnotations(ctx, slideId),
    'annotations.create': ({ slideId, author, annotation }, ctx) =>
      createAnnotation(ctx.store, presentSlide(ctx, slideId).id, annotation, author),
    'annotations.update': ({ id, author, patch }, ctx) => {
      annotationSlide(ctx, id);
      return updateAnnotation(ctx.store, id, patch, author);
    },
    'annotations.delete': ({ id, author }, ctx) => {
      annotationSlide(ctx, id);
      return deleteAnnotation(ctx.store, id, author);
    },
    'annotations.restore': ({ id, author }, ctx) => {
      annotationSlide(ctx, id);
      return restoreAnnotation(ctx.store, id, author);
    },
    'annotations.history': ({ id }, ctx) => {
      annotationSlide(ctx, id);
      return annotationHistory(ctx.store, id);
    },
    'annotations.setClasses': ({ folderId, classes }, ctx) =>
      setClasses(ctx.store, requireFolder(ctx, folderId).id, classes),
    'annotations.exportGeojson': ({ slideId }, ctx) => slideGeoJson(ctx.store, presentSlide(ctx, slideId)),
    'annotations.importGeojson': (params, ctx) => importGeoJson(ctx, params),
    'annotations.exportFolder': (params, ctx) => exportFolder(ctx, params),
    'annotations.importFolder': (params, ctx) => importFolder(ctx, params),
    'annotations.importMask': (params, ctx) => importMask(ctx, params),
    'masks.get': ({ slideId }, ctx) => maskGrid(ctx, slideId),
    'app.status': (_params, ctx) => appStatus(ctx),
  });
}

const appHandlers = createAppHandlers();

/**
 * What both transports call for one request (`ipcMain.handle`, `POST /api/<channel>`): validates the params,
 * runs the handler, validates the result. Never rejects.
 */
export function handleRequest(
  ctx: AppContext,
  channel: string,
  payload: unknown,
): Promise<IpcOutcome<unknown>> {
  return dispatch(appHandlers, channel, payload, ctx);
}
