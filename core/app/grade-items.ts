/**
 * Grades chosen slides (or images) of a folder with a run's checkpoint, one at a time, inside the engine
 * process. Slides of a PatchGD run go through `core/learn/grading` (probabilities plus a tissue-masked attention grid,
 * written next to the run); plain images and GD-baseline runs are predicted without attention. An item that
 * cannot be read or predicted is reported and the others still are.
 */
import { join } from 'node:path';
import { readImageFileSquare, readSlideSquare } from '../io/dataset/square-image.ts';
import { writeFileAtomic } from '../base/atomic.ts';
import { gradeSlide } from '../learn/grading/index.ts';
import { disposeModel, loadModel, predict, type PatchgdModel } from '../learn/runner/index.ts';
import { SlidePool } from '../io/slide/pool.ts';
import { requireAnySucceeded } from '../jobs/item-outcome.ts';
import type { Failure, GradeItem, GradeRequest } from './engine-protocol.ts';
import { toFailure } from './failure.ts';
import { makeDir } from '../base/dirs.ts';

export type GradeResult = { predicted: number; probabilities: number[]; attentionPath: string | null };

type Request = Omit<GradeRequest, 'type'>;

/** A slide graded with attention; the grid is stored in the contract's shape (`attentionFileSchema`). */
async function gradeWithAttention(
  model: PatchgdModel,
  item: GradeItem,
  request: Request,
  pool: SlidePool,
  signal: AbortSignal,
): Promise<GradeResult> {
  const grade = await gradeSlide(model, item.imagePath, { pool, signal });
  const { origin, dx, dy, gridWidth, gridHeight, values } = grade.attention;
  const folder = join(request.runDir, 'attention', request.jobId);
  await makeDir(folder);
  const attentionPath = join(folder, `${item.slideId}.json`);
  await writeFileAtomic(
    attentionPath,
    JSON.stringify({ origin: { x: origin[0], y: origin[1] }, dx, dy, gridWidth, gridHeight, values }),
  );
  return { predicted: grade.predicted, probabilities: grade.probabilities, attentionPath };
}

/** Probabilities only: plain images, and runs of the GD baseline (attention lives on PatchGD's patch grid). */
async function predictOnly(
  model: PatchgdModel,
  item: GradeItem,
  request: Request,
  pool: SlidePool,
): Promise<GradeResult> {
  const size = model.config.imageSize;
  const sample = {
    id: item.imageId,
    label: -1,
    load: async () =>
      (request.layout === 'images'
        ? await readImageFileSquare(item.imagePath, size)
        : await readSlideSquare(pool, item.imagePath, size)
      ).image,
  };
  const [prediction] = await predict(model, [sample]);
  return { predicted: prediction!.predicted, probabilities: prediction!.probabilities, attentionPath: null };
}

/** Returns true when cancelled before the last item. */
export async function gradeItems(
  request: Request,
  signal: AbortSignal,
  onItem: (item: GradeItem, result: GradeResult | null, error: Failure | null) => void,
): Promise<boolean> {
  const model = await loadModel(request.runDir, request.checkpoint, { threads: 'auto' });
  const pool = new SlidePool(4);
  const withAttention = request.layout !== 'images' && model.config.method === 'patchgd';
  const outcomes: { id: string; error: Failure | null }[] = [];
  try {
    for (const item of request.items) {
      if (signal.aborted) return true;
      try {
        const result = withAttention
          ? await gradeWithAttention(model, item, request, pool, signal)
          : await predictOnly(model, item, request, pool);
        onItem(item, result, null);
        outcomes.push({ id: item.imageId, error: null });
      } catch (err) {
        if (signal.aborted) return true;
        const failure = toFailure(err);
        onItem(item, null, failure);
        outcomes.push({ id: item.imageId, error: failure });
      }
    }
    // Every slide failed: the job failed (each slide's error was already reported).
    requireAnySucceeded(outcomes, null, 'graded', 'slides');
    return false;
  } finally {
    disposeModel(model);
    await pool.closeAll();
  }
}
