import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { PatchgdError } from './errors.ts';
import { makeDir } from './dirs.ts';

/**
 * Crash-safe writes: a reader (or a restarted process) sees either the old or the new content, never half of it,
 * even if the process is killed or the disk fills up mid-write.
 */

/** Writes a file and flushes it to disk before returning. */
async function writeDurable(file: string, data: Uint8Array | string): Promise<void> {
  const handle = await fs.open(file, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Flushes a directory's entries (renames, creations) to disk; a no-op where directories cannot be opened. */
async function syncDir(dir: string): Promise<void> {
  let handle: fs.FileHandle | null = null;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    // Windows cannot fsync a directory; its renames are already durable enough for our purpose.
  } finally {
    await handle?.close();
  }
}

/**
 * A unique hidden temporary name next to `file`: the same folder keeps the final rename on one file system, and
 * the leading dot keeps it out of listings while it is written.
 */
export function tempPathFor(file: string): string {
  return path.join(
    path.dirname(file),
    `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
}

/**
 * Moves a complete temporary file (already flushed with fsync) over `file`, then flushes the folder so the
 * rename itself survives a crash.
 */
export async function commitTemp(tmp: string, file: string): Promise<void> {
  await fs.rename(tmp, file);
  await syncDir(path.dirname(file));
}

/**
 * Atomic file write: a uniquely named temp file in the same folder, fsync, rename over the target. A failure
 * (full disk, missing folder, permissions) removes the temp file and leaves the target as it was.
 */
export async function writeFileAtomic(file: string, data: Uint8Array | string): Promise<void> {
  const tmp = tempPathFor(file);
  try {
    await writeDurable(tmp, data);
    await commitTemp(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    const code = (err as NodeJS.ErrnoException).code;
    throw new PatchgdError(file, `cannot be written (${code ?? (err as Error).message})`, { cause: err });
  }
}

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(
    () => true,
    () => false,
  );
}

const oldName = (name: string) => `.${name}.old`;

/**
 * Makes `parent/name` valid again after a crash in the middle of `writeDirAtomic`: if only the previous version
 * (`.name.old`) survived, it is moved back. Returns whether `parent/name` exists.
 */
export async function recoverDir(parent: string, name: string): Promise<boolean> {
  const target = path.join(parent, name);
  if (await exists(target)) return true;
  const old = path.join(parent, oldName(name));
  if (!(await exists(old))) return false;
  await fs.rename(old, target);
  await syncDir(parent);
  return true;
}

/**
 * Replaces the folder `parent/name` by one holding `files` (relative path → content) so that a kill at any moment
 * leaves either the previous or the new version: the new folder is written and flushed under a temporary name;
 * then the previous one is moved aside, the new one moved in, and the previous one deleted. The only window with
 * no `name` has `.name.old` complete, which `recoverDir` restores.
 */
export async function writeDirAtomic(
  parent: string,
  name: string,
  files: Map<string, Uint8Array | string>,
): Promise<void> {
  await makeDir(parent);
  await recoverDir(parent, name);
  // Sweep temporary folders of saves that were killed (this process's own included).
  for (const entry of await fs.readdir(parent)) {
    if (entry.startsWith(`.${name}.tmp-`))
      await fs.rm(path.join(parent, entry), { recursive: true, force: true });
  }
  const tmp = path.join(parent, `.${name}.tmp-${process.pid}`);
  const dirs = new Set<string>([tmp]);
  for (const [rel, data] of files) {
    const file = path.join(tmp, rel);
    await makeDir(path.dirname(file));
    dirs.add(path.dirname(file));
    await writeDurable(file, data);
  }
  for (const dir of dirs) await syncDir(dir);
  const target = path.join(parent, name);
  const old = path.join(parent, oldName(name));
  await fs.rm(old, { recursive: true, force: true });
  if (await exists(target)) await fs.rename(target, old);
  await fs.rename(tmp, target);
  await syncDir(parent);
  await fs.rm(old, { recursive: true, force: true });
}
