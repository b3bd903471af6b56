import { msgpackHead, newHead } from './msgpack-head.ts';
import { ProtocolError } from './errors.ts';
import type { Encoding } from './codec.ts';

/**
 * The bytes of each element of an encoded top-level array, without decoding them, so each
 * envelope of a large batch can be held to the per-message limit (MAX_MESSAGE_BYTES) and
 * decoded on its own with decodeValue. `undefined` when the value is not an array. Throws
 * PGFLEET_PROTOCOL_DECODE when the array itself is malformed (unbalanced, truncated, bytes
 * after it); what is wrong inside an element is left to decodeValue. Linear in the size, no
 * recursion and no allocation but the result (the input may be hostile).
 */
export function arrayItems(bytes: Uint8Array, encoding: Encoding): Uint8Array[] | undefined {
  return encoding === 'json' ? jsonArrayItems(bytes) : msgpackArrayItems(bytes);
}

function malformed(encoding: Encoding, why: string): ProtocolError {
  return new ProtocolError('PGFLEET_PROTOCOL_DECODE', `not valid ${encoding === 'json' ? 'JSON' : 'MessagePack'}: ${why}`);
}

const isJsonSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

function jsonArrayItems(b: Uint8Array): Uint8Array[] | undefined {
  let i = 0;
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) i = 3; // a BOM, which decodeValue's TextDecoder drops too
  while (i < b.length && isJsonSpace(b[i])) i++;
  if (b[i] !== 0x5b) return undefined;
  i++;
  const items: Uint8Array[] = [];
  let depth = 0;
  let start = i;
  let inString = false;
  for (; i < b.length; i++) {
    const c = b[i];
    // UTF-8 continuation and lead bytes are all ≥ 0x80: a multi-byte character never looks like a delimiter.
    if (inString) {
      if (c === 0x5c) i++; // the escaped byte
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) depth++;
    else if (c === 0x7d || (c === 0x5d && depth > 0)) {
      if (--depth < 0) throw malformed('json', `unbalanced "}" at byte ${i}`);
    } else if (depth === 0 && (c === 0x2c || c === 0x5d)) {
      const item = b.subarray(start, i);
      if (item.every(isJsonSpace)) {
        if (c === 0x5d && items.length === 0) { start = -1; break; } // []
        throw malformed('json', `an empty array element before byte ${i}`);
      }
      items.push(item);
      start = i + 1;
      if (c === 0x5d) { start = -1; break; }
    }
  }
  if (start !== -1) throw malformed('json', 'the array is not closed');
  for (i++; i < b.length; i++) if (!isJsonSpace(b[i])) throw malformed('json', `unexpected byte after the array at ${i}`);
  return items;
}

function msgpackArrayItems(b: Uint8Array): Uint8Array[] | undefined {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const t = b[0];
  let count: number;
  let i: number;
  if (t >= 0x90 && t <= 0x9f) { count = t & 0x0f; i = 1; }
  else if (t === 0xdc && b.length >= 3) { count = dv.getUint16(1); i = 3; }
  else if (t === 0xdd && b.length >= 5) { count = dv.getUint32(1); i = 5; }
  else return undefined;
  if (count > b.length - i) throw malformed('msgpack', `the array declares ${count} elements, but only ${b.length - i} bytes follow`);
  const items: Uint8Array[] = [];
  for (let k = 0; k < count; k++) {
    const start = i;
    i = skipMsgpackValue(b, dv, i);
    items.push(b.subarray(start, i));
  }
  if (i !== b.length) throw malformed('msgpack', `${b.length - i} bytes after the array`);
  return items;
}

/** The offset after the value that starts at `i`, nested values included (iteratively). */
function skipMsgpackValue(b: Uint8Array, dv: DataView, i: number): number {
  const scratch = newHead();
  let owed = 1;
  while (owed > 0) {
    if (i >= b.length) throw malformed('msgpack', 'the data ends inside an array element');
    const at = i;
    const head = msgpackHead(b, dv, at, scratch);
    if (head === 'unused') throw malformed('msgpack', `the type byte 0xc1 at byte ${at} is never used`);
    if (head === 'cut') throw malformed('msgpack', `the data ends inside the header at byte ${at}`);
    owed--;
    i = head.next;
    if (head.size > b.length - i) throw malformed('msgpack', `a value at byte ${at} declares ${head.size} bytes, but only ${b.length - i} follow`);
    i += head.size;
    owed += head.count;
    // Every value takes at least a byte: more owed than bytes left is a lie, found before looping over it.
    if (owed > b.length - i) throw malformed('msgpack', `a value at byte ${at} declares more elements than the ${b.length - i} bytes left can hold`);
  }
  return i;
}
