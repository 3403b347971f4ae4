/**
 * Runs training and grading jobs in a separate engine process, one at a time, in submission order. The
 * process is spawned on demand through an injected `SpawnEngine` (Node: `child_process.fork`, Electron:
 * `utilityProcess.fork`), speaks the typed messages of `engine-protocol.ts`, and is respawned for the next job
 * if it dies: the job it was running is marked failed with why, and the rest of the app keeps working.
 */
import { randomUUID } from 'node:crypto';
import type { RunStatus } from '../io/store/index.ts';
import {
  engineMessageSchema,
  type EngineMessage,
  type EngineStatus,
  type Failure,
  type GradeRequest,
  type HostMessage,
  type TrainRequest,
} from './engine-protocol.ts';

/** How an engine process ended; `error` when it could not be started at all. */
export interface EngineExit {
  code: number | null;
  signal: string | null;
  error?: string;
}

/** One engine process as the host sees it, whatever started it. */
export interface EngineChannel {
  readonly pid: number | null;
  send(message: HostMessage): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Called once when the process is gone, whether it exited, crashed, was killed or never started. */
  onExit(listener: (exit: EngineExit) => void): void;
  kill(): void;
}

export type SpawnEngine = () => EngineChannel;

export type JobKind = 'training' | 'grading';

/** A job as the UI sees it (the contract's `job.state`), plus where a training job can resume from. */
export interface JobRecord {
  jobId: string;
  kind: JobKind;
  runId: number;
  state: RunStatus;
  error: Failure | null;
  at: string;
  /** Epoch of the run's last checkpoint, which `training.resume` continues from; null when there is none. */
  resumeEpoch: number | null;
}

type Request = Omit<TrainRequest, 'jobId'> | Omit<GradeRequest, 'jobId'>;

export interface JobSpec {
  kind: JobKind;
  runId: number;
  request: Request;
  /** The run's last checkpoint epoch before this job (a resumed run already has one). */
  resumeEpoch: number | null;
  /** Engine messages about this job: training events, graded slides. */
  onMessage(message: EngineMessage): void;
  /** Every state change, from `queued` to the final one. */
  onState(job: JobRecord): void;
}

export type BackendReport = Extract<EngineMessage, { type: 'ready' }>['backend'];

interface Job {
  record: JobRecord;
  spec: JobSpec;
}

interface Process {
  channel: EngineChannel;
  /** Resolves with the backend once the engine says it is ready, or with the failure that stops it. */
  ready: Promise<BackendReport | Failure>;
}

/** Finished jobs kept for `app.status`. */
const FINISHED_KEPT = 20;
const FINAL: readonly RunStatus[] = ['done', 'failed', 'cancelled'];

function exitText(exit: EngineExit): string {
  if (exit.error) return `could not start: ${exit.error}`;
  return exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
}

export class EngineHost {
  readonly #spawn: SpawnEngine;
  #process: Process | null = null;
  readonly #queue: Job[] = [];
  #current: Job | null = null;
  readonly #finished: JobRecord[] = [];
  readonly #statusWaiters = new Map<number, (status: EngineStatus | null) => void>();
  #nextRequestId = 1;
  #closed = false;
  #idleWaiters: (() => void)[] = [];

  constructor(spawn: SpawnEngine) {
    this.#spawn = spawn;
  }

  /** Process id of the running engine, or null when none runs. */
  get pid(): number | null {
    return this.#process?.channel.pid ?? null;
  }

