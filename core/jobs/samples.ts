import { stratifiedKFold, usableItems, type Dataset, type DatasetItem } from '../io/dataset/index.ts';
import { readImageFileSquare, readSlideSquare } from '../io/dataset/square-image.ts';
import { DatasetError } from '../base/errors.ts';
import type { SlidePool } from '../io/slide/pool.ts';
import type { RgbImage } from '../io/slide/types.ts';
import type { PatchSource } from '../io/dataset/patch-source.ts';
import { openSlidePatches, type SlideSourceOptions } from '../io/dataset/slide-source.ts';

/**
 * One dataset item as the engine consumes it: its label, a loader of the whole padded square image, and for
 * slides a patch source (PatchGD reads a slide patch by patch, never as a whole image, above 4,096 px).
 */
export interface ImageSample {
  id: string;
  /** Class index, or -1 for unlabelled items (prediction only). */
  label: number;
  load(): Promise<RgbImage>;
  patches?(imageSize: number, patchSize: number): Promise<PatchSource>;
}

/**
 * Turns dataset items into engine samples at `imageSize` px; slides go through the pool's pyramid reader, and
 * `sources` says how PatchGD reads them (disk cache folder, in-memory limit).
 */
export function datasetSamples(
  dataset: Dataset,
  items: readonly DatasetItem[],
  imageSize: number,
  pool: SlidePool,
  sources: SlideSourceOptions = {},
): ImageSample[] {
  const isSlide = dataset.layout !== 'images';
  return items.map((item) => ({
    id: item.id,
    label: item.label ?? -1,
    load: async () =>
      (isSlide
        ? await readSlideSquare(pool, item.imagePath, imageSize)
        : await readImageFileSquare(item.imagePath, imageSize)
      ).image,
    ...(isSlide
      ? {
          patches: (size: number, patchSize: number) =>
            openSlidePatches(pool, item.imagePath, size, patchSize, sources),
        }
      : {}),
  }));
}

/** Labelled, usable items of a dataset; a clear error when there are none. */
export function labelledItems(dataset: Dataset): DatasetItem[] {
  const items = usableItems(dataset).filter((item) => item.label !== null);
  if (items.length === 0) throw new DatasetError(dataset.root, 'no usable labelled items');
  return items;
}

export interface Split {
  train: DatasetItem[];
  val: DatasetItem[];
}

/** Stratified hold-out: fold `valFold` of a seeded `folds`-fold split is the validation set. */
export function splitByFold(
  items: readonly DatasetItem[],
  folds: number,
  valFold: number,
  seed: number,
): Split {
  if (!Number.isInteger(valFold) || valFold < 0 || valFold >= folds)
    throw new DatasetError(null, `validation fold ${valFold} is not in 0..${folds - 1}`);
  const fold = stratifiedKFold(
    items.map((item) => item.label ?? 0),
    folds,
    seed,
  );
  return {
    train: items.filter((_, i) => fold[i] !== valFold),
    val: items.filter((_, i) => fold[i] === valFold),
  };
}
