/**
 * The typed contract between the app's UI and its back end (Electron main, or the browser-mode server): every
 * request (channel → params, result) and every event, as zod schemas. Both sides take their TypeScript types
 * from here (`z.input` for what a side sends, `z.output` for what it receives), and `validate.ts` checks every
 * message against them at the boundary.
 *
 * Params are strict (an unknown key is a caller bug worth reporting); results and events strip unknown keys,
 * so a handler may return a richer store object and only the contract's fields cross the boundary.
 */
import { BACKEND_NAMES, MULTIPLY_ADD_VARIANTS, RELAXED_SIMD_STATES } from './backend-names.ts';
import { z } from 'zod';
import {
  annotationClassSchema,
  annotationInputSchema,
  annotationSchema,
  geometrySchema,
} from './annotations.ts';
import { trainConfigSchema } from './train-config.ts';

// ---------------------------------------------------------------------------------------------------------------
// Building blocks

const id = z.number().int().positive();
const count = z.number().int().nonnegative();
const grade = z.number().int().min(0).max(5);
const probability = z.number().min(0).max(1);
/** ISO 8601 time, as the store writes it. */
const time = z.string().min(1);
const path = z.string().min(1);
/** Names the file a failure concerns (null when none) and the problem in plain words. */
const failure = z.object({ file: z.string().nullable(), problem: z.string() });

export const datasetLayoutSchema = z.enum(['panda', 'images', 'slides']);
/** 'graded': a grade where no prediction existed; 'ungradable': insufficient tissue, no grade. */
export const reviewStatusSchema = z.enum(['agreed', 'overridden', 'graded', 'ungradable']);
/** A Gleason pattern as a pathologist records it. */
const pattern = z.number().int().min(3).max(5);
/** States of a run and of the job that trains or grades with it. */
export const runStatusSchema = z.enum(['queued', 'running', 'done', 'failed', 'cancelled']);
export const checkpointNameSchema = z.enum(['best', 'last']);

/** A training run's configuration: the engine's own schema, so the UI and the engine cannot drift apart. */
export { trainConfigSchema };

// ---------------------------------------------------------------------------------------------------------------
// Folders and datasets

export const folderSchema = z.object({
  id,
  path,
  layout: datasetLayoutSchema,
  addedAt: time,
  openedAt: time,
});

export const findingCodeSchema = z.enum([
  'no-rows',
  'wrong-field-count',
  'bad-id',
  'duplicate-id',
  'missing-file',
  'unreadable-file',
  'ambiguous-file',
  'orphan-file',
  'orphan-mask',
  'bad-grade',
  'bad-label',
  'unknown-provider',
  'bad-gleason',
  'gleason-convention',
  'isup-mismatch',
]);
export const severitySchema = z.enum(['error', 'warning']);

export const findingSchema = z.object({
  severity: severitySchema,
  code: findingCodeSchema,
  file: z.string(),
  line: z.number().int().positive().optional(),
  imageId: z.string().optional(),
  message: z.string(),
});

export const datasetSummarySchema = z.object({
  root: path,
  layout: datasetLayoutSchema,
  items: count,
  usable: count,
  numClasses: z.number().int().positive().nullable(),
  classCounts: z.array(count).nullable(),
  providers: z.record(z.string(), count),
  errors: count,
  warnings: count,
  groups: z.array(
    z.object({ code: findingCodeSchema, severity: severitySchema, count, examples: z.array(findingSchema) }),
  ),
});

export const syncReportSchema = z.object({
  added: z.array(z.string()),
  changed: z.array(z.string()),
  removed: z.array(z.string()),
  unchanged: count,
});

// ---------------------------------------------------------------------------------------------------------------
// Slides

export const slideSortSchema = z.enum([
  'imageId',
  'label',
  'predicted',
  'confidence',
  'reviewed',
  'reviewStatus',
  'reviewedAt',
]);

export const slideFilterSchema = z.strictObject({
  search: z.string().max(200).optional(),
  labels: z.array(grade).optional(),
  predicted: z.array(grade).optional(),
  review: z.array(z.enum(['agreed', 'overridden', 'graded', 'ungradable', 'unreviewed'])).optional(),
  disagreement: z.boolean().optional(),
});

