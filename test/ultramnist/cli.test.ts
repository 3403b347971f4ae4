import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.ts';

let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'ultramnist-cli-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('patchgd ultramnist', () => {
  it('writes the dataset layout and prints a JSON summary', async () => {
    const out = path.join(tmp, 'test-set');
    const args = ['--out', out, '--count', '12', '--size', '128', '--classes', '10', '--seed', '3'];
    const r = await cli(['ultramnist', ...args, '--split', 'test']);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ count: 12, size: 128, classes: 10, seed: 3, split: 'test' });
    expect(summary.classCounts).toHaveLength(10);
    expect(r.stderr).toContain('12/12 images');
    const lines = (await readFile(path.join(out, 'labels.csv'), 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(13);
    expect(lines[0]).toBe('image_id,label');
    for (const line of lines.slice(1)) expect(line).toMatch(/^test_\d{5},[0-9]$/);
    const images = await readdir(path.join(out, 'images'));
    expect(images.sort()).toEqual(lines.slice(1).map((l) => `${l.split(',')[0]}.png`));
  });

  it('fails with a one-line error and a non-zero exit on bad options', async () => {
    for (const [args, message] of [
      [['--size', 'big'], "error: --size must be an integer, got 'big'"],
      [['--size', '16'], 'error: --size must be an integer in 64..8192, got 16'],
      [['--classes', '40'], 'error: --classes must be an integer in 1..28, got 40'],
      [['--split', 'val'], 'error: --split must be train or test, got "val"'],
    ] as const) {
      const r = await cli(['ultramnist', '--out', path.join(tmp, 'bad'), '--quiet', ...args]);
      expect(r.code).not.toBe(0);
      expect(r.stderr.trim()).toBe(message);
    }
  });
});
