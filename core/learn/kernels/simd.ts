/**
 * Module assembly and feature detection for the hand-written SIMD loops that run directly on the wasm backend's
 * heap, for work XNNPACK has no fast formulation of. Each kernel unit's functions (`kernel-unit.ts`) are encoded by
 * `wasm-asm.ts` into a module of the unit's own that imports the backend's WebAssembly.Memory, so its functions
 * read and write tensors in place through their heap offsets: no copies, no engine round trip.
 *
 * Available only where the backend's memory is reachable and not shared (the single-threaded build this project
 * runs; the threaded build's shared memory would need a shared import) and the runtime validates SIMD; callers
 * fall back to XNNPACK formulations or the shipped kernels otherwise.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { MultiplyAdd } from '../../shared/backend-names.ts';
import {
  bindCall,
  type AllKernelsOf,
  type AnySimdUnit,
  type Call,
  type Calls,
  type SimdUnit,
  type Specs,
} from './kernel-unit.ts';
import { encodeModule, multiplyAdd, op, type FunctionSpec } from './wasm-asm.ts';

export type { MultiplyAdd };

interface Memory {
  buffer: ArrayBuffer | SharedArrayBuffer;
}
/** The part of the WebAssembly JS API used here (the project's TypeScript libs declare none of it). */
interface WasmApi {
  Memory: abstract new (...args: never[]) => Memory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  validate(bytes: Uint8Array): boolean;
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** A module of one function storing a·b + c of zero vectors, in the variant's multiply-add. */
const probe = (fused: boolean): FunctionSpec => {
  const zero = op.i8x16Const(0);
  const body = [...multiplyAdd(fused, zero, zero, zero), ...op.set(0)];
  return { name: 'probe', params: [], paramNames: [], locals: ['v128'], body: [body] };
};

/** Whether this runtime validates relaxed SIMD now (asked afresh each time, unlike `preferredMultiplyAdd`). */
export function relaxedSimdValidates(): boolean {
  return wasmApi.validate(encodeModule([probe(true)]));
}

/** Whether each variant validates: SIMD with relaxed SIMD's fused multiply-add, and plain SIMD; asked once. */
const variants = new Map<MultiplyAdd, boolean>();

/** The fused variant where this runtime runs relaxed SIMD, else the separate one; null without SIMD. */
export function preferredMultiplyAdd(): MultiplyAdd | null {
  for (const variant of ['fused', 'separate'] as const) {
    if (!variants.has(variant))
      variants.set(variant, wasmApi.validate(encodeModule([probe(variant === 'fused')])));
    if (variants.get(variant)) return variant;
  }
  return null;
}

/** A unit's module in one variant: its bytes and the function specs they encode. */
export interface Assembled<F extends Specs = Specs> {
  bytes: Uint8Array;
  specs: F;
}

/** Each unit's module per variant, or null when this runtime rejects it; encoded and validated once. */
const modules = new WeakMap<AnySimdUnit, Map<MultiplyAdd, Assembled | null>>();

/** The unit's functions, the convolution ones in the `fused` variant, as one module; null where it does not validate. */
export function assembledModule<F extends Specs>(
  unit: SimdUnit<F, object>,
  multiplyAdd: MultiplyAdd,
): Assembled<F> | null {
  const perVariant = modules.get(unit) ?? new Map<MultiplyAdd, Assembled | null>();
  modules.set(unit, perVariant);
  if (!perVariant.has(multiplyAdd)) {
    const specs = unit.functions(multiplyAdd === 'fused');
    const bytes = encodeModule(Object.values(specs));
    perVariant.set(multiplyAdd, wasmApi.validate(bytes) ? { bytes, specs } : null);
  }
  return perVariant.get(multiplyAdd) as Assembled<F> | null;
}

/** The unit's methods in the `multiplyAdd` variant bound to `memory`; null for shared memory or a rejected module. */
export function bindUnit<F extends Specs, K extends object>(
  unit: SimdUnit<F, K>,
  memory: Memory,
  multiplyAdd: MultiplyAdd,
): K | null {
  // Browsers without cross-origin isolation have no SharedArrayBuffer at all (and then no shared memory).
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  const assembled = assembledModule(unit, multiplyAdd);
  if (shared || !assembled) return null;
  const { exports } = new wasmApi.Instance(new wasmApi.Module(assembled.bytes), { env: { memory } });
  const calls: Record<string, Call<string>> = {};
  for (const [key, spec] of Object.entries(assembled.specs)) calls[key] = bindCall(exports, spec);
  return unit.bind(calls as Calls<F>);
}

/** The methods of `units` in one object, or null where one unit's are; a method name bound twice is an error. */
function merged<U extends readonly AnySimdUnit[]>(units: U, methodsOf: (unit: AnySimdUnit) => object | null) {
  const kernels: Record<string, unknown> = {};
  for (const unit of units) {
    const methods = methodsOf(unit);
    if (!methods) return null;
    for (const [name, method] of Object.entries(methods)) {
      if (name in kernels)
        throw new Error(`wasm kernels: unit '${unit.name}' binds a second method '${name}'`);
      kernels[name] = method;
    }
  }
  return kernels as AllKernelsOf<U>;
}

/** The methods of every unit of `units` bound to `memory`, or null where one cannot run. For tests of both variants. */
export const bindUnits = <U extends readonly AnySimdUnit[]>(
  units: U,
  memory: Memory,
  multiplyAdd: MultiplyAdd,
) => merged(units, (unit) => bindUnit(unit, memory, multiplyAdd));

/** Per memory: each unit's methods in the preferred variant, and merged lists of them (null where they cannot run). */
const instances = new WeakMap<Memory, Map<object, object | null>>();

function boundOn(backend: BackendWasm): Map<object, object | null> | null {
  const memory = (backend.wasm as unknown as { asm?: { memory?: unknown } }).asm?.memory;
  if (!(memory instanceof wasmApi.Memory)) return null;
  const bound = instances.get(memory) ?? new Map<object, object | null>();
  instances.set(memory, bound);
  return bound;
}

/** The unit's methods (fused multiply-add where the runtime has it) bound to `backend`'s memory, or null. */
export function unitKernels<F extends Specs, K extends object>(
  unit: SimdUnit<F, K>,
  backend: BackendWasm,
): K | null {
  const bound = boundOn(backend);
  if (!bound) return null;
  if (!bound.has(unit)) {
    const memory = (backend.wasm as unknown as { asm: { memory: Memory } }).asm.memory;
    const multiplyAdd = preferredMultiplyAdd();
    bound.set(unit, multiplyAdd && bindUnit(unit, memory, multiplyAdd));
  }
  return (bound.get(unit) ?? null) as K | null;
}

/** The methods of several units in one object, as `unitKernels`; cached per `units` array: pass one defined once. */
export function unitsKernels<U extends readonly AnySimdUnit[]>(
  units: U,
  backend: BackendWasm,
): AllKernelsOf<U> | null {
  const bound = boundOn(backend);
  if (!bound) return null;
  if (!bound.has(units))
    bound.set(units, merged(units, (unit) => unitKernels(unit, backend)) as object | null);
  return (bound.get(units) ?? null) as AllKernelsOf<U> | null;
}
