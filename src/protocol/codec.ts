import { decode as unpack, encode as pack } from '@msgpack/msgpack';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { DATA_SCHEMAS, MESSAGE_TYPES, type MessageType } from './messages.ts';
import { EnvelopeSchema, isMessageType, type Envelope } from './envelope.ts';
import { ProtocolError } from './errors.ts';
import { msgpackHead, newHead } from './msgpack-head.ts';
import { decodeCommonMsgpack, UNSURE } from './msgpack-decode.ts';

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
    const common = decodeCommonMsgpack(bytes);
    if (common !== UNSURE) return common;
    const overstated = overstatedLength(bytes);
    if (overstated !== undefined) throw new RangeError(overstated);
    return unpack(bytes);
  } catch (err) {
    throw new ProtocolError('PGFLEET_PROTOCOL_DECODE', `not valid ${encoding === 'json' ? 'JSON' : 'MessagePack'}: ${(err as Error).message}`, {}, { cause: err });
  }
}

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
  const scratch = newHead();
  let i = 0;
  let owed = 1;
  while (owed > 0 && i < b.length) {
    const at = i;
    const head = msgpackHead(b, dv, at, scratch);
    if (typeof head === 'string') return undefined;
    owed--;
    i = head.next;
    const left = b.length - i;
    if (head.size > left) return `a value at byte ${at} declares ${head.size} bytes, but only ${left} follow`;
    owed += head.count;
    if (owed > left) {
      return `${head.isMap ? 'a map' : 'an array'} at byte ${at} declares ${head.isMap ? head.count / 2 : head.count} entries, but only ${left} bytes follow`;
    }
    i += head.size;
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
  // The common case (nothing wrong) is checked without building a path for every object.
  return isSafeValue(root, max) ? undefined : describeUnsafe(root, max, at);
}

function isSafeValue(root: unknown, max: number): boolean {
  const values: unknown[] = [root];
  const depths: number[] = [0];
  while (values.length > 0) {
    const value = values.pop();
    const depth = depths.pop()!;
    if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) continue;
    if (depth >= max) return false;
    if (!Array.isArray(value) && Object.hasOwn(value, '__proto__')) return false;
    for (const child of Object.values(value)) {
      if (typeof child === 'object' && child !== null) { values.push(child); depths.push(depth + 1); }
    }
  }
  return true;
}

/** The path and problem of the first unsafe value (see unsafeValue). */
function describeUnsafe(root: unknown, max: number, at: string): string | undefined {
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
