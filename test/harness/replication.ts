import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { serverOsUser, startPostgres, type PgMajor, type RunningPostgres } from '../../src/pg-embedded/index.ts';
import { tempDir } from './tmp.ts';
import { waitFor } from './wait.ts';

export interface TestPair {
  primary: RunningPostgres;
  standby: RunningPostgres;
  /** Stops both servers and removes their data. */
  destroy(): Promise<void>;
}

/**
 * A primary and a streaming standby of one major. The embedded packages have no
 * pg_basebackup, so the standby is a cold copy of the stopped primary's data
 * directory with standby.signal, streaming through the physical slot `standby_1`.
 * `prepare` runs on the primary before the copy (roles, grants).
 */
export async function startTestPair(major: PgMajor, prepare = ''): Promise<TestPair> {
  const dir = tempDir(`pgfleet-pg${major}-pair-`);
  const primaryDir = join(dir.path, 'primary');
  const standbyDir = join(dir.path, 'standby');
  const settings = { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' };
  const first = await startPostgres({ major, dataDir: primaryDir, settings });
  const admin = postgres(first.url, { max: 1, onnotice: () => {} });
  await admin.unsafe(`${prepare}; SELECT pg_create_physical_replication_slot('standby_1', true);`);
  await admin.end();
  await first.stop();
  execFileSync('cp', ['-a', primaryDir, standbyDir]); // keeps the owner (the postgres OS user when we are root)
  writeFileSync(join(standbyDir, 'standby.signal'), '');
  const owner = serverOsUser();
  if (owner) execFileSync('chown', [`${owner.uid}:${owner.gid}`, join(standbyDir, 'standby.signal')]);
  const primary = await startPostgres({ major, dataDir: primaryDir, port: first.port, settings });
  const standby = await startPostgres({ major, dataDir: standbyDir, settings: {
    ...settings, hot_standby: 'on', primary_slot_name: 'standby_1',
    primary_conninfo: `host=127.0.0.1 port=${primary.port} user=postgres application_name=standby_1`,
  } });
  const check = postgres(primary.url, { max: 1, onnotice: () => {} });
  try {
    await waitFor('the standby to stream', async () => (await check`SELECT 1 FROM pg_stat_replication WHERE state = 'streaming'`).length === 1);
  } finally {
    await check.end();
  }
  return {
    primary, standby,
    destroy: async () => { await standby.stop(); await primary.stop(); dir.remove(); },
  };
}
