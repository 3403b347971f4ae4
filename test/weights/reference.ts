/** The PyTorch side of the weight tests: test/weights/torch_reference.py through Debian's python3-torch. */
import { execFile, spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { readNpy, type NpyArray } from '../../core/io/weights/npy.ts';

const PYTHON = '/usr/bin/python3';
const SCRIPT = path.resolve('test/weights/torch_reference.py');
const run = promisify(execFile);

/** Why the PyTorch comparisons cannot run here, or null when torch and torchvision import. */
export const torchMissing: string | null = (() => {
  const probe = spawnSync(PYTHON, ['-c', 'import torch, torchvision, numpy'], { encoding: 'utf8' });
  return probe.status === 0
    ? null
    : `needs ${PYTHON} with torch and torchvision (Debian python3-torch, python3-torchvision): ${probe.stderr.trim().split('\n').at(-1) ?? 'not found'}`;
})();

/** Runs a command of the reference script (see its docstring). */
export async function reference(...args: string[]): Promise<void> {
  await run(PYTHON, [SCRIPT, ...args], { maxBuffer: 16 * 1024 * 1024 });
}

export async function readNpyFile(file: string): Promise<NpyArray> {
  return readNpy(new Uint8Array(await readFile(file)), file);
}

/** max |a − b| over max |b| of arrays taken together (as one output or one gradient vector). */
export function relativeError(pairs: ReadonlyArray<readonly [ArrayLike<number>, ArrayLike<number>]>): number {
  let err = 0;
  let scale = 0;
  for (const [a, b] of pairs) {
    if (a.length !== b.length) throw new Error(`length ${a.length} ≠ ${b.length}`);
    for (let i = 0; i < b.length; i++) {
      err = Math.max(err, Math.abs(a[i]! - b[i]!));
      scale = Math.max(scale, Math.abs(b[i]!));
    }
  }
  return err / scale;
}
