// Deterministic choices under a secret key: the same key and input give the same output in every
// table and every run (so joins and foreign keys survive), and without the key the output says
// nothing about the input.
//
// Each value's choices come from SipHash-2-4 (a keyed pseudorandom function with a 128-bit key,
// derived from the copy's key by HMAC-SHA256) of the value, which seeds a small generator
// (xoshiro128**) for the draws. SipHash over a short string costs a fraction of a microsecond in
// JavaScript where Node's HMAC-SHA256 costs about 3 µs a call on the machine of bench/RESULTS.md:
// with tens of millions of masked values in a copy, that is the difference. The `hash` rule, whose
// output is the token itself, stays HMAC-SHA256.
import { createHmac } from 'node:crypto';

const M32 = 0xffffffff;

/** SipHash state, 64-bit words as [lo, hi] pairs of uint32: v0 = [0, 1], v1 = [2, 3], v2 = [4, 5], v3 = [6, 7]. */
const V = new Uint32Array(8);

/** v[a] += v[b] (64-bit). */
function add(a: number, b: number): void {
  const l = V[a] + V[b];
  V[a + 1] = V[a + 1] + V[b + 1] + (l > M32 ? 1 : 0);
  V[a] = l;
}

/** v[a] = rotl(v[a], n) ^ v[x], for 0 < n < 32. */
function rotXor(a: number, n: number, x: number): void {
  const l = V[a];
  const h = V[a + 1];
  V[a + 1] = ((h << n) | (l >>> (32 - n))) ^ V[x + 1];
  V[a] = ((l << n) | (h >>> (32 - n))) ^ V[x];
}

function swap(a: number): void {
  const l = V[a];
  V[a] = V[a + 1];
  V[a + 1] = l;
}

function sipRound(): void {
  add(0, 2); rotXor(2, 13, 0); swap(0);
  add(4, 6); rotXor(6, 16, 4);
  add(0, 6); rotXor(6, 21, 0);
  add(4, 2); rotXor(2, 17, 4); swap(4);
}

function sipWord(ml: number, mh: number): void {
  V[6] ^= ml; V[7] ^= mh;
  sipRound(); sipRound();
  V[0] ^= ml; V[1] ^= mh;
}

/** SipHash-2-4 of `bytes[0, len)` under the 128-bit key (k0 = [k[0], k[1]], k1 = [k[2], k[3]], low word first); [lo, hi] of the result. */
export function sipHash24(k: Uint32Array, bytes: Uint8Array, len: number): [number, number] {
  V[0] = k[0] ^ 0x70736575; V[1] = k[1] ^ 0x736f6d65;
  V[2] = k[2] ^ 0x6e646f6d; V[3] = k[3] ^ 0x646f7261;
  V[4] = k[0] ^ 0x6e657261; V[5] = k[1] ^ 0x6c796765;
  V[6] = k[2] ^ 0x79746573; V[7] = k[3] ^ 0x74656462;
  const full = len - (len % 8);
  for (let i = 0; i < full; i += 8) {
    sipWord(bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24),
      bytes[i + 4] | (bytes[i + 5] << 8) | (bytes[i + 6] << 16) | (bytes[i + 7] << 24));
  }
  // The last word: the remaining bytes, and the length's low byte at the top.
  let ml = 0;
  let mh = (len & 0xff) << 24;
  for (let i = full; i < len; i++) {
    const j = i - full;
    if (j < 4) ml |= bytes[i] << (8 * j); else mh |= bytes[i] << (8 * (j - 4));
  }
  sipWord(ml, mh);
  V[4] ^= 0xff;
  sipRound(); sipRound(); sipRound(); sipRound();
  return [(V[0] ^ V[2] ^ V[4] ^ V[6]) >>> 0, (V[1] ^ V[3] ^ V[5] ^ V[7]) >>> 0];
}

const encoder = new TextEncoder();
let scratch = new Uint8Array(1024);
/** The SipHash keys of the current copy key, by domain: HMAC-SHA256(key, label + domain), its first 128 bits, derived once. */
let sipKeys = new Map<string, Uint32Array>();
let lastKey: Buffer | string | undefined;

function sipKeyOf(key: Buffer | string, domain: string): Uint32Array {
  if (key !== lastKey) { lastKey = key; sipKeys = new Map(); }
  let k = sipKeys.get(domain);
  if (!k) {
    const d = createHmac('sha256', key).update(`pgfleet anon: keyed choices\u0000${domain}`).digest();
    k = new Uint32Array([d.readUInt32LE(0), d.readUInt32LE(4), d.readUInt32LE(8), d.readUInt32LE(12)]);
    sipKeys.set(domain, k);
  }
  return k;
}

/** SipHash-2-4 of a string's UTF-8 bytes under the copy key and domain. */
function sipOf(key: Buffer | string, domain: string, s: string): [number, number] {
  if (s.length * 3 > scratch.length) scratch = new Uint8Array(s.length * 3 + 64);
  const { written } = encoder.encodeInto(s, scratch);
  return sipHash24(sipKeyOf(key, domain), scratch, written);
}

function mix32(x: number, hi: number): number {
  let z = (x ^ hi) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** A stream of numbers drawn under the key for one seed (xoshiro128** seeded by SipHash). */
export class KeyedStream {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** `domain` keeps kinds apart (an e-mail's pseudonym is not a name's): each has a key of its own. */
  constructor(key: Buffer | string, domain: string, value: string) {
    const [lo, hi] = sipOf(key, domain, value);
    // splitmix32-style finalisers spread the 64 bits over the four words of state (never all zero).
    this.a = mix32(lo + 0x9e3779b9, hi);
    this.b = mix32(lo + 0x3c6ef372, hi);
    this.c = mix32(lo + 0xdaa66d2b, hi);
    this.d = mix32(lo + 0x78dde6e4, hi) | 1;
  }

  /** 32 bits. */
  uint32(): number {
    const r = Math.imul(((Math.imul(this.b, 5) << 7) | (Math.imul(this.b, 5) >>> 25)), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a; this.d ^= this.b; this.b ^= this.c; this.a ^= this.d;
    this.c ^= t;
    this.d = (this.d << 11) | (this.d >>> 21);
    return r;
  }

  /** An integer in [0, n). */
  below(n: number): number {
    // 2^32 % n bias is below 1e-6 for the sizes used here (dictionaries, digits).
    return this.uint32() % n;
  }

  pick<T>(list: readonly T[]): T {
    return list[this.below(list.length)];
  }

  /** `n` decimal digits. */
  digits(n: number): string {
    let s = '';
    // Up to 15 digits per draw of 53 bits: uniform, and one draw where a digit each took fifteen.
    for (let left = n; left > 0; left -= 15) {
      const k = Math.min(15, left);
      const x = (this.uint32() * 2 ** 21 + (this.uint32() >>> 11)) / 2 ** 53;
      s += String(Math.floor(x * 10 ** k)).padStart(k, '0');
    }
    return s;
  }

  /** A float in [0, 1). */
  unit(): number {
    return this.uint32() / 2 ** 32;
  }
}

/** The stream for one value: `domain` keeps kinds apart (an email's pseudonym is not a name's). */
export function streamFor(key: Buffer | string, domain: string, value: string): KeyedStream {
  return new KeyedStream(key, domain, value);
}

/** HMAC-SHA256 of the value under the key, hex: a stable token that reveals nothing without the key. */
export function keyedHash(key: Buffer | string, value: string): string {
  return createHmac('sha256', key).update(value).digest('hex');
}
