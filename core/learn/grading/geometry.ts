/**
 * Attention on the model's k×k patch grid, placed on the slide in level-0 pixels. Modelled on DSA's `griddata`
 * heatmaps (origin, dx, dy, gridWidth, row-major values) with slideflow's masked grid: cells that are not tissue
 * (including those in the white padding of the square image) are null.
 */
import type { TissueMask } from '../../io/slide/index.ts';

/** 'gradcam': Grad-CAM averaged over the grid's 8 symmetries; 'gradcam-single': one arrangement; 'occlusion'. */
export type AttentionMethod = 'gradcam' | 'gradcam-single' | 'occlusion';

/**
 * 'cancer': the evidence for cancer (any grade ≥ 1 against benign), scaled by the model's probability of cancer so
 * that maps compare across slides; 'grade': the predicted grade's own score, scaled per slide.
 */
export type AttentionTarget = 'cancer' | 'grade';

export interface AttentionLabel {
  method: AttentionMethod;
  explains: AttentionTarget;
  /** The predicted grade. */
  target: number;
}

export interface AttentionGrid extends AttentionLabel {
  gridWidth: number;
  gridHeight: number;
  /** Level-0 position of the top-left corner of cell 0 ([x, y, z] as DSA writes it). */
  origin: [number, number, number];
  /** Cell size in level-0 pixels. */
  dx: number;
  dy: number;
  /** Row-major, gridWidth·gridHeight values in [0, 1]; null where the cell holds no tissue. */
  values: (number | null)[];
}

/** Cell geometry of a k×k patch grid over a slide read as a square image (content top-left, `scale` l0 px/px). */
export interface PatchGridGeometry {
  k: number;
  /** Level-0 pixels per patch side (patch px × the square image's scale). */
  cell: number;
  slideWidth: number;
  slideHeight: number;
}

export function patchGridGeometry(
  k: number,
  patchSize: number,
  scale: number,
  slideWidth: number,
  slideHeight: number,
): PatchGridGeometry {
  return { k, cell: patchSize * scale, slideWidth, slideHeight };
}

/** Level-0 rectangle [x0, y0, x1, y1) of grid cell (row, col), clipped to the slide (empty in the padding). */
export function cellRect(
  geometry: PatchGridGeometry,
  row: number,
  col: number,
): [number, number, number, number] {
  const { cell, slideWidth, slideHeight } = geometry;
  return [
    Math.min(col * cell, slideWidth),
    Math.min(row * cell, slideHeight),
    Math.min((col + 1) * cell, slideWidth),
    Math.min((row + 1) * cell, slideHeight),
  ];
}

/**
 * Resamples a tissue mask (any cell size, covering the slide from (0, 0)) onto the patch grid: a patch is tissue
 * when at least `minFraction` of the mask cells whose centres fall inside it are tissue. Patches with no mask cell
 * centre inside the slide (the padding) are not tissue. Finer masks than the patch grid give fractional coverage.
 */
export function tissueOnPatchGrid(
  mask: TissueMask,
  geometry: PatchGridGeometry,
  minFraction = 0.1,
): Uint8Array {
  const { k, cell } = geometry;
  const tissue = new Float64Array(k * k);
  const count = new Float64Array(k * k);
  for (let my = 0; my < mask.gridHeight; my++) {
    const row = Math.floor(((my + 0.5) * mask.cellHeight) / cell);
    if (row >= k) continue;
    for (let mx = 0; mx < mask.gridWidth; mx++) {
      const col = Math.floor(((mx + 0.5) * mask.cellWidth) / cell);
      if (col >= k) continue;
      count[row * k + col]!++;
      tissue[row * k + col]! += mask.values[my * mask.gridWidth + mx]!;
    }
  }
  return Uint8Array.from(count, (c, i) => (c > 0 && tissue[i]! / c >= minFraction ? 1 : 0));
}

/**
 * The attention grid from raw non-negative scores per patch: masked to tissue and divided by the largest tissue
 * score, then multiplied by `scale` (0–1), so the strongest tissue patch is `scale` (all 0 when no tissue patch
 * scores above 0).
 */
export function attentionGrid(
  raw: ArrayLike<number>,
  tissue: ArrayLike<number>,
  geometry: PatchGridGeometry,
  label: AttentionLabel,
  scale = 1,
): AttentionGrid {
  const { k, cell } = geometry;
  if (raw.length !== k * k || tissue.length !== k * k)
    throw new RangeError(
      `attention needs ${k * k} scores and tissue flags, got ${raw.length}, ${tissue.length}`,
    );
  let max = 0;
  for (let i = 0; i < raw.length; i++) if (tissue[i] && raw[i]! > max) max = raw[i]!;
  const values = Array.from({ length: k * k }, (_, i) =>
    tissue[i] ? (max > 0 ? (Math.max(0, raw[i]!) / max) * scale : 0) : null,
  );
  return { ...label, gridWidth: k, gridHeight: k, origin: [0, 0, 0], dx: cell, dy: cell, values };
}
