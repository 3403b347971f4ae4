/**
 * Relaxed SIMD on the runtime that runs the tests: Node 20 (V8 11.3) gets it through V8's flag, newer runtimes ship
 * it; either way the engine then binds the fused multiply-add kernels.
 */
import { describe, expect, it } from 'vitest';
import { enableRelaxedSimd } from '../../core/learn/backend/relaxed-simd.ts';
import { preferredMultiplyAdd, relaxedSimdValidates } from '../../core/learn/kernels/simd.ts';

describe('enableRelaxedSimd', () => {
  it('leaves V8s other than Node 20’s alone', () => {
    const before = relaxedSimdValidates();
    expect(enableRelaxedSimd('10.2.154.26')).toBe(before ? 'shipped' : 'unavailable');
    expect(relaxedSimdValidates()).toBe(before);
  });

  it('makes this runtime validate relaxed SIMD, so that the kernels take the fused variant', () => {
    const flagged = /^11\.3\./.test(process.versions.v8);
    const before = relaxedSimdValidates();
    expect(before).toBe(!flagged);
    expect(enableRelaxedSimd()).toBe(flagged ? 'enabled by flag' : 'shipped');
    expect(relaxedSimdValidates()).toBe(true);
    expect(preferredMultiplyAdd()).toBe('fused');
    // Asked again, it is there already.
    expect(enableRelaxedSimd()).toBe('shipped');
  });
});
