/**
 * Per type byte: bytes of its length field (0, 1, 2 or 4) and fixed payload bytes after it;
 * -1 where the byte is a whole value or a fix-sized head read below. Typed arrays indexed by the
 * byte: this runs for every value of every message the keeper takes in.
 */
const LENGTH_BYTES = new Int8Array(256).fill(-1);
const FIXED_BYTES = new Uint8Array(256);
for (const [t, len, fixed] of [
  [0xc4, 1, 0], [0xc5, 2, 0], [0xc6, 4, 0], [0xd9, 1, 0], [0xda, 2, 0], [0xdb, 4, 0], // bin, str
  [0xc7, 1, 1], [0xc8, 2, 1], [0xc9, 4, 1], // ext: length, then the type byte
  [0xca, 0, 4], [0xcb, 0, 8], [0xcc, 0, 1], [0xcd, 0, 2], [0xce, 0, 4], [0xcf, 0, 8],
  [0xd0, 0, 1], [0xd1, 0, 2], [0xd2, 0, 4], [0xd3, 0, 8],
  [0xd4, 0, 2], [0xd5, 0, 3], [0xd6, 0, 5], [0xd7, 0, 9], [0xd8, 0, 17], // fixext: type byte and data
  [0xdc, 2, 0], [0xdd, 4, 0], [0xde, 2, 0], [0xdf, 4, 0], // array, map
] as const) { LENGTH_BYTES[t] = len; FIXED_BYTES[t] = fixed; }

/** The head of a MessagePack value: its child values, payload bytes, and where its header ends. */
export interface MsgpackHead { count: number; size: number; next: number; isMap: boolean }

/** A head to pass to msgpackHead again and again: reading one allocates nothing. */
export const newHead = (): MsgpackHead => ({ count: 0, size: 0, next: 0, isMap: false });

/**
 * Reads the head of the value at `at` into `out` without decoding it: 'cut' when the data ends
 * inside the header, 'unused' for the type byte 0xc1, which MessagePack never uses.
 */
export function msgpackHead(b: Uint8Array, dv: DataView, at: number, out: MsgpackHead = newHead()): MsgpackHead | 'cut' | 'unused' {
  const t = b[at];
  let i = at + 1;
  let count = 0;
  let size = 0;
  let isMap = false;
  if (t < 0x80 || t >= 0xe0) { /* positive or negative fixint: the byte is the value */ } else if (t <= 0x8f) { count = 2 * (t & 0x0f); isMap = true; } else if (t <= 0x9f) count = t & 0x0f;
  else if (t <= 0xbf) size = t & 0x1f;
  else if (t === 0xc1) return 'unused';
  else {
    const lengthBytes = LENGTH_BYTES[t];
    if (lengthBytes >= 0) {
      if (i + lengthBytes > b.length) return 'cut';
      const n = lengthBytes === 1 ? b[i] : lengthBytes === 2 ? dv.getUint16(i) : lengthBytes === 4 ? dv.getUint32(i) : 0;
      i += lengthBytes;
      if (t >= 0xdc) { isMap = t >= 0xde; count = isMap ? 2 * n : n; } else size = FIXED_BYTES[t] + n;
    }
  }
  out.count = count; out.size = size; out.next = i; out.isMap = isMap;
  return out;
}
