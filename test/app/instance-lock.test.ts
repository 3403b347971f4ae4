/**
 * Issue 18 item 10: one app instance per user-data folder. A second browser-mode server on the folder is refused
 * with a one-line error before it touches the store (it used to mark the first one's live run failed and train
 * it too); a killed instance leaves no stale lock.
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreError } from '../../core/io/store/index.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';
import { call } from '../server/helpers.ts';
import { testContext } from './helpers.ts';

const MAIN = fileURLToPath(new URL('../../core/app/server/main.ts', import.meta.url));
let dir: string;

beforeAll(async () => {
  dir = await makeTempDir('patchgd-lock-');
  await mkdir(join(dir, 'renderer'));
  await writeFile(join(dir, 'renderer', 'index.html'), '<!doctype html><title>t</title>');
});
afterAll(() => removeDir(dir));

/** Starts `npm run serve` on a user-data folder: its URL once listening, or its exit code and stderr. */
function serve(userData: string) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', MAIN, '--port', '0', '--user-data', userData, '--renderer', join(dir, 'renderer')],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const started = new Promise<{ port: number; token: string } | { code: number | null; stderr: string }>(
    (resolve) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /running at (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(out);
        if (match) {
          const url = new URL(match[1]!);
          resolve({ port: Number(url.port), token: url.searchParams.get('token')! });
        }
      });
      child.once('exit', (code) => resolve({ code, stderr: err }));
    },
  );
  return { child, started };
}

describe('one instance per user-data folder', () => {
  it('refuses a second server on the folder clearly, keeps the first, and frees the folder when it is killed', async () => {
    const user = join(dir, 'user');
    const first = serve(user);
    try {
      const running = await first.started;
      if (!('port' in running)) throw new Error(`first server failed: ${running.stderr}`);
      const second = await serve(user).started;
      expect(second).toEqual({
        code: 1,
        stderr: `error: ${user}: is in use by another PatchGD Studio (process ${first.child.pid}); close it first, or choose another user-data folder\n`,
      });
      // The first is untouched and serving.
      expect(await call(running, 'folders.recent', {})).toEqual([]);
    } finally {
      const exited = new Promise((resolve) => first.child.once('exit', resolve));
      first.child.kill('SIGKILL');
      await exited;
    }
    // A killed instance's lock goes with it.
    const third = serve(user);
    try {
      const running = await third.started;
      expect('port' in running, JSON.stringify(running)).toBe(true);
    } finally {
      third.child.kill('SIGTERM');
    }
  }, 60_000);

  it('holds within one process too, until the context is closed', async () => {
    const user = join(dir, 'in-process');
    const ctx = testContext(user);
    let second: unknown = null;
    try {
      testContext(user);
    } catch (err) {
      second = err;
    } finally {
      await ctx.close();
    }
    expect(second).toBeInstanceOf(StoreError);
    expect((second as StoreError).problem).toMatch(/is in use by another PatchGD Studio \(process \d+\)/);
    const again = testContext(user);
    await again.close();
  });
});
