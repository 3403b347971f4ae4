/**
 * The project's one seeded PRNG, so datasets, splits and training runs are reproducible from a seed on every
 * platform and Node version (Math.random cannot be seeded). The generator is sfc32: its whole state is four
 * 32-bit words, so a checkpoint can store it and a resumed run draws exactly what the uninterrupted run would.
 */

export type PrngState = [number, number, number, number];

const TWO_32 = 0x1_0000_0000;

/** splitmix32: spreads one seed over the four state words, so nearby seeds give unrelated states. */
function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  private constructor([a, b, c, d]: readonly number[]) {
    this.a = a! >>> 0;
    this.b = b! >>> 0;
    this.c = c! >>> 0;
    this.d = d! >>> 0;
  }

  /**
   * A generator from any safe integer seed (folded to 32 bits, high bits included). `stream` selects an
   * independent sequence for the same seed (e.g. one per dataset split).
   */
  static fromSeed(seed: number, stream = 0): Prng {
    const init = splitmix32((seed % TWO_32) ^ Math.floor(seed / TWO_32));
    const prng = new Prng([init() ^ stream, init(), init(), init()]);
    // sfc32 mixes its state over the first rounds; discard them.
    for (let i = 0; i < 12; i++) prng.nextUint32();
    return prng;
  }

  /** Continues from a saved `state`; words may be stored signed or unsigned. */
  static fromState(state: readonly number[]): Prng {
    if (state.length !== 4 || !state.every(Number.isSafeInteger))
      throw new RangeError(`a PRNG state is four integers, got ${JSON.stringify(state)}`);
    return new Prng(state);
  }

  get state(): PrngState {
    return [this.a, this.b, this.c, this.d];
  }

  /** Uniform integer in [0, 2³²). */
  nextUint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = (this.b ^ (this.b >>> 9)) >>> 0;
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return this.nextUint32() / TWO_32;
  }

  /** Uniform float in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Uniform integer in [0, n). */
  nextInt(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Uniform integer in [lo, hi], both ends included. */
  intBetween(lo: number, hi: number): number {
    return lo + this.nextInt(hi - lo + 1);
  }

  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[this.nextInt(items.length)]!;
  }

  /** Index drawn with probability proportional to `weights[i]`. */
  weighted(weights: readonly number[]): number {
    const total = weights.reduce((s, w) => s + w, 0);
    let r = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i]!;
      if (r < 0) return i;
    }
    return weights.length - 1;
  }

  /** Fisher–Yates shuffle in place; returns the same array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }

  /** A uniformly random permutation of 0..n-1. */
  permutation(n: number): number[] {
    return this.shuffle(Array.from({ length: n }, (_, i) => i));
  }

  /** An independent child generator (e.g. one per slide), so adding draws to one does not shift another. */
  fork(): Prng {
    return Prng.fromSeed(this.nextUint32());
  }
}
