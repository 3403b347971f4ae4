/**
 * Synchronisation between the engine's worker threads through SharedArrayBuffers: barrier collectives (sum, gather) for the
 * batch-norm statistics, and blocking waits that give up when the pool is aborted (a worker failed or the run
 * stopped) or after a long timeout, so that no thread can hang on a peer that will never arrive.
 */
import type { ReplicaGroup } from '../models/sync-batch-norm.ts';

/** Slots of the control array: abort flag, barrier arrivals, barrier generation, then one signal per worker. */
const ABORT = 0;
const ARRIVED = 1;
const GENERATION = 2;
const SIGNALS = 3;

/** Blocking waits sleep in slices so that an abort is seen within one. */
const SLICE_MS = 50;
/** Longest legitimate wait: a peer finishing one layer, or the main thread one head pass. */
const WAIT_LIMIT_MS = 10 * 60 * 1000;

/** Shared memory of one pool; it travels to each worker in its init message. */
export interface SyncBuffers {
  control: SharedArrayBuffer;
  /** Two alternating sets (by barrier generation) of one slot per worker, `slotLength` doubles each. */
  slots: SharedArrayBuffer;
  workers: number;
  slotLength: number;
}

/** The pool (or a peer) gave up: the waiting thread stops its work. */
export class PoolAborted extends Error {
  constructor(message = 'the engine pool was stopped') {
    super(message);
    this.name = 'PoolAborted';
  }
}

export function createSyncBuffers(workers: number, slotLength: number): SyncBuffers {
  return {
    control: new SharedArrayBuffer(4 * (SIGNALS + workers)),
    slots: new SharedArrayBuffer(8 * 2 * workers * slotLength),
    workers,
    slotLength,
  };
}

/** Sets the abort flag and wakes every waiting thread. */
export function abortPool(buffers: SyncBuffers): void {
  const control = new Int32Array(buffers.control);
  Atomics.store(control, ABORT, 1);
  for (let i = ARRIVED; i < control.length; i++) Atomics.notify(control, i);
}

/**
 * Milliseconds this thread has spent blocked since `takeBlockedMs` last ran: at batch-norm barriers (waiting for
 * its peers) and for upstream gradients (waiting for the main thread). Module state, so one tally per thread.
 */
const blocked = { barrierMs: 0, upstreamMs: 0 };

export function takeBlockedMs(): { barrierMs: number; upstreamMs: number } {
  const taken = { ...blocked };
  blocked.barrierMs = 0;
  blocked.upstreamMs = 0;
  return taken;
}

/**
 * Blocks while `control[index]` still holds `value`, adding the time to `tally`; throws PoolAborted on abort or
 * after the wait limit.
 */
function waitWhile(control: Int32Array, index: number, value: number, tally: keyof typeof blocked): void {
  const started = performance.now();
  for (;;) {
    if (Atomics.load(control, ABORT) !== 0) throw new PoolAborted();
    if (Atomics.load(control, index) !== value) {
      blocked[tally] += performance.now() - started;
      return;
    }
    if (performance.now() - started > WAIT_LIMIT_MS)
      throw new PoolAborted(`no peer answered within ${WAIT_LIMIT_MS / 60000} minutes`);
    Atomics.wait(control, index, value, SLICE_MS);
  }
}

/**
 * The collectives of worker `rank` among workers 0…group−1 (all of them call them the same number of times, in
 * the same order). Each writes its vector to its slot and meets the others at a barrier; all then read every slot
 * in rank order, so the sum is bitwise the same on all of them. Slot sets alternate by barrier generation: a worker
 * can only write the next set after everyone has arrived at the next barrier, that is, finished reading this one.
 */
export function groupCollectives(buffers: SyncBuffers, rank: number, group: number): ReplicaGroup {
  const control = new Int32Array(buffers.control);
  const slots = new Float64Array(buffers.slots);
  const { workers, slotLength } = buffers;
  /** Every rank's vector (of `values`' length), each read from the shared slots. */
  const exchange = (values: Float64Array): Float64Array[] => {
    if (values.length > slotLength)
      throw new Error(`a collective of ${values.length} values exceeds the slot size ${slotLength}`);
    const generation = Atomics.load(control, GENERATION);
    const base = (generation & 1) * workers * slotLength;
    slots.set(values, base + rank * slotLength);
    if (Atomics.add(control, ARRIVED, 1) === group - 1) {
      Atomics.store(control, ARRIVED, 0);
      Atomics.add(control, GENERATION, 1);
      Atomics.notify(control, GENERATION);
    } else {
      waitWhile(control, GENERATION, generation, 'barrierMs');
    }
    return Array.from({ length: group }, (_, r) =>
      slots.slice(base + r * slotLength, base + r * slotLength + values.length),
    );
  };
  return {
    sum: (values) => {
      const total = new Float64Array(values.length);
      for (const slot of exchange(values)) for (let i = 0; i < values.length; i++) total[i]! += slot[i]!;
      return total;
    },
    gather: exchange,
  };
}

/** The signal a worker waits on for messages from the main thread (see `receiveBlocking`). */
export function signalWorker(buffers: SyncBuffers, rank: number): void {
  const control = new Int32Array(buffers.control);
  Atomics.add(control, SIGNALS + rank, 1);
  Atomics.notify(control, SIGNALS + rank);
}

/**
 * Waits, blocking the thread, for the next message on `port` (posted by the main thread, which then calls
 * `signalWorker`). `receive` is worker_threads' receiveMessageOnPort, passed in to keep this module free of it.
 */
export function receiveBlocking<T>(
  buffers: SyncBuffers,
  rank: number,
  receive: () => { message: T } | undefined,
): T {
  const control = new Int32Array(buffers.control);
  for (;;) {
    const seen = Atomics.load(control, SIGNALS + rank);
    const received = receive();
    if (received) return received.message;
    waitWhile(control, SIGNALS + rank, seen, 'upstreamMs');
  }
}
