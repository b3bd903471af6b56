/** Error codes of the protocol area. */
export const PROTOCOL_ERROR_CODES = [
  'PGFLEET_PROTOCOL_TOO_LARGE',
  'PGFLEET_PROTOCOL_DECODE',
  'PGFLEET_PROTOCOL_ENVELOPE',
  'PGFLEET_PROTOCOL_UNKNOWN_TYPE',
  'PGFLEET_PROTOCOL_SCHEMA',
] as const;
export type ProtocolErrorCode = (typeof PROTOCOL_ERROR_CODES)[number];

/** Base of every pgfleet error: a stable `code`, the cause kept. Each area subclasses it in its errors.ts. */
export class PgfleetError<C extends string = string> extends Error {
  readonly code: C;
  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** A message that cannot be accepted; `reason` says what is wrong and where. */
export class ProtocolError extends PgfleetError<ProtocolErrorCode> {
  override name = 'ProtocolError';
  /** Envelope fields that could be read before the failure, to file the dead letter. */
  readonly partial: { agent?: string; seq?: number; type?: string };
  constructor(code: ProtocolErrorCode, message: string, partial: ProtocolError['partial'] = {}, options?: { cause?: unknown }) {
    super(code, message, options);
    this.partial = partial;
  }
}
