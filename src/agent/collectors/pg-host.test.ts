import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Value } from '@sinclair/typebox/value';
import { MetricFamily } from '../../protocol/index.ts';
import {
  backendTypeOfTitle, diskOfMount, findMount, parseBootTime, parseDiskCounters, parseMountinfo, parsePidStat,
  parsePostmasterPid, parseProcIo, parseSmapsRollup, parseStatusMemory, PgProcessSampler, processFamiliesOf,
  ProcessCounters, storageFamiliesOf, storageLocationsOf, wholeDisksOf, type BlockDeviceInfo, type ProcSample,
} from './pg-host.ts';

const MOUNTINFO = [
  '22 27 0:21 / /proc rw,relatime shared:5 - proc proc rw',
  '27 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw',
  '30 27 253:0 / /var/lib/postgresql rw,noatime shared:7 - xfs /dev/mapper/vg0-pgdata rw,attr2',
  '31 30 253:1 / /var/lib/postgresql/wal rw,noatime shared:8 master:3 - xfs /dev/mapper/vg0-wal rw',
  '32 27 0:45 /@data /srv/data\\040disk rw,relatime shared:9 - btrfs /dev/sdb2 rw,subvol=/@data',
  '33 27 0:50 / /mnt/nfs rw,relatime - nfs4 files:/export rw',
  '34 27 0:51 / /mnt/nfs rw,relatime - tmpfs tmpfs rw',
  'garbage line',
].join('\n');

test('parseMountinfo: fields after the separator, any number of optional fields, octal escapes', () => {
  const m = parseMountinfo(MOUNTINFO);
  assert.equal(m.length, 7);
  assert.deepEqual(m[2], { majorMinor: '253:0', mountpoint: '/var/lib/postgresql', fstype: 'xfs', source: '/dev/mapper/vg0-pgdata' });
  assert.deepEqual(m[3], { majorMinor: '253:1', mountpoint: '/var/lib/postgresql/wal', fstype: 'xfs', source: '/dev/mapper/vg0-wal' });
  assert.equal(m[4].mountpoint, '/srv/data disk');
});

test('findMount: longest mount-point prefix, by path component; the last mount on a point wins', () => {
  const m = parseMountinfo(MOUNTINFO);
  assert.equal(findMount(m, '/var/lib/postgresql/18/main')?.majorMinor, '253:0');
  assert.equal(findMount(m, '/var/lib/postgresql/wal/pg_wal')?.majorMinor, '253:1');
  assert.equal(findMount(m, '/var/lib/postgresql/wal')?.majorMinor, '253:1');
  assert.equal(findMount(m, '/var/lib/postgresql-old/x')?.majorMinor, '259:2', 'a name prefix is not a path prefix');
  assert.equal(findMount(m, '/srv/data disk/ts')?.fstype, 'btrfs');
  assert.equal(findMount(m, '/mnt/nfs/x')?.fstype, 'tmpfs', 'mounted over');
  assert.equal(findMount(m, '/')?.majorMinor, '259:2');
});

const DISKSTATS = [
  ' 259       0 nvme0n1 1000 10 80000 500 2000 20 160000 900 0 1200 1400 0 0 0 0',
  ' 259       2 nvme0n1p2 900 9 72000 450 1900 19 150000 850 0 1100 1300',
  ' 253       0 dm-0 300 0 24000 100 400 0 32000 200 2 700 300 0 0 0 0 0 0',
  '   8      18 sdb2 5 0 40 1 6 0 48 2 0 3 3',
  '   8      19 sdb3 1 2 3',
].join('\n');

test('parseDiskCounters: reads, writes, 512-byte sectors as bytes, io time; short lines skipped', () => {
  const d = parseDiskCounters(DISKSTATS);
  assert.deepEqual(d.map((x) => x.name), ['nvme0n1', 'nvme0n1p2', 'dm-0', 'sdb2']);
  assert.deepEqual(d[2], { majorMinor: '253:0', name: 'dm-0', reads: 300, readBytes: 24000 * 512, writes: 400, writeBytes: 32000 * 512, ioTimeMs: 700 });
});

test('diskOfMount: by major:minor, else by the source device (btrfs), else none (network, memory)', () => {
  const m = parseMountinfo(MOUNTINFO);
  const d = parseDiskCounters(DISKSTATS);
  assert.equal(diskOfMount(m[1], d)?.name, 'nvme0n1p2');
  assert.equal(diskOfMount(m[2], d)?.name, 'dm-0');
  assert.equal(diskOfMount(m[4], d, 'sdb2')?.name, 'sdb2');
  assert.equal(diskOfMount(m[5], d), undefined);
});

