/**
 * The WebGPU backend: Dawn's Node bindings (npm `webgpu`, an optional dependency with prebuilt binaries) give
 * this process a `navigator.gpu`, on which @tensorflow/tfjs-backend-webgpu runs its stock kernels.
 *
 * We register tfjs' WebGPUBackend ourselves on an adapter we asked for and inspected, instead of letting the
 * package request one at import: the package registers only when `navigator.gpu` exists when it loads, and we
 * must see the adapter first to refuse a software one (a CPU rasteriser such as SwiftShader or llvmpipe is far
 * slower than the wasm backend) unless the caller asked for it.
 *
 * A software GPU is how tests and CI exercise this path on machines without a GPU: Dawn's Vulkan backend on the
 * SwiftShader Vulkan driver that Chromium ships. When it is asked for and `VK_ICD_FILENAMES` is unset, the Vulkan
 * loader is pointed at that driver's manifest (found in the known Chromium folders below); that hides any
 * hardware driver, which is what "run on the software GPU" means.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { Unavailable } from './unavailable.ts';
import { registerWebgpuKernels } from './webgpu-kernels.ts';

/** Where Linux distributions and Chromium builds put SwiftShader's Vulkan driver manifest. */
export const SWIFTSHADER_ICD_LOCATIONS = [
  '/usr/lib/chromium/vk_swiftshader_icd.json',
  '/usr/lib64/chromium/vk_swiftshader_icd.json',
  '/usr/lib/chromium-browser/vk_swiftshader_icd.json',
  '/usr/lib64/chromium-browser/vk_swiftshader_icd.json',
  '/opt/google/chrome/vk_swiftshader_icd.json',
] as const;

/** What the engine reports of the adapter it runs on. */
export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A software (CPU) implementation: the fallback adapter, or its info names one. */
  software: boolean;
  /** The largest GPUBuffer, and the largest one a kernel may bind, in bytes (the device gets the adapter's). */
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
  /** Environment variables set to reach the software driver (empty when none were needed). */
  environment: string[];
}

export interface AdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

const SOFTWARE_NAMES = /swiftshader|llvmpipe|lavapipe|softpipe|warp|microsoft basic render|software|\bcpu\b/i;

/** Whether an adapter is a software rasteriser rather than a GPU. */
export function isSoftwareAdapter(info: AdapterInfoLike): boolean {
  if (info.isFallbackAdapter) return true;
  return [info.vendor, info.architecture, info.device, info.description].some(
    (s) => s !== undefined && SOFTWARE_NAMES.test(s),
  );
}

/** "vendor architecture (description)", leaving out what the adapter does not say. */
export function adapterLabel(a: Pick<AdapterSummary, 'vendor' | 'architecture' | 'description'>): string {
  const name = [a.vendor, a.architecture].filter((s) => s).join(' ') || 'unnamed adapter';
  return a.description ? `${name} (${a.description})` : name;
}

/**
 * The variables to set so that the Vulkan loader finds the software driver, given the environment and which
 * manifests exist: nothing when the user already chose drivers, an Unavailable when no manifest is found.
 */
export function softwareVulkanEnvironment(
  env: Record<string, string | undefined>,
  exists: (file: string) => boolean = existsSync,
): Record<string, string> {
  if (process.platform !== 'linux') return {};
  const set: Record<string, string> = {};
  if (!env.VK_ICD_FILENAMES && !env.VK_DRIVER_FILES) {
    const icd = SWIFTSHADER_ICD_LOCATIONS.find((f) => exists(f));
    if (!icd)
      throw new Unavailable(
        `no software Vulkan driver: none of ${SWIFTSHADER_ICD_LOCATIONS.join(', ')} exists (install chromium, or set VK_ICD_FILENAMES)`,
      );
    set.VK_ICD_FILENAMES = icd;
  }
  // Dawn's Vulkan backend warns when it has no runtime folder; it writes nothing there.
  if (!env.XDG_RUNTIME_DIR) set.XDG_RUNTIME_DIR = os.tmpdir();
  return set;
}

interface DawnModule {
  create(options: string[]): GPU;
  globals: Record<string, unknown>;
}

