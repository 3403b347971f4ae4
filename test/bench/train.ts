/**
 * Training throughput of the backbones, tfjs next to PyTorch in the same run: patches/s of a training step
 * (forward, backward, Adam step: the PatchGD inner-iteration work on the backbone) and of inference (the Z fill:
 * forward without gradient), at 128-px patches, batch 16. Both sides run batch norm in training mode, as PatchGD
 * does during training, and use the same loss (mean of the squared latent). PyTorch runs
 * `test/bench/torch_train.py` through Debian's python3-torch (`/usr/bin/python3`), `torch.set_num_threads(2)`.
 *
 *   npx tsx test/bench/train.ts --json [--backbones mobilenetv2,resnet50] [--batch 16] [--patch 128]
 *     [--latent 256] [--seconds 20] [--backend wasm] [--threads 1,2] [--no-torch] [--profile] [--phases]
 *     [--rounds 1] [--software-gpu] [--torch-device cpu|cuda] [--python /usr/bin/python3]
 *
 * --threads lists the engine thread counts to measure (default 1): each count N > 1 runs the tfjs side on an
 * engine pool (core/learn/parallel) whose N worker threads each embed a share of the batch with batch norm
 * synchronised, as a PatchGD inner iteration does; its Adam step and weight broadcast are part of the measured
 * training step. Several counts take turns step by step, so that a shared machine's load affects them alike.
 * --profile adds, per backbone, the kernels of one one-thread training step and of one inference step by total
 * time (top 15 each).
 * --phases adds, per thread count N > 1, where the time of a few more training steps and fills went: on the main
 * thread (waiting for the embeddings, for the backward passes and gradient sum, Adam, the weight push) and on each
 * worker (busy, and within that blocked at batch-norm barriers or waiting for upstream gradients), in ms per step.
 * --rounds N repeats the whole measurement N times, each backbone in turn; `ratios` gives each tfjs/PyTorch ratio's
 * median and range over the rounds (profiles and phases come from round 1). The machine's speed drifts by tens of
 * per cent over minutes (other tenants), so PyTorch's steps take turns with tfjs's, step by step, in one loop.
 * --backend webgpu runs on a hardware WebGPU adapter; with --software-gpu also on a software one (SwiftShader: a
 * test vehicle, not a speed figure). Engine threads are a CPU feature: measure webgpu with --threads 1.
 * Prints one JSON object on stdout; progress goes to stderr.
 */
import { spawn } from 'node:child_process';
import readline from 'node:readline';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { describeBackend, selectBackend, type BackendPreference } from '../../core/learn/backend/backend.ts';
import { createBackbone } from '../../core/learn/models/registry.ts';
import type { BackboneName } from '../../core/shared/names.ts';
import { Adam } from '../../core/learn/patchgd/adam.ts';
import { EnginePool } from '../../core/learn/parallel/pool.ts';
import type { WorkerTimings } from '../../core/learn/parallel/protocol.ts';

const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    backbones: { type: 'string', default: 'mobilenetv2,resnet50' },
    batch: { type: 'string', default: '16' },
    patch: { type: 'string', default: '128' },
    latent: { type: 'string', default: '256' },
    seconds: { type: 'string', default: '20' },
    backend: { type: 'string', default: 'wasm' },
    threads: { type: 'string', default: '1' },
    'software-gpu': { type: 'boolean', default: false },
    'no-torch': { type: 'boolean', default: false },
    'torch-device': { type: 'string', default: 'cpu' },
    python: { type: 'string', default: '/usr/bin/python3' },
    profile: { type: 'boolean', default: false },
    phases: { type: 'boolean', default: false },
    rounds: { type: 'string', default: '1' },
  },
});
const batch = Number(args.batch);
const patch = Number(args.patch);
const latent = Number(args.latent);
const seconds = Number(args.seconds);
const threadCounts = args.threads.split(',').map(Number);
const rounds = Number(args.rounds);
if (!Number.isInteger(rounds) || rounds < 1)
  throw new Error(`--rounds takes a count ≥ 1, got '${args.rounds}'`);
if (threadCounts.some((t) => !Number.isInteger(t) || t < 1))
  throw new Error(`--threads takes thread counts ≥ 1 separated by commas, got '${args.threads}'`);
const log = (text: string) => process.stderr.write(`${text}\n`);

/**
 * Mean seconds per timed call of each step. The steps take turns until each has been timed for at least
 * `minSeconds` (and at least twice): on a machine others share, load changes then affect all of them alike, so
 * their ratios hold even when the absolute figures drift. In a turn a step runs twice and only the second call is
 * timed, so that every timed call finds the caches (and PyTorch's threads) as its own previous call left them.
 */