export const predictionSchema = z.object({
  id,
  slideId: id,
  runId: id,
  grade,
  probabilities: z.array(probability).min(1).max(6),
  confidence: probability,
  attentionPath: z.string().nullable(),
  predictedAt: time,
});

export const reviewSchema = z.object({
  slideId: id,
  reviewer: z.string().min(1),
  reviewedAt: time,
  /** Null only when the slide is ungradable. */
  grade: grade.nullable(),
  status: reviewStatusSchema,
  note: z.string(),
  predictionId: id.nullable(),
  primaryPattern: pattern.nullable(),
  secondaryPattern: pattern.nullable(),
  tertiaryPattern: pattern.nullable(),
  pattern4Percent: z.number().min(0).max(100).nullable(),
  /** The grade the primary and secondary patterns imply; the review is flagged where it differs from `grade`. */
  derivedGrade: grade.nullable(),
});

export const reviewEventSchema = reviewSchema.extend({ id, oldGrade: grade.nullable() });

export const reviewDraftSchema = z.object({ slideId: id, note: z.string(), savedAt: time });

export const slideRowSchema = z.object({
  id,
  imageId: z.string(),
  path,
  fileSize: count.nullable(),
  label: z.number().int().nonnegative().nullable(),
  provider: z.string().nullable(),
  gleason: z.string().nullable(),
  /** Where the UI loads the slide's thumbnail from (a custom protocol in Electron, HTTP in browser mode). */
  thumbnailUrl: z.string().min(1),
  prediction: predictionSchema.omit({ slideId: true }).nullable(),
  review: reviewSchema
    .pick({ grade: true, status: true, reviewer: true, reviewedAt: true, note: true })
    .nullable(),
});

const compressionSchema = z.enum([
  'none',
  'jpeg',
  'lzw',
  'deflate',
  'packbits',
  'webp',
  'zstd',
  'jpeg2000',
  'other',
]);

/** Placeholders a tile URL template must hold; the viewer fills them per tile. */
export const TILE_URL_PLACEHOLDERS = ['{level}', '{x}', '{y}'] as const;

export const slideInfoSchema = z.object({
  slideId: id,
  imageId: z.string(),
  path,
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  levels: z
    .array(
      z.object({
        width: z.number().int().positive(),
        height: z.number().int().positive(),
        downsample: z.number().positive(),
        tileWidth: z.number().int().positive(),
        tileHeight: z.number().int().positive(),
      }),
    )
    .min(1),
  /** Microns per level-0 pixel; null when the file does not say (no scale bar or objective presets then). */
  mpp: z.object({ x: z.number().positive(), y: z.number().positive() }).nullable(),
  compression: compressionSchema,
  fileSize: count,
  associated: z.array(
    z.object({ name: z.string(), width: z.number().int().positive(), height: z.number().int().positive() }),
  ),
  /** e.g. `slide://3/tiles/{level}/{x}/{y}`: tile column x and row y of pyramid level `level`. */
  tileUrlTemplate: z.string().refine((t) => TILE_URL_PLACEHOLDERS.every((p) => t.includes(p)), {
    message: `must contain ${TILE_URL_PLACEHOLDERS.join(', ')}`,
  }),
  thumbnailUrl: z.string().min(1),
});

/**
 * A per-patch attention map as a regular grid over the slide (the DSA `griddata` model): cell (i, j) covers
 * level-0 pixels [origin.x + i·dx, +dx) × [origin.y + j·dy, +dy); `values` is row-major (gridHeight rows of
 * gridWidth), each in [0, 1], or null where the cell holds no tissue.
 */
export const attentionGridSchema = z
  .object({
    predictionId: id,
    origin: z.object({ x: z.number(), y: z.number() }),
    dx: z.number().positive(),
    dy: z.number().positive(),
    gridWidth: z.number().int().positive(),
    gridHeight: z.number().int().positive(),
    values: z.array(probability.nullable()),
  })
  .refine((g) => g.values.length === g.gridWidth * g.gridHeight, {
    message: 'values must hold gridWidth × gridHeight cells',
    path: ['values'],
  });

// ---------------------------------------------------------------------------------------------------------------
// Annotations and label masks

export const annotationEventSchema = z.object({
  id,
  annotationId: id,
  author: z.string(),
  at: time,
  action: z.enum(['create', 'update', 'delete', 'restore']),
  before: annotationSchema.nullable(),
  after: annotationSchema,
});

