/**
 * One app instance per user-data folder (as Electron's single-instance lock, but per folder and for every front
 * door): two back ends on one folder would both resume and train the same run. The lock is SQLite's exclusive
 * lock on a small file of its own — a POSIX/Windows file lock the OS drops when the process dies, so a crash
 * never leaves a stale lock, and a pid number reused by another program cannot fake one.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { StoreError } from './errors.ts';
import { makeDirSync } from '../../base/dirs.ts';

export const LOCK_FILE = 'instance.lock';
/** Beside the lock: who holds it, for the refusal message (the locked file itself cannot be read). */
const HOLDER_FILE = 'instance.pid';

export interface InstanceLock {
  release(): void;
}

function holder(folder: string): string {
  try {
    const pid = Number.parseInt(readFileSync(join(folder, HOLDER_FILE), 'utf8'), 10);
    return Number.isInteger(pid) ? ` (process ${pid})` : '';
  } catch {
    return '';
  }
}

/** Takes the folder's instance lock (creating the folder), or throws a StoreError saying who holds it. */
export function lockUserData(dir: string): InstanceLock {
  const folder = resolve(dir);
  let db: Database.Database | null = null;
  try {
    makeDirSync(folder);
    // No busy wait: the holder keeps the lock for its whole life.
    db = new Database(join(folder, LOCK_FILE), { timeout: 0 });
    db.pragma('locking_mode = EXCLUSIVE');
    // The first write transaction takes the exclusive lock, which EXCLUSIVE mode keeps until close.
    db.exec('BEGIN EXCLUSIVE; CREATE TABLE IF NOT EXISTS instance (id INTEGER); COMMIT');
  } catch (err) {
    db?.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY')
      throw new StoreError(
        folder,
        `is in use by another PatchGD Studio${holder(folder)}; close it first, or choose another user-data folder`,
      );
    throw new StoreError(folder, `cannot be locked for this app instance (${(err as Error).message})`, {
      cause: err,
    });
  }
  writeFileSync(join(folder, HOLDER_FILE), `${process.pid}\n`);
  const locked = db;
  return { release: () => locked.close() };
}
