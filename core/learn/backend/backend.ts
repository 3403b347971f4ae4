/**
 * Picks the TensorFlow.js backend: @tensorflow/tfjs-node-gpu (CUDA) → webgpu on a hardware adapter (`webgpu.ts`)
 * → @tensorflow/tfjs-node → wasm → cpu, first that works, unless asked for one (the `prefer` argument, else the
 * PATCHGD_BACKEND environment variable). A software WebGPU adapter is used only when asked for (`software`, else
 * PATCHGD_SOFTWARE_GPU=1). The answer always says which backend runs, why, and why each better one was passed over.
 *
 * The two native packages are optional dependencies that often cannot install, so they are probed by resolving
 * and then dynamically importing them. They import the umbrella `@tensorflow/tfjs`, not our
 * `@tensorflow/tfjs-core`, but both share one engine: tfjs-core keeps the engine (`_tfengine`) and the kernel and
 * gradient registries on the global object, so even a second copy of tfjs-core (a version the umbrella does not
 * dedupe with ours, or its ESM build next to the CJS one) finds and uses the same ones, and a backend registered
 * by tfjs-node is selectable through our import. Tensor `instanceof` checks are structural in tfjs-core for the
 * same reason. tfjs-node 4.22.0 pins `@tensorflow/tfjs` 4.22.0, which pins tfjs-core 4.22.0, so npm dedupes it with
 * ours and there is just one copy.
 */
import { existsSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { UsageError } from '../../base/errors.ts';
import { registerWasmKernels } from '../kernels/index.ts';
import { registerBatchNormGradient } from '../kernels/batch-norm-grad.ts';
import { preferredMultiplyAdd } from '../kernels/simd.ts';
import { Unavailable } from './unavailable.ts';
import { adapterLabel, startWebgpu, webgpuAdapter, type AdapterSummary } from './webgpu.ts';
import { enableRelaxedSimd } from './relaxed-simd.ts';

import {
  BACKEND_NAMES,
  type BackendName,
  type MultiplyAdd,
  type RelaxedSimd,
} from '../../shared/backend-names.ts';

export { BACKEND_NAMES, type BackendName };
export type BackendPreference = 'auto' | BackendName;

export interface BackendChoice {
  name: BackendName;
  reason: string;
  skipped: { name: BackendName; reason: string }[];
  /** On webgpu: the adapter, e.g. "nvidia ampere (NVIDIA GeForce RTX 3080)" (null elsewhere). */
  adapter: string | null;
}

export interface SelectOptions {
  prefer?: BackendPreference;
  /** Allow (and on Linux set up) a software WebGPU adapter; default: PATCHGD_SOFTWARE_GPU=1. */
  softwareGpu?: boolean;
  env?: Record<string, string | undefined>;
}

export interface BackendStatus {
  /** The backend selectBackend chose, or null before it ran. */
  name: BackendName | null;
  /** The backend tfjs is running on (null before any started). */
  tfjsBackend: string | null;
  /**
   * Present on wasm: SIMD and multithreading as the wasm backend detected them, our extra kernels, and how their
   * convolution loops multiply and add (null without SIMD) with how relaxed SIMD came to be there.
   */
  wasm: {
    simd: boolean;
    threads: boolean;
    kernels: string[];
    multiplyAdd: MultiplyAdd | null;
    relaxedSimd: RelaxedSimd;
  } | null;
  /** Present on webgpu: the adapter and its buffer limits. */
  webgpu: AdapterSummary | null;
  numBytes: number;
  numTensors: number;
}

const ENV_VAR = 'PATCHGD_BACKEND';
const SOFTWARE_ENV_VAR = 'PATCHGD_SOFTWARE_GPU';
const NATIVE_PACKAGES = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
};

let chosen: BackendName | null = null;
let wasmKernels: string[] = [];
let relaxedSimd: RelaxedSimd = 'unavailable';

function parsePreference(value: string, source: string): BackendPreference {
  const v = value.trim().toLowerCase();
  if (v === 'auto' || (BACKEND_NAMES as readonly string[]).includes(v)) return v as BackendPreference;
  throw new UsageError(source, `unknown backend "${value}"; use one of auto, ${BACKEND_NAMES.join(', ')}`);
}

/** Whether this machine shows an NVIDIA CUDA device (Linux: the driver's /proc entries; elsewhere nvidia-smi). */
function hasCudaDevice(): boolean {
  const gpus = '/proc/driver/nvidia/gpus';
  if (process.platform === 'linux') return existsSync(gpus) && readdirSync(gpus).length > 0;
  try {
    return /^GPU \d+/m.test(execFileSync('nvidia-smi', ['-L'], { encoding: 'utf8', timeout: 5000 }));
  } catch {
    return false;
  }
}

async function loadNative(name: 'tensorflow-gpu' | 'tensorflow'): Promise<void> {
  const pkg = NATIVE_PACKAGES[name];
  try {
    createRequire(import.meta.url).resolve(pkg);
  } catch {
    throw new Unavailable(`${pkg} is not installed`);
  }
  if (name === 'tensorflow-gpu' && !hasCudaDevice()) throw new Unavailable('no CUDA device found');
  try {
    await import(pkg);
  } catch (err) {
    throw new Unavailable(`${pkg} failed to load: ${err instanceof Error ? err.message : String(err)}`);
  }
  // Both native packages register their backend as 'tensorflow'.
  if (!(await tf.setBackend('tensorflow')))
    throw new Unavailable(`${pkg} loaded but its backend did not start`);
}

