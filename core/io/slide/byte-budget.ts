/**
 * A process-wide bound on the bytes that tile decodes in flight may hold. Every decode asks for its worst-case
 * footprint before allocating; one that does not fit waits (first come, first served) until earlier decodes
 * release theirs. A request larger than the whole budget still runs, alone, so nothing waits forever.
 */
export class ByteBudget {
  readonly maxBytes: number;
  #used = 0;
  #peak = 0;
  readonly #waiting: { bytes: number; start: () => void }[] = [];

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  /** Bytes held by decodes in flight now. */
  get used(): number {
    return this.#used;
  }

  /** Most bytes ever held at once (for tests and benchmarks). */
  get peak(): number {
    return this.#peak;
  }

  /** Runs `fn` once `bytes` fit the budget, holding them until it settles. */
  async run<T>(bytes: number, fn: () => Promise<T>): Promise<T> {
    await this.#acquire(bytes);
    try {
      return await fn();
    } finally {
      this.#used -= bytes;
      this.#admit();
    }
  }

  #fits(bytes: number): boolean {
    return this.#used === 0 || this.#used + bytes <= this.maxBytes;
  }

  #take(bytes: number): void {
    this.#used += bytes;
    this.#peak = Math.max(this.#peak, this.#used);
  }

  #acquire(bytes: number): Promise<void> {
    if (this.#waiting.length === 0 && this.#fits(bytes)) {
      this.#take(bytes);
      return Promise.resolve();
    }
    return new Promise((resolve) =>
      this.#waiting.push({
        bytes,
        start: () => {
          this.#take(bytes);
          resolve();
        },
      }),
    );
  }

  #admit(): void {
    while (this.#waiting.length > 0 && this.#fits(this.#waiting[0]!.bytes)) this.#waiting.shift()!.start();
  }
}

/** Decodes of all open slides share this one: 256 MiB, the size of the shared decoded-tile cache. */
export const sharedDecodeBudget = new ByteBudget(256 * 1024 * 1024);
