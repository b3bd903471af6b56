import { startStreamingPair, type PgMajor, type RunningPostgres } from '../../src/pg-embedded/index.ts';
import { tempDir } from './tmp.ts';

export interface TestPair {
  primary: RunningPostgres;
  standby: RunningPostgres;
  /** Stops both servers and removes their data. */
  destroy(): Promise<void>;
}

/**
 * A primary and a streaming standby of one major in a temporary directory
 * (startStreamingPair: a cold copy of the primary with standby.signal, streaming
 * through the physical slot `standby_1`, which the standby has a copy of too).
 * `prepare` runs on the primary before the copy (roles, grants).
 */
export async function startTestPair(major: PgMajor, prepare = ''): Promise<TestPair> {
  const dir = tempDir(`pgfleet-pg${major}-pair-`);
  try {
    const pair = await startStreamingPair(major, {
      dir: dir.path, prepare, settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' },
    });
    return { primary: pair.primary, standby: pair.standby, destroy: async () => { await pair.stop(); dir.remove(); } };
  } catch (err) {
    dir.remove();
    throw err;
  }
}
