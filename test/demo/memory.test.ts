import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

describe('streaming slide writer', () => {
  it('keeps RSS growth under half the raw size of a large slide', () => {
    const child = path.join(import.meta.dirname, 'memory-child.ts');
    const out = execFileSync(process.execPath, ['--import', 'tsx', child, '8192'], { encoding: 'utf8' });
    const { width, height, growth } = JSON.parse(out) as { width: number; height: number; growth: number };
    const raw = width * height * 3;
    expect(raw).toBeGreaterThan(100e6);
    // Measured ≈ 0.4 × raw here (libvips thread buffers and not-yet-collected tiles); a whole-image buffer
    // (plus the reduced levels) would exceed 1 × raw.
    expect(growth).toBeLessThan(0.5 * raw);
  }, 120_000);
});