test('wholeDisksOf: partitions lead to their disk, dm and md devices to the disks under them', () => {
  const sys: Record<string, BlockDeviceInfo> = {
    nvme0n1p2: { partitionOf: 'nvme0n1', slaves: [] },
    nvme0n1: { slaves: [] },
    sda1: { partitionOf: 'sda', slaves: [] },
    sdb1: { partitionOf: 'sdb', slaves: [] },
    md0: { slaves: ['sdb1', 'sda1'] },
    'dm-0': { slaves: ['md0'] },
    'dm-1': { slaves: ['dm-0'] },
  };
  const info = (n: string) => sys[n];
  assert.deepEqual(wholeDisksOf('nvme0n1p2', info), ['nvme0n1']);
  assert.deepEqual(wholeDisksOf('nvme0n1', info), ['nvme0n1']);
  assert.deepEqual(wholeDisksOf('dm-1', info), ['sda', 'sdb']);
  assert.deepEqual(wholeDisksOf('vdz', info), ['vdz'], 'unknown to sysfs: itself');
  const loop: Record<string, BlockDeviceInfo> = { a: { slaves: ['b'] }, b: { slaves: ['a'] } };
  assert.ok(wholeDisksOf('a', (n) => loop[n]).length >= 1, 'a cycle ends');
});

test('storageFamiliesOf: space and inodes per role with mount labels; device I/O per role', () => {
  const [, root, pgdata, wal] = parseMountinfo(MOUNTINFO);
  const [disk0, , dm0] = parseDiskCounters(DISKSTATS);
  const fs = { bsize: 4096, blocks: 1000, bfree: 400, bavail: 300, files: 100, ffree: 60 };
  const fams = storageFamiliesOf([
    { role: 'data', path: '/var/lib/postgresql/18/main', mount: pgdata, fs, disk: dm0, wholeDisks: ['nvme0n1'] },
    { role: 'wal', path: '/var/lib/postgresql/wal/pg_wal', mount: wal },
    { role: 'tablespace:fast', path: '/ts', mount: root, fs: { ...fs, blocks: 0 }, disk: disk0 },
  ]);
  for (const f of fams) assert.ok(Value.Check(MetricFamily, f), `${f.name} is a valid MetricFamily`);
  const byName = new Map(fams.map((f) => [f.name, f]));
  assert.deepEqual([...byName.keys()], [
    'pg_storage.fs_size_bytes', 'pg_storage.fs_free_bytes', 'pg_storage.fs_avail_bytes', 'pg_storage.fs_files', 'pg_storage.fs_files_free',
    'pg_storage.disk_reads', 'pg_storage.disk_writes', 'pg_storage.disk_read_bytes', 'pg_storage.disk_write_bytes', 'pg_storage.disk_io_time_s',
  ]);
  assert.deepEqual(byName.get('pg_storage.fs_size_bytes')!.points, [{
    l: { role: 'data', path: '/var/lib/postgresql/18/main', mount: '/var/lib/postgresql', device: '/dev/mapper/vg0-pgdata', fstype: 'xfs' },
    v: 4096 * 1000,
  }], 'no statfs (wal) and zero blocks (tablespace) give no space points');
  assert.equal(byName.get('pg_storage.fs_avail_bytes')!.points[0].v, 300 * 4096);
  assert.deepEqual(byName.get('pg_storage.disk_read_bytes')!.points, [
    { l: { role: 'data', device: 'dm-0', disk: 'nvme0n1' }, v: 24000 * 512 },
    { l: { role: 'tablespace:fast', device: 'nvme0n1', disk: 'nvme0n1' }, v: 80000 * 512 },
  ]);
  assert.equal(byName.get('pg_storage.disk_io_time_s')!.kind, 'counter');
  assert.equal(byName.get('pg_storage.disk_io_time_s')!.points[0].v, 0.7);
});

test('storageLocationsOf: data, wal, tablespaces; nothing for a server on another host', () => {
  const dirs = { local: true, dataDirectory: '/d', wal: '/w', tablespaces: [{ name: 'ts', path: '/t' }], problems: [] };
  assert.deepEqual(storageLocationsOf(dirs), [
    { role: 'data', path: '/d' }, { role: 'wal', path: '/w' }, { role: 'tablespace:ts', path: '/t' },
  ]);
  assert.deepEqual(storageLocationsOf({ ...dirs, local: false }), []);
});

