/**
 * The engine process: starts a TensorFlow.js backend, then runs the training and grading jobs the host sends,
 * one at a time, reporting progress as typed messages (`engine-protocol.ts`). Started by `forkEngine` (Node:
 * messages through `process.send`) or Electron's `utilityProcess.fork` (through `process.parentPort`).
 */
import { freemem, totalmem } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { describeBackend, selectBackend, type BackendChoice } from '../learn/backend/backend.ts';
import { PatchgdError } from '../base/errors.ts';
import { runTrainJob } from '../jobs/train.ts';
import {
  hostMessageSchema,
  type EngineMessage,
  type Failure,
  type GradeRequest,
  type TrainRequest,
} from './engine-protocol.ts';
import { toFailure } from './failure.ts';
import { gradeItems } from './grade-items.ts';
import { intervalGate } from '../base/throttle.ts';

interface ParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
}

/** Electron's utility process has `process.parentPort`; a forked Node child has `process.send`. */
const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;

function post(message: EngineMessage): void {
  if (parentPort) parentPort.postMessage(message);
  else process.send?.(message);
}

function onHostMessage(listener: (message: unknown) => void): void {
  if (parentPort) parentPort.on('message', (event) => listener(event.data));
  else process.on('message', listener);
}

/** The backend chosen at start (PATCHGD_BACKEND may pin one), or why none could start. */
const backend: Promise<BackendChoice | Failure> = selectBackend().then(
  (choice) => {
    post({ type: 'ready', backend: choice });
    current = choice;
    return choice;
  },
  (err: unknown) => {
    const error = toFailure(err);
    post({ type: 'unusable', error });
    return error;
  },
);

/** The backend computing now: the start choice, or the one the last training job asked for. */
let current: BackendChoice | null = null;

/**
 * Switches to the backend a training job asks for ('auto': back to the start choice). A backend that cannot start
 * fails the job with why; the previous backend keeps running for the jobs after it.
 */
async function useBackend(request: TrainRequest['backend'], start: BackendChoice): Promise<void> {
  if (!request || request.prefer === 'auto') {
    if (tf.getBackend() !== start.name) await selectBackend({ prefer: start.name });
    current = start;
    return;
  }
  // Already running it (a webgpu adapter, once started, stays for the process).
  if (tf.getBackend() === request.prefer) return;
  current = await selectBackend({ prefer: request.prefer, softwareGpu: request.softwareGpu });
}

const controllers = new Map<string, AbortController>();
/** Jobs run strictly one after another, even if the host sends the next one early. */
let queue: Promise<void> = Promise.resolve();

async function train(request: TrainRequest, signal: AbortSignal, start: BackendChoice): Promise<boolean> {
  await useBackend(request.backend, start);
  const stepDue = intervalGate(request.stepIntervalMs);
  const result = await runTrainJob({
    data: request.data,
    runDir: request.runDir,
    resume: request.resume,
    folds: request.folds,
    valFold: request.valFold,
    config: request.config,
    signal,
    onEvent: (event) => {
      // Steps are many and only the latest matters to the UI; every other event always goes through.
      if (event.type === 'step' && !stepDue()) return;
      post({ type: 'train-event', jobId: request.jobId, event });
    },
  });
  return result.cancelled;
}

async function grade(request: GradeRequest, signal: AbortSignal): Promise<boolean> {
  return gradeItems(request, signal, (item, result, error) =>
    post({ type: 'graded', jobId: request.jobId, ...item, result, error }),
  );
}

async function run(request: TrainRequest | GradeRequest): Promise<void> {
  const controller = controllers.get(request.jobId) ?? new AbortController();
  try {
    const chosen = await backend;
    if ('problem' in chosen) throw new PatchgdError(chosen.file, chosen.problem);
    const cancelled =
      request.type === 'train'
        ? await train(request, controller.signal, chosen)
        : await grade(request, controller.signal);
    post({ type: 'job-end', jobId: request.jobId, state: cancelled ? 'cancelled' : 'done', error: null });
  } catch (err) {
    post({ type: 'job-end', jobId: request.jobId, state: 'failed', error: toFailure(err) });
  } finally {
    controllers.delete(request.jobId);
  }
}

function statusMessage(requestId: number, chosen: BackendChoice | Failure): EngineMessage {
  const now = describeBackend();
  const memory = process.memoryUsage();
  return {
    type: 'status',
    requestId,
    backend: 'problem' in chosen ? null : { ...(current ?? chosen), wasm: now.wasm },
    error: 'problem' in chosen ? chosen : null,
    memory: {
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      heapTotal: memory.heapTotal,
      tensorBytes: now.numBytes,
      tensors: now.numTensors,
      systemTotal: totalmem(),
      systemFree: freemem(),
    },
    tfjs: tf.version_core,
  };
}

onHostMessage((raw) => {
  const parsed = hostMessageSchema.safeParse(raw);
  if (!parsed.success) {
    console.error(`engine: ignoring an invalid message: ${parsed.error.message}`);
    return;
  }
  const message = parsed.data;
  switch (message.type) {
    case 'train':
    case 'grade':
      // Registered now, so a cancel arriving while an earlier job runs still finds it.
      controllers.set(message.jobId, new AbortController());
      queue = queue.then(() => run(message));
      break;
    case 'cancel':
      controllers.get(message.jobId)?.abort();
      break;
    case 'status':
      void backend.then((chosen) => post(statusMessage(message.requestId, chosen)));
      break;
  }
});

// The host going away (app closed, or crashed) must not leave an orphaned engine computing for nobody.
process.on('disconnect', () => process.exit(0));
