// Errors of the anonymizing copy, with stable codes (the CLI prints their messages; jobs store them).
export type AnonErrorCode =
  | 'PGFLEET_ANON_PREFLIGHT' | 'PGFLEET_ANON_TARGET_NOT_EMPTY' | 'PGFLEET_ANON_TARGET' | 'PGFLEET_ANON_COPY_STALLED'
  | 'PGFLEET_ANON_DUMP' | 'PGFLEET_ANON_SOURCE' | 'PGFLEET_ANON_KEY' | 'PGFLEET_ANON_STOPPED';

export class AnonError extends Error {
  override name = 'AnonError';

  constructor(readonly code: AnonErrorCode, message: string, options?: { cause?: unknown }, readonly problems: string[] = []) {
    super(message, options);
  }
}
