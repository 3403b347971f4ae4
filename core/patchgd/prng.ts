/**
 * Small seeded PRNG (sfc32) whose whole state is four 32-bit words, so a checkpoint can store it and a resumed
 * run draws exactly the numbers the uninterrupted run would have drawn.
 */
export type PrngState = [number, number, number, number];

export class Prng {
  private s: PrngState;

  private constructor(state: PrngState) {
    this.s = [...state];
  }

  static fromSeed(seed: number): Prng {
    const prng = new Prng([0x9e3779b9, 0x243f6a88, 0xb7e15162, seed >>> 0]);
    // Warm up so that nearby seeds diverge.
    for (let i = 0; i < 15; i++) prng.nextUint32();
    return prng;
  }

  static fromState(state: PrngState): Prng {
    return new Prng(state);
  }

  get state(): PrngState {
    return [...this.s];
  }

  nextUint32(): number {
    let [a, b, c, d] = this.s;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    this.s = [a, b, c, d];
    return t >>> 0;
  }

  /** Uniform integer in [0, n). */
  nextInt(n: number): number {
    return Math.floor((this.nextUint32() / 0x1_0000_0000) * n);
  }

  /** A uniformly random permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): number[] {
    const out = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }
}