async function startWasm(): Promise<void> {
  relaxedSimd = enableRelaxedSimd();
  // The emscripten module adds process-wide handlers that rethrow uncaught errors and rejections (printing its
  // minified source); drop the ones it adds so the CLI's own error handling stays in charge.
  const uncaught = new Set(process.listeners('uncaughtException'));
  const unhandled = new Set(process.listeners('unhandledRejection'));
  const ok = await tf.setBackend('wasm');
  for (const l of process.listeners('uncaughtException'))
    if (!uncaught.has(l)) process.removeListener('uncaughtException', l);
  for (const l of process.listeners('unhandledRejection'))
    if (!unhandled.has(l)) process.removeListener('unhandledRejection', l);
  if (!ok) throw new Unavailable('the wasm backend failed to initialise');
  wasmKernels = registerWasmKernels();
}

async function start(
  name: BackendName,
  options: { softwareGpu: boolean; env: SelectOptions['env'] },
): Promise<void> {
  switch (name) {
    case 'tensorflow-gpu':
    case 'tensorflow':
      return loadNative(name);
    case 'webgpu':
      await startWebgpu({ software: options.softwareGpu, env: options.env });
      return;
    case 'wasm':
      return startWasm();
    case 'cpu':
      if (!(await tf.setBackend('cpu'))) throw new Unavailable('the cpu backend failed to initialise');
      // Its first tensor would print a banner urging tfjs-node; the choice's `skipped` already says why not.
      (tf.findBackend('cpu') as unknown as { firstUse: boolean }).firstUse = false;
  }
}

/**
 * Selects and starts a backend. `prefer` (default: PATCHGD_BACKEND, else 'auto') names one backend to use or
 * fails with a UsageError saying why it cannot run; 'auto' takes the first that works in the order above.
 */
export async function selectBackend(options: SelectOptions = {}): Promise<BackendChoice> {
  registerBatchNormGradient();
  const env = options.env ?? process.env;
  const asked = options.prefer !== undefined && options.prefer !== 'auto' ? options.prefer : undefined;
  const fromEnv = env[ENV_VAR];
  const started = { softwareGpu: options.softwareGpu ?? env[SOFTWARE_ENV_VAR] === '1', env };
  const prefer = asked
    ? parsePreference(asked, 'backend option')
    : fromEnv
      ? parsePreference(fromEnv, ENV_VAR)
      : 'auto';
  if (prefer !== 'auto') {
    const source = asked ? 'asked for' : `set by ${ENV_VAR}`;
    try {
      await start(prefer, started);
    } catch (err) {
      if (!(err instanceof Unavailable)) throw err;
      throw new UsageError(null, `backend ${prefer} (${source}) cannot run: ${err.message}`, { cause: err });
    }
    chosen = prefer;
    return { name: prefer, reason: source, skipped: [], adapter: adapterOf(prefer) };
  }
  const skipped: BackendChoice['skipped'] = [];
  for (const name of BACKEND_NAMES) {
    try {
      await start(name, started);
    } catch (err) {
      if (!(err instanceof Unavailable)) throw err;
      skipped.push({ name, reason: err.message });
      continue;
    }
    chosen = name;
    return {
      name,
      reason: `auto: the first of ${BACKEND_NAMES.join(', ')} that starts`,
      skipped,
      adapter: adapterOf(name),
    };
  }
  throw new UsageError(null, 'no TensorFlow.js backend could start');
}

function adapterOf(name: BackendName): string | null {
  const adapter = name === 'webgpu' ? webgpuAdapter() : null;
  return adapter ? `${adapterLabel(adapter)}${adapter.software ? ', software' : ''}` : null;
}

function wasmFlag(flag: string): boolean {
  try {
    return tf.env().getBool(flag);
  } catch {
    // Flags the wasm backend has not evaluated yet are async-only; unknown means not in use.
    return false;
  }
}

/** What is running now: for status lines and logs. */
export function describeBackend(): BackendStatus {
  // Read the field, not tf.getBackend(): that would start the highest-priority backend as a side effect.
  const tfjsBackend: string | null = tf.engine().backendName ?? null;
  const memory = tfjsBackend ? tf.memory() : { numBytes: 0, numTensors: 0 };
  return {
    name: chosen,
    tfjsBackend,
    wasm:
      tfjsBackend === 'wasm'
        ? {
            simd: wasmFlag('WASM_HAS_SIMD_SUPPORT'),
            threads: wasmFlag('WASM_HAS_MULTITHREAD_SUPPORT'),
            kernels: wasmKernels,
            multiplyAdd: preferredMultiplyAdd(),
            relaxedSimd,
          }
        : null,
    webgpu: tfjsBackend === 'webgpu' ? webgpuAdapter() : null,
    numBytes: memory.numBytes,
    numTensors: memory.numTensors,
  };
}
