/**
 * Host metrics of one PostgreSQL instance, read by the agent beside it:
 * pg_storage (the filesystem and block device under PGDATA, pg_wal and each
 * tablespace) and pg_process (CPU, memory and I/O of its processes by
 * backend_type). The public door of the pg-host*.ts files.
 *
 *   const dirs = await readPgDirs(sql);            // now and then (every probe)
 *   const storage = await storageFamilies(dirs);
 *   const sampler = new PgProcessSampler();        // one per target, kept
 *   const procs = await sampler.processFamilies(await readPgProcessRows(sql), dirs.postmasterPid);
 */
import type { MetricFamily } from '../../protocol/index.ts';
import { storageLocationsOf, type PgDirs } from './pg-host-dirs.ts';
import { measureLocations, storageFamiliesOf, type StorageReadOptions } from './pg-host-storage.ts';

export { readPgDirs, storageLocationsOf, type PgDirs } from './pg-host-dirs.ts';
export {
  storageFamiliesOf, measureLocations, diskOfMount, wholeDisksOf,
  type StorageLocation, type MeasuredLocation, type BlockDeviceInfo, type StorageReadOptions,
} from './pg-host-storage.ts';
export {
  readPgProcessRows, processFamiliesOf, ProcessCounters,
  type PgProcessRow, type ProcSample, type TypeTotals, type PassCoverage,
} from './pg-host-process.ts';
export {
  PgProcessSampler, PSS_EVERY, PTRACE_FILES,
  type PtraceFile, type PgProcessSamplerOptions, type PgProcessResult,
} from './pg-host-sampler.ts';
export * from './pg-host-parsers.ts';

/**
 * pg_storage families of an instance: for PGDATA (`role=data`), pg_wal
 * (`wal`) and each tablespace (`tablespace:<name>`), its filesystem's space
 * and inodes and its block device's I/O counters. Empty when the server is
 * not on this host.
 */
export async function storageFamilies(dirs: PgDirs, o?: StorageReadOptions): Promise<MetricFamily[]> {
  return storageFamiliesOf(await measureLocations(storageLocationsOf(dirs), o));
}
