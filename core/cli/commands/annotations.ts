/**
 * `patchgd annotations import|export`: a slide folder's annotations as GeoJSON in QuPath's layout, on the same
 * project store as the app (`--user-data`, as in browser mode). The folder is opened into the store first, as
 * the app's "open folder" does, so the slide ids are the app's.
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { UsageError } from '../../base/errors.ts';
import { openSlide } from '../../io/slide/index.ts';
import { closeStore, openStore, presentSlides, type Slide, type Store } from '../../io/store/index.ts';
import {
  exportFolderAnnotations,
  exportSlideAnnotations,
  importFolderAnnotations,
  importMaskAnnotations,
  importSlideAnnotations,
  slideMask,
} from '../../jobs/annotations.ts';
import { DEFAULT_USER_DATA, openProjectFolder, type OpenedFolder } from '../../jobs/project.ts';

interface CommonOptions {
  data: string;
  userData: string;
  slide?: string;
}

function defaultAuthor(): string {
  try {
    return userInfo().username;
  } catch {
    return 'patchgd';
  }
}

/** The folder's present slides (by store id), or the one named by image id. */
function slidesOf(store: Store, opened: OpenedFolder, imageId: string | undefined): Slide[] {
  const slides = presentSlides(store, opened.folder.id);
  if (imageId === undefined) return slides;
  const slide = slides.find((s) => s.imageId === imageId);
  if (!slide) throw new UsageError(opened.dataset.root, `has no slide with image id ${imageId}`);
  return [slide];
}

async function withProject<T>(
  o: CommonOptions,
  fn: (store: Store, opened: OpenedFolder) => Promise<T>,
): Promise<T> {
  const store = openStore(o.userData);
  try {
    return await fn(store, await openProjectFolder(store, o.data));
  } finally {
    closeStore(store);
  }
}

function common(command: Command): Command {
  return command
    .requiredOption('--data <dir>', 'slide folder (PANDA layout or plain slides)')
    .option('--user-data <dir>', 'folder of the project store, as for the app', DEFAULT_USER_DATA)
    .option('--slide <id>', 'image id of one slide (default: every slide, one file each)');
}

export function register(program: Command): void {
  const annotations = program
    .command('annotations')
    .description('import and export slide annotations as GeoJSON (QuPath layout)');

  common(annotations.command('export'))
    .description('write annotations as GeoJSON: one file with --slide, else <image id>.geojson per slide')
    .requiredOption('--out <path>', 'GeoJSON file (with --slide) or folder')
    .action((o: CommonOptions & { out: string }) =>
      withProject(o, async (store, opened) => {
        const slides = slidesOf(store, opened, o.slide);
        if (o.slide !== undefined) {
          const n = await exportSlideAnnotations(store, slides[0]!, o.out);
          process.stdout.write(`wrote ${n} annotations to ${o.out}\n`);
          return;
        }
        const files = await exportFolderAnnotations(store, slides, o.out);
        const total = files.reduce((s, f) => s + f.annotations, 0);
        process.stdout.write(`wrote ${total} annotations of ${files.length} slides to ${o.out}\n`);
      }),
    );

  common(annotations.command('import'))
    .description('add annotations from GeoJSON (QuPath layout), or from the slide’s PANDA label mask')
    .option('--in <path>', 'GeoJSON file (with --slide) or folder of <image id>.geojson files')
    .option('--mask', 'with --slide: import the slide’s label mask as one annotation per class')
    .option('--author <name>', 'recorded as the author of the imported annotations', defaultAuthor())
    .action((o: CommonOptions & { in?: string; mask?: boolean; author: string }) =>
      withProject(o, async (store, opened) => {
        if (o.mask === (o.in !== undefined)) throw new UsageError(null, 'give either --in or --mask');
        const slides = slidesOf(store, opened, o.slide);
        if (o.mask) {
          if (o.slide === undefined) throw new UsageError(null, '--mask needs --slide');
          const slide = slides[0]!;
          const image = await openSlide(slide.path);
          const size = { width: image.info.width, height: image.info.height };
          await image.close();
          const mask = slideMask(opened.dataset, slide.imageId);
          const added = await importMaskAnnotations(store, slide, mask, size, o.author);
          process.stdout.write(`imported ${added.length} mask classes of ${slide.imageId}\n`);
          return;
        }
        if (o.slide !== undefined) {
          const report = await importSlideAnnotations(store, slides[0]!, o.in!, o.author);
          const skipped =
            report.skipped > 0 ? ` (${report.skipped} objects that are not annotations skipped)` : '';
          process.stdout.write(`imported ${report.imported.length} annotations${skipped}\n`);
          return;
        }
        const files = await importFolderAnnotations(store, slides, o.in!, o.author);
        const total = files.reduce((s, f) => s + f.annotations, 0);
        process.stdout.write(`imported ${total} annotations into ${files.length} slides\n`);
      }),
    );
}
