/**
 * The typed messages between the app and its engine process (training and grading run there, so a crash or a
 * long computation never takes the UI's back end down). Both directions are zod schemas: each side parses what
 * it receives, so a malformed message is reported instead of acted on.
 */
import { z } from 'zod';
import {
  appStatusSchema,
  attentionGridSchema,
  backendRequestSchema,
  checkpointNameSchema,
  datasetLayoutSchema,
  trainEventSchema,
} from '../shared/contract.ts';

const jobId = z.string().min(1);
const failure = z.object({ file: z.string().nullable(), problem: z.string() });

export const trainRequestSchema = z.object({
  type: z.literal('train'),
  jobId,
  /** Dataset folder to train on. */
  data: z.string().min(1),
  runDir: z.string().min(1),
  resume: z.boolean(),
  folds: z.number().int().min(2),
  valFold: z.number().int().nonnegative(),
  /** The engine's configuration input; the engine validates it again. */
  config: z.record(z.string(), z.unknown()),
  /** Minimum milliseconds between two forwarded `step` events. */
  stepIntervalMs: z.number().nonnegative(),
  /** The backend to train on (absent: the engine's choice at start). */
  backend: backendRequestSchema.optional(),
});

export const gradeItemSchema = z.object({
  slideId: z.number().int().positive(),
  imageId: z.string(),
  imagePath: z.string().min(1),
});

export const gradeRequestSchema = z.object({
  type: z.literal('grade'),
  jobId,
  runDir: z.string().min(1),
  checkpoint: checkpointNameSchema,
  /** Slides go through the pyramid reader, plain images through the image decoder. */
  layout: datasetLayoutSchema,
  items: z.array(gradeItemSchema),
});

export const hostMessageSchema = z.discriminatedUnion('type', [
  trainRequestSchema,
  gradeRequestSchema,
  z.object({ type: z.literal('cancel'), jobId }),
  z.object({ type: z.literal('status'), requestId: z.number().int() }),
]);

/**
 * An attention grid as stored next to the run; `attention.get` adds the prediction id and checks the whole grid
 * (cell count included) against the contract when it reads the file.
 */
export const attentionFileSchema = z.object(attentionGridSchema.shape).omit({ predictionId: true });

const backendReportSchema = appStatusSchema.shape.backend;

export const engineMessageSchema = z.discriminatedUnion('type', [
  /** The engine started its TensorFlow.js backend and takes jobs. */
  z.object({ type: z.literal('ready'), backend: backendReportSchema.omit({ wasm: true }) }),
  /** The backend could not start: the engine cannot run jobs. */
  z.object({ type: z.literal('unusable'), error: failure }),
  z.object({ type: z.literal('train-event'), jobId, event: trainEventSchema }),
  z.object({
    type: z.literal('graded'),
    jobId,
    slideId: z.number().int().positive(),
    imageId: z.string(),
    result: z
      .object({
        predicted: z.number().int().nonnegative(),
        probabilities: z.array(z.number()),
        /** File of the slide's attention grid (`attentionFileSchema`, JSON), when the grader made one. */
        attentionPath: z.string().min(1).nullable(),
      })
      .nullable(),
    error: failure.nullable(),
  }),
  z.object({
    type: z.literal('job-end'),
    jobId,
    state: z.enum(['done', 'cancelled', 'failed']),
    error: failure.nullable(),
  }),
  z.object({
    type: z.literal('status'),
    requestId: z.number().int(),
    /** Null when no backend could start; `error` says why. */
    backend: backendReportSchema.nullable(),
    error: failure.nullable(),
    memory: appStatusSchema.shape.memory,
    tfjs: z.string(),
  }),
]);

export type TrainRequest = z.infer<typeof trainRequestSchema>;
export type GradeRequest = z.infer<typeof gradeRequestSchema>;
export type GradeItem = z.infer<typeof gradeItemSchema>;
export type HostMessage = z.infer<typeof hostMessageSchema>;
export type EngineMessage = z.infer<typeof engineMessageSchema>;
export type EngineStatus = Extract<EngineMessage, { type: 'status' }>;
export type Failure = z.infer<typeof failure>;
