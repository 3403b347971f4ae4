/** Temporary folders for tests: created under the OS temp folder, removed whole afterwards. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A new empty folder; `prefix` names it after the tests that use it, to find leftovers. */
export async function makeTempDir(prefix = 'patchgd-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
