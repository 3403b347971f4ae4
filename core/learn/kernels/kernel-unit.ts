/**
 * A kernel unit: what one wasm kernel needs, declared in one file. Its generated SIMD functions (`functions`, in the
 * fused or separate multiply-add variant), the methods that call them (`bind`, given one typed call per function,
 * which takes the arguments by the names of the function's parameters), and the tfjs kernel configs and gradients
 * it registers. `registry.ts` lists the units; `simd.ts` assembles a unit's functions into its module.
 */
import type { KernelConfig } from '@tensorflow/tfjs-core';
import type { FunctionSpec } from './wasm-asm.ts';

/** The unit's functions by key; each key's call takes that function's parameters by name. */
export type Specs = Record<string, FunctionSpec>;

/** A call of a function with parameters P: every parameter named, so a missing or misspelled one does not compile. */
export type Call<P extends string> = (args: Readonly<Record<P, number>>) => void;

export type Calls<F extends Specs> = { [K in keyof F]: F[K] extends FunctionSpec<infer P> ? Call<P> : never };

interface Registrations {
  /** tfjs kernel configs for the wasm backend. */
  kernelConfigs?: readonly KernelConfig[];
  /** Registers gradients (and the like) once per process; idempotent. */
  register?: () => void;
}

/** A unit with SIMD functions: `bind` turns the bound calls into the methods the unit's kernels call. */
export interface SimdUnit<F extends Specs, K extends object> extends Registrations {
  /** Names the unit's module (in errors and `.wat` dumps). */
  name: string;
  // Methods, not function-typed properties: any unit is then an `AnySimdUnit` (method parameters are bivariant).
  functions(fused: boolean): F;
  bind(call: Calls<F>): K;
}

export type AnySimdUnit = SimdUnit<Specs, object>;
export type KernelUnit = Registrations | AnySimdUnit;

/** The methods of a unit's bound functions. */
export type KernelsOf<U> = U extends { bind(call: never): infer K } ? K : never;
type Intersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;
/** The methods of several units' bound functions together. */
export type AllKernelsOf<U extends readonly KernelUnit[]> = Intersection<KernelsOf<U[number]>>;

/** A unit with SIMD functions (the identity, typed: K is inferred from `bind`). */
export const simdUnit = <F extends Specs, K extends object>(unit: SimdUnit<F, K>): SimdUnit<F, K> => unit;

/** A unit of kernel configs and gradients only, for kernels built from the shipped ones and other units. */
export const configUnit = (unit: Registrations): Registrations => unit;

export const isSimdUnit = (unit: KernelUnit): unit is AnySimdUnit => 'functions' in unit;

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** `spec` as a call of `exports`' function of its name, the arguments put in its parameters' order. */
export function bindCall<P extends string>(exports: Record<string, unknown>, spec: FunctionSpec<P>): Call<P> {
  const f = exports[spec.name];
  if (typeof f !== 'function') throw new Error(`wasm kernels: the module exports no function '${spec.name}'`);
  const bad = spec.paramNames.find((name) => !IDENTIFIER.test(name));
  if (bad !== undefined) throw new Error(`wasm kernels: '${spec.name}' has a parameter named '${bad}'`);
  // A wrapper compiled per function (`new Function`), reading each argument by its (identifier) name: a generic loop of
  // args[name] lookups costs ~0.2 µs a call against ~10 ns for this, and the GEMM loops are called hundreds of
  // times per convolution gradient.
  const read = spec.paramNames.map((name) => `args.${name}`).join(', ');
  return new Function('f', `return (args) => f(${read});`)(f) as Call<P>;
}
