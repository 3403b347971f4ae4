/** Folder listings turned into "id → file names", without opening or stat-ing the files (fast on 10,000 slides). */
import { readdir } from 'node:fs/promises';
import { DatasetError } from '../../base/errors.ts';

export interface FolderIndex {
  dir: string;
  /** False when the folder does not exist; every lookup then misses. */
  exists: boolean;
  /** File names per id, sorted; more than one name means the id is ambiguous. */
  byId: Map<string, string[]>;
}

/**
 * Groups file names by id: the name minus `suffix` and one of `extensions` (lower case, with the dot; matched
 * case-insensitively). Names that do not fit, and hidden files, are not part of the index.
 */
export function indexNames(
  names: readonly string[],
  extensions: readonly string[],
  suffix = '',
): Map<string, string[]> {
  const byId = new Map<string, string[]>();
  for (const name of [...names].sort()) {
    if (name.startsWith('.')) continue;
    const lower = name.toLowerCase();
    const ext = extensions.find((e) => lower.endsWith(e));
    if (ext === undefined) continue;
    const stem = name.slice(0, name.length - ext.length);
    if (!stem.endsWith(suffix)) continue;
    const id = stem.slice(0, stem.length - suffix.length);
    if (id === '') continue;
    const list = byId.get(id);
    if (list) list.push(name);
    else byId.set(id, [name]);
  }
  return byId;
}

/** Names of the files (and links) in a folder; null when it does not exist. */
export async function listFiles(dir: string): Promise<string[] | null> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.filter((e) => e.isFile() || e.isSymbolicLink()).map((e) => e.name);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ENOTDIR') throw new DatasetError(dir, 'is a file, not a folder', { cause: err });
    throw new DatasetError(dir, `cannot be listed (${code ?? String(err)})`, { cause: err });
  }
}

/** Index of a folder already listed. */
export function folderIndex(
  dir: string,
  names: readonly string[],
  extensions: readonly string[],
): FolderIndex {
  return { dir, exists: true, byId: indexNames(names, extensions) };
}

/** Lists and indexes a folder in one step. */
export async function indexFolder(
  dir: string,
  extensions: readonly string[],
  suffix = '',
): Promise<FolderIndex> {
  const names = await listFiles(dir);
  return { dir, exists: names !== null, byId: indexNames(names ?? [], extensions, suffix) };
}
