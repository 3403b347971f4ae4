/**
 * The engine process's side of an app grading job: the items of a request go through the grading loop
 * (`core/jobs/grade.ts`), and this module is its sink. Slides of a PatchGD run come with an attention grid, written
 * next to the run in the contract's shape (`attentionFileSchema`); plain images and GD-baseline runs get
 * probabilities only. An item that cannot be read or predicted is reported and the others still are.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../base/atomic.ts';
import { runGrading, type ItemGrade } from '../jobs/grade.ts';
import { requireAnySucceeded } from '../jobs/item-outcome.ts';
import type { Failure, GradeItem, GradeRequest } from './engine-protocol.ts';
import { toFailure } from './failure.ts';
import { makeDir } from '../base/dirs.ts';

export type GradeResult = { predicted: number; probabilities: number[]; attentionPath: string | null };

type Request = Omit<GradeRequest, 'type'>;

/** Writes the slide's grid to `<runDir>/attention/<jobId>/<slideId>.json`; its path. */
async function writeAttention(
  request: Request,
  item: GradeItem,
  slide: ItemGrade['slide'],
): Promise<string | null> {
  if (!slide) return null;
  const { origin, dx, dy, gridWidth, gridHeight, values } = slide.attention;
  const folder = join(request.runDir, 'attention', request.jobId);
  await makeDir(folder);
  const attentionPath = join(folder, `${item.slideId}.json`);
  await writeFileAtomic(
    attentionPath,
    JSON.stringify({ origin: { x: origin[0], y: origin[1] }, dx, dy, gridWidth, gridHeight, values }),
  );
  return attentionPath;
}

/** Returns true when cancelled before the last item. */
export async function gradeItems(
  request: Request,
  signal: AbortSignal,
  onItem: (item: GradeItem, result: GradeResult | null, error: Failure | null) => void,
): Promise<boolean> {
  const outcomes: { id: string; error: Failure | null }[] = [];
  const { cancelled } = await runGrading(
    {
      runDir: request.runDir,
      checkpoint: request.checkpoint,
      threads: 'auto',
      items: request.items,
      layout: request.layout,
      signal,
    },
    {
      async graded(item, grade) {
        const attentionPath = await writeAttention(request, item, grade.slide);
        onItem(item, { predicted: grade.predicted, probabilities: grade.probabilities, attentionPath }, null);
        outcomes.push({ id: item.imageId, error: null });
      },
      failed(item, error) {
        const failure = toFailure(error);
        onItem(item, null, failure);
        outcomes.push({ id: item.imageId, error: failure });
      },
    },
  );
  // Every slide failed: the job failed (each slide's error was already reported).
  if (!cancelled) requireAnySucceeded(outcomes, null, 'graded', 'slides');
  return cancelled;
}
