/**
 * The per-chunk canonical Huffman code of a residual stream: symbols, histograms, code lengths,
 * the code's description in the stream, and reading residuals back through a lookup table.
 */

import type { BitReader, BitWriter } from './bits.ts';
import { fail } from './errors.ts';

/*
 * Residual alphabet: zigzag values 0..31 are symbols of their own; a larger zigzag value of bit
 * length b (6..54) is one of two symbols per length (chosen by its second-highest bit) followed
 * by its b - 2 low bits. ABS_SYM is followed by an absolute timestamp: sign bit, 53-bit magnitude.
 */
const DIRECT = 32;
const ABS_SYM = DIRECT + (54 - 5) * 2;
/** Size of the residual alphabet. */
export const NSYM = ABS_SYM + 1;
const EXTRA = Uint8Array.from({ length: NSYM }, (_, s) => (s < DIRECT ? 0 : s === ABS_SYM ? 54 : 4 + ((s - DIRECT) >> 1)));
const MAX_CODE_LEN = 11;
/** Lookup entries are symbol << 4 | code length; this symbol does not exist. */
const INVALID_ENTRY = 0xfff0;

/** Symbol of an integer residual (|r| <= 2^52), ABS_SYM for NaN. */
export function symbolOf(r: number): number {
  if (r >= -0x20000000 && r < 0x20000000) {
    const z = (r << 1) ^ (r >> 31);
    if (z < DIRECT) return z;
    const b = 32 - Math.clz32(z);
    return DIRECT + ((b - 6) << 1) + ((z >>> (b - 2)) & 1);
  }
  if (r !== r) return ABS_SYM;
  const z = r >= 0 ? 2 * r : -2 * r - 1;
  const b = bitLength(z);
  return DIRECT + ((b - 6) << 1) + (Math.floor(z / 2 ** (b - 2)) % 2);
}

function bitLength(z: number): number {
  const hi = Math.floor(z / 4294967296);
  return hi > 0 ? 64 - Math.clz32(hi) : 32 - Math.clz32(z >>> 0);
}

/** Counts the symbols of res[1..n) into hist. */
export function histogram(res: Float64Array, n: number, hist: Uint32Array): void {
  hist.fill(0);
  for (let i = 1; i < n; i++) hist[symbolOf(res[i])]++;
}

/** Size estimate from the entropy of a histogram, for choosing between predictors cheaply. */
export function entropyBits(hist: Uint32Array): number {
  let total = 0;
  for (let s = 0; s < NSYM; s++) total += hist[s];
  let bits = 0;
  for (let s = 0; s < NSYM; s++) if (hist[s] > 0) bits += hist[s] * (Math.log2(total / hist[s]) + EXTRA[s]);
  return bits;
}

/** A canonical Huffman code over the residual alphabet, built for one residual stream and written at its start. */
export class HuffmanCode {
  readonly lens = new Uint8Array(NSYM);
  readonly codes = new Int32Array(NSYM);
  private nsym = 0;
  private used = 0;

  /** Builds a length-limited canonical code for `hist`; returns the stream's size in bits. */
  build(hist: Uint32Array): number {
    const lens = this.lens;
    lens.fill(0);
    // A lone symbol's empty code must be 0: the writer shifts extra bits in under it.
    this.codes.fill(0);
    const syms: number[] = [];
    for (let s = 0; s < NSYM; s++) if (hist[s] > 0) syms.push(s);
    this.used = syms.length;
    this.nsym = syms.length === 0 ? 0 : syms[syms.length - 1] + 1;
    if (syms.length > 1) huffmanLengths(hist, syms, lens);
    assignCodes(lens, this.codes, this.nsym);
    let bits = 8 + this.nsym + 4 * syms.length;
    for (const s of syms) bits += hist[s] * (lens[s] + EXTRA[s]);
    return bits;
  }