  /** Queues a job; it starts when the jobs before it have finished. */
  submit(spec: JobSpec): JobRecord {
    if (this.#closed) throw new Error('the engine host is closed');
    const job: Job = {
      spec,
      record: {
        jobId: randomUUID(),
        kind: spec.kind,
        runId: spec.runId,
        state: 'queued',
        error: null,
        at: new Date().toISOString(),
        resumeEpoch: spec.resumeEpoch,
      },
    };
    this.#queue.push(job);
    this.#notify(job);
    this.#pump();
    return { ...job.record };
  }

  /** Queued and running jobs, then recently finished ones (newest first). */
  jobs(): JobRecord[] {
    const active = [this.#current, ...this.#queue].filter((j): j is Job => j !== null);
    return [...active.map((j) => ({ ...j.record })), ...this.#finished.map((r) => ({ ...r }))];
  }

  /** The queued or running job of a run, if any. */
  activeJobOfRun(runId: number): JobRecord | null {
    const job = [this.#current, ...this.#queue].find((j) => j?.record.runId === runId);
    return job ? { ...job.record } : null;
  }

  /**
   * Cancels a queued job at once, or asks the running one to stop (training stops after the current step and
   * leaves its `last` checkpoint valid). False when the job is unknown or already finished.
   */
  cancel(jobId: string): boolean {
    const index = this.#queue.findIndex((j) => j.record.jobId === jobId);
    if (index >= 0) {
      const [job] = this.#queue.splice(index, 1);
      this.#finish(job!, 'cancelled', null);
      return true;
    }
    if (this.#current?.record.jobId !== jobId || !this.#process) return false;
    this.#send(this.#process, { type: 'cancel', jobId });
    return true;
  }

  /** Asks the engine for its backend and memory; null when it does not answer within `timeoutMs`. */
  async status(timeoutMs = 5000): Promise<EngineStatus | null> {
    if (this.#closed) return null;
    const process = this.#ensureProcess();
    const requestId = this.#nextRequestId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(null), timeoutMs);
      const done = (status: EngineStatus | null) => {
        clearTimeout(timer);
        this.#statusWaiters.delete(requestId);
        resolve(status);
      };
      this.#statusWaiters.set(requestId, done);
      this.#send(process, { type: 'status', requestId });
    });
  }

  /** Resolves when no job is queued or running. */
  idle(): Promise<void> {
    if (!this.#current && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /**
   * Cancels queued jobs, asks the running one to stop (so its checkpoint is left valid), waits up to
   * `graceMs` for it, then ends the engine process.
   */
  async close(graceMs = 10_000): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const job of this.#queue.splice(0)) this.#finish(job, 'cancelled', null);
    if (this.#current) {
      this.cancel(this.#current.record.jobId);
      await Promise.race([this.idle(), new Promise((r) => setTimeout(r, graceMs).unref())]);
    }
    const process = this.#process;
    this.#process = null;
    process?.channel.kill();
    for (const waiter of this.#statusWaiters.values()) waiter(null);
  }

  #ensureProcess(): Process {
    if (this.#process) return this.#process;
    const channel = this.#spawn();
    let settle: (value: BackendReport | Failure) => void = () => {};
    const ready = new Promise<BackendReport | Failure>((resolve) => (settle = resolve));
    const process: Process = { channel, ready };
    this.#process = process;
    channel.onMessage((raw) => {
      const parsed = engineMessageSchema.safeParse(raw);
      if (!parsed.success) {
        console.error(`engine sent an invalid message: ${parsed.error.message}`);
        return;
      }
      const message = parsed.data;
      if (message.type === 'ready') settle(message.backend);
      else if (message.type === 'unusable') settle(message.error);
      else this.#onMessage(message);
    });
    channel.onExit((exit) => {
      settle({ file: null, problem: `the engine process stopped (${exitText(exit)})` });
      this.#onExit(process, exit);
    });
    return process;
  }

  /** The backend report of the engine (starting it if needed), or why it cannot run. */
  async backend(): Promise<BackendReport | Failure> {
    if (this.#closed) return { file: null, problem: 'the app is closing' };
    return this.#ensureProcess().ready;
  }

  #onMessage(message: Exclude<EngineMessage, { type: 'ready' | 'unusable' }>): void {
    if (message.type === 'status') {
      this.#statusWaiters.get(message.requestId)?.(message);
      return;
    }
    const job = this.#current;
    if (!job || job.record.jobId !== message.jobId) return;
    if (message.type === 'job-end') {
      this.#current = null;
      this.#finish(job, message.state, message.error);
      this.#pump();
      return;
    }
    if (
      message.type === 'train-event' &&
      message.event.type === 'checkpoint' &&
      message.event.name === 'last'
    )
      job.record.resumeEpoch = message.event.epoch;
    try {
      job.spec.onMessage(message);
    } catch (err) {
      // Recording one result failed (e.g. the store is locked): report it, keep the job and the queue going.
      console.error(`job ${job.record.jobId}: message listener failed: ${(err as Error).message}`);
    }
  }

  #onExit(process: Process, exit: EngineExit): void {
    if (this.#process !== process) return;
    this.#process = null;
    for (const waiter of this.#statusWaiters.values()) waiter(null);
    const job = this.#current;
    if (job) {
      this.#current = null;
      const resume =
        job.record.kind === 'training' && job.record.resumeEpoch !== null
          ? `; it can be resumed from the checkpoint of epoch ${job.record.resumeEpoch}`
          : '';
      this.#finish(job, 'failed', {
        file: null,
        problem: `the engine process stopped unexpectedly (${exitText(exit)})${resume}`,
      });
    }
    this.#pump();
  }

  #pump(): void {
    if (this.#current || this.#closed) {
      this.#settleIdle();
      return;
    }
    const job = this.#queue.shift();
    if (!job) {
      this.#settleIdle();
      return;
    }
    this.#current = job;
    job.record.state = 'running';
    job.record.at = new Date().toISOString();
    this.#notify(job);
    this.#send(this.#ensureProcess(), { ...job.spec.request, jobId: job.record.jobId } as HostMessage);
  }

  /**
   * Sends once the engine has said it is ready (or why it cannot run): a message that arrives while the process
   * is still loading its modules would find no listener and be lost.
   */
  #send(process: Process, message: HostMessage): void {
    void process.ready.then(() => {
      if (this.#process === process) process.channel.send(message);
    });
  }

  #finish(job: Job, state: RunStatus, error: Failure | null): void {
    if (!FINAL.includes(state)) throw new Error(`job ${job.record.jobId} cannot finish as ${state}`);
    job.record.state = state;
    job.record.error = error;
    job.record.at = new Date().toISOString();
    this.#finished.unshift({ ...job.record });
    this.#finished.splice(FINISHED_KEPT);
    this.#notify(job);
  }

  #notify(job: Job): void {
    try {
      job.spec.onState({ ...job.record });
    } catch (err) {
      // A listener's failure (e.g. the store is locked) must not stall the queue; the job itself goes on.
      console.error(`job ${job.record.jobId}: state listener failed: ${(err as Error).message}`);
    }
  }

  #settleIdle(): void {
    if (this.#current || this.#queue.length > 0) return;
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }
}
