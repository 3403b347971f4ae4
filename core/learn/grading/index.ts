/** Public API of slide grading: per-slide grades with attention maps, folder runs, the localization check. */
export {
  gradeSlide,
  type GradeProgress,
  type GradeSlideOptions,
  type GradeStage,
  type SlideGrade,
} from './grade-slide.ts';
export {
  gradCam,
  occlusion,
  type AttentionScore,
  type GradCamViews,
  type OcclusionOptions,
} from './attention.ts';
export {
  attentionGrid,
  cellRect,
  patchGridGeometry,
  tissueOnPatchGrid,
  type AttentionGrid,
  type AttentionLabel,
  type AttentionMethod,
  type AttentionTarget,
  type PatchGridGeometry,
} from './geometry.ts';
export { auroc } from './auroc.ts';
export {
  scoredCells,
  summarizeLocalization,
  tumourOnPatchGrid,
  tumourRule,
  type LocalizationSummary,
} from './localization.ts';
export { COLORMAPS, colorAt, type ColormapName } from '../../shared/colormap.ts';
export { blendAttention, overlayPng, DEFAULT_OVERLAY_STYLE, type OverlayStyle } from './overlay.ts';
