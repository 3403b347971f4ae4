/** Training runs (their folder on disk, configuration and outcome) and their saved checkpoints. */
import { resolve } from 'node:path';
import { StoreError } from './errors.ts';
import type { Store } from './open.ts';
import { writeTransaction } from './write.ts';

export type RunStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export interface BestMetric {
  metric: string;
  value: number;
  epoch: number;
}

export interface Run {
  id: number;
  folderId: number | null;
  runDir: string;
  /** The configuration as recorded (JSON-parsed); the engine validates it, the store keeps it verbatim. */
  config: unknown;
  status: RunStatus;
  createdAt: string;
  finishedAt: string | null;
  best: BestMetric | null;
  /** Why a run failed or was cancelled, in plain words. */
  message: string | null;
}

export interface Checkpoint {
  runId: number;
  name: string;
  epoch: number;
  path: string;
  metricValue: number | null;
  savedAt: string;
}

interface RunRow {
  id: number;
  folder_id: number | null;
  run_dir: string;
  config_json: string;
  status: RunStatus;
  created_at: string;
  finished_at: string | null;
  best_metric: string | null;
  best_value: number | null;
  best_epoch: number | null;
  message: string | null;
}

interface CheckpointRow {
  run_id: number;
  name: string;
  epoch: number;
  path: string;
  metric_value: number | null;
  saved_at: string;
}

const FINISHED: readonly RunStatus[] = ['done', 'failed', 'cancelled'];

function toRun(row: RunRow): Run {
  return {
    id: row.id,
    folderId: row.folder_id,
    runDir: row.run_dir,
    config: JSON.parse(row.config_json),
    status: row.status,
    createdAt: row.created_at,
    finishedAt: row.finished_at,
    best:
      row.best_metric !== null && row.best_value !== null && row.best_epoch !== null
        ? { metric: row.best_metric, value: row.best_value, epoch: row.best_epoch }
        : null,
    message: row.message,
  };
}

function toJson(store: Store, config: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(config);
  } catch (err) {
    throw new StoreError(store.file, `a run configuration must be JSON data (${(err as Error).message})`);
  }
  if (json === undefined) throw new StoreError(store.file, 'a run configuration must be JSON data');
  return json;
}

/**
 * Records a run under its run folder. Recording the same folder again (a resumed run) updates its status and
 * configuration and keeps its id, creation time, predictions and checkpoints.
 */
export function recordRun(
  store: Store,
  run: { runDir: string; folderId: number | null; config: unknown; status?: RunStatus },
  at?: string,
): Run {
  const config = toJson(store, run.config);
  const row = writeTransaction(
    store,
    (time) =>
      store.db
        .prepare(
          `INSERT INTO runs (folder_id, run_dir, config_json, status, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (run_dir) DO UPDATE SET config_json = excluded.config_json, status = excluded.status,
           finished_at = NULL, message = NULL
         RETURNING *`,
        )
        .get(run.folderId, resolve(run.runDir), config, run.status ?? 'running', time),
    at,
  ) as RunRow;
  return toRun(row);
}

/** Sets a run's status; a finished status stamps the finish time. `best` and `message` replace the stored ones. */
export function updateRun(
  store: Store,
  runId: number,
  change: { status: RunStatus; best?: BestMetric | null; message?: string | null },
  at?: string,
): Run {
  const row = writeTransaction(
    store,
    (time) => {
      const current = getRun(store, runId);
      if (!current) throw new StoreError(store.file, `has no run with id ${runId}`);
      const best = change.best === undefined ? current.best : change.best;
      const message = change.message === undefined ? current.message : change.message;
      return store.db
        .prepare(
          `UPDATE runs SET status = ?, finished_at = ?, best_metric = ?, best_value = ?, best_epoch = ?, message = ?
         WHERE id = ? RETURNING *`,
        )
        .get(
          change.status,
          FINISHED.includes(change.status) ? time : null,
          best?.metric ?? null,
          best?.value ?? null,
          best?.epoch ?? null,
          message,
          runId,
        );
    },
    at,
  ) as RunRow;
  return toRun(row);
}

export function getRun(store: Store, runId: number): Run | null {
  const row = store.db.prepare('SELECT * FROM runs WHERE id = ?').get(runId) as RunRow | undefined;
  return row ? toRun(row) : null;
}

/** Newest first; only the folder's runs when `folderId` is given. */
export function listRuns(store: Store, folderId?: number): Run[] {
  const rows = (
    folderId === undefined
      ? store.db.prepare('SELECT * FROM runs ORDER BY id DESC').all()
      : store.db.prepare('SELECT * FROM runs WHERE folder_id = ? ORDER BY id DESC').all(folderId)
  ) as RunRow[];
  return rows.map(toRun);
}

/** Records a saved checkpoint; saving under the same name again (`last`, `best`) replaces the entry. */
export function recordCheckpoint(
  store: Store,
  checkpoint: Omit<Checkpoint, 'savedAt'>,
  at?: string,
): Checkpoint {
  return writeTransaction(
    store,
    (time) => {
      if (!getRun(store, checkpoint.runId))
        throw new StoreError(store.file, `has no run with id ${checkpoint.runId}`);
      store.db
        .prepare(
          `INSERT INTO checkpoints (run_id, name, epoch, path, metric_value, saved_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (run_id, name) DO UPDATE SET epoch = excluded.epoch, path = excluded.path,
           metric_value = excluded.metric_value, saved_at = excluded.saved_at`,
        )
        .run(
          checkpoint.runId,
          checkpoint.name,
          checkpoint.epoch,
          checkpoint.path,
          checkpoint.metricValue,
          time,
        );
      return { ...checkpoint, savedAt: time };
    },
    at,
  );
}

export function listCheckpoints(store: Store, runId: number): Checkpoint[] {
  const rows = store.db
    .prepare('SELECT * FROM checkpoints WHERE run_id = ? ORDER BY name')
    .all(runId) as CheckpointRow[];
  return rows.map((row) => ({
    runId: row.run_id,
    name: row.name,
    epoch: row.epoch,
    path: row.path,
    metricValue: row.metric_value,
    savedAt: row.saved_at,
  }));
}

/**
 * Marks runs that a previous launch left queued or training (the app was killed, the machine lost power) as
 * failed, so they are offered for resuming instead of showing as running forever. Called once at start, before
 * this launch queues anything.
 */
export function failInterruptedRuns(store: Store): number {
  const interrupted = listRuns(store).filter((run) => run.status === 'queued' || run.status === 'running');
  for (const run of interrupted)
    updateRun(store, run.id, {
      status: 'failed',
      message: 'PatchGD Studio stopped before this run finished; resume it from its last checkpoint',
    });
  return interrupted.length;
}
