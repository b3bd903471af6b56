/**
 * A MessagePack decoder for what pgfleet's messages hold: maps with text keys, arrays, text,
 * numbers, booleans and nil. It returns UNSURE for anything else (binary, extensions, other
 * keys, the key `__proto__`, nesting past MAX_NESTING, invalid UTF-8, a length that runs past
 * the end, bytes after the value), and the caller then decodes with @msgpack/msgpack, whose
 * value or error stands. So what it does decode, it decodes as @msgpack/msgpack does (the same
 * numbers for 64-bit integers, the same objects), in two thirds of the time with the length guard
 * the full decoder needs (codec.ts): it checks each length against the bytes left as it goes,
 * never allocates a container at a length the bytes cannot hold, and gives short ASCII text
 * (names, labels, keys) from a cache. The keeper decodes every message it takes in.
 */

/** Returned when the value is left to the full decoder. */
export const UNSURE: unique symbol = Symbol('msgpack: left to the full decoder');

/** Deeper values are left to the full decoder (the schemas refuse more than 32 levels anyway). */
const MAX_NESTING = 40;

const EMPTY: Uint8Array = new Uint8Array(0);
const EMPTY_VIEW: DataView = new DataView(EMPTY.buffer);
let bytes: Uint8Array = EMPTY;
let view: DataView = EMPTY_VIEW;
let pos = 0;
let end = 0;

/** Thrown inside to leave the value to the full decoder; never escapes. */
const Unsure = new Error('unsure');

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes one MessagePack value taking up all of `b`, or returns UNSURE. */
export function decodeCommonMsgpack(b: Uint8Array): unknown {
  bytes = b;
  view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  pos = 0;
  end = b.length;
  try {
    const v = value(0);
    return pos === end ? v : UNSURE;
  } catch {
    // Unsure, or the stack ran out (called near its limit): the full decoder does not recurse.
    return UNSURE;
  } finally {
    bytes = EMPTY;
    view = EMPTY_VIEW;
  }
}

function need(n: number): number {
  const at = pos;
  if (at + n > end) throw Unsure;
  pos = at + n;
  return at;
}

function value(depth: number): unknown {
  if (pos >= end) throw Unsure;
  const t = bytes[pos++];
  if (t < 0x80) return t;
  if (t < 0x90) return map(t & 0x0f, depth);
  if (t < 0xa0) return array(t & 0x0f, depth);
  if (t < 0xc0) return text(t & 0x1f);
  if (t >= 0xe0) return t - 0x100;
  switch (t) {
    case 0xc0: return null;
    case 0xc2: return false;
    case 0xc3: return true;
    case 0xca: return view.getFloat32(need(4));
    case 0xcb: return view.getFloat64(need(8));
    case 0xcc: return bytes[need(1)];
    case 0xcd: return view.getUint16(need(2));
    case 0xce: return view.getUint32(need(4));
    // 64-bit integers as @msgpack/msgpack reads them without BigInt: high × 2^32 + low.
    case 0xcf: { const at = need(8); return view.getUint32(at) * 4294967296 + view.getUint32(at + 4); }
    case 0xd0: return view.getInt8(need(1));
    case 0xd1: return view.getInt16(need(2));
    case 0xd2: return view.getInt32(need(4));
    case 0xd3: { const at = need(8); return view.getInt32(at) * 4294967296 + view.getUint32(at + 4); }
    case 0xd9: return text(bytes[need(1)]);
    case 0xda: return text(view.getUint16(need(2)));
    case 0xdb: return text(view.getUint32(need(4)));
    case 0xdc: return array(view.getUint16(need(2)), depth);
    case 0xdd: return array(view.getUint32(need(4)), depth);
    case 0xde: return map(view.getUint16(need(2)), depth);
    case 0xdf: return map(view.getUint32(need(4)), depth);
    default: throw Unsure; // bin, ext, 0xc1
  }
}

function array(n: number, depth: number): unknown[] {
  // Every value takes at least a byte: a longer array is not allocated.
  if (n > end - pos || depth >= MAX_NESTING) throw Unsure;
  const out = new Array<unknown>(n);
  for (let i = 0; i < n; i++) out[i] = value(depth + 1);
  return out;
}

function map(n: number, depth: number): Record<string, unknown> {
  if (2 * n > end - pos || depth >= MAX_NESTING) throw Unsure;
  const out: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) {
    const t = bytes[pos];
    let key: string;
    if (t >= 0xa0 && t < 0xc0) { pos++; key = text(t & 0x1f); } else if (t === 0xd9) { pos++; key = text(bytes[need(1)]); } else throw Unsure;
    if (key === '__proto__') throw Unsure;
    out[key] = value(depth + 1);
  }
  return out;
}

/** Cached short ASCII strings, by length and a hash of their bytes. */
const CACHE_MAX_BYTES = 24;
const CACHE_SLOTS = 4096;
const cachedText: (string | undefined)[] = new Array(CACHE_SLOTS);
const cachedBytes: (Uint8Array | undefined)[] = new Array(CACHE_SLOTS);

function text(n: number): string {
  const at = need(n);
  if (n === 0) return '';
  if (n <= CACHE_MAX_BYTES) {
    let h = n;
    let ascii = true;
    for (let i = at; i < at + n; i++) { const c = bytes[i]; if (c >= 0x80) { ascii = false; break; } h = Math.imul(h ^ c, 0x01000193); }
    if (ascii) {
      const slot = (h ^ (h >>> 15)) & (CACHE_SLOTS - 1);
      const had = cachedBytes[slot];
      if (had !== undefined && had.length === n) {
        let same = true;
        for (let i = 0; i < n; i++) if (had[i] !== bytes[at + i]) { same = false; break; }
        if (same) return cachedText[slot]!;
      }
      let s = '';
      for (let i = at; i < at + n; i++) s += String.fromCharCode(bytes[i]);
      // A copy: a Buffer's slice is a view, which would keep the whole frame alive and change with it.
      cachedBytes[slot] = Uint8Array.prototype.slice.call(bytes, at, at + n);
      cachedText[slot] = s;
      return s;
    }
  }
  // TextDecoder drops a leading byte order mark; @msgpack/msgpack keeps it in short text.
  if (bytes[at] === 0xef && bytes[at + 1] === 0xbb && bytes[at + 2] === 0xbf) throw Unsure;
  try {
    return utf8.decode(bytes.subarray(at, at + n));
  } catch {
    throw Unsure;
  }
}
