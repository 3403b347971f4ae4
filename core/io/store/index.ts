/** Public API of the project store. */
export {
  addMissingClasses,
  annotationHistory,
  annotationSlideId,
  createAnnotation,
  createAnnotations,
  deleteAnnotation,
  getAnnotation,
  listAnnotations,
  listClasses,
  restoreAnnotation,
  setClasses,
  updateAnnotation,
  type AnnotationAction,
  type AnnotationEvent,
  type AnnotationPatch,
} from './annotations.ts';
export { StoreError } from './errors.ts';
export { reviewCsvRows, exportReviewsCsv, writeReviewsCsv, REVIEW_CSV_HEADER } from './export.ts';
export { getFolder, recentFolders, upsertFolder, type Folder } from './folders.ts';
export { lockUserData, LOCK_FILE, type InstanceLock } from './instance-lock.ts';
export { LATEST_VERSION, MIGRATIONS, type Migration } from './migrations.ts';
export { closeStore, migrate, openStore, STORE_FILE, type Store } from './open.ts';
export {
  getPrediction,
  latestPrediction,
  recordPrediction,
  MAX_GRADE,
  type Prediction,
} from './predictions.ts';
export {
  currentReview,
  reviewDraft,
  reviewHistory,
  saveReview,
  saveReviewDraft,
  type Review,
  type ReviewDraft,
  type ReviewEvent,
  type ReviewInput,
  type ReviewStatus,
} from './reviews.ts';
export {
  getRun,
  listCheckpoints,
  listRuns,
  recordCheckpoint,
  failInterruptedRuns,
  recordRun,
  updateRun,
  type BestMetric,
  type Checkpoint,
  type Run,
  type RunStatus,
} from './runs.ts';
export {
  listSlides,
  MAX_PAGE,
  type SlideFilter,
  type SlideListOptions,
  type SlideListRow,
  type SlidePage,
  type SlideSort,
} from './slide-list.ts';
export {
  getSlide,
  presentSlides,
  statFiles,
  syncSlides,
  type FileStat,
  type Slide,
  type SyncReport,
} from './slides.ts';
