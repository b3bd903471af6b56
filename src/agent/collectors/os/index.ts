/**
 * OS metrics read from /proc (no extension on the database needed): a thin
 * reader per node collector of the catalog (its `reader:` field), over the
 * pure parsers of parsers.ts and filesystem.ts.
 */
import { readFile, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { MetricFamily } from '../../../protocol/index.ts';
import { parseDiskstats, parseLoadavg, parseMeminfo, parseNetDev, parseProcStat } from './parsers.ts';
import { filesystemFamilies, parseMounts, type FsStats, type MountEntry } from './filesystem.ts';

export { parseProcStat, parseMeminfo, parseLoadavg, parseDiskstats, parseNetDev, USER_HZ } from './parsers.ts';
export { parseMounts, filesystemFamilies, type MountEntry, type FsStats } from './filesystem.ts';

/** Reads one group of OS metrics; `procRoot` (default /proc) lets tests read a fixture folder. */
export type OsReader = (procRoot?: string) => Promise<MetricFamily[]>;

const DEFAULT_PROC = '/proc';

function fileReader(file: string, parse: (text: string) => MetricFamily[]): OsReader {
  return async (procRoot = DEFAULT_PROC) => parse(await readFile(join(procRoot, file), 'utf8'));
}

/** statfs of a network filesystem whose server is gone can block for minutes. */
const STATFS_TIMEOUT_MS = 2000;
/**
 * Mount points whose statfs has not returned yet. Each holds a libuv thread,
 * so a hung mount is not asked again until it answers; otherwise every run
 * would take one more of the pool's four threads.
 */
const pendingStatfs = new Set<string>();

async function statfsWithTimeout(mountpoint: string): Promise<FsStats | undefined> {
  if (pendingStatfs.has(mountpoint)) return undefined;
  pendingStatfs.add(mountpoint);
  const call = statfs(mountpoint).finally(() => pendingStatfs.delete(mountpoint));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => { timer = setTimeout(resolve, STATFS_TIMEOUT_MS, undefined); });
  try {
    return await Promise.race([call, timeout]);
  } finally {
    clearTimeout(timer);
    call.catch(() => {}); // a late failure after the timeout has nobody to report to
  }
}

/**
 * Filesystems of /proc/mounts with their statfs figures. A mount point that
 * cannot be measured (permission, vanished, hung) is left out of this run:
 * the series pauses, as the mount is not measurable now.
 */
async function readFilesystems(procRoot = DEFAULT_PROC): Promise<MetricFamily[]> {
  const mounts = parseMounts(await readFile(join(procRoot, 'mounts'), 'utf8'));
  const measured = await Promise.all(mounts.map(async (mount: MountEntry) => {
    try {
      const stats = await statfsWithTimeout(mount.mountpoint);
      return stats ? { mount, stats } : undefined;
    } catch {
      return undefined;
    }
  }));
  return filesystemFamilies(measured.filter((m) => m !== undefined));
}

/** The readers named by the `reader:` field of node collectors (NODE_READERS in src/catalog). */
export const OS_READERS: Record<string, OsReader> = {
  cpu: fileReader('stat', parseProcStat),
  memory: fileReader('meminfo', parseMeminfo),
  load: fileReader('loadavg', parseLoadavg),
  disk: fileReader('diskstats', parseDiskstats),
  filesystem: readFilesystems,
  // The network namespace of the agent: run it in the host's to see the host's interfaces.
  network: fileReader('net/dev', parseNetDev),
};
