import type { FastifyError, FastifyInstance } from 'fastify';
import { ProtocolError } from '../../protocol/index.ts';
import { StoreError } from '../../store/index.ts';
import { isTransientError } from '../../pg-errors/index.ts';
import { AuthError } from '../auth/index.ts';

export const API_ERROR_CODES = ['PGFLEET_API_BAD_PARAM', 'PGFLEET_API_NOT_FOUND', 'PGFLEET_API_UNKNOWN_METRIC', 'PGFLEET_API_UNAUTHORIZED', 'PGFLEET_API_CONFLICT',
  'PGFLEET_PROTOCOL_TOO_LARGE', 'PGFLEET_PROTOCOL_DECODE', 'PGFLEET_PROTOCOL_ENVELOPE', 'PGFLEET_PROTOCOL_UNKNOWN_TYPE', 'PGFLEET_PROTOCOL_SCHEMA'] as const;
export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

/** An error the API answers with its own status and a message meant for the caller. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(readonly code: ApiErrorCode, message: string, readonly statusCode: number = STATUS_OF[code]) {
    super(message);
  }
}

/** Every error code the API can answer with, and its HTTP status: one table. */
const STATUS_OF: Record<string, number> = {
  PGFLEET_API_BAD_PARAM: 400,
  PGFLEET_API_NOT_FOUND: 404,
  PGFLEET_API_UNKNOWN_METRIC: 400,
  PGFLEET_API_UNAUTHORIZED: 401,
  PGFLEET_API_CONFLICT: 409,
  PGFLEET_PROTOCOL_TOO_LARGE: 413,
  PGFLEET_PROTOCOL_DECODE: 400,
  PGFLEET_PROTOCOL_ENVELOPE: 400,
  PGFLEET_PROTOCOL_UNKNOWN_TYPE: 400,
  PGFLEET_PROTOCOL_SCHEMA: 400,
  PGFLEET_STORE_UNAVAILABLE: 503,
  FST_ERR_VALIDATION: 400,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 415,
  FST_ERR_CTP_BODY_TOO_LARGE: 413,
  FST_ERR_CTP_EMPTY_JSON_BODY: 400,
  FST_ERR_CTP_INVALID_JSON_BODY: 400,
};

const REASON: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 429: 'Too Many Requests', 413: 'Payload Too Large', 415: 'Unsupported Media Type', 503: 'Service Unavailable', 500: 'Internal Server Error' };

/** One error handler: known codes map to their status; anything else is a 500 that is logged. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | ApiError | AuthError | ProtocolError | StoreError, req, reply) => {
    const code = (err as { code?: string }).code ?? 'PGFLEET_INTERNAL';
    let status = err instanceof ApiError || err instanceof AuthError ? err.statusCode : STATUS_OF[code] ?? (err as FastifyError).statusCode ?? 500;
    let outCode = code;
    let message = err.message;
    if ((err as FastifyError).validation) {
      status = 400;
      outCode = 'PGFLEET_API_BAD_PARAM';
      message = `invalid ${(err as FastifyError).validationContext ?? 'request'}: ${describeValidation((err as FastifyError).validation!, err.message)}`;
    } else if (!(err instanceof AuthError) && !(err instanceof ApiError) && isTransientError(err)) {
      // (An error of ours that only carries a connection error as its cause, such as the directory's, keeps its own code.)
      // The store is down or overloaded: say so, and that trying again later can work.
      status = 503;
      outCode = 'PGFLEET_STORE_UNAVAILABLE';
      message = `the store is unavailable, try again later (${err.message})`;
    }
    if (status >= 500) req.log.error({ err }, 'request failed');
    if (status === 503) reply.header('retry-after', '5');
    if (err instanceof AuthError && err.retryAfterS !== undefined) reply.header('retry-after', String(err.retryAfterS));
    reply.status(status).send({ statusCode: status, code: outCode, error: REASON[status] ?? 'Error', message });
  });
}

interface AjvError { instancePath: string; keyword: string; params: Record<string, unknown>; message?: string }

/**
 * One line per wrong field. A union of constants ("fn must be equal to constant"
 * three times over) becomes "fn: expected one of value, rate".
 */
function describeValidation(errors: unknown[], fallback: string): string {
  const byPath = new Map<string, AjvError[]>();
  for (const e of errors as AjvError[]) {
    const path = e.instancePath.replace(/^\//, '').replaceAll('/', '.') || String(e.params?.missingProperty ?? e.params?.additionalProperty ?? '');
    byPath.set(path, [...(byPath.get(path) ?? []), e]);
  }
  const parts: string[] = [];
  for (const [path, errs] of byPath) {
    const allowed = errs.filter((e) => e.keyword === 'const').map((e) => e.params.allowedValue);
    if (allowed.length) parts.push(`${path}: expected one of ${allowed.join(', ')}`);
    else if (errs[0].keyword === 'additionalProperties') parts.push(`unknown parameter "${String(errs[0].params.additionalProperty)}"`);
    else if (errs[0].keyword === 'required') parts.push(`${String(errs[0].params.missingProperty)} is required`);
    else parts.push(`${path} ${errs[0].message ?? ''}`.trim());
  }
  return parts.join('; ') || fallback;
}
