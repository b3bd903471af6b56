import { Type, type Static } from '@sinclair/typebox';
import { MESSAGE_TYPES, type DataOf, type MessageType } from './messages.ts';

export const PROTOCOL_VERSION = 1;

/** Agent and instance ids: the characters NATS subject tokens allow, minus wildcards and dots. */
export const ID_PATTERN = '^[A-Za-z0-9_-]{1,100}$';

/** The envelope of ARCHITECTURE.md §3; `data` is validated by the type's own schema. */
export const EnvelopeSchema = Type.Object({
  v: Type.Literal(PROTOCOL_VERSION),
  type: Type.String({ minLength: 1, maxLength: 40 }),
  agent: Type.String({ pattern: ID_PATTERN }),
  instance: Type.Optional(Type.String({ pattern: ID_PATTERN })),
  seq: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
  /** The largest time a JavaScript Date holds. */
  ts: Type.Integer({ minimum: 0, maximum: 8.64e15 }),
  data: Type.Unknown(),
}, { additionalProperties: true });
export type RawEnvelope = Static<typeof EnvelopeSchema>;

/** A validated envelope of a known type. */
export type Envelope<T extends MessageType = MessageType> = {
  [K in T]: { v: 1; type: K; agent: string; instance?: string; seq: number; ts: number; data: DataOf[K] };
}[T];

export function isMessageType(t: string): t is MessageType {
  return (MESSAGE_TYPES as readonly string[]).includes(t);
}
