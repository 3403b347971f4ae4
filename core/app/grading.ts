/**
 * Grading as app jobs: chosen slides of a folder are graded in the engine process with a run's checkpoint;
 * each result is recorded as a prediction and sent to the UI as it arrives.
 */
import { UsageError } from '../base/errors.ts';
import type { RequestParams } from '../shared/contract.ts';
import {
  getSlide,
  listCheckpoints,
  listSlides,
  MAX_PAGE,
  recordPrediction,
  type Folder,
} from '../io/store/index.ts';
import type { AppContext } from './context.ts';
import type { GradeItem } from './engine-protocol.ts';
import { toFailure } from './failure.ts';
import { requireFolder, requireRun } from './lookups.ts';

/** Every present slide of the folder (listed, file there), by image id. */
function allSlides(ctx: AppContext, folder: Folder): GradeItem[] {
  const items: GradeItem[] = [];
  for (let offset = 0; ; offset += MAX_PAGE) {
    const page = listSlides(ctx.store, folder.id, { offset, limit: MAX_PAGE });
    for (const row of page.rows)
      if (row.fileSize !== null) items.push({ slideId: row.id, imageId: row.imageId, imagePath: row.path });
    if (offset + MAX_PAGE >= page.total) return items;
  }
}

function chosenSlides(ctx: AppContext, folder: Folder, ids: readonly number[]): GradeItem[] {
  return [...new Set(ids)].map((id) => {
    const slide = getSlide(ctx.store, id);
    if (!slide || slide.folderId !== folder.id || slide.removedAt !== null)
      throw new UsageError(folder.path, `has no slide with id ${id}`);
    if (slide.fileSize === null) throw new UsageError(slide.path, 'the slide file is missing');
    return { slideId: slide.id, imageId: slide.imageId, imagePath: slide.path };
  });
}

export function startGrading(
  ctx: AppContext,
  params: RequestParams<'grading.start'>,
): { jobId: string; total: number } {
  const folder = requireFolder(ctx, params.folderId);
  const run = requireRun(ctx, params.runId);
  if (!listCheckpoints(ctx.store, run.id).some((c) => c.name === params.checkpoint))
    throw new UsageError(run.runDir, `has no ${params.checkpoint} checkpoint to grade with`);
  const items = params.slides === 'all' ? allSlides(ctx, folder) : chosenSlides(ctx, folder, params.slides);
  if (items.length === 0) throw new UsageError(folder.path, 'has no slides to grade');
  let done = 0;
  const job = ctx.engine.submit({
    kind: 'grading',
    runId: run.id,
    resumeEpoch: null,
    request: {
      type: 'grade',
      runDir: run.runDir,
      checkpoint: params.checkpoint,
      layout: folder.layout,
      items,
    },
    onMessage(message) {
      if (message.type !== 'graded') return;
      done++;
      let prediction = null;
      let error = message.error;
      if (message.result) {
        try {
          const recorded = recordPrediction(ctx.store, {
            slideId: message.slideId,
            runId: run.id,
            grade: message.result.predicted,
            probabilities: message.result.probabilities,
            attentionPath: message.result.attentionPath,
          });
          prediction = { id: recorded.id, grade: recorded.grade, confidence: recorded.confidence };
        } catch (err) {
          error = toFailure(err);
        }
      }
      ctx.emit('grading.progress', {
        jobId: message.jobId,
        runId: run.id,
        done,
        total: items.length,
        slide: { slideId: message.slideId, imageId: message.imageId, prediction, error },
      });
    },
    onState(job) {
      ctx.emit('job.state', job);
    },
  });
  return { jobId: job.jobId, total: items.length };
}

/** Cancels a queued or running grading job; false when there is none with that id. */
export function cancelGrading(ctx: AppContext, jobId: string): boolean {
  const job = ctx.engine.jobs().find((j) => j.jobId === jobId);
  return job?.kind === 'grading' && (job.state === 'queued' || job.state === 'running')
    ? ctx.engine.cancel(jobId)
    : false;
}
