/**
 * Compact, lossless encoding of one series chunk: timestamps in ms, float64 values.
 *
 * Layout (version 1), header integers little-endian:
 *   u8 version; u8 modes (bits 0-3 timestamp predictor, bits 4-7 value coding); varint count;
 *   when count > 0: svarint first ts; svarint last ts; varint step D; varint grid tolerance R;
 *   for integer value coding: u8 decimals d, svarint first integer, varint exception count and,
 *   per exception, a varint index gap and the value's 8 raw bytes;
 *   then a bit stream of 32-bit little-endian words, read from the top bit down: the timestamp
 *   residuals (count - 1), then the values (XOR or raw coding: count entries; integer coding:
 *   count - 1 residuals); then a 32-bit checksum of everything before it.
 * A residual stream starts with the description of a canonical Huffman code built for it.
 */

import {
  BitReader, BitWriter, HI, LO, ensureScratch, ensureWords, excIdx, ints, releaseLargeScratch, resA, resB, resT, tsIn,
  valBits, valIn, wordBuf,
} from './bits.ts';
import { fail } from './errors.ts';
import { HuffmanCode, NSYM, histogram, readResiduals } from './huffman.ts';
import { MAX_STEP, TS_DOD, TS_GRID, chooseTsPredictor, estimateStep, tsFromResiduals, tsResiduals } from './timestamps.ts';
import {
  MAX_DECIMALS, MAX_INT, V_INT_DELTA, V_INT_DOD, V_RAW, V_XOR, intResiduals, intsFromResiduals, readXor, scaleToIntegers,
  writeXor,
} from './values.ts';

const VERSION = 1;
/** Date's range: ±100,000,000 days around the epoch. */
const MAX_TS = 8.64e15;
const MAX_SAMPLES = 1 << 24;

class ByteWriter {
  bytes = new Uint8Array(64);
  n = 0;
  private room(k: number): void {
    if (this.n + k <= this.bytes.length) return;
    const next = new Uint8Array(Math.max(this.bytes.length * 2, this.n + k));
    next.set(this.bytes);
    this.bytes = next;
  }
  u8(v: number): void {
    this.room(1);
    this.bytes[this.n++] = v;
  }
  varint(v: number): void {
    this.room(8);
    for (; v >= 128; v = Math.floor(v / 128)) this.bytes[this.n++] = (v % 128) | 128;
    this.bytes[this.n++] = v;
  }
  /** Sign in bit 6 of the first byte, so magnitudes up to 2^53 need no 64-bit arithmetic. */
  svarint(v: number): void {
    const m = Math.abs(v);
    const high = Math.floor(m / 64);
    this.u8((high > 0 ? 128 : 0) | (v < 0 ? 64 : 0) | (m % 64));
    if (high > 0) this.varint(high);
  }
  u32(v: number): void {
    this.room(4);
    for (let k = 0; k < 4; k++) this.bytes[this.n++] = (v >>> (8 * k)) & 255;
  }
}

class ByteReader {
  pos = 0;
  constructor(readonly bytes: Uint8Array, readonly end: number) {}
  u8(): number {
    if (this.pos >= this.end) fail('chunk is truncated: the header ends early');
    return this.bytes[this.pos++];
  }
  varint(): number {
    let v = 0;
    for (let k = 0, scale = 1; k < 8; k++, scale *= 128) {
      const b = this.u8();
      v += (b & 127) * scale;
      if (b < 128) return v;
    }
    return fail('corrupt chunk: varint too long');
  }
  svarint(): number {
    const b = this.u8();
    const m = (b & 63) + (b & 128 ? this.varint() * 64 : 0);
    return b & 64 ? -m : m;
  }
  u32(): number {
    let v = 0;
    for (let k = 0; k < 4; k++) v |= this.u8() << (8 * k);
    return v >>> 0;
  }
}

