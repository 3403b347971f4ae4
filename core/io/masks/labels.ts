/** Reads a PANDA label mask (a pyramidal TIFF, label in the R channel) as a grid of labels at a chosen size. */
import { SlideError } from '../../base/errors.ts';
import { MAX_REGION_PIXELS, openSlide, type SlideLevel } from '../slide/index.ts';

/** A mask's labels, row-major, each cell covering `scaleX` × `scaleY` level-0 pixels of the slide. */
export interface LabelGrid {
  width: number;
  height: number;
  labels: Uint8Array;
  scaleX: number;
  scaleY: number;
}

/** The coarsest level whose longer side is at least `minSide` pixels (level 0 when none is). */
export function levelWithSide(minSide: number): (levels: readonly SlideLevel[]) => number {
  return (levels) => {
    let index = 0;
    levels.forEach((level, i) => {
      if (Math.max(level.width, level.height) >= minSide) index = i;
    });
    return index;
  };
}

/**
 * The labels of one mask level, after checking that the mask covers the slide (`slideWidth` × `slideHeight`):
 * the coarsest whose longer side is at least `level` pixels, or the one a function of the levels picks.
 */
export async function readMaskLabels(
  maskPath: string,
  slideWidth: number,
  slideHeight: number,
  level: number | ((levels: readonly SlideLevel[]) => number),
): Promise<LabelGrid> {
  const mask = await openSlide(maskPath);
  try {
    if (mask.info.width !== slideWidth || mask.info.height !== slideHeight)
      throw new SlideError(
        maskPath,
        `mask is ${mask.info.width}×${mask.info.height} but its slide is ${slideWidth}×${slideHeight}`,
      );
    const index = (typeof level === 'number' ? levelWithSide(level) : level)(mask.info.levels);
    const { width, height } = mask.info.levels[index]!;
    if (width * height > MAX_REGION_PIXELS)
      throw new SlideError(maskPath, `mask level ${index} (${width}×${height}) is too large to read`);
    const image = await mask.readRegion(index, 0, 0, width, height);
    const labels = new Uint8Array(image.width * image.height);
    for (let i = 0; i < labels.length; i++) labels[i] = image.data[i * 3]!;
    return {
      width: image.width,
      height: image.height,
      labels,
      scaleX: slideWidth / image.width,
      scaleY: slideHeight / image.height,
    };
  } finally {
    await mask.close();
  }
}

/** The grid shrunk by nearest neighbour so that its longer side is at most `maxSide` (unchanged if it is). */
export function shrinkLabels(grid: LabelGrid, maxSide: number): LabelGrid {
  const factor = Math.max(grid.width, grid.height) / maxSide;
  if (factor <= 1) return grid;
  const width = Math.max(1, Math.round(grid.width / factor));
  const height = Math.max(1, Math.round(grid.height / factor));
  const labels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(grid.height - 1, Math.floor(((y + 0.5) * grid.height) / height));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(grid.width - 1, Math.floor(((x + 0.5) * grid.width) / width));
      labels[y * width + x] = grid.labels[sy * grid.width + sx]!;
    }
  }
  return {
    width,
    height,
    labels,
    scaleX: (grid.scaleX * grid.width) / width,
    scaleY: (grid.scaleY * grid.height) / height,
  };
}
