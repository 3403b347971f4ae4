/** Public API of the label-mask reader: mask labels as a grid, and as polygons by class. */
export { levelWithSide, readMaskLabels, shrinkLabels, type LabelGrid } from './labels.ts';
export { maskRegions, MAX_AREA_CHANGE, SIMPLIFY_TOLERANCES, type ClassRegion } from './polygons.ts';
