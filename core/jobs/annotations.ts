/**
 * Annotation jobs shared by the app and `patchgd annotations`: GeoJSON (QuPath's layout) in and out of the store,
 * per slide or per folder (one `<image id>.geojson` per slide), PANDA label masks imported as annotations, and
 * a mask's labels as an overlay grid.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DatasetError, UsageError } from '../base/errors.ts';
import { writeFileAtomic } from '../base/atomic.ts';
import { makeDir } from '../base/dirs.ts';
import type { Dataset, DatasetItem } from '../io/dataset/index.ts';
import { maskRegions, readMaskLabels, shrinkLabels, type LabelGrid } from '../io/masks/index.ts';
import {
  addMissingClasses,
  createAnnotations,
  listAnnotations,
  listClasses,
  type Slide,
  type Store,
} from '../io/store/index.ts';
import type { Annotation } from '../shared/annotations.ts';
import {
  fromGeoJson,
  GeoJsonFormatError,
  toGeoJson,
  type GeoJsonFeatureCollection,
} from '../shared/geojson.ts';
import { MASK_CLASSES, maskProvider, type MaskProvider } from '../shared/panda-mask.ts';

export const GEOJSON_EXTENSION = '.geojson';

/** The slide's annotations as a FeatureCollection in QuPath's layout, with its folder's class colours. */
export function slideGeoJson(store: Store, slide: Slide): GeoJsonFeatureCollection {
  return toGeoJson(listAnnotations(store, slide.id), listClasses(store, slide.folderId));
}

/** Writes the slide's annotations to `file` (atomically); returns how many. */
export async function exportSlideAnnotations(store: Store, slide: Slide, file: string): Promise<number> {
  const collection = slideGeoJson(store, slide);
  await writeFileAtomic(file, JSON.stringify(collection, null, 1) + '\n');
  return collection.features.length;
}

export interface ImportReport {
  imported: Annotation[];
  /** Objects of the file that are not annotations (QuPath detections and the like). */
  skipped: number;
}

/**
 * Adds the annotations of GeoJSON `text` to the slide in one transaction, and the classes the file names to
 * the slide's folder. `file` names the source in errors.
 */
export function importGeoJsonText(
  store: Store,
  slide: Slide,
  text: string,
  file: string,
  author: string,
): ImportReport {
  let parsed;
  try {
    parsed = fromGeoJson(text);
  } catch (err) {
    if (err instanceof GeoJsonFormatError) throw new DatasetError(file, err.message);
    throw err;
  }
  addMissingClasses(store, slide.folderId, parsed.classes);
  return {
    imported: createAnnotations(store, slide.id, parsed.annotations, author),
    skipped: parsed.skipped,
  };
}

export async function importSlideAnnotations(
  store: Store,
  slide: Slide,
  file: string,
  author: string,
): Promise<ImportReport> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new DatasetError(file, `cannot be read (${(err as Error).message})`);
  }
  return importGeoJsonText(store, slide, text, file, author);
}

export interface FolderFile {
  imageId: string;
  file: string;
  annotations: number;
}

/** One `<image id>.geojson` per slide with annotations, in `outDir` (created if needed). */
export async function exportFolderAnnotations(
  store: Store,
  slides: readonly Slide[],
  outDir: string,
): Promise<FolderFile[]> {
  await makeDir(outDir);
  const written: FolderFile[] = [];
  for (const slide of slides) {
    if (listAnnotations(store, slide.id).length === 0) continue;
    const file = join(outDir, slide.imageId + GEOJSON_EXTENSION);
    written.push({
      imageId: slide.imageId,
      file,
      annotations: await exportSlideAnnotations(store, slide, file),
    });
  }
  return written;
}

/** Imports every `<image id>.geojson` of `inDir` into the slide of that id; a file naming no slide is an error. */
export async function importFolderAnnotations(
  store: Store,
  slides: readonly Slide[],
  inDir: string,
  author: string,
): Promise<FolderFile[]> {
  const byId = new Map(slides.map((s) => [s.imageId, s]));
  let names: string[];
  try {
    names = (await readdir(inDir)).filter((n) => n.endsWith(GEOJSON_EXTENSION)).sort();
  } catch (err) {
    throw new UsageError(inDir, `cannot be read as a folder of GeoJSON files (${(err as Error).message})`);
  }
  if (names.length === 0) throw new UsageError(inDir, `holds no ${GEOJSON_EXTENSION} files`);
  const plan = names.map((name) => {
    const imageId = name.slice(0, -GEOJSON_EXTENSION.length);
    const slide = byId.get(imageId);
    if (!slide) throw new UsageError(join(inDir, name), `names no slide of the folder (image id ${imageId})`);
    return { slide, file: join(inDir, name) };
  });
  const done: FolderFile[] = [];
  for (const { slide, file } of plan) {
    const report = await importSlideAnnotations(store, slide, file, author);
    done.push({ imageId: slide.imageId, file, annotations: report.imported.length });
  }
  return done;
}

// ---------------------------------------------------------------------------------------------------------------
// Label masks

/** Longer side of the mask grid outlined into polygons: fine enough for 1 % area, coarse enough to be quick. */
export const MASK_POLYGON_SIDE = 2048;
/** Longer side of the overlay grid sent to the viewer (one canvas pixel per cell). */
export const MASK_OVERLAY_SIDE = 1024;

export interface SlideMask {
  path: string;
  provider: MaskProvider;
}

/** The dataset item's label mask and provider, or a clear error why there is none to use. */
export function slideMask(dataset: Dataset, imageId: string): SlideMask {
  const item: DatasetItem | undefined = dataset.items.find((i) => i.id === imageId);
  if (!item?.maskPath) throw new UsageError(dataset.root, `slide ${imageId} has no label mask`);
  const provider = maskProvider(item.provider);
  if (!provider)
    throw new UsageError(
      dataset.root,
      `slide ${imageId}'s data provider ${JSON.stringify(item.provider ?? '')} is neither radboud nor karolinska, so its mask labels cannot be read`,
    );
  return { path: item.maskPath, provider };
}

/** The mask's regions as annotations of the slide, one per class (MultiPolygon). */
export async function importMaskAnnotations(
  store: Store,
  slide: Slide,
  mask: SlideMask,
  size: { width: number; height: number },
  author: string,
): Promise<Annotation[]> {
  const grid = await readMaskLabels(mask.path, size.width, size.height, MASK_POLYGON_SIDE);
  const regions = maskRegions(shrinkLabels(grid, MASK_POLYGON_SIDE), mask.provider);
  addMissingClasses(
    store,
    slide.folderId,
    MASK_CLASSES[mask.provider].map((c) => ({ name: c.className, color: c.color })),
  );
  return createAnnotations(
    store,
    slide.id,
    regions.map((r) => ({
      tool: 'freehand' as const,
      geometry: r.geometry,
      className: r.className,
      name: `mask label ${r.label}`,
      note: '',
    })),
    author,
  );
}

/** The mask's labels for the overlay, at most MASK_OVERLAY_SIDE on the longer side. */
export async function maskOverlay(
  mask: SlideMask,
  size: { width: number; height: number },
): Promise<LabelGrid> {
  const grid = await readMaskLabels(mask.path, size.width, size.height, MASK_OVERLAY_SIDE);
  return shrinkLabels(grid, MASK_OVERLAY_SIDE);
}
