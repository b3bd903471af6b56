import { readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { startPostgres, type PgMajor, type RunningPostgres } from '../../src/pg-embedded/index.ts';
import { tempDir } from './tmp.ts';

export { availableMajors, PG_MAJORS, type PgMajor } from '../../src/pg-embedded/index.ts';

export interface TestPostgres extends RunningPostgres {
  /** Stops the server and removes its data directory. */
  destroy(): Promise<void>;
}

/** What startTestPostgres returns: a TestPostgres that can also be crashed and restarted. */
export interface CrashableTestPostgres extends TestPostgres {
  /**
   * `kill -9` of the postmaster, for fault tests; resolves once no process of the server is
   * left, so `restart` can follow. The data directory stays, with whatever the crash left.
   */
  crash(opts?: { orphansWaitMs?: number }): Promise<CrashReport>;
  /** Starts the server again on the same data directory, port and settings (crash recovery runs first). */
  restart(): Promise<void>;
}

export interface CrashReport {
  /** Processes of the server (the postmaster included) just before the kill. */
  processes: number;
  /** Server processes (backends, checkpointer, io workers…) still running when the postmaster died. */
  orphans: number;
  /** Of those, how many had not exited within `orphansWaitMs` and were killed too. */
  killed: number;
}

/** A throwaway PostgreSQL of the given major on a free port, in a temporary directory. */
export async function startTestPostgres(major: PgMajor = 18, settings?: Record<string, string | number>): Promise<CrashableTestPostgres> {
  const dir = tempDir(`pgfleet-pg${major}-`);
  const opts = {
    major, dataDir: join(dir.path, 'data'),
    settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', ...settings },
  };
  let pg = await startPostgres(opts);
  const port = pg.port;
  return {
    major, port, dataDir: pg.dataDir, url: pg.url, urlFor: pg.urlFor,
    get exited() { return pg.exited; },
    stop: () => pg.stop(),
    kill: () => pg.kill(),
    destroy: async () => { await pg.stop(); dir.remove(); },
    restart: async () => { pg = await startPostgres({ ...opts, port }); },
    crash: async ({ orphansWaitMs = 10_000 } = {}) => {
      // The postmaster's children call setsid(), so they are not in its process group, and once it
      // is dead they belong to init; they are found by their working directory, the data directory
      // (the postmaster chdirs there and they inherit it). Only the postmaster is killed, as
      // `kill -9 <postmaster pid>` does: each child notices its death in its next wait
      // (a backend reading from its client at once) and exits, and a new postmaster refuses to
      // start while any of them still holds the old shared memory. A child that has not gone
      // after `orphansWaitMs` is killed too, so a restart can always follow.
      const data = realpathSync(pg.dataDir);
      const running = pg;
      const processes = processesIn(data).length;
      running.kill();
      // Generous: the exit is seen only when this process's event loop gets to it.
      await until(() => running.exited, 60_000, 'the postmaster to die');
      const orphans = processesIn(data);
      const deadline = Date.now() + orphansWaitMs;
      while (processesIn(data).length > 0 && Date.now() < deadline) await sleep(20);
      const left = processesIn(data);
      for (const pid of left) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone meanwhile */ } }
      await until(() => processesIn(data).length === 0, 60_000, `the server processes of ${data} to exit`);
      return { processes, orphans: orphans.length, killed: left.length };
    },
  };
}

/** Live processes whose working directory is `dir` (a zombie has none, so it is not counted). */
function processesIn(dir: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readlinkSync(`/proc/${name}/cwd`) === dir) pids.push(Number(name));
    } catch { /* exited, or not ours to look at */ }
  }
  return pids;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}