/** A /proc/PID/stat line; fields as proc(5) numbers them. */
function statLine(pid: number, comm: string, ppid: number, utime: number, stime: number, starttime: number, cutime = 0, cstime = 0): string {
  return `${pid} (${comm}) S ${ppid} ${pid} ${pid} 0 -1 4194560 2000 0 0 0 ${utime} ${stime} ${cutime} ${cstime} 20 0 1 0 ${starttime} 231247872 4096 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n`;
}

test('parsePidStat: fields counted from the last parenthesis, whatever comm holds', () => {
  assert.deepEqual(parsePidStat(statLine(4242, 'post (gres) x', 4000, 150, 30, 987654, 7, 3)), {
    comm: 'post (gres) x', state: 'S', ppid: 4000, utime: 150, stime: 30, cutime: 7, cstime: 3, starttime: 987654,
  });
  const real = '16446 (cat) R 16439 16439 12901 0 -1 4194304 101 0 0 0 0 0 0 0 20 0 1 0 170529 3133440 407 18446744073709551615 94213623566336 94213623586217 140734462687760 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 94213623602224 94213623603840 94214068424704 140734462696161 140734462696181 140734462696181 140734462697451 0';
  assert.equal(parsePidStat(real)?.ppid, 16439);
  assert.equal(parsePidStat(real)?.starttime, 170529);
  assert.equal(parsePidStat('4242 (x'), undefined);
  assert.equal(parsePidStat(''), undefined);
});

const STATUS = 'Name:\tpostgres\nState:\tS (sleeping)\nPid:\t4242\nVmPeak:\t  225820 kB\nVmRSS:\t   18432 kB\nRssAnon:\t    2048 kB\nRssFile:\t   10240 kB\nRssShmem:\t    6144 kB\nThreads:\t1\n';
const SMAPS_ROLLUP = '55dc3c706000-7ffe1f5a6000 ---p 00000000 00:00 0                          [rollup]\nRss:               18432 kB\nPss:                3000 kB\nPss_Dirty:          1200 kB\nPss_Anon:           1100 kB\nPss_File:            900 kB\nPss_Shmem:          1000 kB\nShared_Clean:      12000 kB\n';
const IO = 'rchar: 6976\nwchar: 100\nsyscr: 10\nsyscw: 1\nread_bytes: 8192\nwrite_bytes: 40960\ncancelled_write_bytes: 0\n';

test('status, smaps_rollup and io parsers: kB are KiB; fields of older kernels may be missing', () => {
  assert.deepEqual(parseStatusMemory(STATUS), { rss: 18432 * 1024, rssAnon: 2048 * 1024 });
  assert.deepEqual(parseStatusMemory('Name:\tpostgres\nVmRSS:\t 100 kB\n'), { rss: 102400, rssAnon: undefined });
  assert.deepEqual(parseSmapsRollup(SMAPS_ROLLUP), { pss: 3000 * 1024, pssAnon: 1100 * 1024, pssShmem: 1000 * 1024 });
  assert.deepEqual(parseSmapsRollup('Rss: 10 kB\nPss: 5 kB\n'), { pss: 5120, pssAnon: undefined, pssShmem: undefined });
  assert.deepEqual(parseProcIo(IO), { readBytes: 8192, writeBytes: 40960 });
  assert.equal(parseProcIo('rchar: 1\n'), undefined);
  assert.equal(parseBootTime('cpu  1 2 3\nbtime 1732320000\nprocesses 10\n'), 1732320000);
  assert.equal(parsePostmasterPid('4000\n/var/lib/postgresql/18/main\n1732320000\n5432\n'), 4000);
  assert.equal(parsePostmasterPid('\n'), undefined);
});

test('backendTypeOfTitle: auxiliary processes by title, with or without cluster_name; client backends are not guessed', () => {
  assert.equal(backendTypeOfTitle('postgres: logger '), 'logger');
  assert.equal(backendTypeOfTitle('postgres: main: logger \0\0\0'), 'logger');
  assert.equal(backendTypeOfTitle('postgres: stats collector '), 'stats collector');
  assert.equal(backendTypeOfTitle('postgres: archiver last was 000000010000000000000003'), 'archiver');
  assert.equal(backendTypeOfTitle('postgres: 15/main: walsender rep 10.0.0.2(41234) streaming 0/3000148'), 'walsender');
  assert.equal(backendTypeOfTitle('postgres: alice shop 127.0.0.1(5000) idle'), undefined);
  assert.equal(backendTypeOfTitle('/usr/lib/postgresql/18/bin/postgres\0-D\0/var/lib/postgresql/18/main\0'), undefined);
});

