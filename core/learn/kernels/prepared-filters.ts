/**
 * Filters prepared for the GEMM loops (packed into strips, rotated, Winograd-transformed), kept while the
 * filter's data lives. A Z fill runs every chunk, and PatchGD's inner iterations every forward pass and input
 * gradient, on the same weights until the optimizer step writes new ones (new data, so new keys): each layer's
 * filter is then prepared once per step instead of once per call. For ResNet50 that preparation is ≈ 94 MB of
 * weights rewritten per forward pass (tens of ms on one thread, test/bench/RESULTS.md).
 *
 * An entry goes when a later lookup finds its filter's data freed; until then (at most one set of weights
 * behind) it holds wasm heap outside tfjs' tensor count, which `preparedFilterBytes` reports.
 */
import { util, type DataId, type KernelBackend, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { wasmScope, type WasmOps } from './wasm-ops.ts';

const held = new WeakMap<KernelBackend, Map<DataId, Map<string, TensorInfo>>>();

function entries(backend: KernelBackend): Map<DataId, Map<string, TensorInfo>> {
  let map = held.get(backend);
  if (!map) held.set(backend, (map = new Map()));
  return map;
}

/** Frees the prepared filters whose filter data the backend no longer holds. */
function sweep(backend: KernelBackend, map: Map<DataId, Map<string, TensorInfo>>): void {
  const live = (backend as BackendWasm).dataIdMap;
  for (const [id, variants] of map)
    if (!live.has(id)) {
      for (const t of variants.values()) backend.disposeData(t.dataId);
      map.delete(id);
    }
}

/**
 * `filter` prepared by `prepare` (which runs in its own scope; its result is kept), once per filter data, shape and
 * `variant` (a name for the preparation and anything else it depends on).
 */
export function preparedFilter(
  backend: KernelBackend,
  filter: TensorInfo,
  variant: string,
  prepare: (ops: WasmOps) => TensorInfo,
): TensorInfo {
  const map = entries(backend);
  sweep(backend, map);
  let variants = map.get(filter.dataId);
  if (!variants) map.set(filter.dataId, (variants = new Map()));
  // Data can be seen through another shape (a reshape shares it).
  const key = `${variant} [${filter.shape.join(', ')}]`;
  let prepared = variants.get(key);
  if (!prepared) {
    // A preparation that changes nothing (a transpose of size-1 axes) shares the filter's data, and holding that
    // would keep the filter's data alive: keep a copy instead.
    const own = (ops: WasmOps) => {
      const out = prepare(ops);
      return out.dataId === filter.dataId ? ops.copy(out) : out;
    };
    variants.set(key, (prepared = wasmScope(backend, own)));
  }
  return prepared;
}

/**
 * Bytes of the prepared filters `backend` holds: wasm heap that tfjs' tensor count (and so tf.profile's peak) does
 * not see, which memory accounting adds (`core/learn/runner/memory.ts`, the engine threads).
 */
export function preparedFilterBytes(backend: KernelBackend): number {
  let bytes = 0;
  for (const variants of entries(backend).values())
    for (const t of variants.values()) bytes += util.sizeFromShape(t.shape) * 4;
  return bytes;
}