let dawn: DawnModule | null = null;
let current: AdapterSummary | null = null;

/** Loads Dawn once per process and exposes its globals (GPUBufferUsage, …) to tfjs. */
async function loadDawn(): Promise<DawnModule> {
  if (dawn) return dawn;
  try {
    createRequire(import.meta.url).resolve('webgpu');
  } catch {
    throw new Unavailable('the webgpu package is not installed');
  }
  try {
    dawn = (await import('webgpu')) as unknown as DawnModule;
  } catch (err) {
    throw new Unavailable(
      `the webgpu package's native binary failed to load on ${process.platform}-${process.arch}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  for (const [name, value] of Object.entries(dawn.globals))
    if (!(name in globalThis))
      Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
  return dawn;
}

/**
 * A Dawn instance exposed as `navigator.gpu`, where tfjs' backend checks for WebGPU. Each instance has its own
 * Vulkan instance, whose loader reads the driver variables when it is created.
 */
function exposeInstance(mod: DawnModule): GPU {
  const gpu = mod.create([]);
  // Node 21+ and Electron define `navigator` without `gpu`; Node 20 has none.
  const nav = (globalThis as { navigator?: object }).navigator;
  if (nav) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  return gpu;
}

function summarise(adapter: GPUAdapter, environment: string[]): AdapterSummary {
  const info = adapter.info as GPUAdapterInfo & AdapterInfoLike;
  const fallback = info.isFallbackAdapter ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter;
  return {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    software: isSoftwareAdapter({ ...info, isFallbackAdapter: fallback }),
    maxBufferSize: adapter.limits.maxBufferSize,
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
    environment,
  };
}

/**
 * Starts tfjs on a WebGPU adapter, or throws Unavailable saying why not. A software adapter is refused unless
 * `software` (which also points Vulkan at SwiftShader where needed). Once started in a process, the adapter
 * stays: a second call returns the same one.
 */
export async function startWebgpu(options: {
  software: boolean;
  env?: Record<string, string | undefined>;
}): Promise<AdapterSummary> {
  if (current && tf.findBackend('webgpu')) {
    if (current.software && !options.software)
      throw new Unavailable(`only a software adapter: ${adapterLabel(current)}`);
    if (!(await tf.setBackend('webgpu'))) throw new Unavailable('the webgpu backend failed to start');
    return current;
  }
  const environment: string[] = [];
  if (options.software) {
    // Must be in the process environment before Dawn creates its Vulkan instance.
    const env = options.env ?? process.env;
    for (const [k, v] of Object.entries(softwareVulkanEnvironment(env))) {
      process.env[k] = v;
      environment.push(`${k}=${v}`);
    }
  }
  const gpu = exposeInstance(await loadDawn());
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter)
    throw new Unavailable('no WebGPU adapter (no GPU driver Dawn can use: Vulkan, Metal or D3D12)');
  const summary = summarise(adapter, environment);
  if (summary.software && !options.software)
    throw new Unavailable(
      `only a software adapter: ${adapterLabel(summary)}, slower than the CPU backends (use --software-gpu to run on it anyway)`,
    );
  const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu');
  const l = adapter.limits;
  const device = await adapter.requestDevice({
    // The adapter's own limits rather than WebGPU's defaults, as tfjs' registration asks: larger buffers.
    requiredLimits: {
      maxBufferSize: l.maxBufferSize,
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
    },
  });
  // Importing the package registered its own factory (on an adapter of its choosing): ours replaces it.
  if (tf.engine().registryFactory.webgpu) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => {
    const backend = new WebGPUBackend(device, adapter.info);
    // The memory accounting's tf.profile times kernels too, which warns once where the device lacks timestamp
    // queries; the engine reads only the profile's byte counts, so that warning is no news to the user.
    (backend as unknown as { hasTimestampQueryWarned: boolean }).hasTimestampQueryWarned = true;
    return backend;
  });
  registerWebgpuKernels();
  if (!(await tf.setBackend('webgpu'))) throw new Unavailable('the webgpu backend failed to start');
  current = summary;
  return summary;
}

/** The adapter webgpu runs on, or null when it was never started. */
export function webgpuAdapter(): AdapterSummary | null {
  return current;
}