/** QuPath's GeoJSON layout (core/shared/geojson.ts), as the export answers it. */
export const geoJsonCollectionSchema = z.object({
  type: z.literal('FeatureCollection'),
  features: z.array(
    z.object({
      type: z.literal('Feature'),
      id: z.string(),
      geometry: geometrySchema,
      properties: z.record(z.string(), z.unknown()),
    }),
  ),
});

/**
 * A slide's label mask as a grid for the overlay: cell (x, y) covers level-0 pixels [x·scaleX, (x+1)·scaleX) ×
 * [y·scaleY, (y+1)·scaleY); `labels` is the row-major label bytes, base64.
 */
export const maskGridSchema = z.object({
  provider: z.enum(['radboud', 'karolinska']),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  scaleX: z.number().positive(),
  scaleY: z.number().positive(),
  labels: z.string(),
});

const author = z.string().trim().min(1).max(200);
/** GeoJSON text sent by the UI for an import (a file the user picked; its name for messages). */
const MAX_GEOJSON_CHARS = 64 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------------------------
// Runs and jobs

const bestMetricSchema = z.object({
  metric: z.string(),
  value: z.number(),
  epoch: z.number().int().nonnegative(),
});

export const runSchema = z.object({
  id,
  folderId: id.nullable(),
  runDir: path,
  /** As recorded when the run started; older runs may predate fields added to the configuration since. */
  config: z.record(z.string(), z.unknown()),
  status: runStatusSchema,
  createdAt: time,
  finishedAt: time.nullable(),
  best: bestMetricSchema.nullable(),
  message: z.string().nullable(),
});

/** One finished epoch (metrics.jsonl); extra keys are the metric functions' values, e.g. `valQwk`. */
export const epochMetricsSchema = z
  .object({
    epoch: z.number().int().nonnegative(),
    loss: z.number(),
    trainAccuracy: z.number(),
    valLoss: z.number().nullable(),
    valAccuracy: z.number().nullable(),
    seconds: z.number().nonnegative(),
    patchesPerSecond: z.number().nonnegative(),
    lr: z.number().nonnegative(),
  })
  .catchall(z.number().nullable());

/** The engine's training events, as they cross to the UI. */
export const trainEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('plan'),
    method: z.enum(['patchgd', 'gd']),
    patchesPerIteration: z.number().int().positive(),
    innerIterations: z.number().int().positive(),
    inputSize: z.number().int().positive(),
    peakBytes: count,
    budgetBytes: count,
    message: z.string().nullable(),
    /** The TensorFlow.js backend computing, and the engine threads sharing each step's backbone work. */
    backend: z.string(),
    threads: z.number().int().positive(),
  }),
  z.object({ type: z.literal('epoch-start'), epoch: count, epochs: count, batches: count }),
  z.object({
    type: z.literal('step'),
    epoch: count,
    epochs: count,
    batch: count,
    batches: count,
    loss: z.number(),
    lr: z.number(),
    patchesPerSecond: z.number().nonnegative(),
    peakBytes: count,
    /** Share of the step's time spent waiting for patches from the sources (0 for the GD baseline). */
    patchWait: z.number().min(0).max(1),
    eta: z.number().nonnegative(),
  }),
  z.object({
    type: z.literal('epoch-end'),
    epoch: count,
    epochs: count,
    metrics: epochMetricsSchema,
    eta: z.number().nonnegative(),
  }),
  z.object({ type: z.literal('checkpoint'), epoch: count, name: checkpointNameSchema, path }),
  z.object({
    type: z.literal('done'),
    epochs: count,
    cancelled: z.boolean(),
    best: bestMetricSchema.nullable(),
  }),
]);

export const jobSchema = z.object({
  jobId: z.string().min(1),
  kind: z.enum(['training', 'grading']),
  runId: id,
  state: runStatusSchema,
  /** Why the job failed or was cancelled; null while it runs or when it succeeded. */
  error: failure.nullable(),
  at: time,
  /**
   * Training: epoch of the run's last checkpoint, which `training.resume` continues from (e.g. after the engine
   * process crashed); null or absent when there is none.
   */
  resumeEpoch: count.nullable().optional(),
});

