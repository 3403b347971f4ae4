/**
 * Folders the app writes into: checked before any work starts, and created one level at a time. Node's
 * `mkdir(…, { recursive: true })` spins at 100 % CPU forever where a parent exists but refuses new entries (any
 * path under /proc), ignoring Ctrl-C; ESLint bans it in core/ and electron/ (eslint.config.js).
 */
import { accessSync, constants, mkdirSync, statfsSync, statSync, type Stats } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { PatchgdError, UsageError } from './errors.ts';

/** statfs magic numbers of Linux file systems that hold no files (proc(5), sysfs, cgroups, debugfs, tracefs…). */
const VIRTUAL_FILE_SYSTEMS: ReadonlyMap<number, string> = new Map([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0x1cd1, 'devpts'],
]);

function code(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? String(err);
}

function statOrNull(p: string): Stats | null {
  try {
    return statSync(p);
  } catch {
    return null;
  }
}

/**
 * Checks that `dir` is, or can become, a folder to write into, before any work: it is not a file, its nearest
 * existing ancestor is a writable folder on a real file system. Throws a one-line UsageError naming `dir`.
 */
export function checkOutputDir(dir: string): string {
  const target = path.resolve(dir);
  let existing = target;
  let found = statOrNull(existing);
  while (!found) {
    const parent = path.dirname(existing);
    if (parent === existing) break;
    existing = parent;
    found = statOrNull(existing);
  }
  if (!found) throw new UsageError(target, 'cannot be created (no part of the path exists)');
  if (!found.isDirectory())
    throw new UsageError(
      target,
      existing === target
        ? 'is a file, not a folder'
        : `cannot be created: ${existing} is a file, not a folder`,
    );
  const fsType = VIRTUAL_FILE_SYSTEMS.get(Number(statfsSync(existing).type));
  if (fsType) throw new UsageError(target, `is on the ${fsType} virtual file system, which holds no files`);
  try {
    accessSync(existing, constants.W_OK | constants.X_OK);
  } catch {
    throw new UsageError(
      target,
      existing === target ? 'is not writable' : `cannot be created: ${existing} is not writable`,
    );
  }
  return target;
}

function failure(dir: string, sub: string, err: unknown): PatchgdError {
  return new PatchgdError(dir, `cannot be created (${code(err)} at ${sub})`, { cause: err });
}

/** Each prefix of `dir`, root first. */
function prefixes(dir: string): string[] {
  const parts = path.resolve(dir).split(path.sep);
  return parts.slice(1).map((_, i) => parts.slice(0, i + 2).join(path.sep) || path.sep);
}

/** `mkdir -p` that ends after one pass: creates `dir` and its missing parents one level at a time. */
export async function makeDir(dir: string): Promise<void> {
  for (const sub of prefixes(dir)) {
    try {
      await mkdir(sub);
    } catch (err) {
      // An existing folder may answer EEXIST, or EACCES/EROFS where its parent is not ours: either is fine.
      const found = await stat(sub).catch(() => null);
      if (!found) throw failure(dir, sub, err);
      if (!found.isDirectory()) throw new PatchgdError(dir, `cannot be created: ${sub} is a file`);
    }
  }
}

/** The synchronous `makeDir`. */
export function makeDirSync(dir: string): void {
  for (const sub of prefixes(dir)) {
    try {
      mkdirSync(sub);
    } catch (err) {
      const found = statOrNull(sub);
      if (!found) throw failure(dir, sub, err);
      if (!found.isDirectory()) throw new PatchgdError(dir, `cannot be created: ${sub} is a file`);
    }
  }
}