function sample(pid: number, type: string, cpuTicks: number, starttime = pid * 10, io?: [number, number]): ProcSample {
  return { pid, starttime, type, cpuTicks, rss: 1024, ...(io ? { io: { readBytes: io[0], writeBytes: io[1] } } : {}) };
}

test('ProcessCounters: new processes count from zero, exited ones never take CPU back, a reused pid is a new process', () => {
  const c = new ProcessCounters();
  c.add([sample(1, 'client backend', 100, 10, [10, 20]), sample(2, 'client backend', 50, 20, [0, 5]), sample(3, 'checkpointer', 7)]);
  assert.deepEqual(c.totals.get('client backend'), { cpuTicks: 150, readBytes: 10, writeBytes: 25 });
  // pid 2 exited; pid 1 used 20 more ticks; pid 4 is new.
  c.add([sample(1, 'client backend', 120, 10, [15, 20]), sample(4, 'client backend', 30, 40, [1, 1]), sample(3, 'checkpointer', 9)]);
  assert.deepEqual(c.totals.get('client backend'), { cpuTicks: 200, readBytes: 16, writeBytes: 26 });
  assert.equal(c.totals.get('checkpointer')!.cpuTicks, 9);
  // pid 1 is reused by a process started later: its 5 ticks are new, not a drop from 120.
  c.add([sample(1, 'client backend', 5, 99), sample(4, 'client backend', 30, 40, [1, 1])]);
  assert.equal(c.totals.get('client backend')!.cpuTicks, 205);
  assert.equal(c.totals.get('checkpointer')!.cpuTicks, 9, 'a type with no process now keeps its total');
  // io unreadable for one pass keeps the baseline: no double count when it comes back.
  c.add([sample(4, 'client backend', 31, 40)]);
  c.add([sample(4, 'client backend', 32, 40, [3, 1])]);
  assert.deepEqual(c.totals.get('client backend'), { cpuTicks: 207, readBytes: 18, writeBytes: 26 });
});

test('processFamiliesOf: counters from totals, gauges from the pass (0 for a type gone), PSS and io only when covered', () => {
  const c = new ProcessCounters();
  const pass1 = [sample(1, 'postmaster', 300), sample(2, 'autovacuum worker', 40)];
  c.add(pass1);
  const pass2: ProcSample[] = [{ ...sample(1, 'postmaster', 310), rssAnon: 512, pss: 2048, pssAnon: 100, pssShmem: 1900 }];
  c.add(pass2);
  const fams = processFamiliesOf(pass2, c.totals, { pss: true, io: false }, 1234);
  for (const f of fams) assert.ok(Value.Check(MetricFamily, f), `${f.name} is a valid MetricFamily`);
  const get = (name: string, type?: string) => fams.find((f) => f.name === name)?.points.find((p) => type === undefined || p.l?.backend_type === type)?.v;
  assert.equal(get('pg_process.cpu_seconds', 'postmaster'), 3.1);
  assert.equal(get('pg_process.cpu_seconds', 'autovacuum worker'), 0.4);
  assert.equal(get('pg_process.count', 'autovacuum worker'), 0);
  assert.equal(get('pg_process.count', 'postmaster'), 1);
  assert.equal(get('pg_process.rss_bytes', 'postmaster'), 1024);
  assert.equal(get('pg_process.rss_anon_bytes', 'postmaster'), 512);
  assert.equal(get('pg_process.pss_bytes', 'postmaster'), 2048);
  assert.equal(get('pg_process.pss_shmem_bytes', 'postmaster'), 1900);
  assert.equal(get('pg_process.exited_cpu_seconds'), 12.34);
  assert.equal(fams.find((f) => f.name === 'pg_process.io_read_bytes'), undefined, 'io not covered');
  const noPss = processFamiliesOf(pass2, c.totals, { pss: false, io: true });
  assert.ok(!noPss.some((f) => f.name.startsWith('pg_process.pss')), 'PSS not covered');
  assert.equal(noPss.find((f) => f.name === 'pg_process.io_read_bytes')?.kind, 'counter');
  assert.equal(noPss.find((f) => f.name === 'pg_process.exited_cpu_seconds'), undefined);
});

/** A fixture /proc: path → contents, or an errno code the read fails with. */
function fakeProc(files: Record<string, string>): (path: string) => string {
  return (path) => {
    const v = files[path];
    if (v === undefined || /^E[A-Z]+$/.test(v)) throw Object.assign(new Error(`${v ?? 'ENOENT'}: ${path}`), { code: v ?? 'ENOENT' });
    return v;
  };
}