// ---------------------------------------------------------------------------------------------------------------
// App status

/** The TensorFlow.js backends, best first (core/learn/backend/backend.ts picks the first that works). */
export const backendSchema = z.enum(BACKEND_NAMES);

/**
 * The backend a training job asks for: 'auto' (the engine's own choice at start) or one by name, which the job
 * fails on, saying why, when it cannot start. `softwareGpu` lets webgpu run on a software adapter (slow).
 */
export const backendRequestSchema = z.strictObject({
  prefer: z.enum(['auto', ...BACKEND_NAMES]),
  softwareGpu: z.boolean(),
});

export const appStatusSchema = z.object({
  backend: z.object({
    name: backendSchema,
    /** Why this backend runs, e.g. "no CUDA device; @tensorflow/tfjs-node loaded". */
    reason: z.string(),
    /** Each better backend passed over, and why. */
    skipped: z.array(z.object({ name: backendSchema, reason: z.string() })),
    /** On webgpu: the adapter, "vendor architecture (description)", with ", software" for a CPU rasteriser. */
    adapter: z.string().nullable(),
    /** On wasm: what the runtime detected, and the extra kernels registered. */
    wasm: z
      .object({
        simd: z.boolean(),
        threads: z.boolean(),
        kernels: z.array(z.string()),
        multiplyAdd: z.enum(MULTIPLY_ADD_VARIANTS).nullable(),
        relaxedSimd: z.enum(RELAXED_SIMD_STATES),
      })
      .nullable(),
  }),
  memory: z.object({
    rss: count,
    heapUsed: count,
    heapTotal: count,
    /** Bytes and number of live tensors on the backend. */
    tensorBytes: count,
    tensors: count,
    systemTotal: count,
    systemFree: count,
  }),
  versions: z.object({
    app: z.string(),
    node: z.string(),
    electron: z.string().nullable(),
    tfjs: z.string(),
    sqlite: z.string(),
  }),
  jobs: z.array(jobSchema),
});

// ---------------------------------------------------------------------------------------------------------------
// Requests

const page = { offset: count.default(0), limit: z.number().int().min(1).max(1000).default(100) };

/** What a pathologist records besides the grade (all optional; the store checks the combination). */
const gleasonInput = {
  primaryPattern: pattern.nullable().optional(),
  secondaryPattern: pattern.nullable().optional(),
  tertiaryPattern: pattern.nullable().optional(),
  pattern4Percent: z.number().min(0).max(100).nullable().optional(),
};

const reviewBase = {
  slideId: id,
  reviewer: z.string().trim().min(1),
  note: z.string().max(10_000).optional(),
  predictionId: id.optional(),
  ...gleasonInput,
};

/**
 * Saving a review: agree with the judged prediction, set a grade ('overridden' or 'graded': the store records
 * 'graded' where the slide has no prediction), or mark the slide ungradable.
 */
const reviewInputSchema = z.discriminatedUnion('status', [
  z.strictObject({ ...reviewBase, status: z.literal('agreed') }),
  z.strictObject({ ...reviewBase, status: z.literal('overridden'), grade }),
  z.strictObject({ ...reviewBase, status: z.literal('graded'), grade }),
  z.strictObject({ ...reviewBase, status: z.literal('ungradable') }),
]);

const none = z.strictObject({});

