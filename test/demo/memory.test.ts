import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

describe('streaming slide writer', () => {
  it('keeps RSS growth below 0.45 × the raw size of a large slide', () => {
    const child = path.join(import.meta.dirname, 'memory-child.ts');
    const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', child, '8192'], {
      encoding: 'utf8',
    });
    const { width, height, growth } = JSON.parse(out) as { width: number; height: number; growth: number };
    const raw = width * height * 3;
    expect(raw).toBeGreaterThan(100e6);
    // Measured ≈ 0.3 × raw here (libvips thread buffers, a window of tiles in flight, the reduced levels' row
    // buffers); holding the whole image would exceed 1 × raw.
    expect(growth).toBeLessThan(0.45 * raw);
  }, 120_000);
});