function procOf(pid: number, ppid: number, utime: number, extra: Record<string, string> = {}): Record<string, string> {
  return {
    [`/p/${pid}/stat`]: statLine(pid, 'postgres', ppid, utime, 0, pid * 10, pid === 100 ? 500 : 0, 0),
    [`/p/${pid}/status`]: STATUS, [`/p/${pid}/io`]: IO, [`/p/${pid}/smaps_rollup`]: SMAPS_ROLLUP,
    [`/p/${pid}/cmdline`]: 'postgres: someone db [local] idle', ...extra,
  };
}

test('PgProcessSampler: postmaster and its children only; titles for unlisted ones; vanished processes skipped', async () => {
  const files = {
    '/p/100/task/100/children': '101 102 103 104 ',
    ...procOf(100, 1, 1000, { '/p/100/cmdline': '/usr/bin/postgres\0-D\0/data\0' }),
    ...procOf(101, 100, 10),
    ...procOf(102, 100, 20, { '/p/102/cmdline': 'postgres: logger ' }),
    ...procOf(103, 100, 30), // unlisted, unknown title: a backend forked after pg_stat_activity was read
    ...procOf(104, 100, 40, { '/p/104/io': 'ESRCH' }), // exits while read
    ...procOf(200, 1, 50), // listed but not a child of the postmaster (another host's pid)
  };
  const s = new PgProcessSampler({ procRoot: '/p', readText: fakeProc(files), pssEvery: 2 });
  const rows = [{ pid: 101, backend_type: 'checkpointer' }, { pid: 104, backend_type: 'client backend' }, { pid: 200, backend_type: 'client backend' }];
  const r1 = await s.processFamilies(rows, 100);
  const types = (r: typeof r1) => r.metrics.find((f) => f.name === 'pg_process.count')!.points.filter((p) => p.v > 0).map((p) => p.l!.backend_type);
  assert.deepEqual(types(r1), ['postmaster', 'checkpointer', 'logger']);
  assert.equal(r1.processes, 3);
  assert.equal(r1.pss, true);
  assert.deepEqual(r1.denied, []);
  assert.equal(r1.metrics.find((f) => f.name === 'pg_process.exited_cpu_seconds')?.points[0].v, 5);
  const r2 = await s.processFamilies(rows, 100);
  assert.deepEqual(types(r2), ['postmaster', 'checkpointer', 'logger', 'other'], 'an unknown child still there is counted');
  assert.equal(r2.pss, false, 'PSS every second pass');
  assert.ok(!r2.metrics.some((f) => f.name === 'pg_process.pss_bytes'));
});

test('PgProcessSampler: a permission denial is reported once and the file is not asked again', async () => {
  let ioReads = 0;
  const files = { ...procOf(100, 1, 1000, { '/p/100/io': 'EACCES' }), ...procOf(101, 100, 10, { '/p/101/smaps_rollup': 'EACCES' }) };
  const read = fakeProc(files);
  const s = new PgProcessSampler({ procRoot: '/p', pssEvery: 1, readText: (p) => { if (p.endsWith('/io')) ioReads++; return read(p); } });
  const rows = [{ pid: 101, backend_type: 'checkpointer' }];
  const r1 = await s.processFamilies(rows, 100);
  assert.deepEqual(r1.newlyDenied, ['io', 'smaps_rollup']);
  assert.equal(r1.pss, false);
  assert.equal(r1.processes, 2, 'denied files do not drop the process');
  assert.ok(!r1.metrics.some((f) => f.name.startsWith('pg_process.io_') || f.name.startsWith('pg_process.pss')));
  const r2 = await s.processFamilies(rows, 100);
  assert.deepEqual(r2.newlyDenied, []);
  assert.deepEqual(r2.denied.sort(), ['io', 'smaps_rollup']);
  assert.equal(ioReads, 1);
  assert.ok(r2.metrics.find((f) => f.name === 'pg_process.cpu_seconds')!.points.length === 2);
});

test('PgProcessSampler: nothing without a postmaster, or when it is gone', async () => {
  const files = { ...procOf(101, 100, 10), ...procOf(102, 100, 10) };
  const s = new PgProcessSampler({ procRoot: '/p', readText: fakeProc(files) });
  const rows = [101, 102].map((pid) => ({ pid, backend_type: 'client backend' }));
  assert.deepEqual((await s.processFamilies(rows, undefined)).metrics, []);
  const gone = await s.processFamilies(rows, 100);
  assert.equal(gone.processes, 0);
  assert.deepEqual(gone.metrics, [], 'postmaster 100 is not in /proc: its former children are not counted');
});