export const requests = {
  'folders.recent': {
    params: z.strictObject({ limit: z.number().int().min(1).max(100).default(10) }),
    result: z.array(folderSchema),
  },
  /** Opens (or reopens) a slide folder: reads its dataset and syncs the store's slides with it. */
  'folders.open': {
    params: z.strictObject({ path }),
    result: z.object({ folder: folderSchema, summary: datasetSummarySchema, sync: syncReportSchema }),
  },
  'slides.list': {
    params: z.strictObject({
      folderId: id,
      sort: slideSortSchema.default('imageId'),
      direction: z.enum(['asc', 'desc']).default('asc'),
      filter: slideFilterSchema.default({}),
      runId: id.optional(),
      ...page,
    }),
    result: z.object({ total: count, rows: z.array(slideRowSchema) }),
  },
  'slides.info': {
    params: z.strictObject({ slideId: id }),
    result: slideInfoSchema,
  },
  'dataset.findings': {
    params: z.strictObject({ folderId: id, severity: severitySchema.optional(), ...page }),
    result: z.object({ total: count, findings: z.array(findingSchema) }),
  },
  'training.start': {
    params: z.strictObject({
      folderId: id,
      config: trainConfigSchema,
      backend: backendRequestSchema.optional(),
    }),
    result: z.object({ runId: id, jobId: z.string().min(1) }),
  },
  'training.cancel': {
    params: z.strictObject({ runId: id }),
    result: z.object({ cancelled: z.boolean() }),
  },
  /** Continues a stopped run from its last checkpoint, optionally to a new epoch count. */
  'training.resume': {
    params: z.strictObject({ runId: id, epochs: z.number().int().positive().optional() }),
    result: z.object({ runId: id, jobId: z.string().min(1) }),
  },
  'runs.list': {
    params: z.strictObject({ folderId: id.optional() }),
    result: z.array(runSchema),
  },
  /** The run's `split.json`: image ids it trained on and ids of the fold it held out (validation). */
  'runs.split': {
    params: z.strictObject({ runId: id }),
    result: z.object({ runId: id, train: z.array(z.string()), heldOut: z.array(z.string()) }),
  },
  'runs.metrics': {
    params: z.strictObject({ runId: id }),
    result: z.object({ runId: id, epochs: z.array(epochMetricsSchema) }),
  },
  /** Grades one, several or all present slides of a folder with a run's checkpoint. */
  'grading.start': {
    params: z.strictObject({
      folderId: id,
      runId: id,
      checkpoint: checkpointNameSchema.default('best'),
      slides: z.union([z.literal('all'), z.array(id).min(1)]),
    }),
    result: z.object({ jobId: z.string().min(1), total: count }),
  },
  'grading.cancel': {
    params: z.strictObject({ jobId: z.string().min(1) }),
    result: z.object({ cancelled: z.boolean() }),
  },
  'predictions.get': {
    params: z.strictObject({ slideId: id, runId: id.optional() }),
    result: predictionSchema.nullable(),
  },
  'attention.get': {
    params: z.strictObject({ predictionId: id }),
    result: attentionGridSchema.nullable(),
  },
  'reviews.save': {
    params: reviewInputSchema,
    result: reviewEventSchema,
  },
  'reviews.get': {
    params: z.strictObject({ slideId: id }),
    result: reviewSchema.nullable(),
  },
  /** Newest first. */
  'reviews.history': {
    params: z.strictObject({ slideId: id }),
    result: z.array(reviewEventSchema),
  },
  /** The note typed before the grade, kept per slide until the review is saved (an empty note removes it). */
  'reviews.saveDraft': {
    params: z.strictObject({ slideId: id, note: z.string().max(10_000) }),
    result: reviewDraftSchema.nullable(),
  },
  'reviews.draft': {
    params: z.strictObject({ slideId: id }),
    result: reviewDraftSchema.nullable(),
  },
  'reviews.exportCsv': {
    params: z.strictObject({ folderId: id, path }),
    result: z.object({ path, rows: count }),
  },
  /** The slide's annotations (oldest first) and its folder's classes. */
  'annotations.list': {
    params: z.strictObject({ slideId: id }),
    result: z.object({ annotations: z.array(annotationSchema), classes: z.array(annotationClassSchema) }),
  },
  'annotations.create': {
    params: z.strictObject({ slideId: id, author, annotation: annotationInputSchema.strict() }),
    result: annotationSchema,
  },
  /** Changes geometry, class, name or note; fields left out stay. */
  'annotations.update': {
    params: z.strictObject({
      id,
      author,
      patch: annotationInputSchema.omit({ tool: true }).partial().strict(),
    }),
    result: annotationSchema,
  },
  'annotations.delete': {
    params: z.strictObject({ id, author }),
    result: annotationSchema,
  },
  /** Brings a deleted annotation back (undo of a delete). */
  'annotations.restore': {
    params: z.strictObject({ id, author }),
    result: annotationSchema,
  },
  /** Newest first. */
  'annotations.history': {
    params: z.strictObject({ id }),
    result: z.array(annotationEventSchema),
  },
  'annotations.setClasses': {
    params: z.strictObject({ folderId: id, classes: z.array(annotationClassSchema).min(1).max(100) }),
    result: z.array(annotationClassSchema),
  },
  'annotations.exportGeojson': {
    params: z.strictObject({ slideId: id }),
    result: geoJsonCollectionSchema,
  },
  'annotations.importGeojson': {
    params: z.strictObject({
      slideId: id,
      author,
      fileName: z.string().min(1).max(1000),
      text: z.string().max(MAX_GEOJSON_CHARS),
    }),
    result: z.object({ imported: count, skipped: count }),
  },
  /** Every annotated slide of the folder as `<image id>.geojson` in the folder `path` (absolute; created). */
  'annotations.exportFolder': {
    params: z.strictObject({ folderId: id, path }),
    result: z.object({ path, files: count, annotations: count }),
  },
  /** Every `<image id>.geojson` of the folder `path` (absolute) into the slide of that id. */
  'annotations.importFolder': {
    params: z.strictObject({ folderId: id, path, author }),
    result: z.object({ path, files: count, annotations: count }),
  },
  /** The slide's PANDA label mask as annotations, one per class. */
  'annotations.importMask': {
    params: z.strictObject({ slideId: id, author }),
    result: z.object({ imported: count }),
  },
  /** The slide's label mask for the overlay; null when the slide has none. */
  'masks.get': {
    params: z.strictObject({ slideId: id }),
    result: maskGridSchema.nullable(),
  },
  'app.status': {
    params: none,
    result: appStatusSchema,
  },
} as const;

