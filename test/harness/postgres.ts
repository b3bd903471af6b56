import { join } from 'node:path';
import { startPostgres, type PgMajor, type RunningPostgres } from '../../src/pg-embedded/index.ts';
import { tempDir } from './tmp.ts';

export { availableMajors, PG_MAJORS, type PgMajor } from '../../src/pg-embedded/index.ts';

export interface TestPostgres extends RunningPostgres {
  /** Stops the server and removes its data directory. */
  destroy(): Promise<void>;
}

/** A throwaway PostgreSQL of the given major on a free port, in a temporary directory. */
export async function startTestPostgres(major: PgMajor = 18, settings?: Record<string, string | number>): Promise<TestPostgres> {
  const dir = tempDir(`pgfleet-pg${major}-`);
  const pg = await startPostgres({
    major, dataDir: join(dir.path, 'data'),
    settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', ...settings },
  });
  return Object.assign(pg, {
    destroy: async () => { await pg.stop(); dir.remove(); },
  });
}
