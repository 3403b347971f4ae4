/**
 * Training runs as app jobs: a run is recorded in the store, trained in the engine process, and its progress,
 * checkpoints and outcome are written back to the store and sent to the UI as events.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { UsageError } from '../base/errors.ts';
import type { RequestParams } from '../shared/contract.ts';
import { parseTrainConfig, type TrainConfig } from '../shared/train-config.ts';
import {
  listCheckpoints,
  recordCheckpoint,
  recordRun,
  updateRun,
  type BestMetric,
  type Folder,
  type Run,
} from '../io/store/index.ts';
import type { AppContext } from './context.ts';
import { datasetOf } from './datasets.ts';
import { requireFolder, requireRun } from './lookups.ts';
import type { JobRecord } from './engine-host.ts';

/** Hold-out split of the folder: fold 0 of a stratified 5-fold split validates (the CLI's default). */
const FOLDS = 5;
const VAL_FOLD = 0;
/** Minimum milliseconds between two step events sent to the UI. */
export const STEP_EVENT_INTERVAL_MS = 250;

/** A new run folder under the user-data folder: time-ordered, unique. */
function newRunDir(ctx: AppContext): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  return join(ctx.userDataDir, 'runs', `${stamp}-${randomBytes(3).toString('hex')}`);
}

function submit(
  ctx: AppContext,
  run: Run,
  folder: Folder,
  config: TrainConfig,
  resumeEpoch: number | null,
  backend?: RequestParams<'training.start'>['backend'],
): JobRecord {
  let best: BestMetric | null = run.best;
  let lastMetrics: Record<string, number | null> = {};
  return ctx.engine.submit({
    kind: 'training',
    runId: run.id,
    resumeEpoch,
    request: {
      type: 'train',
      data: folder.path,
      runDir: run.runDir,
      resume: resumeEpoch !== null,
      folds: FOLDS,
      valFold: VAL_FOLD,
      config,
      stepIntervalMs: STEP_EVENT_INTERVAL_MS,
      ...(backend ? { backend } : {}),
    },
    onMessage(message) {
      if (message.type !== 'train-event') return;
      const event = message.event;
      if (event.type === 'epoch-end') lastMetrics = event.metrics;
      if (event.type === 'checkpoint')
        recordCheckpoint(ctx.store, {
          runId: run.id,
          name: event.name,
          epoch: event.epoch,
          path: event.path,
          metricValue: lastMetrics[config.bestMetric] ?? null,
        });
      if (event.type === 'done') best = event.best;
      ctx.emit('training.progress', { jobId: message.jobId, runId: run.id, event });
    },
    onState(job) {
      updateRun(ctx.store, run.id, {
        status: job.state,
        best,
        message: job.error
          ? job.error.file
            ? `${job.error.file}: ${job.error.problem}`
            : job.error.problem
          : null,
      });
      ctx.emit('job.state', job);
    },
  });
}

/**
 * Checked here rather than after the engine has started: the contract fills in `numClasses` (6, the ISUP
 * grades), so a dataset with more classes needs it set, and unlabelled data cannot be trained on.
 */
async function checkClasses(ctx: AppContext, folder: Folder, config: TrainConfig): Promise<void> {
  const dataset = await datasetOf(ctx, folder);
  if (dataset.numClasses === null) throw new UsageError(folder.path, 'the dataset has no labels to train on');
  if (dataset.numClasses > config.numClasses)
    throw new UsageError(
      folder.path,
      `the dataset has ${dataset.numClasses} classes but the configuration ${config.numClasses} (set numClasses)`,
    );
}

/** Records a new run of the folder and queues its training. */
export async function startTraining(
  ctx: AppContext,
  params: RequestParams<'training.start'>,
): Promise<{ runId: number; jobId: string }> {
  const folder = requireFolder(ctx, params.folderId);
  const config = parseTrainConfig(params.config);
  await checkClasses(ctx, folder, config);
  const run = recordRun(ctx.store, {
    runDir: newRunDir(ctx),
    folderId: folder.id,
    config,
    status: 'queued',
  });
  const job = submit(ctx, run, folder, config, null, params.backend);
  return { runId: run.id, jobId: job.jobId };
}

/** Queues a stopped run again from its `last` checkpoint, optionally to a new epoch count. */
export function resumeTraining(
  ctx: AppContext,
  params: RequestParams<'training.resume'>,
): { runId: number; jobId: string } {
  const run = requireRun(ctx, params.runId);
  if (ctx.engine.activeJobOfRun(run.id))
    throw new UsageError(run.runDir, 'this run is already queued or training');
  const last = listCheckpoints(ctx.store, run.id).find((c) => c.name === 'last');
  if (!last) throw new UsageError(run.runDir, 'has no checkpoint to resume from');
  if (run.folderId === null) throw new UsageError(run.runDir, 'the run has no slide folder to train on');
  const folder = requireFolder(ctx, run.folderId);
  const saved = parseTrainConfig(run.config, join(run.runDir, 'config.json'));
  const config = { ...saved, epochs: params.epochs ?? saved.epochs };
  const resumed = recordRun(ctx.store, { runDir: run.runDir, folderId: folder.id, config, status: 'queued' });
  const job = submit(ctx, resumed, folder, config, last.epoch);
  return { runId: run.id, jobId: job.jobId };
}

/** Cancels the run's queued or running training; false when it has none. */
export function cancelTraining(ctx: AppContext, runId: number): boolean {
  const job = ctx.engine.activeJobOfRun(runId);
  return job?.kind === 'training' ? ctx.engine.cancel(job.jobId) : false;
}
