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
    return encoding === 'json' ? JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) : unpack(bytes);
  } catch (err) {
    throw new ProtocolError('PGFLEET_PROTOCOL_DECODE', `not valid ${encoding === 'json' ? 'JSON' : 'MessagePack'}: ${(err as Error).message}`, {}, { cause: err });
  }
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
  if (!isMessageType(v.type as string)) {
    throw new ProtocolError('PGFLEET_PROTOCOL_UNKNOWN_TYPE', `unknown message type "${String(v.type)}" (known: ${MESSAGE_TYPES.join(', ')})`, partial);
  }
  const check = dataChecks[v.type as MessageType];
  if (!check.Check(v.data)) {
    throw new ProtocolError('PGFLEET_PROTOCOL_SCHEMA', `invalid ${String(v.type)} data: ${firstErrors(check.Errors(v.data), '/data')}`, partial);
  }
  const deep = tooDeep(v.data, MAX_DEPTH);
  if (deep !== undefined) {
    throw new ProtocolError('PGFLEET_PROTOCOL_SCHEMA', `invalid ${String(v.type)} data: /data${deep}: nested deeper than ${MAX_DEPTH} levels`, partial);
  }
  return value as Envelope;
}

/** Deepest nesting accepted in a payload; deeper values could not be serialised back safely. */
export const MAX_DEPTH = 32;

/** Path of the first value nested deeper than `max`, without recursion (the input may be hostile). */
function tooDeep(root: unknown, max: number): string | undefined {
  const stack: [unknown, number, string][] = [[root, 0, '']];
  while (stack.length > 0) {
    const [value, depth, path] = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= max) return path;
    for (const [k, child] of Object.entries(value)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1, `${path}/${k}`]);
    }
  }
  return undefined;
}

/** Decodes and validates one message. */
export function decodeEnvelope(bytes: Uint8Array, encoding?: Encoding): Envelope {
  return validateEnvelope(decodeValue(bytes, encoding));
}

function firstErrors(errors: Iterable<{ path: string; message: string }>, prefix = ''): string {
  const out: string[] = [];
  for (const e of errors) {
    out.push(`${prefix}${e.path || '/'}: ${e.message}`);
    if (out.length === 3) break;
  }
  return out.join('; ');
}
