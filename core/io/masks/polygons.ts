/**
 * Label mask → polygons, one MultiPolygon (with holes) per class. The outlines come from marching squares
 * (d3-contour, at threshold 0.5 of each class's 0/1 image, so the outline runs along pixel edges and cuts only
 * an eighth of a pixel at each corner) and are then simplified (Douglas–Peucker via @turf/simplify) so that a
 * region's outline keeps tens, not thousands, of corners. The area stays within a fraction of a mask pixel per
 * corner of the pixel count.
 */
import { contours } from 'd3-contour';
import { simplify } from '@turf/simplify';
import { measure, type Geometry, type Position } from '../../shared/annotations.ts';
import { MASK_CLASSES, type MaskProvider } from '../../shared/panda-mask.ts';
import type { LabelGrid } from './labels.ts';

export interface ClassRegion {
  label: number;
  className: string;
  /** Mask pixels of this label. */
  pixels: number;
  /** In level-0 pixels of the slide. */
  geometry: MultiPolygon;
}

/**
 * Simplification tolerances in mask pixels, tried in turn. Douglas–Peucker at half a pixel drops most corners of
 * a curved outline, but on straight edges it also drops the marching-squares corner cuts and shifts the edge by up
 * to half a pixel, which matters for thin regions; so a class whose simplified area moves by more than
 * MAX_AREA_CHANGE from the raw outline's is simplified again with the next, smaller tolerance (0: raw outline).
 */
export const SIMPLIFY_TOLERANCES = [0.5, 0.3, 0] as const;
/** Largest relative area change simplification may make. */
export const MAX_AREA_CHANGE = 0.002;

type MultiPolygon = Extract<Geometry, { type: 'MultiPolygon' }>;

const areaOf = (g: MultiPolygon): number =>
  measure(g, { unit: 'px', reason: 'no resolution in the file' }).area;

/** The outline simplified with the first tolerance that keeps its area within MAX_AREA_CHANGE. */
function simplest(raw: MultiPolygon, tolerances: readonly number[]): MultiPolygon {
  const area = areaOf(raw);
  for (const tolerance of tolerances) {
    if (tolerance <= 0) break;
    const simple = simplify(structuredClone(raw), { tolerance, highQuality: true, mutate: true });
    if (Math.abs(areaOf(simple) - area) <= MAX_AREA_CHANGE * area) return simple;
  }
  return raw;
}

/** The mask's regions by class (classes absent from the mask left out), in the provider's label order. */
export function maskRegions(
  grid: LabelGrid,
  provider: MaskProvider,
  tolerances: readonly number[] = SIMPLIFY_TOLERANCES,
): ClassRegion[] {
  const outline = contours().size([grid.width, grid.height]).smooth(false).thresholds([0.5]);
  const regions: ClassRegion[] = [];
  for (const c of MASK_CLASSES[provider]) {
    const values = new Array<number>(grid.labels.length);
    let pixels = 0;
    for (let i = 0; i < values.length; i++) {
      const inside = grid.labels[i] === c.label ? 1 : 0;
      values[i] = inside;
      pixels += inside;
    }
    if (pixels === 0) continue;
    // d3's positions are plain number arrays; each holds exactly x and y.
    const coordinates = outline(values)[0]!.coordinates as Position[][][];
    const raw: MultiPolygon = { type: 'MultiPolygon', coordinates };
    const simple = simplest(raw, tolerances);
    const scale = (p: readonly number[]): Position => [p[0]! * grid.scaleX, p[1]! * grid.scaleY];
    regions.push({
      label: c.label,
      className: c.className,
      pixels,
      geometry: {
        type: 'MultiPolygon',
        coordinates: simple.coordinates.map((polygon) => polygon.map((ring) => ring.map(scale))),
      },
    });
  }
  return regions;
}
