/**
 * Localization check: how well patch attention ranks patches that contain tumour (from PANDA label masks) above
 * those that do not, as an AUROC over tissue patches.
 */
import { readMaskLabels } from '../../io/masks/index.ts';
import type { SlideLevel } from '../../io/slide/index.ts';
import { auroc } from './auroc.ts';
import type { AttentionGrid, PatchGridGeometry } from './geometry.ts';

/** Tumour labels of PANDA masks (R channel): Radboud Gleason 3–5 (≥ 3), Karolinska cancer (2). */
export function tumourRule(provider: string | undefined): ((label: number) => boolean) | null {
  switch (provider?.toLowerCase()) {
    case 'radboud':
      return (label) => label >= 3;
    case 'karolinska':
      return (label) => label === 2;
    default:
      return null;
  }
}

/** The coarsest level with at least `perCell` pixels across a cell of `cell` level-0 px (else level 0). */
function maskLevel(levels: readonly SlideLevel[], cell: number, perCell: number): number {
  let best = 0;
  levels.forEach((level, i) => {
    if (level.downsample * perCell <= cell) best = i;
  });
  return best;
}

/**
 * Which patches of the grid contain tumour: the mask is read through the slide reader from the coarsest pyramid
 * level that still gives each patch at least 4×4 pixels; a patch is tumour when any of its pixels is.
 */
export async function tumourOnPatchGrid(
  maskPath: string,
  geometry: PatchGridGeometry,
  isTumour: (label: number) => boolean,
): Promise<Uint8Array> {
  const { k, slideWidth, slideHeight } = geometry;
  const grid = await readMaskLabels(maskPath, slideWidth, slideHeight, (levels) =>
    maskLevel(levels, geometry.cell, 4),
  );
  const tumour = new Uint8Array(k * k);
  for (let y = 0; y < grid.height; y++) {
    const row = Math.floor(((y + 0.5) * grid.scaleY) / geometry.cell);
    if (row >= k) break;
    for (let x = 0; x < grid.width; x++) {
      const col = Math.floor(((x + 0.5) * grid.scaleX) / geometry.cell);
      if (col < k && isTumour(grid.labels[y * grid.width + x]!)) tumour[row * k + col] = 1;
    }
  }
  return tumour;
}

/** Attention values of the grid's tissue cells paired with their tumour flags. */
export function scoredCells(
  grid: AttentionGrid,
  tumour: ArrayLike<number>,
): { scores: number[]; positive: boolean[] } {
  const scores: number[] = [];
  const positive: boolean[] = [];
  grid.values.forEach((value, i) => {
    if (value === null) return;
    scores.push(value);
    positive.push(tumour[i] === 1);
  });
  return { scores, positive };
}

export interface LocalizationSummary {
  /** AUROC over the tissue patches of all slides pooled (NaN → null when a class is missing). */
  auroc: number | null;
  /** Mean of the per-slide AUROCs over slides that have both tumour and non-tumour tissue patches. */
  meanSlideAuroc: number | null;
  slides: number;
  patches: number;
  tumourPatches: number;
}

function finite(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/** Pooled and per-slide-mean AUROC of attention against tumour over several slides. */
export function summarizeLocalization(
  cells: readonly { scores: number[]; positive: boolean[] }[],
): LocalizationSummary {
  const scores = cells.flatMap((c) => c.scores);
  const positive = cells.flatMap((c) => c.positive);
  const perSlide = cells.map((c) => auroc(c.scores, c.positive)).filter(Number.isFinite);
  return {
    auroc: finite(auroc(scores, positive)),
    meanSlideAuroc: perSlide.length ? perSlide.reduce((a, b) => a + b, 0) / perSlide.length : null,
    slides: cells.length,
    patches: scores.length,
    tumourPatches: positive.filter(Boolean).length,
  };
}
