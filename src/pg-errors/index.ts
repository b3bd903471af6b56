/**
 * Classification of errors from PostgreSQL and its clients, shared by the agent
 * (is the instance gone?) and the keeper (retry, or isolate the message?).
 * Pure: no I/O, no imports.
 */

/** Client-side connection failures of postgres.js and Node's sockets. */
const CONNECTION_CLIENT_CODES = new Set([
  'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT',
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN',
]);

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function isSqlState(code: unknown): code is string {
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}

/**
 * The server cannot be reached or is going away: a socket failure, SQLSTATE class
 * 08 (connection exception), 57P01–57P03 (shutdown, crash, cannot connect now).
 */
export function isConnectionError(err: unknown): boolean {
  const code = codeOf(err);
  if (code === undefined) return false;
  return CONNECTION_CLIENT_CODES.has(code) || (isSqlState(code) && (/^08/.test(code) || ['57P01', '57P02', '57P03'].includes(code)));
}

/**
 * A failure that says nothing about the data: the server is unreachable, shutting
 * down, out of resources, or a transaction lost a conflict. Retrying later can work.
 * SQLSTATE classes 08, 53 (insufficient resources), 57P (operator intervention),
 * 58 (system error), and 40001/40P01 (serialisation, deadlock), 55P03 (lock not available).
 */
export function isTransientError(err: unknown): boolean {
  const code = codeOf(err);
  if (code === undefined) return false;
  if (isConnectionError(err)) return true;
  return isSqlState(code) && (/^(53|57P|58)/.test(code) || ['40001', '40P01', '55P03'].includes(code));
}

/**
 * PostgreSQL refused the data itself (data exception 22, integrity violation 23,
 * program limit 54, e.g. an index row too large): the same data can never be stored.
 */
export function isDataError(err: unknown): boolean {
  const code = codeOf(err);
  return isSqlState(code) && /^(22|23|54)/.test(code);
}

/**
 * postgres.js 3.4 (up to 3.4.9, the latest) throws outside any promise when a connection
 * closes while a write is queued: `sql.begin` sends its ROLLBACK on a socket its close
 * handler has just set to null, from a setImmediate (porsager/postgres#1154, #1208). The
 * query at fault has already been rejected with CONNECTION_CLOSED, so nothing is lost
 * by going on; without a guard the process dies whenever a PostgreSQL it talks to
 * restarts mid-transaction. The same close can also leave a CONNECTION_CLOSED rejection
 * that no caller awaits.
 */
export function isPostgresCloseRace(err: unknown): boolean {
  if (err instanceof TypeError) {
    return /^Cannot read properties of null \(reading '(write|cork|uncork|end)'\)$/.test(err.message) && /\bnextWrite\b|\bconnection\.js\b/.test(err.stack ?? '');
  }
  return codeOf(err) === 'CONNECTION_CLOSED';
}
