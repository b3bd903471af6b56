/**
 * The chunk's bit stream (32-bit words, each read from the top bit down) and the scratch
 * buffers the encoder and decoder share.
 */

import { fail } from './errors.ts';

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
/** Index of a float64's low 32-bit word in a Uint32Array view of a Float64Array (platform byte order). */
export const LO = LITTLE_ENDIAN ? 0 : 1;
/** Index of a float64's high 32-bit word (sign, exponent, top of the mantissa) in the same view. */
export const HI = 1 - LO;

// Scratch reused across calls, grown on demand; released after a call above RETAIN_SAMPLES.
// Exported bindings are live: importers see each reassignment made here.
const RETAIN_SAMPLES = 1 << 18;
/** Encoder scratch: the timestamps being encoded. */
export let tsIn = new Float64Array(0);
/** Encoder scratch: the values being encoded. */
export let valIn = new Float64Array(0);
/** valIn's bits as 32-bit words (see LO and HI). */
export let valBits = new Uint32Array(0);
/** Encoder scratch: the values scaled to integers. */
export let ints = new Float64Array(0);
/** Encoder scratch: integer value residuals against the previous value (delta). */
export let resA = new Float64Array(0);
/** Encoder scratch: integer value residuals against the previous value plus its delta (dod). */
export let resB = new Float64Array(0);
/** Encoder scratch: timestamp residuals. */
export let resT = new Float64Array(0);
/** Encoder scratch: indexes of the values the integer coding stores as raw bytes. */
export let excIdx = new Int32Array(0);
/** The bit stream's words; see ensureWords. */
export let wordBuf = new Uint32Array(0);

/** Grows the per-sample scratch arrays to hold at least n samples. */
export function ensureScratch(n: number): void {
  if (tsIn.length >= n) return;
  const cap = Math.max(n, 1024);
  tsIn = new Float64Array(cap);
  valIn = new Float64Array(cap);
  valBits = new Uint32Array(valIn.buffer);
  ints = new Float64Array(cap);
  resA = new Float64Array(cap);
  resB = new Float64Array(cap);
  resT = new Float64Array(cap);
  excIdx = new Int32Array(cap);
}

/** Returns wordBuf grown to at least n words. */
export function ensureWords(n: number): Uint32Array {
  if (wordBuf.length < n) wordBuf = new Uint32Array(Math.max(n, 4096));
  return wordBuf;
}

/** Drops scratch grown past RETAIN_SAMPLES, so one large chunk does not hold its memory for good. */
export function releaseLargeScratch(): void {
  if (tsIn.length > RETAIN_SAMPLES) {
    tsIn = valIn = ints = resA = resB = resT = new Float64Array(0);
    valBits = new Uint32Array(0);
    excIdx = new Int32Array(0);
  }
  if (wordBuf.length > RETAIN_SAMPLES * 5) wordBuf = new Uint32Array(0);
}

/** Writes bits into 32-bit words from the top bit down; `n` counts the words completed. */
export class BitWriter {
  n = 0;
  private cur = 0;
  private free = 32;
  constructor(readonly words: Uint32Array) {}

  /** Writes the low `bits` (1..32) bits of `value`; higher bits of `value` must be zero. */
  write(value: number, bits: number): void {
    if (bits < this.free) {
      this.free -= bits;
      this.cur |= value << this.free;
    } else {
      const rem = bits - this.free;
      this.words[this.n++] = this.cur | (value >>> rem);
      this.cur = rem === 0 ? 0 : value << (32 - rem);
      this.free = 32 - rem;
    }
  }

  /** Writes a non-negative integer below 2^bits, bits up to 53. */
  writeLong(value: number, bits: number): void {
    if (bits > 32) {
      const hi = Math.floor(value / 4294967296);
      this.write(hi, bits - 32);
      this.write((value - hi * 4294967296) >>> 0, 32);
    } else if (bits > 0) this.write(value >>> 0, bits);
  }

  /** Flushes a partly filled word (its low bits zero); returns the number of words written. */
  finish(): number {
    if (this.free < 32) this.words[this.n++] = this.cur;
    this.cur = 0;
    this.free = 32;
    return this.n;
  }
}

/** Reads what BitWriter wrote; `pos` is the position in bits. */
export class BitReader {
  pos = 0;
  /** `words` has 32 zero words past `limit` bits, so a read that overruns sees zeros until check() catches it. */
  constructor(readonly words: Uint32Array, readonly limit: number) {}

  /** Reads `bits` (1..32) bits as an unsigned integer. */
  read(bits: number): number {
    const w = this.pos >>> 5;
    const o = this.pos & 31;
    this.pos += bits;
    return (((this.words[w] << o) | ((this.words[w + 1] >>> 1) >>> (31 - o))) >>> (32 - bits));
  }

  /** Reads `bits` (0..53) bits as a non-negative integer. */
  readLong(bits: number): number {
    if (bits <= 32) return bits === 0 ? 0 : this.read(bits);
    const hi = this.read(bits - 32);
    return hi * 4294967296 + this.read(32);
  }

  /** Throws when reads have gone past the end of the stream. */
  check(): void {
    if (this.pos > this.limit) fail('chunk is truncated: the bit stream ends early');
  }
}
