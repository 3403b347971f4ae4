/** Recognises a dataset folder's layout and opens it: label files are parsed, image folders only listed. */
import { join, resolve } from 'node:path';
import { DatasetError } from '../../base/errors.ts';
import { readCsvFile } from './csv-file.ts';
import { IMAGE_FOLDER, imageFolderDataset } from './images.ts';
import { folderIndex, indexFolder, listFiles } from './listing.ts';
import { PANDA_TEST, PANDA_TRAIN, pandaDataset } from './panda.ts';
import { SLIDE_EXTENSIONS, slideFolderDataset } from './slides.ts';
import { toTable } from './table.ts';
import type { Dataset } from './types.ts';

const PANDA_SLIDE_EXTENSIONS = ['.tiff'];

/**
 * Opens `dir` as, in this order of precedence: PANDA (`train.csv`), a labelled image folder (`labels.csv`),
 * PANDA's unlabelled test set (`test.csv`), or a plain folder of slides. Problems with single rows or files
 * become findings; a folder or label file that cannot be used at all is a DatasetError.
 */
export async function openDataset(dir: string): Promise<Dataset> {
  const root = resolve(dir);
  const names = await listFiles(root);
  if (names === null) throw new DatasetError(root, 'does not exist');
  const has = new Set(names);

  if (has.has(PANDA_TRAIN.csv)) {
    const file = join(root, PANDA_TRAIN.csv);
    const table = toTable(await readCsvFile(file), file, PANDA_TRAIN.columns);
    const [slides, masks] = await Promise.all([
      indexFolder(join(root, PANDA_TRAIN.images), PANDA_SLIDE_EXTENSIONS),
      indexFolder(join(root, PANDA_TRAIN.masks), PANDA_SLIDE_EXTENSIONS, '_mask'),
    ]);
    return pandaDataset(root, table, slides, masks, true);
  }
  if (has.has(IMAGE_FOLDER.csv)) {
    const file = join(root, IMAGE_FOLDER.csv);
    const table = toTable(await readCsvFile(file), file, IMAGE_FOLDER.columns);
    const sub = await indexFolder(join(root, IMAGE_FOLDER.images), IMAGE_FOLDER.extensions);
    const images = sub.exists ? sub : folderIndex(root, names, IMAGE_FOLDER.extensions);
    return imageFolderDataset(root, table, images);
  }
  if (has.has(PANDA_TEST.csv)) {
    const file = join(root, PANDA_TEST.csv);
    const table = toTable(await readCsvFile(file), file, PANDA_TEST.columns);
    const slides = await indexFolder(join(root, PANDA_TEST.images), PANDA_SLIDE_EXTENSIONS);
    return pandaDataset(root, table, slides, null, false);
  }
  const slides = folderIndex(root, names, SLIDE_EXTENSIONS);
  if (slides.byId.size === 0)
    throw new DatasetError(
      root,
      `holds no ${PANDA_TRAIN.csv}, ${IMAGE_FOLDER.csv}, ${PANDA_TEST.csv} or slide files (${SLIDE_EXTENSIONS.join(' ')})`,
    );
  return slideFolderDataset(root, slides);
}