// ---------------------------------------------------------------------------------------------------------------
// Events (back end → UI)

export const events = {
  'training.progress': z.object({ jobId: z.string().min(1), runId: id, event: trainEventSchema }),
  'grading.progress': z.object({
    jobId: z.string().min(1),
    runId: id,
    done: count,
    total: count,
    /** The slide just graded, with its result or why it failed; null for a progress tick without one. */
    slide: z
      .object({
        slideId: id,
        imageId: z.string(),
        prediction: predictionSchema.pick({ id: true, grade: true, confidence: true }).nullable(),
        error: failure.nullable(),
      })
      .nullable(),
  }),
  'job.state': jobSchema,
} as const;

// ---------------------------------------------------------------------------------------------------------------
// Errors crossing the boundary

export const ipcErrorCodeSchema = z.enum([
  /** No request or event of that name. */
  'unknown-channel',
  /** The params (or an event payload) do not match the contract; `issues` says where. */
  'invalid-request',
  'invalid-event',
  /** The handler returned something the contract does not allow: a back-end bug. */
  'invalid-result',
  /** The handler failed with a typed error: `file` and `problem` say what to tell the user. */
  'handler-failed',
  /** The handler failed with an unexpected error. */
  'internal-error',
]);

export const ipcErrorSchema = z.object({
  code: ipcErrorCodeSchema,
  /** The whole line to show: `<file>: <problem>` when there is a file. */
  message: z.string(),
  /** The file the failure concerns, or null. */
  file: z.string().nullable(),
  /** The problem in plain words, without the file. */
  problem: z.string(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })),
});

/** What a request answers on the wire: its result, or a typed error. */
export const ipcOutcomeSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), value: z.unknown() }),
  z.object({ ok: z.literal(false), error: ipcErrorSchema }),
]);

// ---------------------------------------------------------------------------------------------------------------
// Types both sides use

export type Requests = typeof requests;
export type RequestName = keyof Requests;
/** What a caller sends (defaults may be left out). */
export type RequestInput<N extends RequestName> = z.input<Requests[N]['params']>;
/** What a handler receives (defaults filled in). */
export type RequestParams<N extends RequestName> = z.output<Requests[N]['params']>;
/** What a handler may return. */
export type HandlerReturn<N extends RequestName> = z.input<Requests[N]['result']>;
/** What a caller receives. */
export type RequestResult<N extends RequestName> = z.output<Requests[N]['result']>;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventInput<N extends EventName> = z.input<Events[N]>;
export type EventPayload<N extends EventName> = z.output<Events[N]>;

export type IpcErrorCode = z.infer<typeof ipcErrorCodeSchema>;
export type IpcError = z.infer<typeof ipcErrorSchema>;
export type IpcOutcome<T> = { ok: true; value: T } | { ok: false; error: IpcError };
export type { TrainConfig, TrainConfigInput } from './train-config.ts';
