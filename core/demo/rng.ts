/**
 * Seeded randomness for the demo generator. Two kinds: a sequential generator for drawing slide plans, and
 * stateless integer hashes for per-pixel texture, so any tile can be rendered alone and in any order.
 */

/** Mixes a 32-bit integer into a well-spread 32-bit hash (murmur3-style finaliser). */
export function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** Hash of a lattice point and a seed, as a float in [0, 1). */
export function hash2(x: number, y: number, seed: number): number {
  return mix32(Math.imul(x, 0x27d4eb2d) ^ Math.imul(y, 0x165667b1) ^ seed) / 4294967296;
}

const smooth = (t: number): number => t * t * (3 - 2 * t);

/**
 * Smooth value noise in [0, 1): hashed lattice values every `cellX` × `cellY` pixels, interpolated with a
 * smoothstep. Unequal cell sizes give stretched (fibrous) texture.
 */
export function valueNoise(x: number, y: number, cellX: number, cellY: number, seed: number): number {
  const fx = x / cellX;
  const fy = y / cellY;
  const ix = Math.floor(fx);
  const iy = Math.floor(fy);
  const tx = smooth(fx - ix);
  const ty = smooth(fy - iy);
  const a = hash2(ix, iy, seed);
  const b = hash2(ix + 1, iy, seed);
  const c = hash2(ix, iy + 1, seed);
  const d = hash2(ix + 1, iy + 1, seed);
  const top = a + (b - a) * tx;
  const bottom = c + (d - c) * tx;
  return top + (bottom - top) * ty;
}

/** A small sequential PRNG (splitmix32): fast, deterministic for a seed, good enough for layouts. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = mix32((seed >>> 0) ^ 0x9e3779b9);
  }

  /** Next 32-bit unsigned integer. */
  nextU32(): number {
    this.state = (this.state + 0x9e3779b9) | 0;
    return mix32(this.state);
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform float in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new RangeError('pick from an empty list');
    return item;
  }

  /** Fisher–Yates shuffle, in place; returns the same array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  }

  /** An independent child generator (e.g. one per slide), so adding draws to one does not shift another. */
  fork(): Rng {
    return new Rng(this.nextU32());
  }

  /** 32 lowercase hex characters, like a PANDA image_id. */
  hexId(): string {
    let s = '';
    for (let i = 0; i < 4; i++) s += this.nextU32().toString(16).padStart(8, '0');
    return s;
  }
}
