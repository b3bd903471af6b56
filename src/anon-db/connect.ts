// Connections of the anonymizing copy. From the CLI, a URI may leave parts to libpq's environment
// (PGHOST, PGUSER, PGPASSWORD…), as every PostgreSQL tool does. From the server (jobs started
// through the API) it may not: the server's environment holds the store's credentials, and a URI
// without a password must not send them to whatever host the URI names.
import postgres, { type Options, type Sql } from 'postgres';
import { AnonError } from './errors.ts';

/** Session settings that make COPY text the same whoever reads it (dates, floats, time zones), and no timeout that would cut a long copy. */
export const COPY_SESSION = {
  DateStyle: 'ISO, YMD', TimeZone: 'UTC', IntervalStyle: 'postgres', extra_float_digits: '3', client_encoding: 'UTF8',
  statement_timeout: 0, idle_in_transaction_session_timeout: 0, application_name: 'pgfleet anon',
} as const;

/** The parts of a URI, all explicit: no environment variable fills a missing one. */
export function explicitUri(uri: string, what: string): { host: string; port: number; user: string; pass: () => string; database: string } {
  let u: URL;
  try { u = new URL(uri); } catch { throw new AnonError('PGFLEET_ANON_SOURCE', `${what}: not a connection URI (postgresql://user:password@host:port/database)`); }
  if (!/^postgres(ql)?:$/.test(u.protocol)) throw new AnonError('PGFLEET_ANON_SOURCE', `${what}: a postgresql:// URI, not ${u.protocol}`);
  const database = decodeURIComponent(u.pathname.slice(1));
  if (!u.hostname || !u.username || !database) throw new AnonError('PGFLEET_ANON_SOURCE', `${what}: the URI must name the host, the user and the database (postgresql://user:password@host:port/database)`);
  const password = decodeURIComponent(u.password);
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 5432), user: decodeURIComponent(u.username), pass: () => password, database };
}

/** A connection pool for a copy; `strict`: every part from the URI itself. */
export function anonConnection(uri: string, opts: { max: number; strict?: boolean; what: string }): Sql {
  const base: Options<Record<string, never>> = { max: opts.max, onnotice: () => {}, connection: { ...COPY_SESSION } };
  if (!opts.strict) return postgres(uri, base);
  const e = explicitUri(uri, opts.what);
  return postgres({ ...base, host: e.host, port: e.port, user: e.user, pass: e.pass, database: e.database });
}
