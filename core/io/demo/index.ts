/** Synthetic PANDA-like demo dataset: public API. */
export {
  generateDemoDataset,
  assignSlides,
  planDataset,
  trainCsv,
  DEFAULT_SEED,
  DEFAULT_SIZE,
  DEFAULT_SLIDES,
  type DemoOptions,
  type DemoProgress,
  type DemoSlideRecord,
  type DemoSummary,
  type SlideAssignment,
} from './dataset.ts';
export { gleasonString, type GleasonScore, type Pattern, type Provider } from './gleason.ts';
export { drawSlidePlan, type SlidePlan } from './plan.ts';
export { renderRegion, type RenderedTile } from './render.ts';
export { writeSlide, DOWNSAMPLES, TILE_SIZE, PIXELS_PER_CM } from './slide.ts';
export { TiledTiffWriter, type TiffImageSpec } from './tiff-writer.ts';
