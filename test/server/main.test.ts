/** `npm run serve` (core/app/server/main.ts) as a user runs it: flags, the printed URL, a bad folder. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, removeDir } from '../helpers/temp.ts';
import { writePandaFolder } from '../app/helpers.ts';
import { call } from './helpers.ts';

const MAIN = fileURLToPath(new URL('../../core/app/server/main.ts', import.meta.url));
let dir: string;

beforeAll(async () => {
  dir = await makeTempDir('patchgd-serve-');
  await writePandaFolder(join(dir, 'panda'), [{ id: 'a1', grade: 2 }]);
});

afterAll(async () => {
  await removeDir(dir);
});

function serve(args: string[]) {
  return spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('npm run serve', () => {
  it('opens the folder given, prints the URL with the token, and stops on SIGTERM', async () => {
    const child = serve([
      '--port',
      '0',
      '--user-data',
      join(dir, 'user'),
      '--open-folder',
      join(dir, 'panda'),
    ]);
    try {
      const url = await new Promise<URL>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const match = /running at (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(out);
          if (match) resolve(new URL(match[1]!));
        });
        child.once('exit', (code) => reject(new Error(`exited with ${code}`)));
      });
      const server = { port: Number(url.port), token: url.searchParams.get('token')! };
      const folders = await call(server, 'folders.recent', {});
      expect(folders.map((f) => f.path)).toEqual([join(dir, 'panda')]);
    } finally {
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });

  it('names the folder and exits non-zero when it cannot be opened', async () => {
    const child = serve([
      '--port',
      '0',
      '--user-data',
      join(dir, 'user2'),
      '--open-folder',
      join(dir, 'missing'),
    ]);
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(err.trim()).toBe(`error: ${join(dir, 'missing')}: does not exist`);
  });
});
