import { decode as unpack, encode as pack } from '@msgpack/msgpack';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { DATA_SCHEMAS, MESSAGE_TYPES, type MessageType } from './messages.ts';
import { EnvelopeSchema, isMessageType, type Envelope } from './envelope.ts';
import { ProtocolError } from './errors.ts';

/** Largest encoded message accepted (NATS' default max_payload is 1 MiB). */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

export const ENCODINGS = ['msgpack', 'json'] as const;
export type Encoding = (typeof ENCODINGS)[number];

const envelopeCheck = TypeCompiler.Compile(EnvelopeSchema);
const dataChecks = Object.fromEntries(
  MESSAGE_TYPES.map((t) => [t, TypeCompiler.Compile(DATA_SCHEMAS[t])]),
) as Record<MessageType, ReturnType<typeof TypeCompiler.Compile>>;

/** Encodes an envelope; throws PGFLEET_PROTOCOL_TOO_LARGE past the size limit. */
export function encodeEnvelope(env: Envelope, encoding: Encoding = 'msgpack'): Uint8Array {
  // Plain maps and standard types only: the other side may be any MessagePack library.
  const bytes = encoding === 'json' ? new TextEncoder().encode(JSON.stringify(env)) : pack(env);
  if (bytes.byteLength > MAX_MESSAGE_BYTES) {
    throw new ProtocolError('PGFLEET_PROTOCOL_TOO_LARGE',
      `message is ${bytes.byteLength} bytes, the limit is ${MAX_MESSAGE_BYTES}`, { agent: env.agent, seq: env.seq, type: env.type });
  }
  return bytes;
}

/** JSON starts with `{` or `[` (after white space); a MessagePack map or array never starts with those bytes. */
export function sniffEncoding(bytes: Uint8Array): Encoding {
  for (const b of bytes) {
    if (b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09) continue;
    return b === 0x7b || b === 0x5b ? 'json' : 'msgpack';
  }
  return 'json';
}

/** Turns bytes into a value, whatever they are; every failure is a ProtocolError. */
export function decodeValue(bytes: Uint8Array, encoding: Encoding = sniffEncoding(bytes)): unknown {
  if (bytes.byteLength > MAX_MESSAGE_BYTES) {
    throw new ProtocolError('PGFLEET_PROTOCOL_TOO_LARGE', `message is ${bytes.byteLength} bytes, the limit is ${MAX_MESSAGE_BYTES}`);
  }
  if (bytes.byteLength === 0) throw new ProtocolError('PGFLEET_PROTOCOL_DECODE', 'message is empty');
  try {
    if (encoding === 'json') return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    const overstated = overstatedLength(bytes);
    if (overstated !== undefined) throw new RangeError(overstated);
    return unpack(bytes);
  } catch (err) {
    throw new ProtocolError('PGFLEET_PROTOCOL_DECODE', `not valid ${encoding === 'json' ? 'JSON' : 'MessagePack'}: ${(err as Error).message}`, {}, { cause: err });
  }
}

/** Bytes after a MessagePack type byte before the payload: [length field size, fixed payload size]. */
const MSGPACK_HEADS: Record<number, [number, number]> = {
  0xc4: [1, 0], 0xc5: [2, 0], 0xc6: [4, 0], 0xd9: [1, 0], 0xda: [2, 0], 0xdb: [4, 0], // bin, str
  0xc7: [1, 1], 0xc8: [2, 1], 0xc9: [4, 1], // ext: length, then the type byte
  0xca: [0, 4], 0xcb: [0, 8], 0xcc: [0, 1], 0xcd: [0, 2], 0xce: [0, 4], 0xcf: [0, 8],
  0xd0: [0, 1], 0xd1: [0, 2], 0xd2: [0, 4], 0xd3: [0, 8],
  0xd4: [0, 2], 0xd5: [0, 3], 0xd6: [0, 5], 0xd7: [0, 9], 0xd8: [0, 17], // fixext: type byte and data
  0xdc: [2, 0], 0xdd: [4, 0], 0xde: [2, 0], 0xdf: [4, 0], // array, map
};

/**
 * Finds an array, map, string, binary or extension that declares more than the
 * bytes left can hold. @msgpack/msgpack allocates each array at its declared length
 * before reading it, so a few hundred bytes of nested `array32` headers would take
 * gigabytes and kill the process. Every value takes at least one byte, so the values
 * still owed can never outnumber the bytes left. Other malformations are left to the
 * decoder, whose messages say what they are.
 */
