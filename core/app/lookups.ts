/** Store records a request names by id: a clear error naming the store when there is none. */
import { UsageError } from '../base/errors.ts';
import { getFolder, getRun, getSlide, type Folder, type Run, type Slide } from '../io/store/index.ts';
import type { AppContext } from './context.ts';

export function requireFolder(ctx: AppContext, folderId: number): Folder {
  const folder = getFolder(ctx.store, folderId);
  if (!folder) throw new UsageError(ctx.store.file, `has no slide folder with id ${folderId}`);
  return folder;
}

export function requireRun(ctx: AppContext, runId: number): Run {
  const run = getRun(ctx.store, runId);
  if (!run) throw new UsageError(ctx.store.file, `has no run with id ${runId}`);
  return run;
}

/** A slide of a folder in the store that is still part of its dataset. */
export function presentSlide(ctx: AppContext, slideId: number): Slide {
  const slide = getSlide(ctx.store, slideId);
  if (!slide || slide.removedAt !== null)
    throw new UsageError(ctx.store.file, `has no slide with id ${slideId}`);
  return slide;
}
