/**
 * Deterministic randomness for the simulator. Values are drawn from hashes of
 * (series, step) rather than from one running stream, so a series' value at a
 * time does not depend on what else was generated before it, nor on how the
 * time was cut into ticks.
 */

/** mulberry32: a small seeded PRNG, for drawing the fixed traits of an agent. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** murmur3's finaliser: a good 32-bit avalanche. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Combines a hash with an integer (a step, an epoch, a salt); k may exceed 32 bits. */
export function mix(h: number, k: number): number {
  const lo = k >>> 0;
  const hi = Math.floor(k / 4294967296) >>> 0;
  return fmix(Math.imul(fmix((h ^ lo) >>> 0) ^ hi, 0x9e3779b1) ^ 0x27d4eb2f);
}

/** FNV-1a of a string, mixed with a seed. */
export function hashString(s: string, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return fmix(h >>> 0);
}

/** A number in [0, 1) from a hash and an integer. */
export function unit(h: number, k: number): number {
  return mix(h, k) / 4294967296;
}

/** Between lo and hi, log-uniformly when both are positive (so many small values, a few large), else uniformly. */
export function spread(u: number, lo: number, hi: number): number {
  if (lo === hi) return lo;
  return lo > 0 && hi > 0 ? lo * (hi / lo) ** u : lo + (hi - lo) * u;
}

/** A signed 64-bit integer as a decimal string (how pg_stat_statements' queryid travels). */
export function int64String(h1: number, h2: number): string {
  return BigInt.asIntN(64, (BigInt(h1 >>> 0) << 32n) | BigInt(h2 >>> 0)).toString();
}
