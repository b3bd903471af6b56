import type { MetricFamily } from '../../../protocol/index.ts';
import { FamilyBuilder } from './family.ts';

/** One line of /proc/mounts. */
export interface MountEntry {
  device: string;
  mountpoint: string;
  fstype: string;
}

/** What statfs(2) says of a mounted filesystem (the fields of Node's fs.StatFs we use). */
export interface FsStats {
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
}

/**
 * Filesystem types that hold no user data: kernel interfaces, memory-backed
 * filesystems (tmpfs is left out too: it is RAM, seen in node_memory), and
 * read-only images such as snaps, which are always full.
 */
const PSEUDO_FS = new Set([
  'autofs', 'binfmt_misc', 'bpf', 'cgroup', 'cgroup2', 'configfs', 'debugfs', 'devpts', 'devtmpfs',
  'efivarfs', 'fusectl', 'hugetlbfs', 'mqueue', 'nsfs', 'proc', 'pstore', 'ramfs', 'rpc_pipefs',
  'securityfs', 'selinuxfs', 'squashfs', 'sysfs', 'tmpfs', 'tracefs', 'iso9660', 'erofs',
]);

/** /proc/mounts escapes space, tab, newline and backslash as octal (\040, \011, \012, \134). */
function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/**
 * /proc/mounts: the mounted filesystems worth measuring. When a mount point
 * is mounted over, the last mount is the one visible there, so it wins.
 */
export function parseMounts(text: string): MountEntry[] {
  const byMountpoint = new Map<string, MountEntry>();
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 3) continue;
    const [device, mountpoint, fstype] = f.map(unescapeMount);
    if (PSEUDO_FS.has(fstype)) continue;
    byMountpoint.delete(mountpoint);
    byMountpoint.set(mountpoint, { device, mountpoint, fstype });
  }
  return [...byMountpoint.values()];
}

/** node_fs gauges of measured mounts; a filesystem of zero blocks (a pseudo one we did not know) is left out. */
export function filesystemFamilies(measured: { mount: MountEntry; stats: FsStats }[]): MetricFamily[] {
  const b = new FamilyBuilder();
  for (const { mount, stats: s } of measured) {
    if (s.blocks <= 0) continue;
    const l = { mountpoint: mount.mountpoint, device: mount.device, fstype: mount.fstype };
    b.add('node_fs.size_bytes', 'gauge', 'bytes', s.blocks * s.bsize, l)
      .add('node_fs.avail_bytes', 'gauge', 'bytes', s.bavail * s.bsize, l)
      .add('node_fs.used_bytes', 'gauge', 'bytes', (s.blocks - s.bfree) * s.bsize, l)
      .add('node_fs.files', 'gauge', undefined, s.files, l)
      .add('node_fs.files_free', 'gauge', undefined, s.ffree, l);
  }
  return b.build();
}
