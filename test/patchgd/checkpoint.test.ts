import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../core/base/errors.ts';
import { writeDirAtomic, recoverDir } from '../../core/base/atomic.ts';
import { loadCheckpoint } from '../../core/learn/runner/checkpoint.ts';
import { loadModel } from '../../core/learn/runner/predict.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';

const fixture = fileURLToPath(new URL('./fixtures/save-loop.ts', import.meta.url));
let root: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await makeTempDir('patchgd-ckpt-');
});
afterAll(async () => {
  await removeDir(root);
});

/** Runs the save loop until it has completed `minSaves` saves, then SIGKILLs it `delayMs` later. */
function saveThenKill(
  runDir: string,
  startVersion: number,
  minSaves: number,
  delayMs: number,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, runDir, String(startVersion)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let completed = 0;
    let last = startVersion - 1;
    let killTimer: NodeJS.Timeout | null = null;
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n').filter(Boolean)) {
        last = Number(line);
        completed++;
      }
      if (completed >= minSaves && !killTimer) killTimer = setTimeout(() => child.kill('SIGKILL'), delayMs);
    });
    child.on('exit', (_code, signal) => {
      if (signal === 'SIGKILL') resolve(last);
      else reject(new Error(`save loop exited by itself: ${stderr.slice(-2000)}`));
    });
  });
}

describe('checkpoints', () => {
  it('killing the process at any moment of a save leaves a complete, loadable checkpoint', async () => {
    const runDir = path.join(root, 'kill');
    let version = 1;
    const delays = [0, 1, 2, 3, 5, 8, 12, 17, 23, 30];
    for (const delay of delays) {
      const lastCompleted = await saveThenKill(runDir, version, 2, delay);
      const ckpt = await loadCheckpoint(runDir, 'last');
      expect(ckpt).not.toBeNull();
      const v = ckpt!.state.globalBatch;
      // The previous or the next version, never a mixture: every weight and the optimizer agree with the state.
      expect(v).toBeGreaterThanOrEqual(lastCompleted);
      expect(v).toBeLessThanOrEqual(lastCompleted + 1);
      expect(ckpt!.optimizer.iteration).toBe(v);
      for (const w of [...ckpt!.backbone.trainableWeights, ...ckpt!.head.trainableWeights]) {
        const values = w.read().dataSync();
        expect(values.every((x) => x === v)).toBe(true);
      }
      ckpt!.backbone.dispose();
      ckpt!.head.dispose();
      version = v + 1;
      // Leftovers of killed saves are swept by the next save: at most the one from this kill remains.
      const entries = await fs.readdir(path.join(runDir, 'checkpoints'));
      expect(entries.filter((e) => e.startsWith('.last.tmp-')).length).toBeLessThanOrEqual(1);
    }
  }, 300_000);

  it('restores the previous version when a save died between its two renames', async () => {
    const parent = path.join(root, 'rename');
    await writeDirAtomic(parent, 'last', new Map([['a.txt', 'one']]));
    // Simulate the crash window: the old version moved aside, the new one not yet in place.
    await fs.rename(path.join(parent, 'last'), path.join(parent, '.last.old'));
    await fs.mkdir(path.join(parent, '.last.tmp-1'));
    expect(await recoverDir(parent, 'last')).toBe(true);
    expect(await fs.readFile(path.join(parent, 'last', 'a.txt'), 'utf8')).toBe('one');
    await writeDirAtomic(parent, 'last', new Map([['a.txt', 'two']]));
    expect(await fs.readFile(path.join(parent, 'last', 'a.txt'), 'utf8')).toBe('two');
    expect((await fs.readdir(parent)).filter((n) => n.startsWith('.last.old'))).toEqual([]);
  });

  it('reports a missing or damaged run clearly', async () => {
    await expect(loadModel(path.join(root, 'nowhere'))).rejects.toThrow(
      /config.json: no training configuration/,
    );
    expect(await loadCheckpoint(path.join(root, 'nowhere'), 'last')).toBeNull();
    const runDir = path.join(root, 'kill');
    await fs.writeFile(
      path.join(runDir, 'checkpoints', 'last', 'backbone', 'weights.bin'),
      new Uint8Array(10),
    );
    await expect(loadCheckpoint(runDir, 'last')).rejects.toThrow(UsageError);
    await expect(loadCheckpoint(runDir, 'last')).rejects.toThrow(/weights.bin: does not match its checksum/);
  });
});
