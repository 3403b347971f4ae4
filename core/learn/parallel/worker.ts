/**
 * Entry of an engine worker thread: starts its own TensorFlow.js backend (the wasm backend is single-threaded in
 * Node, so each worker has its own module and heap), holds a backbone replica and runs the pool's commands in
 * order. Any failure is reported to the main thread and aborts the pool, so that no peer waits for this one.
 */
import { parentPort, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { preparedFilterBytes } from '../kernels/prepared-filters.ts';
import { selectBackend, type BackendName } from '../backend/backend.ts';
import { abortPool, receiveBlocking, takeBlockedMs, type SyncBuffers } from './all-reduce.ts';
import { gradientSlot } from './gradient-slots.ts';
import type { Command, Reply } from './protocol.ts';
import { Replica } from './replica.ts';

const port = parentPort;
if (!port) throw new Error('the engine worker must run in a worker thread');

let replica: Replica | null = null;
let sync: SyncBuffers | null = null;
let rank = 0;
let upstream: MessagePort | null = null;
let peakBytes = 0;
let busyMs = 0;
let gradients: Float32Array | null = null;

function reply(message: Reply, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

function ready(): Replica {
  if (!replica) throw new Error('the engine worker was not initialised');
  return replica;
}

/** Receives dL/de for `e` from the main thread, blocking inside the tape of the inner iteration. */
function exchange(e: tf.Tensor3D): tf.Tensor3D {
  const data = e.dataSync() as Float32Array;
  reply({ type: 'embeddings', data, shape: e.shape }, [data.buffer as ArrayBuffer]);
  const grad = receiveBlocking<Float32Array>(sync!, rank, () => receiveMessageOnPort(upstream!));
  return tf.tensor3d(grad, e.shape);
}

async function run(command: Command): Promise<void> {
  switch (command.type) {
    case 'init': {
      await selectBackend({ prefer: command.backend as BackendName });
      sync = command.sync;
      rank = command.rank;
      upstream = command.port;
      replica = await Replica.create(command.topology, command.layout, command.weights, command.sync);
      gradients = gradientSlot(command.gradients, command.sync.workers, command.rank);
      return reply({ type: 'ready' });
    }
    case 'weights':
      return ready().loadWeights(command.which);
    case 'fill': {
      const e = ready().fill(command.shares, command.patches, command.batchSize, command.training);
      const data = e.dataSync() as Float32Array;
      const shape = e.shape;
      e.dispose();
      return reply({ type: 'embeddings', data, shape }, [data.buffer as ArrayBuffer]);
    }
    case 'inner':
      return ready().inner(command.share, command.patches, command.batchSize, exchange);
    case 'gradients': {
      const written = ready().takeGradients(gradients!);
      reply({ type: 'gradients', written, peakBytes });
      peakBytes = 0;
      return;
    }
    case 'statistics': {
      const data = ready().statistics();
      return reply({ type: 'statistics', data }, [data.buffer as ArrayBuffer]);
    }
    case 'timings': {
      reply({ type: 'timings', busyMs, ...takeBlockedMs() });
      busyMs = 0;
      return;
    }
  }
}

/** Runs one command under tf.profile (for the memory peak), reporting failure and aborting the pool. */
async function handle(command: Command): Promise<void> {
  try {
    if (command.type === 'init') await run(command);
    else {
      const started = performance.now();
      const info = await tf.profile(() => run(command));
      // The kernels' prepared filters live beside the tensors, outside the profile's count.
      peakBytes = Math.max(peakBytes, info.peakBytes + preparedFilterBytes(tf.backend()));
      busyMs += performance.now() - started;
    }
  } catch (err) {
    if (sync) abortPool(sync);
    const error = err instanceof Error ? err : new Error(String(err));
    reply({ type: 'error', name: error.name, message: error.message, stack: error.stack });
  }
}

// Commands run strictly one after another even though handling is asynchronous.
let queue = Promise.resolve();
port.on('message', (command: Command) => {
  queue = queue.then(() => handle(command));
});