  /** Per symbol below the highest used: '0' unused, or '1' and its length; a lone symbol has length 0. */
  writeTable(bw: BitWriter): void {
    bw.write(this.nsym, 8);
    for (let s = 0; s < this.nsym; s++) {
      if (this.lens[s] > 0 || (this.used === 1 && s === this.nsym - 1)) bw.write(16 | this.lens[s], 5);
      else bw.write(0, 1);
    }
  }

  /** Writes res[1..n); NaN entries are absolute timestamps taken from abs. */
  writeResiduals(bw: BitWriter, res: Float64Array, n: number, abs: Float64Array | null): void {
    const { lens, codes } = this;
    for (let i = 1; i < n; i++) {
      const r = res[i];
      if (r >= -0x20000000 && r < 0x20000000) {
        const z = (r << 1) ^ (r >> 31);
        if (z < DIRECT) {
          if (lens[z] > 0) bw.write(codes[z], lens[z]);
          continue;
        }
        const b = 32 - Math.clz32(z);
        const s = DIRECT + ((b - 6) << 1) + ((z >>> (b - 2)) & 1);
        const extra = z & ((1 << (b - 2)) - 1);
        if (lens[s] + b - 2 <= 32) bw.write((codes[s] << (b - 2)) | extra, lens[s] + b - 2);
        else {
          bw.write(codes[s], lens[s]);
          bw.write(extra, b - 2);
        }
        continue;
      }
      const s = symbolOf(r);
      if (lens[s] > 0) bw.write(codes[s], lens[s]);
      if (s === ABS_SYM) {
        const t = abs![i];
        bw.write(t < 0 ? 1 : 0, 1);
        bw.writeLong(Math.abs(t), 53);
      } else {
        const z = r >= 0 ? 2 * r : -2 * r - 1;
        bw.writeLong(z % 2 ** EXTRA[s], EXTRA[s]);
      }
    }
  }
}

function huffmanLengths(hist: Uint32Array, syms: number[], lens: Uint8Array): void {
  const n = syms.length;
  const order = syms.slice().sort((a, b) => hist[a] - hist[b] || a - b);
  const weight = new Float64Array(2 * n - 1);
  const parent = new Int32Array(2 * n - 1);
  for (let i = 0; i < n; i++) weight[i] = hist[order[i]];
  // Two queues: leaves in weight order, and inner nodes, which are made in weight order.
  let leaf = 0;
  let inner = n;
  for (let next = n; next < 2 * n - 1; next++) {
    for (let k = 0; k < 2; k++) {
      const child = leaf < n && (inner >= next || weight[leaf] <= weight[inner]) ? leaf++ : inner++;
      parent[child] = next;
      weight[next] += weight[child];
    }
  }
  const depth = new Uint8Array(2 * n - 1);
  for (let i = 2 * n - 3; i >= 0; i--) depth[i] = depth[parent[i]] + 1;
  const full = 1 << MAX_CODE_LEN;
  let kraft = 0;
  for (let i = 0; i < n; i++) {
    lens[order[i]] = Math.min(depth[i], MAX_CODE_LEN);
    kraft += full >> lens[order[i]];
  }
  // Clamping over-subscribes the code: lengthen the longest codes under the limit, rarest first,
  // then give any slack back to the most frequent symbols.
  while (kraft > full) {
    let pick = -1;
    for (let i = 0; i < n; i++) {
      const l = lens[order[i]];
      if (l < MAX_CODE_LEN && (pick < 0 || l > lens[order[pick]])) pick = i;
    }
    kraft -= full >> (lens[order[pick]] + 1);
    lens[order[pick]]++;
  }
  for (let i = n - 1; i >= 0; i--) {
    const s = order[i];
    while (lens[s] > 1 && kraft + (full >> lens[s]) <= full) {
      kraft += full >> lens[s];
      lens[s]--;
    }
  }
}

