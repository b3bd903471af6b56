/**
 * Value coding: Gorilla's XOR of consecutive float64s, or, for values that are integers
 * divided by a power of ten, integer residuals (delta or delta-of-delta) for the Huffman code.
 */

import { type BitReader, type BitWriter, HI, LO, excIdx, ints } from './bits.ts';
import { fail } from './errors.ts';

/** Value coding in bits 4-7 of the modes byte: Gorilla's XOR. */
export const V_XOR = 0;
/** Value coding: integers, residuals against the previous one. */
export const V_INT_DELTA = 1;
/** Value coding: integers, residuals against the previous one plus its delta. */
export const V_INT_DOD = 2;
/** Incompressible values: 64 bits each, which bounds the worst case. */
export const V_RAW = 3;
/** Integers of the integer coding stay within ±2^50 so second differences are exact doubles. */
export const MAX_INT = 2 ** 50;
/** Largest decimal scale d of the integer coding. */
export const MAX_DECIMALS = 15;
const POW10 = Array.from({ length: MAX_DECIMALS + 1 }, (_, d) => 10 ** d);

function ctz32(x: number): number {
  return 31 - Math.clz32(x & -x);
}

function isNegativeZero(v: number): boolean {
  return v === 0 && 1 / v < 0;
}

function fitsAt(x: number, d: number): boolean {
  const y = x * POW10[d];
  return Math.abs(y) <= MAX_INT && Math.round(y) / POW10[d] === x;
}

/**
 * Finds a decimal scale d such that nearly every value is an integer divided by 10^d (the
 * division giving back the value bit for bit), fills `ints` with those integers (holding the
 * previous one at exceptions) and excIdx with the exceptions. Null when too many do not fit.
 */
export function scaleToIntegers(v: Float64Array, n: number): { d: number; exceptions: number } | null {
  const need = new Int32Array(MAX_DECIMALS + 2);
  const budget = (n >> 3) + 4;
  const misfit = MAX_DECIMALS + 1;
  let misfits = 0;
  for (let i = 0; i < n; i++) {
    const x = v[i];
    let d = 0;
    if (isNegativeZero(x)) d = misfit;
    else if (!fitsAt(x, 0)) {
      d = 1;
      while (d <= 3 && !fitsAt(x, d)) d++;
      if (d > 3) {
        // A value that fits at some scale fits at every larger one while the integer stays
        // within MAX_INT, so one try at the largest such scale finds the misfits.
        const top = Math.min(MAX_DECIMALS, Math.floor(Math.log10(MAX_INT / Math.abs(x))));
        if (top > 3 && fitsAt(x, top)) while (d < top && !fitsAt(x, d)) d++;
        else d = misfit;
      }
    }
    need[d]++;
    if (d === misfit && ++misfits > budget) return null;
  }
  // The smallest scale leaving at most 1/256 of the values (besides misfits) as exceptions.
  let d = 0;
  let above = n - need[0] - misfits;
  while (d < MAX_DECIMALS && above > n >> 8) above -= need[++d];
  const p = POW10[d];
  let exceptions = 0;
  let prev = 0;
  for (let i = 0; i < n; i++) {
    const x = v[i];
    if (fitsAt(x, d) && !isNegativeZero(x)) prev = Math.round(x * p);
    else excIdx[exceptions++] = i;
    ints[i] = prev;
  }
  return exceptions > budget ? null : { d, exceptions };
}

/** Residuals of a[1..n) against the previous value (delta) and against it plus the previous delta (dod). */
export function intResiduals(a: Float64Array, n: number, delta: Float64Array, dod: Float64Array): void {
  let prevDelta = 0;
  for (let i = 1; i < n; i++) {
    const d = a[i] - a[i - 1];
    delta[i] = d;
    dod[i] = d - prevDelta;
    prevDelta = d;
  }
}

/**
 * Rebuilds values in place from the integer residuals in out[1..n) and the first integer,
 * dividing each integer by 10^d.
 */
export function intsFromResiduals(out: Float64Array, n: number, mode: number, d: number, first: number): void {
  const p = POW10[d];
  let prev = first;
  let prevDelta = 0;
  out[0] = d === 0 ? first : first / p;
  for (let i = 1; i < n; i++) {
    const delta = mode === V_INT_DOD ? prevDelta + out[i] : out[i];
    prevDelta = delta;
    prev += delta;
    out[i] = d === 0 ? prev : prev / p;
  }
}

/**
 * Gorilla's XOR coding: '0' same bits as before; '10' and the bits inside the previous window;
 * '11', 5 bits of leading zeros, 6 bits of length - 1, and the bits. Returns the size in bits.
 */
export function writeXor(u: Uint32Array, n: number, bw: BitWriter | null): number {
  let bits = 0;
  let ph = 0;
  let pl = 0;
  let lead = -1;
  let trail = 0;
  for (let i = 0; i < n; i++) {
    const hi = u[2 * i + HI];
    const lo = u[2 * i + LO];
    const xh = hi ^ ph;
    const xl = lo ^ pl;
    ph = hi;
    pl = lo;
    if ((xh | xl) === 0) {
      bits += 1;
      if (bw) bw.write(0, 1);
      continue;
    }
    const l = xh !== 0 ? Math.clz32(xh) : 32 + Math.clz32(xl);
    const t = xl !== 0 ? ctz32(xl) : 32 + ctz32(xh);
    if (lead >= 0 && l >= lead && t >= trail) {
      bits += 66 - lead - trail;
      if (bw) bw.write(2, 2);
    } else {
      lead = Math.min(l, 31);
      trail = t;
      bits += 77 - lead - trail;
      if (bw) bw.write((3 << 11) | (lead << 6) | (63 - lead - trail), 13);
    }
    if (!bw) continue;
    const sig = 64 - lead - trail;
    if (trail >= 32) bw.write(xh >>> (trail - 32), sig);
    else if (sig > 32) {
      bw.write(xh >>> trail, sig - 32);
      bw.write(trail === 0 ? xl >>> 0 : ((xl >>> trail) | (xh << (32 - trail))) >>> 0, 32);
    } else {
      const low = trail === 0 ? xl : (xl >>> trail) | (xh << (32 - trail));
      bw.write(sig === 32 ? low >>> 0 : low & ((1 << sig) - 1), sig);
    }
  }
  return bits;
}

/** Reads n XOR-coded values into u (two words per value, see LO and HI). */
export function readXor(br: BitReader, u: Uint32Array, n: number): void {
  let ph = 0;
  let pl = 0;
  let lead = -1;
  let trail = 0;
  for (let i = 0; i < n; i++) {
    br.check();
    if (br.read(1) === 1) {
      if (br.read(1) === 0) {
        if (lead < 0) fail('corrupt chunk: XOR window used before it is set');
      } else {
        lead = br.read(5);
        trail = 63 - lead - br.read(6);
        if (trail < 0) fail('corrupt chunk: XOR window wider than 64 bits');
      }
      const sig = 64 - lead - trail;
      const a = sig > 32 ? br.read(sig - 32) : 0;
      const b = br.read(sig > 32 ? 32 : sig);
      if (trail >= 32) ph ^= b << (trail - 32);
      else if (trail === 0) {
        ph ^= a;
        pl ^= b;
      } else {
        ph ^= (a << trail) | (b >>> (32 - trail));
        pl ^= b << trail;
      }
    }
    u[2 * i + HI] = ph;
    u[2 * i + LO] = pl;
  }
}
