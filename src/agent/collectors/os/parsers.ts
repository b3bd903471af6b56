/**
 * Pure parsers of /proc files into metric families. Names, kinds, units and
 * labels match the node collectors of src/catalog (node_*.yaml); a test
 * checks that they agree.
 */
import type { MetricFamily } from '../../../protocol/index.ts';
import { FamilyBuilder } from './family.ts';

/**
 * /proc/stat counts CPU time in USER_HZ ticks, which the kernel fixes at 100
 * per second on every Linux architecture, whatever CONFIG_HZ is.
 */
export const USER_HZ = 100;

/** The columns of the `cpu` line of /proc/stat, in order (guest and guest_nice are already inside user and nice). */
const CPU_MODES = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const;

/** /proc/stat: `node_cpu.seconds` by mode (all CPUs together) and `node_cpu.count`. */
export function parseProcStat(text: string): MetricFamily[] {
  const b = new FamilyBuilder();
  let count = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('cpu ')) {
      const ticks = line.trim().split(/\s+/).slice(1).map(Number);
      CPU_MODES.forEach((mode, i) => {
        if (i < ticks.length) b.add('node_cpu.seconds', 'counter', 'seconds', ticks[i] / USER_HZ, { mode });
      });
    } else if (/^cpu\d+\s/.test(line)) {
      count++;
    }
  }
  if (count) b.add('node_cpu.count', 'gauge', undefined, count);
  return b.build();
}

/** /proc/meminfo fields → node_memory metric names. */
const MEMINFO: Record<string, string> = {
  MemTotal: 'total', MemAvailable: 'available', MemFree: 'free', Cached: 'cached', Buffers: 'buffers',
  SwapTotal: 'swap_total', SwapFree: 'swap_free', Dirty: 'dirty',
};

/** /proc/meminfo: node_memory gauges in bytes (the file says kB and means KiB). A field the kernel lacks is left out. */
export function parseMeminfo(text: string): MetricFamily[] {
  const found = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(\w+):\s+(\d+)(?:\s+kB)?\s*$/.exec(line);
    if (!m || !(m[1] in MEMINFO)) continue;
    found.set(m[1], Number(m[2]) * (line.trimEnd().endsWith('kB') ? 1024 : 1));
  }
  const b = new FamilyBuilder();
  for (const [field, name] of Object.entries(MEMINFO)) {
    const v = found.get(field);
    if (v !== undefined) b.add(`node_memory.${name}`, 'gauge', 'bytes', v);
  }
  return b.build();
}

/** /proc/loadavg: `node_load.load1`, `load5`, `load15`. */
export function parseLoadavg(text: string): MetricFamily[] {
  const [l1, l5, l15] = text.trim().split(/\s+/).map(Number);
  return new FamilyBuilder()
    .add('node_load.load1', 'gauge', undefined, l1)
    .add('node_load.load5', 'gauge', undefined, l5)
    .add('node_load.load15', 'gauge', undefined, l15)
    .build();
}

/** Block devices that are not storage: loop devices (snaps, images) and RAM disks. */
const SKIPPED_DISK = /^(loop|ram|zram)\d/;
/** /proc/diskstats counts sectors of 512 bytes, whatever the device's own sector size. */
const SECTOR_BYTES = 512;

/** /proc/diskstats: node_disk counters by device (times in seconds). */
export function parseDiskstats(text: string): MetricFamily[] {
  const b = new FamilyBuilder();
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    // major minor name, then at least the 11 fields every kernel since 2.6 has.
    if (f.length < 14) continue;
    const device = f[2];
    if (SKIPPED_DISK.test(device)) continue;
    const n = f.slice(3).map(Number);
    const l = { device };
    b.add('node_disk.reads', 'counter', undefined, n[0], l)
      .add('node_disk.writes', 'counter', undefined, n[4], l)
      .add('node_disk.read_bytes', 'counter', 'bytes', n[2] * SECTOR_BYTES, l)
      .add('node_disk.write_bytes', 'counter', 'bytes', n[6] * SECTOR_BYTES, l)
      .add('node_disk.read_time_s', 'counter', 'seconds', n[3] / 1000, l)
      .add('node_disk.write_time_s', 'counter', 'seconds', n[7] / 1000, l)
      .add('node_disk.io_time_s', 'counter', 'seconds', n[9] / 1000, l)
      .add('node_disk.io_in_progress', 'gauge', undefined, n[8], l);
  }
  return b.build();
}

/** Fields of a /proc/net/dev line after `iface:` that we keep, by position. */
const NET_FIELDS: [number, string, string | undefined][] = [
  [0, 'rx_bytes', 'bytes'], [8, 'tx_bytes', 'bytes'],
  [1, 'rx_packets', undefined], [9, 'tx_packets', undefined],
  [2, 'rx_errors', undefined], [10, 'tx_errors', undefined],
  [3, 'rx_dropped', undefined], [11, 'tx_dropped', undefined],
];

/** /proc/net/dev: node_net counters by interface, lo left out. */
export function parseNetDev(text: string): MetricFamily[] {
  const b = new FamilyBuilder();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue; // the two header lines have none
    const device = line.slice(0, colon).trim();
    if (!device || device === 'lo') continue;
    // Old kernels glue a large rx_bytes to the colon, so split after it.
    const n = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    if (n.length < 16) continue;
    for (const [i, name, unit] of NET_FIELDS) b.add(`node_net.${name}`, 'counter', unit, n[i], { device });
  }
  return b.build();
}
