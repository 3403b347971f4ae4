/**
 * Source (c): a disk cache of a source's 8-bit patches, one flat file per image and preparation — k² patches of
 * m·m·3 bytes in patch order — written once (every patch prepared in grid order, so tiles are decoded once) and
 * then read back with one positional read per patch, across epochs and runs. The file name is a digest of the
 * image file's bytes and of everything that shapes its patches, so a changed slide or another size or patch
 * size never reads stale pixels.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rm, stat, type FileHandle } from 'node:fs/promises';
import { makeDir } from '../../base/dirs.ts';
import path from 'node:path';
import { commitTemp, tempPathFor } from '../../base/atomic.ts';
import { mapLimit } from '../slide/concurrency.ts';
import { DatasetError } from '../../base/errors.ts';
import { checkIndices, EightBitSource, type RgbPatchSource } from './patch-source.ts';

/** Bumped whenever the preparation of patches changes (resampling, padding), so old caches are not used. */
export const PATCH_CACHE_VERSION = 1;

/** Positional reads of one chunk in flight at once. */
const READS_IN_FLIGHT = 64;

const digests = new Map<string, Promise<string>>();

/** SHA-256 of a file's bytes, computed once per file version (path, size, modification time) in a process. */
export async function fileDigest(file: string): Promise<string> {
  const info = await stat(file).catch((err: NodeJS.ErrnoException) => {
    throw new DatasetError(file, `cannot be read (${err.code ?? String(err)})`, { cause: err });
  });
  const key = `${path.resolve(file)}\0${info.size}\0${info.mtimeMs}`;
  let digest = digests.get(key);
  if (!digest) {
    digest = new Promise<string>((resolve, reject) => {
      const hash = createHash('sha256');
      createReadStream(file)
        .on('data', (chunk) => hash.update(chunk))
        .on('end', () => resolve(hash.digest('hex')))
        .on('error', (err) =>
          reject(new DatasetError(file, `cannot be read (${err.message})`, { cause: err })),
        );
    });
    digests.set(key, digest);
    digest.catch(() => digests.delete(key));
  }
  return digest;
}

/** The cache file of `file`'s patches at this image and patch size. */
export async function patchCachePath(
  dir: string,
  file: string,
  imageSize: number,
  patchSize: number,
): Promise<string> {
  const digest = await fileDigest(file);
  const key = createHash('sha256')
    .update(JSON.stringify({ digest, imageSize, patchSize, version: PATCH_CACHE_VERSION }))
    .digest('hex')
    .slice(0, 32);
  return path.join(dir, `${key}.patches`);
}

/** Patches of an image read from its cache file. */
export class CachedPatchSource extends EightBitSource {
  readonly heldBytes = 0;
  readonly sharedBytes = 0;
  readonly #patchBytes: number;
  readonly #numPatches: number;

  private constructor(
    readonly file: string,
    private readonly handle: FileHandle,
    readonly imageSize: number,
    readonly patchSize: number,
  ) {
    super();
    this.#patchBytes = patchSize * patchSize * 3;
    this.#numPatches = (imageSize / patchSize) ** 2;
  }

  /**
   * Opens the cache of the image `file` at `imageSize` / `patchSize` px in `dir`, writing it first when it does
   * not exist yet: `source()` (opened only then, and closed after) is read row of patches by row of patches into
   * a temporary file that is renamed into place when complete.
   */
  static async open(
    dir: string,
    file: string,
    imageSize: number,
    patchSize: number,
    source: () => Promise<RgbPatchSource>,
  ): Promise<CachedPatchSource> {
    const cache = await patchCachePath(dir, file, imageSize, patchSize);
    const expected = (imageSize / patchSize) ** 2 * patchSize * patchSize * 3;
    const existing = await stat(cache).catch(() => null);
    if (existing?.size !== expected) {
      const from = await source();
      try {
        await writeCache(dir, cache, from);
      } finally {
        await from.close();
      }
    }
    try {
      return new CachedPatchSource(cache, await open(cache, 'r'), imageSize, patchSize);
    } catch (err) {
      throw new DatasetError(cache, `cannot open the patch cache (${String(err)})`, { cause: err });
    }
  }

  async readRgb(indices: readonly number[], out: Uint8Array): Promise<void> {
    checkIndices(indices, this.#numPatches, this.file);
    const size = this.#patchBytes;
    // Every read of the chunk in flight at once: they proceed on libuv's threads while the engine computes.
    const reads = indices.map((n, p) => ({ n, p }));
    await mapLimit(reads, READS_IN_FLIGHT, async ({ n, p }) => {
      const { bytesRead } = await this.handle.read(out, p * size, size, n * size);
      if (bytesRead !== size)
        throw new DatasetError(this.file, `patch ${n} is cut short (the cache file shrank)`);
    });
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

async function writeCache(dir: string, cache: string, source: RgbPatchSource): Promise<void> {
  const k = source.imageSize / source.patchSize;
  await makeDir(dir).catch((err: unknown) => {
    throw new DatasetError(dir, `cannot create the patch cache folder (${String(err)})`, { cause: err });
  });
  const tmp = tempPathFor(cache);
  const row = new Uint8Array(k * source.patchSize ** 2 * 3);
  let handle: FileHandle | null = null;
  try {
    handle = await open(tmp, 'w');
    for (let i = 0; i < k; i++) {
      await source.readRgb(
        Array.from({ length: k }, (_, j) => i * k + j),
        row,
      );
      await handle.write(row, 0, row.length, i * row.length);
    }
    await handle.sync();
    await handle.close();
    handle = null;
    await commitTemp(tmp, cache);
  } catch (err) {
    await handle?.close();
    await rm(tmp, { force: true });
    if (err instanceof DatasetError) throw err;
    throw new DatasetError(cache, `cannot write the patch cache (${String(err)})`, { cause: err });
  }
}
