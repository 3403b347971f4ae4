import { open, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PatchgdError } from '../../core/base/errors.ts';
import { commitTemp, tempPathFor, writeFileAtomic } from '../../core/base/atomic.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';

let dir: string;
beforeAll(async () => {
  dir = await makeTempDir('patchgd-atomic-');
});
afterAll(() => removeDir(dir));

describe('atomic file writes', () => {
  it('names temporary files hidden, unique and next to the target', () => {
    const file = path.join(dir, 'slide.tiff');
    const a = tempPathFor(file);
    expect(path.dirname(a)).toBe(dir);
    expect(path.basename(a)).toMatch(/^\.slide\.tiff\.\d+\.[0-9a-f]{8}\.tmp$/);
    expect(tempPathFor(file)).not.toBe(a);
  });

  it('commits a streamed temporary file over the target', async () => {
    const file = path.join(dir, 'streamed.bin');
    await writeFile(file, 'old');
    const tmp = tempPathFor(file);
    const handle = await open(tmp, 'wx');
    await handle.write('new content');
    await handle.sync();
    await handle.close();
    expect(await readFile(file, 'utf8')).toBe('old');
    await commitTemp(tmp, file);
    expect(await readFile(file, 'utf8')).toBe('new content');
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('replaces a file whole and leaves no temporary file', async () => {
    const file = path.join(dir, 'labels.csv');
    await writeFileAtomic(file, 'a,b\n');
    await writeFileAtomic(file, 'c,d\n');
    expect(await readFile(file, 'utf8')).toBe('c,d\n');
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('names the file and the reason when it cannot be written', async () => {
    const file = path.join(dir, 'missing-folder', 'x.csv');
    const err = await writeFileAtomic(file, 'x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PatchgdError);
    expect((err as PatchgdError).file).toBe(file);
    expect((err as PatchgdError).problem).toMatch(/cannot be written \(ENOENT\)/);
  });
});