function overstatedLength(b: Uint8Array): string | undefined {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let i = 0;
  let owed = 1;
  while (owed > 0 && i < b.length) {
    const at = i;
    const t = b[i++];
    owed--;
    let count = 0; // child values
    let size = 0; // payload bytes
    if (t >= 0x80 && t <= 0x8f) count = 2 * (t & 0x0f);
    else if (t >= 0x90 && t <= 0x9f) count = t & 0x0f;
    else if (t >= 0xa0 && t <= 0xbf) size = t & 0x1f;
    else if (MSGPACK_HEADS[t] !== undefined) {
      const [lengthBytes, fixed] = MSGPACK_HEADS[t];
      if (i + lengthBytes > b.length) return undefined;
      const n = lengthBytes === 1 ? b[i] : lengthBytes === 2 ? dv.getUint16(i) : lengthBytes === 4 ? dv.getUint32(i) : 0;
      i += lengthBytes;
      if (t >= 0xdc) count = t >= 0xde ? 2 * n : n;
      else size = fixed + (lengthBytes > 0 ? n : 0);
    } else if (t === 0xc1) return undefined;
    const left = b.length - i;
    if (size > left) return `a value at byte ${at} declares ${size} bytes, but only ${left} follow`;
    owed += count;
    if (owed > left) {
      const isMap = t >= 0xde || (t >= 0x80 && t <= 0x8f);
      return `${isMap ? 'a map' : 'an array'} at byte ${at} declares ${isMap ? count / 2 : count} entries, but only ${left} bytes follow`;
    }
    i += size;
  }
  return undefined;
}

/** Checks a decoded value against the envelope and its type's schema. */
export function validateEnvelope(value: unknown): Envelope {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtocolError('PGFLEET_PROTOCOL_ENVELOPE', 'envelope must be an object');
  }
  const v = value as Record<string, unknown>;
  const partial = {
    agent: typeof v.agent === 'string' ? v.agent.slice(0, 100) : undefined,
    seq: typeof v.seq === 'number' ? v.seq : undefined,
    type: typeof v.type === 'string' ? v.type.slice(0, 40) : undefined,
  };
  if (!envelopeCheck.Check(value)) {
    throw new ProtocolError('PGFLEET_PROTOCOL_ENVELOPE', `invalid envelope: ${firstErrors(envelopeCheck.Errors(value))}`, partial);
  }
  // Fields added in later versions are kept, so they get the same limits as `data`.
  for (const [k, child] of Object.entries(v)) {
    const bad = k === '__proto__' ? `/__proto__: ${PROTO_KEY}` : k === 'data' ? undefined : unsafeValue(child, MAX_DEPTH, `/${k}`);
    if (bad !== undefined) throw new ProtocolError('PGFLEET_PROTOCOL_ENVELOPE', `invalid envelope: ${bad}`, partial);
  }
  if (!isMessageType(v.type as string)) {
    throw new ProtocolError('PGFLEET_PROTOCOL_UNKNOWN_TYPE', `unknown message type "${String(v.type)}" (known: ${MESSAGE_TYPES.join(', ')})`, partial);
  }
  const check = dataChecks[v.type as MessageType];
  if (!check.Check(v.data)) {
    throw new ProtocolError('PGFLEET_PROTOCOL_SCHEMA', `invalid ${String(v.type)} data: ${firstErrors(check.Errors(v.data), '/data')}`, partial);
  }
  const bad = unsafeValue(v.data, MAX_DEPTH, '/data');
  if (bad !== undefined) throw new ProtocolError('PGFLEET_PROTOCOL_SCHEMA', `invalid ${String(v.type)} data: ${bad}`, partial);
  return value as Envelope;
}

/** Deepest nesting accepted in a payload; deeper values could not be serialised back safely. */
export const MAX_DEPTH = 32;

/** JSON.parse keeps a `__proto__` key as an own property; MessagePack decoding refuses it, so JSON must too. */
const PROTO_KEY = 'the key "__proto__" is not allowed';

/**
 * The path and problem of the first value nested deeper than `max` or holding a
 * `__proto__` key, without recursion (the input may be hostile).
 */
function unsafeValue(root: unknown, max: number, at: string): string | undefined {
  const stack: [unknown, number, string][] = [[root, 0, at]];
  while (stack.length > 0) {
    const [value, depth, path] = stack.pop()!;
    // MessagePack bin values are byte arrays: nothing is nested in them.
    if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) continue;
    if (depth >= max) return `${cutPath(path)}: nested deeper than ${max} levels`;
    if (Object.hasOwn(value, '__proto__')) return `${cutPath(path)}/__proto__: ${PROTO_KEY}`;
    for (const [k, child] of Object.entries(value)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1, `${path}/${k}`]);
    }
  }
  return undefined;
}

/** A key or path as long as the message allows: an error names the problem, it does not echo the input. */
function cutPath(path: string, max = 200): string {
  return path.length > max ? `${path.slice(0, max)}…` : path;
}

/** Decodes and validates one message. */
export function decodeEnvelope(bytes: Uint8Array, encoding?: Encoding): Envelope {
  return validateEnvelope(decodeValue(bytes, encoding));
}

function firstErrors(errors: Iterable<{ path: string; message: string }>, prefix = ''): string {
  const out: string[] = [];
  for (const e of errors) {
    out.push(`${prefix}${cutPath(e.path) || '/'}: ${e.message}`);
    if (out.length === 3) break;
  }
  return out.join('; ');
}
