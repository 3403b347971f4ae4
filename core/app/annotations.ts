/** The annotation and label-mask requests: store edits, GeoJSON in and out, mask import and overlay. */
import { isAbsolute } from 'node:path';
import { UsageError } from '../base/errors.ts';
import type { HandlerReturn, RequestParams } from '../shared/contract.ts';
import {
  annotationSlideId,
  listAnnotations,
  listClasses,
  presentSlides,
  type Slide,
} from '../io/store/index.ts';
import {
  exportFolderAnnotations,
  importFolderAnnotations,
  importGeoJsonText,
  importMaskAnnotations,
  maskOverlay,
  slideMask,
} from '../jobs/annotations.ts';
import type { AppContext } from './context.ts';
import { datasetOf } from './datasets.ts';
import { presentSlide, requireFolder } from './lookups.ts';

export function slideAnnotations(ctx: AppContext, slideId: number): HandlerReturn<'annotations.list'> {
  const slide = presentSlide(ctx, slideId);
  return {
    annotations: listAnnotations(ctx.store, slide.id),
    classes: listClasses(ctx.store, slide.folderId),
  };
}

/** The slide an annotation belongs to, which must still be present. */
export function annotationSlide(ctx: AppContext, id: number): Slide {
  const slideId = annotationSlideId(ctx.store, id);
  if (slideId === null) throw new UsageError(ctx.store.file, `has no annotation with id ${id}`);
  return presentSlide(ctx, slideId);
}

export function importGeoJson(
  ctx: AppContext,
  { slideId, author, fileName, text }: RequestParams<'annotations.importGeojson'>,
): HandlerReturn<'annotations.importGeojson'> {
  const report = importGeoJsonText(ctx.store, presentSlide(ctx, slideId), text, fileName, author);
  return { imported: report.imported.length, skipped: report.skipped };
}

/** The folder's present slides. */
function folderSlides(ctx: AppContext, folderId: number): Slide[] {
  const folder = requireFolder(ctx, folderId);
  return presentSlides(ctx.store, folder.id);
}

/** Folder GeoJSON import and export take an absolute folder path the user typed, like the CSV export. */
function absoluteFolder(path: string): string {
  if (!isAbsolute(path)) throw new UsageError(path, 'the GeoJSON folder must be an absolute path');
  return path;
}

export async function exportFolder(
  ctx: AppContext,
  { folderId, path }: RequestParams<'annotations.exportFolder'>,
): Promise<HandlerReturn<'annotations.exportFolder'>> {
  const files = await exportFolderAnnotations(ctx.store, folderSlides(ctx, folderId), absoluteFolder(path));
  return { path, files: files.length, annotations: files.reduce((s, f) => s + f.annotations, 0) };
}

export async function importFolder(
  ctx: AppContext,
  { folderId, path, author }: RequestParams<'annotations.importFolder'>,
): Promise<HandlerReturn<'annotations.importFolder'>> {
  const files = await importFolderAnnotations(
    ctx.store,
    folderSlides(ctx, folderId),
    absoluteFolder(path),
    author,
  );
  return { path, files: files.length, annotations: files.reduce((s, f) => s + f.annotations, 0) };
}

async function maskOf(ctx: AppContext, slide: Slide) {
  const dataset = await datasetOf(ctx, requireFolder(ctx, slide.folderId));
  const size = await ctx.slides.use(slide.path, async (s) => ({
    width: s.info.width,
    height: s.info.height,
  }));
  return { size, dataset };
}

export async function importMask(
  ctx: AppContext,
  { slideId, author }: RequestParams<'annotations.importMask'>,
): Promise<HandlerReturn<'annotations.importMask'>> {
  const slide = presentSlide(ctx, slideId);
  const { size, dataset } = await maskOf(ctx, slide);
  const imported = await importMaskAnnotations(
    ctx.store,
    slide,
    slideMask(dataset, slide.imageId),
    size,
    author,
  );
  return { imported: imported.length };
}

/** The overlay grid of the slide's label mask; null when the dataset gives the slide none. */
export async function maskGrid(ctx: AppContext, slideId: number): Promise<HandlerReturn<'masks.get'>> {
  const slide = presentSlide(ctx, slideId);
  const { size, dataset } = await maskOf(ctx, slide);
  const item = dataset.items.find((i) => i.id === slide.imageId);
  if (!item?.maskPath) return null;
  const mask = slideMask(dataset, slide.imageId);
  const grid = await maskOverlay(mask, size);
  return {
    provider: mask.provider,
    width: grid.width,
    height: grid.height,
    scaleX: grid.scaleX,
    scaleY: grid.scaleY,
    labels: Buffer.from(grid.labels).toString('base64'),
  };
}
