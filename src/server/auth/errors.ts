export const AUTH_ERROR_CODES = ['PGFLEET_AUTH_REQUIRED', 'PGFLEET_AUTH_FAILED', 'PGFLEET_AUTH_LOCKED', 'PGFLEET_AUTH_RATE_LIMITED', 'PGFLEET_AUTH_FORBIDDEN',
  'PGFLEET_AUTH_CSRF', 'PGFLEET_AUTH_PASSWORD_CHANGE', 'PGFLEET_AUTH_BAD_REQUEST', 'PGFLEET_AUTH_NOT_FOUND', 'PGFLEET_AUTH_CONFLICT', 'PGFLEET_AUTH_DIRECTORY', 'PGFLEET_AUTH_NO_ROLE'] as const;
export type AuthErrorCode = (typeof AUTH_ERROR_CODES)[number];

/** HTTP status of each code: one table (the API's error handler reads it). */
export const AUTH_STATUS: Record<AuthErrorCode, number> = {
  PGFLEET_AUTH_REQUIRED: 401, PGFLEET_AUTH_FAILED: 401, PGFLEET_AUTH_LOCKED: 429, PGFLEET_AUTH_RATE_LIMITED: 429, PGFLEET_AUTH_FORBIDDEN: 403,
  PGFLEET_AUTH_CSRF: 403, PGFLEET_AUTH_PASSWORD_CHANGE: 403, PGFLEET_AUTH_BAD_REQUEST: 400, PGFLEET_AUTH_NOT_FOUND: 404, PGFLEET_AUTH_CONFLICT: 409, PGFLEET_AUTH_DIRECTORY: 503, PGFLEET_AUTH_NO_ROLE: 403,
};

/** Signing in or access refused, with a message for the person and, when waiting helps, how long. */
export class AuthError extends Error {
  override name = 'AuthError';
  readonly statusCode: number;
  readonly retryAfterS?: number;
  constructor(readonly code: AuthErrorCode, message: string, opts: { retryAfterS?: number; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.statusCode = AUTH_STATUS[code];
    if (opts.retryAfterS !== undefined) this.retryAfterS = opts.retryAfterS;
  }
}