/** MurmurHash3's word step: a bijection of the state for each word and of the word for each state, so one changed word always changes the sum. */
function mixWord(h: number, w: number): number {
  let k = Math.imul(w, 0xcc9e2d51);
  k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function checksum(header: Uint8Array, headerLen: number, words: Uint32Array, nwords: number): number {
  let h = 0x70676663;
  for (let i = 0; i < headerLen; i += 4) {
    let w = 0;
    for (let k = 0; k < 4 && i + k < headerLen; k++) w |= header[i + k] << (8 * k);
    h = mixWord(h, w);
  }
  for (let i = 0; i < nwords; i++) h = mixWord(h, words[i]);
  h ^= headerLen + 4 * nwords;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

const histTs = new Uint32Array(NSYM);
const histDelta = new Uint32Array(NSYM);
const histDod = new Uint32Array(NSYM);
const huffman = new HuffmanCode();

/**
 * Encodes samples (timestamps in ms since epoch, non-decreasing integers; values float64) into one chunk.
 * Timestamps must lie within Date's range (±8.64e15); a chunk holds at most 2^24 samples.
 */
export function encodeChunk(ts: ArrayLike<number>, values: ArrayLike<number>): Uint8Array {
  try {
    return encode(ts, values);
  } finally {
    releaseLargeScratch();
  }
}

function encode(ts: ArrayLike<number>, values: ArrayLike<number>): Uint8Array {
  const n = ts.length;
  if (values.length !== n) fail(`${n} timestamps but ${values.length} values`);
  if (n > MAX_SAMPLES) fail(`${n} samples: a chunk holds at most ${MAX_SAMPLES}`);
  ensureScratch(n);
  const t = tsIn;
  let prev = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = ts[i];
    if (!(x >= -MAX_TS && x <= MAX_TS) || Math.floor(x) !== x) fail(`timestamp ${x} at ${i} is not an integer within ±${MAX_TS}`);
    if (x < prev) fail(`timestamps decrease at ${i}: ${x} after ${prev}`);
    t[i] = prev = x;
  }
  // Copying between typed arrays keeps NaN payloads, which a round trip through a number may not.
  if (values instanceof Float64Array) valIn.set(values);
  else {
    for (let i = 0; i < n; i++) {
      const x = values[i];
      // A NULL from PostgreSQL would otherwise become 0 without a word.
      if (typeof x !== 'number') fail(`value at ${i} is ${x === null ? 'null' : typeof x}, not a number`);
      valIn[i] = x;
    }
  }

  const hw = new ByteWriter();
  hw.u8(VERSION);
  hw.u8(0);
  hw.varint(n);
  if (n === 0) return finishChunk(hw, 0);

  const D = estimateStep(t, n);
  const { mode: tsMode, R } = n > 1 ? chooseTsPredictor(t, n, D) : { mode: TS_DOD, R: 0 };

  const scaled = scaleToIntegers(valIn, n);
  let valueMode = V_INT_DELTA;
  let intBits = scaled ? 0 : Infinity;
  if (scaled && n > 1) {
    intResiduals(ints, n, resA, resB);
    histogram(resA, n, histDelta);
    histogram(resB, n, histDod);
    const deltaBits = huffman.build(histDelta);
    const dodBits = huffman.build(histDod);
    intBits = Math.min(deltaBits, dodBits) + scaled.exceptions * 80;
    if (dodBits < deltaBits) valueMode = V_INT_DOD;
  }
  // XOR coding takes at least a bit per value.
  if (intBits >= n) {
    const xorBits = writeXor(valBits, n, null);
    if (Math.min(xorBits, 64 * n) <= intBits) valueMode = xorBits <= 64 * n ? V_XOR : V_RAW;
  }

  hw.bytes[1] = (valueMode << 4) | tsMode;
  hw.svarint(t[0]);
  hw.svarint(t[n - 1]);
  hw.varint(D);
  hw.varint(R);
  if (scaled && (valueMode === V_INT_DELTA || valueMode === V_INT_DOD)) {
    hw.u8(scaled.d);
    hw.svarint(ints[0]);
    hw.varint(scaled.exceptions);
    for (let k = 0, last = -1; k < scaled.exceptions; k++) {
      const i = excIdx[k];
      hw.varint(i - last - 1);
      last = i;
      hw.u32(valBits[2 * i + LO]);
      hw.u32(valBits[2 * i + HI]);
    }
  }

  // At most 11 + 54 bits per timestamp and 77 per value.
  const bw = new BitWriter(ensureWords(Math.ceil((n * 160 + 4096) / 32)));
  if (n > 1) {
    tsResiduals(t, 0, n, tsMode, D, R, resT);
    histogram(resT, n, histTs);
    huffman.build(histTs);
    huffman.writeTable(bw);
    huffman.writeResiduals(bw, resT, n, t);
  }
  if (valueMode === V_XOR) writeXor(valBits, n, bw);
  else if (valueMode === V_RAW) {
    for (let i = 0; i < 2 * n; i += 2) {
      bw.write(valBits[i + HI], 32);
      bw.write(valBits[i + LO], 32);
    }
  } else if (n > 1) {
    huffman.build(valueMode === V_INT_DELTA ? histDelta : histDod);
    huffman.writeTable(bw);
    huffman.writeResiduals(bw, valueMode === V_INT_DELTA ? resA : resB, n, null);
  }
  return finishChunk(hw, bw.finish());
}

function finishChunk(hw: ByteWriter, nwords: number): Uint8Array {
  const words = wordBuf;
  const out = new Uint8Array(hw.n + 4 * nwords + 4);
  out.set(hw.bytes.subarray(0, hw.n));
  let o = hw.n;
  for (let i = 0; i < nwords; i++, o += 4) {
    const w = words[i];
    out[o] = w;
    out[o + 1] = w >>> 8;
    out[o + 2] = w >>> 16;
    out[o + 3] = w >>> 24;
  }
  const sum = checksum(hw.bytes, hw.n, words, nwords);
  for (let k = 0; k < 4; k++) out[o + k] = sum >>> (8 * k);
  return out;
}

interface Header {
  count: number;
  first: number;
  last: number;
  tsMode: number;
  valueMode: number;
  step: number;
  tolerance: number;
  decimals: number;
  firstInteger: number;
  exceptions: number;
}

function readHeader(hr: ByteReader): Header {
  const version = hr.u8();
  if (version !== VERSION) fail(`not a chunk, or an unknown version (${version})`);
  const modes = hr.u8();
  const h: Header = {
    count: hr.varint(), first: NaN, last: NaN, tsMode: modes & 15, valueMode: modes >>> 4,
    step: 0, tolerance: 0, decimals: 0, firstInteger: 0, exceptions: 0,
  };
  if (h.count > MAX_SAMPLES) fail(`corrupt chunk: ${h.count} samples`);
  if (h.tsMode > TS_GRID || h.valueMode > V_RAW || (h.count === 0 && modes !== 0)) fail(`corrupt chunk: modes ${modes}`);
  if (h.count === 0) return h;
  h.first = hr.svarint();
  h.last = hr.svarint();
  if (!(Math.abs(h.first) <= MAX_TS && Math.abs(h.last) <= MAX_TS && h.first <= h.last)) fail('corrupt chunk: first and last timestamps');
  h.step = hr.varint();
  h.tolerance = hr.varint();
  if (h.step >= MAX_STEP || h.tolerance >= MAX_STEP) fail('corrupt chunk: step out of range');
  if (h.valueMode === V_INT_DELTA || h.valueMode === V_INT_DOD) {
    h.decimals = hr.u8();
    h.firstInteger = hr.svarint();
    h.exceptions = hr.varint();
    if (h.decimals > MAX_DECIMALS || Math.abs(h.firstInteger) > MAX_INT || h.exceptions > h.count) fail('corrupt chunk: integer coding parameters');
  }
  return h;
}

function checkBytes(bytes: Uint8Array): void {
  if (!(bytes instanceof Uint8Array)) fail('a chunk is a Uint8Array');
}

/** Decodes a chunk back into exactly the samples given to encodeChunk (a timestamp of -0 comes back as 0). */
export function decodeChunk(bytes: Uint8Array): { ts: Float64Array; values: Float64Array } {
  try {
    return decode(bytes);
  } finally {
    releaseLargeScratch();
  }
}

function decode(bytes: Uint8Array): { ts: Float64Array; values: Float64Array } {
  checkBytes(bytes);
  const end = bytes.length - 4;
  const hr = new ByteReader(bytes, Math.max(end, 0));
  const h = readHeader(hr);
  const n = h.count;
  if (h.exceptions * 9 > end - hr.pos) fail('chunk is truncated: the exceptions end early');
  const exc = new Int32Array(h.exceptions);
  const excBits = new Uint32Array(2 * h.exceptions);
  for (let k = 0, last = -1; k < h.exceptions; k++) {
    last += hr.varint() + 1;
    if (last >= n) fail('corrupt chunk: exception index out of range');
    exc[k] = last;
    excBits[2 * k] = hr.u32();
    excBits[2 * k + 1] = hr.u32();
  }
  const headerLen = hr.pos;
  const payload = end - headerLen;
  if (payload < 0 || payload % 4 !== 0) fail('chunk is truncated or has trailing bytes');
  const nwords = payload / 4;
  const words = ensureWords(nwords + 32);
  for (let i = 0, o = headerLen; i < nwords; i++, o += 4) {
    words[i] = bytes[o] | (bytes[o + 1] << 8) | (bytes[o + 2] << 16) | (bytes[o + 3] << 24);
  }
  words.fill(0, nwords, nwords + 32);
  const stored = (bytes[end] | (bytes[end + 1] << 8) | (bytes[end + 2] << 16) | (bytes[end + 3] << 24)) >>> 0;
  if (checksum(bytes, headerLen, words, nwords) !== stored) fail('corrupt chunk: checksum mismatch');

  const ts = new Float64Array(n);
  const values = new Float64Array(n);
  if (n === 0) return { ts, values };
  const br = new BitReader(words, nwords * 32);
  ts[0] = h.first;
  if (n > 1) {
    const absAt: number[] = [];
    readResiduals(br, ts, n, absAt);
    tsFromResiduals(ts, n, h.tsMode, h.step, h.tolerance, absAt);
  }
  if (ts[n - 1] !== h.last) fail('corrupt chunk: last timestamp does not match the header');
  const u = new Uint32Array(values.buffer);
  if (h.valueMode === V_XOR) readXor(br, u, n);
  else if (h.valueMode === V_RAW) {
    for (let i = 0; i < n; i++) {
      br.check();
      u[2 * i + HI] = br.read(32);
      u[2 * i + LO] = br.read(32);
    }
  } else {
    if (n > 1) readResiduals(br, values, n, null);
    intsFromResiduals(values, n, h.valueMode, h.decimals, h.firstInteger);
    for (let k = 0; k < h.exceptions; k++) {
      u[2 * exc[k] + LO] = excBits[2 * k];
      u[2 * exc[k] + HI] = excBits[2 * k + 1];
    }
  }
  br.check();
  if (Math.ceil(br.pos / 32) !== nwords) fail('corrupt chunk: bit stream length does not match');
  return { ts, values };
}

/** Number of samples, first and last timestamp, read from the header without decoding (first and last are NaN when count is 0); the checksum is not verified. */
export function chunkInfo(bytes: Uint8Array): { count: number; first: number; last: number } {
  checkBytes(bytes);
  const h = readHeader(new ByteReader(bytes, Math.max(bytes.length - 4, 0)));
  return { count: h.count, first: h.first, last: h.last };
}
