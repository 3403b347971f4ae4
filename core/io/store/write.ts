/** Runs store writes as immediate transactions and turns SQLite failures into StoreErrors naming the file. */
import Database from 'better-sqlite3';
import { PatchgdError } from '../../base/errors.ts';
import { StoreError } from './errors.ts';
import type { Store } from './open.ts';
import { now } from './time.ts';

/** Plain-words reasons for the SQLite failures a user can meet (and act on). */
const REASONS: Record<string, string> = {
  SQLITE_BUSY: 'is locked by another process for longer than the wait allows',
  SQLITE_FULL: 'cannot grow: the disk is full',
  SQLITE_READONLY: 'is read-only',
  SQLITE_IOERR: 'cannot be written (input/output error)',
  SQLITE_CORRUPT: 'is damaged',
};

function storeFailure(store: Store, err: unknown): unknown {
  if (err instanceof PatchgdError || !(err instanceof Database.SqliteError)) return err;
  const reason = Object.entries(REASONS).find(([code]) => err.code.startsWith(code))?.[1];
  return new StoreError(store.file, reason ?? `write failed (${err.message})`, { cause: err });
}

/**
 * Runs `fn` in one immediate transaction (the write lock is taken at BEGIN): all of it commits, or none. `fn` gets
 * the time to stamp its rows with, `at` or the clock read under the lock: a time read before waiting for the lock
 * could be earlier than that of a write committed meanwhile, putting history out of order.
 */
export function writeTransaction<T>(store: Store, fn: (time: string) => T, at?: string): T {
  try {
    return store.db.transaction(() => fn(at ?? now())).immediate();
  } catch (err) {
    throw storeFailure(store, err);
  }
}
