/** Public API of the slide reader. */
export type { AssociatedImage, Compression, EncodedTile, RgbImage, SlideInfo, SlideLevel } from './types.ts';
export { checkSlideFile, openSlide, type OpenSlideOptions, type Slide } from './slide.ts';
export { SlidePool } from './pool.ts';
export { TileCache, sharedTileCache } from './tile-cache.ts';
export { ByteBudget, sharedDecodeBudget } from './byte-budget.ts';
export {
  otsuThreshold,
  saturation,
  tissueGrid,
  MIN_TISSUE_SATURATION,
  type TissueGridSpec,
  type TissueMask,
} from './tissue.ts';
export { chooseLevel, resizeRgb } from './scaled.ts';
export { completeTileJpeg } from './jpeg-stream.ts';
export { MAX_REGION_PIXELS, MAX_SIDE, MAX_TILE_SIDE } from './limits.ts';
