/**
 * Issue 18 item 3: a memory budget no step can meet is refused by arithmetic (images as float32, Z, weights)
 * before any probe allocates anything image-sized, so planning stays far below the budget it refuses.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stepFloorBytes } from '../../core/learn/runner/memory.ts';

const CHILD = join(import.meta.dirname, 'budget-child.ts');

function plan(size: number, method: 'patchgd' | 'gd'): { error: string; growthMiB: number } {
  return JSON.parse(
    execFileSync(process.execPath, ['--import', 'tsx', CHILD, String(size), method], {
      encoding: 'utf8',
      timeout: 60_000,
    }),
  ) as { error: string; growthMiB: number };
}

describe('planning under a budget too small for the image', () => {
  it('counts the images (GD) or Z (PatchGD, which streams its patches) and the weights', () => {
    const config = {
      method: 'patchgd',
      imageSize: 8192,
      patchSize: 32,
      batchSize: 2,
      latentDim: 256,
    } as const;
    // PatchGD never holds the images: Z and the weights.
    expect(stepFloorBytes(config, 1000)).toBe(2 * 256 ** 2 * 256 * 4 + 1000);
    expect(stepFloorBytes({ ...config, imageSize: 512, patchSize: 4 }, 0)).toBe(2 * 128 ** 2 * 256 * 4);
    expect(stepFloorBytes({ ...config, method: 'gd' }, 0)).toBe(2 * 8192 ** 2 * 12);
  });

  // PatchGD streams its patches: at these sizes its floor (Z) fits 1 GiB, so only GD is refused by arithmetic.
  for (const [size, method] of [[16384, 'gd']] as const)
    it(`refuses ${size} px (${method}) under 1 GiB before allocating it`, () => {
      const { error, growthMiB } = plan(size, method);
      expect(error).toMatch(
        new RegExp(
          `memory budget 1(\\.0)? GiB is too small: a training step at ${size} px with batch 1 holds at least`,
        ),
      );
      // An image alone is 768 MiB (8192 px) or 3 GiB (16384 px) as float32; none of it may have been made.
      expect(growthMiB).toBeLessThan(200);
    }, 60_000);
});
