import { resolve } from 'node:path';
import { openSlide, type OpenSlideOptions, type Slide } from './slide.ts';
import { sharedTileCache, type TileCache } from './tile-cache.ts';

interface Entry {
  slide: Promise<Slide>;
  users: number;
}

/**
 * Keeps up to `maxOpen` slides open, closing the least recently used idle one when another is needed. A slide
 * from `acquire` stays open until `release`d (slides in use are never closed, so the pool may briefly exceed
 * `maxOpen` when more are in use at once).
 */
export class SlidePool {
  readonly maxOpen: number;
  readonly #options: OpenSlideOptions;
  /** Insertion order = recency: an acquired entry is moved to the end. */
  readonly #entries = new Map<string, Entry>();

  constructor(maxOpen = 16, options: OpenSlideOptions = {}) {
    this.maxOpen = Math.max(1, maxOpen);
    this.#options = options;
  }

  /** The decoded-tile cache the pool's slides share. */
  get cache(): TileCache {
    return this.#options.cache ?? sharedTileCache;
  }

  get openCount(): number {
    return this.#entries.size;
  }

  async acquire(path: string): Promise<Slide> {
    const key = resolve(path);
    let entry = this.#entries.get(key);
    if (entry) this.#entries.delete(key);
    else entry = { slide: openSlide(path, this.#options), users: 0 };
    entry.users++;
    this.#entries.set(key, entry);
    try {
      return await entry.slide;
    } catch (err) {
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
      throw err;
    } finally {
      await this.#trim();
    }
  }

  /** Hands a slide back; it stays open (cached) until evicted. */
  release(slide: Slide): void {
    const entry = this.#entries.get(resolve(slide.info.path));
    if (entry && entry.users > 0) entry.users--;
  }

  /** Acquires the slide for the duration of `fn`. */
  async use<T>(path: string, fn: (slide: Slide) => Promise<T>): Promise<T> {
    const slide = await this.acquire(path);
    try {
      return await fn(slide);
    } finally {
      this.release(slide);
      await this.#trim();
    }
  }

  async #trim(): Promise<void> {
    for (const [key, entry] of this.#entries) {
      if (this.#entries.size <= this.maxOpen) break;
      if (entry.users > 0) continue;
      this.#entries.delete(key);
      await (await entry.slide).close();
    }
  }

  async closeAll(): Promise<void> {
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    await Promise.all(entries.map(async (e) => (await e.slide.catch(() => null))?.close()));
  }
}
