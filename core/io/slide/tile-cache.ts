import type { RgbImage } from './types.ts';

/**
 * A least-recently-used cache of decoded tiles bounded by their total pixel bytes, shared by all open slides
 * (keys carry a per-slide prefix). Map iteration order is insertion order, so re-inserting on a hit keeps the
 * least recently used entry first.
 */
export class TileCache {
  readonly maxBytes: number;
  #bytes = 0;
  readonly #entries = new Map<string, RgbImage>();

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string): RgbImage | undefined {
    const image = this.#entries.get(key);
    if (image) {
      this.#entries.delete(key);
      this.#entries.set(key, image);
    }
    return image;
  }

  set(key: string, image: RgbImage): void {
    this.delete(key);
    if (image.data.byteLength > this.maxBytes) return;
    this.#entries.set(key, image);
    this.#bytes += image.data.byteLength;
    for (const [oldest, old] of this.#entries) {
      if (this.#bytes <= this.maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= old.data.byteLength;
    }
  }

  delete(key: string): void {
    const image = this.#entries.get(key);
    if (!image) return;
    this.#entries.delete(key);
    this.#bytes -= image.data.byteLength;
  }

  /** Drops every entry whose key starts with `prefix` (a closed slide's tiles). */
  deletePrefix(prefix: string): void {
    for (const key of [...this.#entries.keys()]) if (key.startsWith(prefix)) this.delete(key);
  }
}

/** The cache slides use unless given another: 256 MiB of decoded pixels. */
export const sharedTileCache = new TileCache(256 * 1024 * 1024);
