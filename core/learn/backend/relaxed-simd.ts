/**
 * Relaxed SIMD for the wasm engine on Node 20. Its fused multiply-add is what lifts the project's convolution loops
 * past the multiply-then-add ceiling of 128-bit SIMD (measured in test/bench/RESULTS.md, Train). Electron's Chromium
 * and Node ≥ 21 run it as shipped; Node 20's V8 (11.3) has the finished feature behind a flag, which this sets. V8
 * flags are process-wide, so engine threads started afterwards validate it too. Both multiply-add variants of the
 * kernels are tested against plain loops (test/engine/wasm-simd-variants.test.ts).
 */
import v8 from 'node:v8';
import type { RelaxedSimd } from '../../shared/backend-names.ts';
import { relaxedSimdValidates } from '../kernels/simd.ts';

/**
 * The V8 of Node 20, the oldest Node the project runs on: relaxed SIMD complete, with its final opcodes, behind
 * `--experimental-wasm-relaxed-simd`; V8 11.4 shipped it. Other V8s are left alone (an unknown flag only prints a
 * warning, and older ones had other opcodes).
 */
const FLAGGED_V8 = /^11\.3\./;

/** Turns relaxed SIMD on where V8 has it only behind a flag; call before the wasm kernels are first bound. */
export function enableRelaxedSimd(v8Version = process.versions.v8 ?? ''): RelaxedSimd {
  if (relaxedSimdValidates()) return 'shipped';
  if (!FLAGGED_V8.test(v8Version)) return 'unavailable';
  v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  return relaxedSimdValidates() ? 'enabled by flag' : 'unavailable';
}
