/**
 * Pure parsers of the /proc files the host metrics per PostgreSQL process
 * read: each takes the file's text, so tests run on fixture strings.
 */

/** One line of /proc/PID/mountinfo (proc(5)). */
export interface MountInfo {
  /** `major:minor` of the filesystem (st_dev); 0:N for btrfs subvolumes, NFS, overlay, tmpfs. */
  majorMinor: string;
  mountpoint: string;
  fstype: string;
  /** The mount source: a device path such as /dev/nvme0n1p2, or a name (tmpfs, server:/export). */
  source: string;
}

/** mountinfo escapes space, tab, newline and backslash as octal (\040, \011, \012, \134). */
function unescapeOctal(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/**
 * /proc/self/mountinfo: `id parent maj:min root mountpoint options [optional…] - fstype source superoptions`.
 * The optional fields vary in number, so the fields after the ` - ` separator are found by it.
 */
export function parseMountinfo(text: string): MountInfo[] {
  const out: MountInfo[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(' ');
    const sep = f.indexOf('-', 6);
    if (f.length < 7 || sep < 0 || sep + 2 >= f.length) continue;
    out.push({ majorMinor: f[2], mountpoint: unescapeOctal(f[4]), fstype: f[sep + 1], source: unescapeOctal(f[sep + 2]) });
  }
  return out;
}

/**
 * The mount holding an absolute, symlink-free path: the longest mount point
 * that is a prefix of it. Of several mounts on the same point the last one
 * is on top, so it wins.
 */
export function findMount(mounts: MountInfo[], path: string): MountInfo | undefined {
  let best: MountInfo | undefined;
  for (const m of mounts) {
    const mp = m.mountpoint;
    const under = mp === '/' || path === mp || path.startsWith(mp.endsWith('/') ? mp : `${mp}/`);
    if (under && (!best || mp.length >= best.mountpoint.length)) best = m;
  }
  return best;
}

/** The counters of one /proc/diskstats line that pg_storage reports. */
export interface DiskCounters {
  majorMinor: string;
  name: string;
  reads: number;
  writes: number;
  readBytes: number;
  writeBytes: number;
  ioTimeMs: number;
}

/** /proc/diskstats counts sectors of 512 bytes, whatever the device's own sector size. */
const SECTOR_BYTES = 512;

/** /proc/diskstats: every device with the 11 fields kernels have had since 2.6 (partitions included). */
export function parseDiskCounters(text: string): DiskCounters[] {
  const out: DiskCounters[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 14) continue;
    const n = f.slice(3).map(Number);
    out.push({
      majorMinor: `${f[0]}:${f[1]}`, name: f[2],
      reads: n[0], readBytes: n[2] * SECTOR_BYTES, writes: n[4], writeBytes: n[6] * SECTOR_BYTES, ioTimeMs: n[9],
    });
  }
  return out;
}

/** The fields of /proc/PID/stat we use; times in clock ticks (USER_HZ). */
export interface PidStat {
  comm: string;
  state: string;
  ppid: number;
  utime: number;
  stime: number;
  /** CPU of children that exited and were waited for: the postmaster's is every finished backend's. */
  cutime: number;
  cstime: number;
  /** Start time in ticks since boot; with the pid it names a process (pids are reused). */
  starttime: number;
}

/**
 * /proc/PID/stat. comm, in parentheses, may itself hold spaces and
 * parentheses, so the fields are counted from the last `)`.
 */
export function parsePidStat(text: string): PidStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  // f[0] is field 3 (state) of proc(5).
  const f = text.slice(close + 2).trim().split(' ');
  if (f.length < 20) return undefined;
  const n = (field: number) => Number(f[field - 3]);
  return {
    comm: text.slice(open + 1, close), state: f[0], ppid: n(4),
    utime: n(14), stime: n(15), cutime: n(16), cstime: n(17), starttime: n(22),
  };
}

/** `Name:   123 kB` lines of status and smaps_rollup, in bytes (kB there means KiB). */
function kbFields(text: string, wanted: readonly string[]): Map<string, number> {
  const found = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(\w+):\s+(\d+) kB/.exec(line);
    if (m && wanted.includes(m[1])) found.set(m[1], Number(m[2]) * 1024);
  }
  return found;
}

/** /proc/PID/status: resident memory. RssAnon (kernel 4.5+) is the private part, shared buffers left out. */
export function parseStatusMemory(text: string): { rss?: number; rssAnon?: number } {
  const f = kbFields(text, ['VmRSS', 'RssAnon']);
  return { rss: f.get('VmRSS'), rssAnon: f.get('RssAnon') };
}

/**
 * /proc/PID/smaps_rollup (kernel 4.14+): proportional set size, where a page
 * shared by n processes counts 1/n in each, so summing over backends counts
 * shared_buffers once. Pss_Anon and Pss_Shmem appeared in kernel 5.9.
 */
export function parseSmapsRollup(text: string): { pss?: number; pssAnon?: number; pssShmem?: number } {
  const f = kbFields(text, ['Pss', 'Pss_Anon', 'Pss_Shmem']);
  return { pss: f.get('Pss'), pssAnon: f.get('Pss_Anon'), pssShmem: f.get('Pss_Shmem') };
}

/** /proc/PID/io: bytes this process made the storage layer read and write (page cache hits are not reads). */
export function parseProcIo(text: string): { readBytes: number; writeBytes: number } | undefined {
  const r = /^read_bytes:\s+(\d+)/m.exec(text);
  const w = /^write_bytes:\s+(\d+)/m.exec(text);
  return r && w ? { readBytes: Number(r[1]), writeBytes: Number(w[1]) } : undefined;
}

/** /proc/stat `btime`: boot time, seconds since the epoch. */
export function parseBootTime(text: string): number | undefined {
  const m = /^btime\s+(\d+)/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** postmaster.pid: its first line is the postmaster's pid (negative in old single-user mode). */
export function parsePostmasterPid(text: string): number | undefined {
  const pid = Math.abs(Number(text.split('\n', 1)[0].trim()));
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * Children of the postmaster that pg_stat_activity does not list (the logger,
 * the stats collector before 15, the archiver before 14), by the process title
 * PostgreSQL sets: `postgres: [cluster_name: ]<title>`. The names are
 * pg_stat_activity's backend_type values.
 */
const TITLED_TYPES = [
  'logger', 'stats collector', 'archiver', 'checkpointer', 'background writer', 'walwriter',
  'autovacuum launcher', 'autovacuum worker', 'logical replication launcher', 'startup', 'walreceiver',
  'walsender', 'walsummarizer', 'slotsync worker', 'io worker', 'parallel worker',
] as const;

/** The backend_type of a process from its /proc/PID/cmdline, or undefined when the title is not a known one. */
export function backendTypeOfTitle(cmdline: string): string | undefined {
  const title = cmdline.replace(/\0/g, ' ').trim();
  const m = /^\S+: (.*)$/.exec(title);
  if (!m) return undefined;
  const candidates = [m[1]];
  const colon = m[1].indexOf(': ');
  if (colon > 0) candidates.push(m[1].slice(colon + 2)); // after cluster_name
  for (const rest of candidates) {
    const t = TITLED_TYPES.find((x) => rest === x || rest.startsWith(`${x} `));
    if (t) return t;
  }
  return undefined;
}
