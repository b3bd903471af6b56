/**
 * pg_storage: the filesystem and block device under each place an instance
 * writes to (PGDATA, pg_wal, each tablespace), from /proc/self/mountinfo,
 * statfs(2), /proc/diskstats and /sys/class/block.
 */
import { access, readFile, readdir, realpath, statfs } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { MetricFamily } from '../../protocol/index.ts';
import type { FsStats } from './os/index.ts';
import { FamilyBuilder } from './os/family.ts';
import { findMount, parseDiskCounters, parseMountinfo, type DiskCounters, type MountInfo } from './pg-host-parsers.ts';

/** A place the instance writes to: `data`, `wal` or `tablespace:<name>`, and its symlink-free path. */
export interface StorageLocation {
  role: string;
  path: string;
}

/** A location with what was found of its filesystem and device. */
export interface MeasuredLocation extends StorageLocation {
  mount: MountInfo;
  /** statfs of the mount point; absent when it failed or did not answer in time. */
  fs?: FsStats;
  /** The diskstats entry of the device the filesystem is on (a partition, a dm or md device, a disk). */
  disk?: DiskCounters;
  /** The whole disks under that device: itself, a partition's disk, or a dm/md device's disks. */
  wholeDisks?: string[];
}

/** pg_storage families from measured locations (pure). */
export function storageFamiliesOf(measured: MeasuredLocation[]): MetricFamily[] {
  const b = new FamilyBuilder();
  for (const m of measured) {
    const s = m.fs;
    if (s && s.blocks > 0) {
      const l = { role: m.role, path: m.path, mount: m.mount.mountpoint, device: m.mount.source, fstype: m.mount.fstype };
      b.add('pg_storage.fs_size_bytes', 'gauge', 'bytes', s.blocks * s.bsize, l)
        .add('pg_storage.fs_free_bytes', 'gauge', 'bytes', s.bfree * s.bsize, l)
        .add('pg_storage.fs_avail_bytes', 'gauge', 'bytes', s.bavail * s.bsize, l)
        .add('pg_storage.fs_files', 'gauge', undefined, s.files, l)
        .add('pg_storage.fs_files_free', 'gauge', undefined, s.ffree, l);
    }
  }
  for (const m of measured) {
    const d = m.disk;
    if (!d) continue;
    const l = { role: m.role, device: d.name, disk: (m.wholeDisks?.length ? m.wholeDisks : [d.name]).join(',') };
    b.add('pg_storage.disk_reads', 'counter', undefined, d.reads, l)
      .add('pg_storage.disk_writes', 'counter', undefined, d.writes, l)
      .add('pg_storage.disk_read_bytes', 'counter', 'bytes', d.readBytes, l)
      .add('pg_storage.disk_write_bytes', 'counter', 'bytes', d.writeBytes, l)
      .add('pg_storage.disk_io_time_s', 'counter', 'seconds', d.ioTimeMs / 1000, l);
  }
  return b.build();
}

/**
 * The diskstats entry of a mounted filesystem: by its major:minor (ext4, xfs
 * on a partition, LVM or md), else by the kernel name of its source device
 * (btrfs reports an anonymous 0:N device but mounts /dev/sdX). Network and
 * memory filesystems have none.
 */
export function diskOfMount(mount: MountInfo, disks: DiskCounters[], sourceKernelName?: string): DiskCounters | undefined {
  return disks.find((d) => d.majorMinor === mount.majorMinor)
    ?? (sourceKernelName ? disks.find((d) => d.name === sourceKernelName) : undefined);
}

/** What /sys/class/block says of one block device. */
export interface BlockDeviceInfo {
  /** The disk a partition belongs to. */
  partitionOf?: string;
  /** The devices a dm or md device is built on. */
  slaves: string[];
}

/** The whole disks under a block device, following partitions and dm/md slaves (pure, given a lookup). */
export function wholeDisksOf(name: string, info: (name: string) => BlockDeviceInfo | undefined, depth = 0): string[] {
  const i = depth < 8 ? info(name) : undefined;
  if (!i) return [name];
  if (i.partitionOf) return wholeDisksOf(i.partitionOf, info, depth + 1);
  if (!i.slaves.length) return [name];
  return [...new Set(i.slaves.flatMap((s) => wholeDisksOf(s, info, depth + 1)))].sort();
}

/** Reads /sys/class/block/NAME: a `partition` file marks a partition, whose parent folder is its disk. */
async function readBlockDevice(sysRoot: string, name: string): Promise<BlockDeviceInfo | undefined> {
  const dir = join(sysRoot, 'class/block', name);
  try {
    const real = await realpath(dir);
    const isPartition = await access(join(real, 'partition')).then(() => true, () => false);
    if (isPartition) return { partitionOf: basename(dirname(real)), slaves: [] };
    return { slaves: await readdir(join(real, 'slaves')).catch(() => []) };
  } catch {
    return undefined;
  }
}

/** statfs of a network filesystem whose server is gone can block for minutes. */
const STATFS_TIMEOUT_MS = 2000;

/**
 * Mount points whose statfs has not returned yet: each holds a libuv thread,
 * so a hung mount is not asked again until it answers.
 */
const pendingStatfs = new Set<string>();

async function statfsWithin(path: string, ms: number): Promise<FsStats | undefined> {
  if (pendingStatfs.has(path)) return undefined;
  pendingStatfs.add(path);
  let timer: NodeJS.Timeout | undefined;
  const call = statfs(path).finally(() => pendingStatfs.delete(path));
  call.catch(() => {}); // a late failure after the timeout has nobody to report to
  const timeout = new Promise<undefined>((resolve) => { timer = setTimeout(resolve, ms, undefined); });
  try {
    return await Promise.race([call, timeout]);
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

export interface StorageReadOptions {
  procRoot?: string;
  sysRoot?: string;
}

/**
 * Finds and measures the filesystem and device of each location. statfs is
 * asked of the mount point, which needs no access to PGDATA itself.
 */
export async function measureLocations(locations: StorageLocation[], o: StorageReadOptions = {}): Promise<MeasuredLocation[]> {
  if (!locations.length) return [];
  const proc = o.procRoot ?? '/proc';
  const sys = o.sysRoot ?? '/sys';
  const mounts = parseMountinfo(await readFile(join(proc, 'self/mountinfo'), 'utf8'));
  const disks = await readFile(join(proc, 'diskstats'), 'utf8').then(parseDiskCounters, () => []);
  const out: MeasuredLocation[] = [];
  for (const loc of locations) {
    const mount = findMount(mounts, loc.path);
    if (!mount) continue;
    const fs = await statfsWithin(mount.mountpoint, STATFS_TIMEOUT_MS);
    const sourceName = mount.source.startsWith('/dev/')
      ? await realpath(mount.source).then((p) => basename(p), () => undefined)
      : undefined;
    const disk = diskOfMount(mount, disks, sourceName);
    let wholeDisks: string[] | undefined;
    if (disk) {
      const infos = new Map<string, BlockDeviceInfo | undefined>();
      // Walk the tree once with reads, then resolve it purely.
      const pending = [disk.name];
      while (pending.length && infos.size < 64) {
        const n = pending.pop()!;
        if (infos.has(n)) continue;
        const i = await readBlockDevice(sys, n);
        infos.set(n, i);
        if (i?.partitionOf) pending.push(i.partitionOf);
        if (i) pending.push(...i.slaves);
      }
      wholeDisks = wholeDisksOf(disk.name, (n) => infos.get(n));
    }
    out.push({ ...loc, mount, fs, disk, wholeDisks });
  }
  return out;
}
