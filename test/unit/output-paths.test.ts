/**
 * Issue 18 item 12: output paths and sizes are checked before any work, each failure one line naming the path; no
 * folder creation can spin (Node's recursive mkdir loops forever under /proc, deaf to Ctrl-C).
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkOutputDir, makeDir, makeDirSync } from '../../core/base/dirs.ts';
import { UsageError } from '../../core/base/errors.ts';
import { cli } from '../helpers/cli.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';

let dir: string;
let file: string;
const linux = process.platform === 'linux';

beforeAll(async () => {
  dir = await makeTempDir('patchgd-paths-');
  file = join(dir, 'a-file');
  await writeFile(file, 'x');
});
afterAll(() => removeDir(dir));

function problem(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as UsageError).message;
  }
  throw new Error('did not throw');
}

describe('checkOutputDir', () => {
  it('accepts a folder to be made inside a writable one, and refuses files and virtual file systems', () => {
    expect(checkOutputDir(join(dir, 'new', 'deeper'))).toBe(join(dir, 'new', 'deeper'));
    expect(problem(() => checkOutputDir(file))).toBe(`${file}: is a file, not a folder`);
    expect(problem(() => checkOutputDir(join(file, 'run')))).toBe(
      `${join(file, 'run')}: cannot be created: ${file} is a file, not a folder`,
    );
    if (linux) {
      expect(problem(() => checkOutputDir('/proc/patchgd-run'))).toBe(
        '/proc/patchgd-run: is on the proc virtual file system, which holds no files',
      );
      expect(problem(() => checkOutputDir('/sys/kernel/patchgd'))).toMatch(/sysfs virtual file system/);
    }
  });
});

describe('makeDir', () => {
  it('creates missing parents, and ends with one error under /proc instead of spinning', async () => {
    await makeDir(join(dir, 'x', 'y', 'z'));
    makeDirSync(join(dir, 'x', 'y', 'w'));
    expect(existsSync(join(dir, 'x', 'y', 'z')) && existsSync(join(dir, 'x', 'y', 'w'))).toBe(true);
    await expect(makeDir(join(file, 'sub'))).rejects.toThrow(`cannot be created: ${file} is a file`);
    if (linux) {
      await expect(makeDir('/proc/patchgd-x/y')).rejects.toThrow(
        /^\/proc\/patchgd-x\/y: cannot be created \(/,
      );
      expect(() => makeDirSync('/proc/self/patchgd-x/y')).toThrow(/cannot be created \(/);
    }
  });
});

describe('the CLI, before any work', () => {
  const errorLine = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('error: '));

  it.runIf(linux)(
    'train --out under /proc fails at once instead of hanging',
    async () => {
      const r = await cli(
        ['train', '--data', dir, '--out', '/proc/patchgd-run', '--epochs', '1'],
        {},
        30_000,
      );
      expect(r.code).toBe(1);
      expect(errorLine(r.stderr)).toEqual([
        'error: /proc/patchgd-run: is on the proc virtual file system, which holds no files',
      ]);
    },
    40_000,
  );

  it('train --out that is a file, and an absurd --image-size, are one-line errors', async () => {
    const out = await cli(['train', '--data', dir, '--out', file, '--epochs', '1'], {}, 30_000);
    expect(out.code).toBe(1);
    expect(errorLine(out.stderr)).toEqual([`error: ${file}: is a file, not a folder`]);
    const size = await cli(
      ['train', '--data', dir, '--out', join(dir, 'run'), '--image-size', '1000000'],
      {},
      30_000,
    );
    expect(size.code).toBe(1);
    expect(errorLine(size.stderr)).toEqual([
      'error: invalid training configuration: imageSize: Too big: expected number to be <=32768',
    ]);
    expect(size.stderr).not.toMatch(/typed array/i);
  }, 60_000);

  it('grade --out that is a file fails before any model or slide is read', async () => {
    const r = await cli(
      ['grade', '--model', join(dir, 'no-run'), '--data', join(dir, 'no-data'), '--out', file],
      {},
      30_000,
    );
    expect(r.code).toBe(1);
    expect(errorLine(r.stderr)).toEqual([`error: ${file}: is a file, not a folder`]);
  }, 40_000);
});
