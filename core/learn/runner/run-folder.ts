import { promises as fs } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../../base/errors.ts';
import { writeFileAtomic } from '../../base/atomic.ts';
import { makeDir } from '../../base/dirs.ts';
import { parseTrainConfig, type TrainConfig, type TrainConfigInput } from '../../shared/train-config.ts';
import {
  checkpointDir,
  loadResumable,
  saveCheckpoint,
  type Checkpoint,
  type CheckpointName,
  type TrainState,
} from './checkpoint.ts';
import type { EpochMetrics } from './events.ts';
import { readRunConfig } from './predict.ts';

/** What a resumed run may change; everything else must equal the run's config.json. */
const MUTABLE_ON_RESUME = new Set(['epochs', 'workers', 'threads']);

/** The run's configuration: the given one, or on resume the saved one with only the mutable keys taken from it. */
export async function resolveRunConfig(
  runDir: string,
  input: TrainConfigInput,
  resume: boolean,
): Promise<TrainConfig> {
  const given = parseTrainConfig(input);
  if (!resume) return given;
  const saved = await readRunConfig(runDir);
  const differing = (Object.keys(saved) as (keyof TrainConfig)[]).filter(
    (key) => !MUTABLE_ON_RESUME.has(key) && JSON.stringify(saved[key]) !== JSON.stringify(given[key]),
  );
  if (differing.length > 0)
    throw new UsageError(
      path.join(runDir, 'config.json'),
      `cannot resume with a different configuration (${differing.join(', ')} changed)`,
    );
  return { ...saved, epochs: given.epochs, workers: given.workers, threads: given.threads };
}

/**
 * The configuration a resumed run trains with: on the engine threads it was trained on. The threads sum batch
 * statistics and gradients in their own order, so another count changes the results beyond rounding (1 and 2
 * threads already differ after an epoch); an unset `threads` takes the checkpoint's, a different one is refused.
 */
export function resumeThreads(config: TrainConfig, resumed: Checkpoint | null, runDir: string): TrainConfig {
  const trained = resumed?.state.threads;
  if (trained === undefined || config.threads === trained) return config;
  if (config.threads === undefined) return { ...config, threads: trained };
  throw new UsageError(
    path.join(runDir, 'checkpoints'),
    `the run trained on ${trained} engine thread${trained === 1 ? '' : 's'}; resuming on ${config.threads} would ` +
      `change its results (threads sum gradients in another order): resume with ${trained}, or leave threads unset`,
  );
}

/**
 * The files of one run: config.json, metrics.jsonl (one line per finished epoch), checkpoints/{last,best}, and
 * whatever the caller adds (e.g. the data split). Opening it decides whether the run starts or resumes.
 */
export class RunFolder {
  private constructor(
    readonly dir: string,
    /** The checkpoint a resumed run continues from; null for a fresh run. */
    readonly resumed: Checkpoint | null,
  ) {}

  private get metricsFile(): string {
    return path.join(this.dir, 'metrics.jsonl');
  }

  /**
   * Creates the folder, refuses one that already holds a run (unless resuming), loads the checkpoint to resume
   * from, then writes `files` (name → text) into it.
   */
  static async open(dir: string, resume: boolean, files: Record<string, string>): Promise<RunFolder> {
    await makeDir(dir);
    if (!resume && ((await checkpointDir(dir, 'last')) || (await checkpointDir(dir, 'best'))))
      throw new UsageError(dir, 'this folder already holds a trained run: resume it or choose a new folder');
    // Whatever consistent state exists: a kill between saving `best` and `last` leaves only one, or `last` older.
    const resumed = resume ? ((await loadResumable(dir))?.checkpoint ?? null) : null;
    if (resume && !resumed)
      throw new UsageError(path.join(dir, 'checkpoints'), 'no checkpoint to resume from');
    for (const [name, text] of Object.entries(files)) await writeFileAtomic(path.join(dir, name), text);
    return new RunFolder(dir, resumed);
  }

  /**
   * Where training starts: `fresh()` for a new run, which gets its config.json and an empty metrics log; the
   * checkpoint's state for a resumed one, whose log loses the epochs it will train again.
   */
  async begin(config: TrainConfig, fresh: () => TrainState, trainCount: number): Promise<TrainState> {
    const state = this.resumed?.state ?? fresh();
    if (state.order.length > 0 && state.order.length !== trainCount)
      throw new UsageError(
        path.join(this.dir, 'checkpoints', 'last'),
        `the run was stopped with ${state.order.length} training samples, now there are ${trainCount}`,
      );
    if (this.resumed) await trimMetrics(this.metricsFile, state.epoch);
    else {
      await writeFileAtomic(path.join(this.dir, 'config.json'), JSON.stringify(config, null, 2));
      await writeFileAtomic(this.metricsFile, '');
    }
    return state;
  }

  async appendMetrics(metrics: EpochMetrics): Promise<void> {
    await fs.appendFile(this.metricsFile, `${JSON.stringify(metrics)}\n`);
  }

  /** Writes `checkpoints/<name>` atomically and returns its path. */
  async saveCheckpoint(name: CheckpointName, checkpoint: Checkpoint): Promise<string> {
    await saveCheckpoint(this.dir, name, checkpoint);
    return path.join(this.dir, 'checkpoints', name);
  }
}

/** Drops metrics lines of epochs a resumed run will train again (written after the checkpoint it resumes). */
async function trimMetrics(file: string, fromEpoch: number): Promise<void> {
  const text = await fs.readFile(file, 'utf8').catch(() => '');
  // A kill during an append can leave a torn last line: it is dropped with the epochs to redo.
  const kept = text
    .split('\n')
    .filter((line) => {
      try {
        return (JSON.parse(line) as EpochMetrics).epoch < fromEpoch;
      } catch {
        return false;
      }
    })
    .map((line) => `${line}\n`)
    .join('');
  await writeFileAtomic(file, kept);
}
