/**
 * Training throughput of the backbones, tfjs next to PyTorch in the same run: patches/s of a training step
 * (forward, backward, Adam step: the PatchGD inner-iteration work on the backbone) and of inference (the Z fill:
 * forward without gradient), at 128-px patches, batch 16. Both sides run batch norm in training mode, as PatchGD
 * does during training, and use the same loss (mean of the squared latent). PyTorch runs
 * `test/bench/torch_train.py` through Debian's python3-torch (`/usr/bin/python3`), `torch.set_num_threads(2)`.
 *
 *   npx tsx test/bench/train.ts --json [--backbones mobilenetv2,resnet50] [--batch 16] [--patch 128]
 *     [--latent 256] [--seconds 20] [--backend wasm] [--no-torch] [--profile]
 *
 * --profile adds, per backbone, the kernels of one training step on the tfjs backend by total time (top 15).
 * Prints one JSON object on stdout; progress goes to stderr.
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { describeBackend, selectBackend, type BackendPreference } from '../../core/engine/backend.ts';
import { createBackbone } from '../../core/models/registry.ts';
import type { BackboneName } from '../../core/models/names.ts';
import { Adam } from '../../core/patchgd/adam.ts';

const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    backbones: { type: 'string', default: 'mobilenetv2,resnet50' },
    batch: { type: 'string', default: '16' },
    patch: { type: 'string', default: '128' },
    latent: { type: 'string', default: '256' },
    seconds: { type: 'string', default: '20' },
    backend: { type: 'string', default: 'wasm' },
    'no-torch': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
  },
});
const batch = Number(args.batch);
const patch = Number(args.patch);
const latent = Number(args.latent);
const seconds = Number(args.seconds);
const log = (text: string) => process.stderr.write(`${text}\n`);

/** Mean seconds per call after one warm-up call, repeating for at least `minSeconds` (and at least 2 calls). */
function timed(step: () => void, minSeconds: number): { perCall: number; calls: number } {
  step();
  let calls = 0;
  const start = performance.now();
  while (calls < 2 || performance.now() - start < minSeconds * 1000) {
    step();
    calls++;
  }
  return { perCall: (performance.now() - start) / 1000 / calls, calls };
}

interface TorchResult {
  source: string;
  torch: string;
  threads: number;
  train_patches_per_s: number;
  infer_patches_per_s: number;
}

function runTorch(backbone: string): TorchResult {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'torch_train.py');
  const out = execFileSync(
    '/usr/bin/python3',
    [script, backbone, '--patch', `${patch}`, '--batch', `${batch}`, '--latent', `${latent}`],
    // Passive OpenMP waiting: with other jobs on the two cores, spinning threads would mostly wait on each other.
    { encoding: 'utf8', env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' }, maxBuffer: 1 << 20 },
  );
  return JSON.parse(out) as TorchResult;
}

async function benchBackbone(name: BackboneName) {
  const model = createBackbone(name, { patchSize: patch, latentDim: latent, seed: 42 });
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const optimizer = new Adam(variables);
  const x = tf.randomNormal([batch, patch, patch, 3]) as tf.Tensor4D;
  const trainStep = () => {
    const { value, grads } = tf.variableGrads(
      () => tf.mean(tf.square(model.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar,
      variables,
    );
    value.dataSync();
    const ordered = variables.map((v) => grads[v.name]!);
    optimizer.step(ordered, 1e-3);
    tf.dispose([value, ...ordered]);
  };
  const inferStep = () => {
    const z = tf.tidy(() => model.apply(x, { training: true }) as tf.Tensor);
    z.dataSync();
    z.dispose();
  };
  log(`${name}: tfjs training…`);
  const train = timed(trainStep, seconds);
  log(`${name}: tfjs ${(batch / train.perCall).toFixed(1)} train patches/s; inference…`);
  const infer = timed(inferStep, seconds / 2);
  let profile: { kernel: string; ms: number; calls: number }[] | null = null;
  if (args.profile) {
    const info = await tf.profile(trainStep);
    const byName = new Map<string, { ms: number; calls: number }>();
    for (const k of info.kernels) {
      const entry = byName.get(k.name) ?? { ms: 0, calls: 0 };
      entry.ms += k.kernelTimeMs as number;
      entry.calls++;
      byName.set(k.name, entry);
    }
    profile = [...byName.entries()]
      .map(([kernel, e]) => ({ kernel, ms: Math.round(e.ms * 10) / 10, calls: e.calls }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 15);
  }
  x.dispose();
  optimizer.dispose();
  model.dispose();
  log(`${name}: tfjs ${(batch / infer.perCall).toFixed(1)} inference patches/s`);
  const torch = args['no-torch'] ? null : (log(`${name}: PyTorch…`), runTorch(name));
  const tfjsTrain = batch / train.perCall;
  const tfjsInfer = batch / infer.perCall;
  return {
    backbone: name,
    width_multiplier: name === 'mobilenetv2' ? 1 : null,
    tfjs_backend: tf.getBackend(),
    tfjs_train_patches_per_s: tfjsTrain,
    tfjs_train_steps: train.calls,
    tfjs_infer_patches_per_s: tfjsInfer,
    tfjs_infer_steps: infer.calls,
    torch_source: torch?.source ?? null,
    torch_threads: torch?.threads ?? null,
    torch_train_patches_per_s: torch?.train_patches_per_s ?? null,
    torch_infer_patches_per_s: torch?.infer_patches_per_s ?? null,
    train_ratio_tfjs_over_torch: torch ? tfjsTrain / torch.train_patches_per_s : null,
    infer_ratio_tfjs_over_torch: torch ? tfjsInfer / torch.infer_patches_per_s : null,
    profile_top15: profile,
  };
}

const loadBefore = os.loadavg();
const startedAt = new Date().toISOString();
const backend = await selectBackend({ prefer: args.backend as BackendPreference });
const results = [];
for (const name of args.backbones.split(',')) {
  try {
    results.push(await benchBackbone(name as BackboneName));
  } catch (err) {
    // One backbone failing (e.g. its training step exhausting the 4 GiB wasm heap) still reports the others.
    log(`${name}: ${err instanceof Error ? err.message : String(err)}`);
    results.push({ backbone: name, tfjs_backend: tf.getBackend(), error: String(err) });
  }
}
const summary = {
  bench: 'train-throughput',
  started_at: startedAt,
  backend: backend.name,
  wasm: describeBackend().wasm,
  batch,
  patch,
  latent,
  min_seconds_per_measure: seconds,
  load_average_start: loadBefore,
  load_average_end: os.loadavg(),
  results,
};
process.stdout.write(`${JSON.stringify(summary, null, args.json ? undefined : 2)}\n`);