async function timedTogether(
  steps: readonly (() => void | Promise<void>)[],
  minSeconds: number,
): Promise<{ perCall: number; calls: number }[]> {
  const spent = steps.map(() => 0);
  let calls = 0;
  while (calls < 2 || Math.min(...spent) < minSeconds * 1000) {
    for (const [i, step] of steps.entries()) {
      await step();
      const start = performance.now();
      await step();
      spent[i]! += performance.now() - start;
    }
    calls++;
  }
  return spent.map((ms) => ({ perCall: ms / 1000 / calls, calls }));
}

/** The PyTorch process (`torch_train.py`): what it runs on, and one step per call. */
interface TorchServer {
  source: string;
  torch: string;
  threads: number;
  device: string;
  /** The CUDA device's name, on cuda. */
  gpu?: string;
  step: (kind: 'train' | 'infer') => Promise<void>;
  close: () => void;
}

/** Starts `torch_train.py` for `backbone` and waits until it has built its model. */
async function startTorch(backbone: string): Promise<TorchServer> {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'torch_train.py');
  const child = spawn(
    args.python,
    [
      ...[script, backbone, '--patch', `${patch}`, '--batch', `${batch}`, '--latent', `${latent}`],
      ...['--device', args['torch-device']],
    ],
    // Passive OpenMP waiting: between its steps the tfjs steps run, and spinning threads would take their cores.
    { env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' }, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = readline.createInterface({ input: child.stdout });
  const waiting: ((line: string) => void)[] = [];
  const queued: string[] = [];
  lines.on('line', (line) => (waiting.length ? waiting.shift()!(line) : queued.push(line)));
  const exited = new Promise<never>((_, reject) =>
    child.on('exit', (code) => reject(new Error(`torch_train.py exited (${code}) before answering`))),
  );
  exited.catch(() => undefined);
  const next = () =>
    Promise.race([
      queued.length ? Promise.resolve(queued.shift()!) : new Promise<string>((r) => waiting.push(r)),
      exited,
    ]);
  const info = JSON.parse(await next()) as Pick<
    TorchServer,
    'source' | 'torch' | 'threads' | 'device' | 'gpu'
  >;
  return {
    ...info,
    step: async (kind) => {
      child.stdin.write(`${kind}\n`);
      await next();
    },
    close: () => child.stdin.end(),
  };
}

interface Runner {
  threads: number;
  trainStep: () => void | Promise<void>;
  inferStep: () => void | Promise<void>;
  /** Where the time of `steps` more training steps and fills went, in ms per step (pools only). */
  phases?: (steps: number) => Promise<PoolPhases>;
  dispose: () => Promise<void>;
}

/** Milliseconds per step, rounded to 0.1 ms. */
function perStep(ms: number, steps: number): number {
  return Math.round((ms / steps) * 10) / 10;
}

function workersPerStep(timings: readonly WorkerTimings[], steps: number) {
  return timings.map((t) => ({
    busy: perStep(t.busyMs, steps),
    barrier_wait: perStep(t.barrierMs, steps),
    upstream_wait: perStep(t.upstreamMs, steps),
  }));
}

interface PoolPhases {
  train: { main: Record<string, number>; workers: ReturnType<typeof workersPerStep> };
  fill: { main: Record<string, number>; workers: ReturnType<typeof workersPerStep> };
}

/** A training step (forward, backward, Adam) and an inference step of a fresh backbone on the calling thread. */
function serialRunner(name: BackboneName): Runner {
  const model = createBackbone(name, { patchSize: patch, latentDim: latent, seed: 42 });
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const optimizer = new Adam(variables);
  const x = tf.randomNormal([batch, patch, patch, 3]) as tf.Tensor4D;
  return {
    threads: 1,
    trainStep: async () => {
      const { value, grads } = tf.variableGrads(
        () => tf.mean(tf.square(model.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar,
        variables,
      );
      // Asynchronous reads: webgpu has no synchronous one in Node (on wasm and cpu the two are the same).
      await value.data();
      const ordered = variables.map((v) => grads[v.name]!);
      optimizer.step(ordered, 1e-3);
      tf.dispose([value, ...ordered]);
    },
    inferStep: async () => {
      const z = tf.tidy(() => model.apply(x, { training: true }) as tf.Tensor);
      await z.data();
      z.dispose();
    },
    dispose: async () => {
      tf.dispose([x]);
      optimizer.dispose();
      model.dispose();
    },
  };
}

/**
 * The same two steps on an engine pool of `threads` workers: the batch is `batch` random patches of one image,
 * sent with each call (as the engine sends each chunk) and split over the workers with batch norm synchronised; dL/de of the mean squared latent
 * goes back to them, their gradients are summed, Adam steps and the new weights go out to the replicas.
 */
async function poolRunner(name: BackboneName, threads: number): Promise<Runner> {
  const model = createBackbone(name, { patchSize: patch, latentDim: latent, seed: 42 });
  const optimizer = new Adam(model.trainableWeights.map((w) => w.read() as tf.Variable));
  const pool = await EnginePool.start(model, threads, tf.getBackend());
  const random = tf.randomNormal([1, batch, patch, patch, 3]);
  const pixels = random.dataSync() as Float32Array;
  random.dispose();
  const chunk = Array.from({ length: batch }, (_, i) => i);
  /** Adds the milliseconds since the previous lap to `phase` of `into` (when given). */
  const laps = (into?: Record<string, number>) => {
    let last = performance.now();
    return (phase: string) => {
      const now = performance.now();
      if (into) into[phase] = (into[phase] ?? 0) + now - last;
      last = now;
    };
  };
  const trainStep = async (into?: Record<string, number>) => {
    const lap = laps(into);
    const { shares, embeddings } = await pool.innerEmbeddings(chunk, pixels.slice(), 1);
    lap('embeddings_wait');
    const upstream = tf.mul(embeddings, 2 / embeddings.size) as tf.Tensor3D;
    pool.sendUpstream(shares, upstream);
    lap('upstream');
    const { gradients } = await pool.takeGradients();
    lap('gradients_wait_and_sum');
    optimizer.step(gradients, 1e-3);
    lap('adam');
    pool.pushWeights(model, 'trainable');
    lap('weight_push');
    tf.dispose([embeddings, upstream, ...gradients]);
  };
  const inferStep = async (into?: Record<string, number>) => {
    const lap = laps(into);
    const z = await pool.fill([chunk], [pixels.slice()], 1, true);
    z.dataSync();
    z.dispose();
    lap('fill_wait');
  };
  /** Runs `step` `steps` times with its main-thread laps and the workers' timings, per step. */
  const measure = async (step: typeof trainStep, steps: number) => {
    const main: Record<string, number> = {};
    await pool.takeTimings();
    for (let i = 0; i < steps; i++) await step(main);
    const workers = await pool.takeTimings();
    const perStepMain = Object.fromEntries(Object.entries(main).map(([k, ms]) => [k, perStep(ms, steps)]));
    return { main: perStepMain, workers: workersPerStep(workers, steps) };
  };
  return {
    threads,
    trainStep: () => trainStep(),
    inferStep: () => inferStep(),
    phases: async (steps) => ({
      train: await measure(trainStep, steps),
      fill: await measure(inferStep, steps),
    }),
    dispose: async () => {
      await pool.close();
      optimizer.dispose();
      model.dispose();
    },
  };
}

/** Kernels of one step by total time (top 15). */
async function profileStep(step: () => void | Promise<void>) {
  const info = await tf.profile(step);
  const byName = new Map<string, { ms: number; calls: number }>();
  for (const k of info.kernels) {
    const entry = byName.get(k.name) ?? { ms: 0, calls: 0 };
    entry.ms += k.kernelTimeMs as number;
    entry.calls++;
    byName.set(k.name, entry);
  }
  return [...byName.entries()]
    .map(([kernel, e]) => ({ kernel, ms: Math.round(e.ms * 10) / 10, calls: e.calls }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 15);
}

async function benchBackbone(name: BackboneName, firstRound: boolean) {
  const runners: Runner[] = [];
  let torch: TorchServer | null = null;
  try {
    for (const t of threadCounts) runners.push(t === 1 ? serialRunner(name) : await poolRunner(name, t));
    torch = args['no-torch'] ? null : await startTorch(name);
    // PyTorch's steps take their turns with tfjs's: the ratios then hold while the machine's speed drifts.
    const torchSteps = (kind: 'train' | 'infer') => (torch ? [() => torch!.step(kind)] : []);
    log(`${name}: training on ${threadCounts.join(', ')} tfjs thread(s)${torch ? ' and PyTorch' : ''}…`);
    const train = await timedTogether([...runners.map((r) => r.trainStep), ...torchSteps('train')], seconds);
    log(`${name}: inference…`);
    const infer = await timedTogether(
      [...runners.map((r) => r.inferStep), ...torchSteps('infer')],
      seconds / 2,
    );
    const torchRate = (times: typeof train) => (torch ? batch / times[runners.length]!.perCall : null);
    const [torchTrain, torchInfer] = [torchRate(train), torchRate(infer)];
    const phases: (PoolPhases | null)[] = [];
    for (const r of runners) phases.push(args.phases && firstRound && r.phases ? await r.phases(3) : null);
    const serial = firstRound && args.profile ? runners.find((r) => r.threads === 1) : undefined;
    const profile = serial ? await profileStep(serial.trainStep) : null;
    const inferProfile = serial ? await profileStep(serial.inferStep) : null;
    return runners.map((r, i) => {
      const tfjsTrain = batch / train[i]!.perCall;
      const tfjsInfer = batch / infer[i]!.perCall;
      log(
        `${name} on ${r.threads} thread(s): ${tfjsTrain.toFixed(1)} train, ${tfjsInfer.toFixed(1)} inference patches/s`,
      );
      return {
        backbone: name,
        width_multiplier: name === 'mobilenetv2' ? 1 : null,
        tfjs_backend: tf.getBackend(),
        tfjs_threads: r.threads,
        tfjs_train_patches_per_s: tfjsTrain,
        tfjs_train_steps: train[i]!.calls,
        tfjs_infer_patches_per_s: tfjsInfer,
        tfjs_infer_steps: infer[i]!.calls,
        torch_source: torch?.source ?? null,
        torch_threads: torch?.threads ?? null,
        torch_device: torch ? (torch.gpu ?? torch.device) : null,
        torch_train_patches_per_s: torchTrain,
        torch_infer_patches_per_s: torchInfer,
        train_ratio_tfjs_over_torch: torchTrain ? tfjsTrain / torchTrain : null,
        infer_ratio_tfjs_over_torch: torchInfer ? tfjsInfer / torchInfer : null,
        profile_top15: r.threads === 1 ? profile : null,
        infer_profile_top15: r.threads === 1 ? inferProfile : null,
        phases_ms_per_step: phases[i],
      };
    });
  } finally {
    torch?.close();
    for (const r of runners) await r.dispose();
  }
}

const loadBefore = os.loadavg();
const startedAt = new Date().toISOString();
const backend = await selectBackend({
  prefer: args.backend as BackendPreference,
  softwareGpu: args['software-gpu'],
});
const results: Record<string, unknown>[] = [];
for (let round = 1; round <= rounds; round++)
  for (const name of args.backbones.split(',')) {
    if (rounds > 1) log(`round ${round} of ${rounds}`);
    try {
      results.push(...(await benchBackbone(name as BackboneName, round === 1)).map((r) => ({ round, ...r })));
    } catch (err) {
      // One backbone failing (e.g. its training step exhausting the 4 GiB wasm heap) still reports the others.
      log(`${name}: ${err instanceof Error ? err.message : String(err)}`);
      results.push({ round, backbone: name, tfjs_backend: tf.getBackend(), error: String(err) });
    }
  }

/** Median and range over the rounds of each backbone and thread count's tfjs/PyTorch ratios. */
function ratioSummary() {
  const median = (v: number[]) => {
    const s = [...v].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  };
  const stats = (v: number[]) =>
    v.length ? { median: median(v), min: Math.min(...v), max: Math.max(...v) } : null;
  const groups = new Map<string, Record<string, unknown>[]>();
  for (const r of results) {
    if (r['error'] || r['train_ratio_tfjs_over_torch'] == null) continue;
    const key = `${String(r['backbone'])}/${String(r['tfjs_threads'])}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((rs) => ({
    backbone: rs[0]!['backbone'],
    tfjs_threads: rs[0]!['tfjs_threads'],
    rounds: rs.length,
    train_ratio: stats(rs.map((r) => r['train_ratio_tfjs_over_torch'] as number)),
    infer_ratio: stats(rs.map((r) => r['infer_ratio_tfjs_over_torch'] as number)),
  }));
}
const summary = {
  bench: 'train-throughput',
  started_at: startedAt,
  backend: backend.name,
  adapter: backend.adapter,
  threads: threadCounts,
  wasm: describeBackend().wasm,
  webgpu: describeBackend().webgpu,
  node: process.version,
  batch,
  patch,
  latent,
  min_seconds_per_measure: seconds,
  load_average_start: loadBefore,
  load_average_end: os.loadavg(),
  rounds,
  ratios: ratioSummary(),
  results,
};
process.stdout.write(`${JSON.stringify(summary, null, args.json ? undefined : 2)}\n`);
