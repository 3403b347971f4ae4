/**
 * Grades chosen slides (or images) of a folder with a run's checkpoint, one at a time, inside the engine
 * process. An item that cannot be read or predicted is reported and the others still are.
 */
import { readImageFileSquare, readSlideSquare } from '../dataset/square-image.ts';
import { disposeModel, loadModel, predict } from '../patchgd/index.ts';
import { SlidePool } from '../slide/pool.ts';
import type { Failure, GradeItem, GradeRequest } from './engine-protocol.ts';
import { toFailure } from './failure.ts';

export type GradeResult = { predicted: number; probabilities: number[] };

/** Returns true when cancelled before the last item. */
export async function gradeItems(
  request: Omit<GradeRequest, 'type' | 'jobId'>,
  signal: AbortSignal,
  onItem: (item: GradeItem, result: GradeResult | null, error: Failure | null) => void,
): Promise<boolean> {
  const model = await loadModel(request.runDir, request.checkpoint);
  const pool = new SlidePool(4);
  const size = model.config.imageSize;
  try {
    for (const item of request.items) {
      if (signal.aborted) return true;
      const sample = {
        id: item.imageId,
        label: -1,
        load: async () =>
          (request.layout === 'images'
            ? await readImageFileSquare(item.imagePath, size)
            : await readSlideSquare(pool, item.imagePath, size)
          ).image,
      };
      try {
        const [prediction] = await predict(model, [sample]);
        onItem(item, { predicted: prediction!.predicted, probabilities: prediction!.probabilities }, null);
      } catch (err) {
        onItem(item, null, toFailure(err));
      }
    }
    return false;
  } finally {
    disposeModel(model);
    await pool.closeAll();
  }
}
