/** Opens (creating or upgrading) the project store: one SQLite file in a folder the caller owns. */
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { StoreError } from './errors.ts';
import { MIGRATIONS, type Migration } from './migrations.ts';
import { makeDirSync } from '../../base/dirs.ts';

export const STORE_FILE = 'patchgd-studio.sqlite';

/** Milliseconds a connection waits for another one's write lock (a second app window, the CLI). */
const BUSY_TIMEOUT_MS = 5000;

export interface Store {
  readonly db: Database.Database;
  /** The SQLite file, for error messages. */
  readonly file: string;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Applies the pending steps of `steps` in one immediate transaction: a store is either fully upgraded or left
 * as it was, and two processes opening it at once do not both migrate (the version is read under the lock).
 */
export function migrate(
  db: Database.Database,
  file: string,
  steps: readonly Migration[] = MIGRATIONS,
): number {
  const latest = steps.length;
  const upgrade = db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > latest)
      throw new StoreError(
        file,
        `has schema version ${current}, newer than the ${latest} this version of PatchGD Studio knows; update the app`,
      );
    for (const step of steps.slice(current)) {
      db.exec(step.sql);
      db.pragma(`user_version = ${step.version}`);
    }
    return latest;
  });
  return upgrade.immediate();
}

/**
 * Opens the store in `dir` (created if needed). WAL lets the UI read while a job writes. synchronous=FULL
 * fsyncs the WAL on every commit: a saved review is a pathologist's work and must survive a power cut, not
 * only a crash, and reviews are saved at human pace, so the extra fsync costs nothing noticeable.
 */
export function openStore(dir: string): Store {
  const folder = resolve(dir);
  const file = join(folder, STORE_FILE);
  try {
    makeDirSync(folder);
  } catch (err) {
    throw new StoreError(folder, `cannot be created for the project store (${describe(err)})`, {
      cause: err,
    });
  }
  let db: Database.Database | null = null;
  try {
    db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal')
      throw new StoreError(file, `cannot use write-ahead logging (journal mode stays ${mode})`);
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    migrate(db, file);
    return { db, file };
  } catch (err) {
    db?.close();
    if (err instanceof StoreError) throw err;
    throw new StoreError(file, `cannot be opened as a project store (${describe(err)})`, { cause: err });
  }
}

export function closeStore(store: Store): void {
  store.db.close();
}