/** Canonical codes: shorter first, then by symbol. False when the lengths over-subscribe. */
function assignCodes(lens: Uint8Array, codes: Int32Array, nsym: number): boolean {
  const count = new Int32Array(MAX_CODE_LEN + 1);
  for (let s = 0; s < nsym; s++) count[lens[s]]++;
  count[0] = 0;
  const next = new Int32Array(MAX_CODE_LEN + 1);
  let code = 0;
  for (let l = 1; l <= MAX_CODE_LEN; l++) {
    code = (code + count[l - 1]) << 1;
    next[l] = code;
    if (code + count[l] > 1 << l) return false;
  }
  for (let s = 0; s < nsym; s++) if (lens[s] > 0) codes[s] = next[lens[s]]++;
  return true;
}

/** Reads a code description; returns a lookup table indexed by the next `bits` bits of the stream. */
function readTable(br: BitReader): { table: Uint16Array; bits: number } {
  const nsym = br.read(8);
  if (nsym === 0 || nsym > NSYM) fail(`corrupt chunk: code table with ${nsym} symbols`);
  const lens = new Uint8Array(NSYM);
  let used = 0;
  let empty = 0;
  let maxLen = 0;
  for (let s = 0; s < nsym; s++) {
    if (br.read(1) === 0) continue;
    const l = br.read(4);
    lens[s] = l;
    used++;
    if (l === 0) empty++;
    if (l > maxLen) maxLen = l;
  }
  br.check();
  if (used === 1 && empty === 1 && lens[nsym - 1] === 0) return { table: new Uint16Array([(nsym - 1) << 4]), bits: 0 };
  const codes = new Int32Array(NSYM);
  if (used < 2 || empty > 0 || maxLen > MAX_CODE_LEN || !assignCodes(lens, codes, nsym)) fail('corrupt chunk: invalid code table');
  const table = new Uint16Array(1 << maxLen).fill(INVALID_ENTRY);
  for (let s = 0; s < nsym; s++) {
    const l = lens[s];
    if (l === 0) continue;
    const start = codes[s] << (maxLen - l);
    table.fill((s << 4) | l, start, start + (1 << (maxLen - l)));
  }
  return { table, bits: maxLen };
}

/**
 * Reads a code and n - 1 residuals into out[1..n). An absolute timestamp is stored as itself
 * with its index in `absAt` (when allowed).
 */
export function readResiduals(br: BitReader, out: Float64Array, n: number, absAt: number[] | null): void {
  const { table, bits } = readTable(br);
  const shift = 31 - bits;
  const words = br.words;
  const limit = br.limit;
  let pos = br.pos;
  for (let i = 1; i < n; i++) {
    if (pos > limit) fail('chunk is truncated: the bit stream ends early');
    const wi = pos >>> 5;
    const o = pos & 31;
    const w = (words[wi] << o) | ((words[wi + 1] >>> 1) >>> (31 - o));
    const e = table[(w >>> 1) >>> shift];
    const s = e >>> 4;
    const len = e & 15;
    if (s < DIRECT) {
      out[i] = (s >>> 1) ^ -(s & 1);
      pos += len;
      continue;
    }
    const extra = EXTRA[s];
    if (extra <= 28 && len + extra <= 32) {
      const z = ((2 | ((s - DIRECT) & 1)) << extra) | ((w << len) >>> (32 - extra));
      out[i] = (z >>> 1) ^ -(z & 1);
      pos += len + extra;
      continue;
    }
    br.pos = pos + len;
    if (s === ABS_SYM && absAt) {
      const neg = br.read(1);
      const m = br.readLong(53);
      out[i] = neg ? -m : m;
      absAt.push(i);
    } else {
      if (s >= ABS_SYM) fail('corrupt chunk: invalid code');
      const z = (2 | ((s - DIRECT) & 1)) * 2 ** extra + br.readLong(extra);
      out[i] = z % 2 === 0 ? z / 2 : -(z + 1) / 2;
    }
    pos = br.pos;
  }
  br.pos = pos;
}
