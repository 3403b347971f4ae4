import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = path.join(import.meta.dirname, '../../core/cli/bin.mjs');
const run = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });

describe('patchgd demo-data', () => {
  it('writes the dataset and prints a JSON summary', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'patchgd-demo-cli-'));
    try {
      const r = run(['demo-data', '--out', dir, '--slides', '2', '--seed', '9', '--size', '768']);
      expect(r.status, r.stderr).toBe(0);
      const summary = JSON.parse(r.stdout) as { slides: number; perGrade: number[]; bytes: number };
      expect(summary.slides).toBe(2);
      expect(summary.perGrade.reduce((a, b) => a + b, 0)).toBe(2);
      expect(summary.bytes).toBeGreaterThan(1000);
      const csv = await readFile(path.join(dir, 'train.csv'), 'utf8');
      expect(csv.trim().split('\n')).toHaveLength(3);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports bad input as a one-line error, not a crash', () => {
    const r = run(['demo-data', '--out', path.join(os.tmpdir(), 'unused'), '--size', 'big']);
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim()).toBe("error: --size must be an integer ≥ 0, got 'big'");
    const r2 = run(['demo-data', '--out', path.join(os.tmpdir(), 'unused'), '--size', '100']);
    expect(r2.status).toBe(1);
    expect(r2.stderr.trim()).toBe('error: size must be an integer in 512..200000, got 100');
  });
});

describe('patchgd demo', () => {
  it('builds the demo dataset and prints its dataset summary', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'demo-main-'));
    try {
      const out = path.join(dir, 'demo');
      const r = run(['demo', '--out', out, '--slides', '6', '--size', '1024', '--seed', '3']);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^generated 6 slides of 1024 px \(seed 3\)/);
      expect(r.stdout).toContain(`dataset    ${out} (panda)`);
      expect(r.stdout).toContain('items      6 (6 usable)');
      expect(r.stdout).toContain('classes    6: 0=1 1=1 2=1 3=1 4=1 5=1');
      expect(r.stdout).toContain('findings   0 errors, 0 warnings');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
