/**
 * Seeded randomness for the demo generator beyond the shared sequential PRNG: stateless integer hashes for
 * per-pixel texture, so any tile can be rendered alone and in any order, and PANDA-like ids.
 */
import type { Prng } from '../../base/random.ts';

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

/** 32 lowercase hex characters, like a PANDA image_id. */
export function hexId(prng: Prng): string {
  let s = '';
  for (let i = 0; i < 4; i++) s += prng.nextUint32().toString(16).padStart(8, '0');
  return s;
}
