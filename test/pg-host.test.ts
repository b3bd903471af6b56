/**
 * Host metrics per PostgreSQL process and storage (src/agent/collectors/pg-host.ts)
 * against a real embedded PostgreSQL on this machine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readFileSync, realpathSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { Value } from '@sinclair/typebox/value';
import { MetricFamily } from '../src/protocol/index.ts';
import { serverOsUser } from '../src/pg-embedded/index.ts';
import {
  parsePostmasterPid, PgProcessSampler, readPgDirs, readPgProcessRows, storageFamilies, type PgProcessResult,
} from '../src/agent/collectors/pg-host.ts';
import { startTestPostgres, tempDir, waitFor } from './harness/index.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function valueOf(fams: MetricFamily[], name: string, labels: Record<string, string>): number | undefined {
  return fams.find((f) => f.name === name)?.points.find((p) => Object.entries(labels).every(([k, v]) => p.l?.[k] === v))?.v;
}

/** Runs the collectors in a child process as the `nobody` OS user, who may not read PGDATA nor ptrace postgres. */
function runAsNobody(url: string, postmasterPid: number, tmp: string): Promise<{ dirs: Awaited<ReturnType<typeof readPgDirs>>; procs: PgProcessResult }> {
  const script = `
    import postgres from 'postgres';
    import { readPgDirs, readPgProcessRows, PgProcessSampler } from './src/agent/collectors/pg-host.ts';
    const sql = postgres(process.env.PG_URL, { max: 1, onnotice: () => {} });
    const dirs = await readPgDirs(sql);
    const procs = await new PgProcessSampler({ pssEvery: 1 }).processFamilies(await readPgProcessRows(sql), Number(process.env.PM_PID));
    await sql.end();
    console.log(JSON.stringify({ dirs, procs }));`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: ROOT, uid: 65534, gid: 65534, env: { ...process.env, PG_URL: url, PM_PID: String(postmasterPid), TMPDIR: tmp }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('error', reject);
    child.on('exit', (code) => code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!)) : reject(new Error(`child exited with ${code}: ${err.slice(-2000)}`)));
  });
}

test('pg-host against an embedded PostgreSQL on this host', async (t) => {
  const pg = await startTestPostgres();
  const dir = tempDir('pgfleet-pghost-');
  const admin = postgres(pg.url, { max: 1, onnotice: () => {} });
  const clients = [0, 1, 2].map(() => postgres(pg.url, { max: 1, onnotice: () => {} }));
  t.after(async () => {
    await Promise.all([admin, ...clients].map((c) => c.end({ timeout: 1 })));
    await pg.destroy();
    dir.remove();
  });
  for (const c of clients) await c`select 1`;
  // A tablespace reached through a symlink: readPgDirs reports where it really is.
  const real = join(dir.path, 'ts-real');
  mkdirSync(real);
  const user = serverOsUser();
  if (user) chownSync(real, user.uid, user.gid);
  symlinkSync(real, join(dir.path, 'ts-link'));
  await admin.unsafe(`create tablespace ts1 location '${join(dir.path, 'ts-link')}'`);
  await admin.unsafe('create role plain login');
  await admin.unsafe('create role monitor login in role pg_monitor');

  const dirs = await readPgDirs(admin);

  await t.test('readPgDirs as superuser: PGDATA, pg_wal, tablespaces resolved, postmaster pid', () => {
    assert.equal(dirs.local, true, dirs.problems.join('; '));
    assert.deepEqual(dirs.problems, []);
    assert.equal(dirs.dataDirectory, realpathSync(pg.dataDir));
    assert.equal(dirs.wal, join(dirs.dataDirectory!, 'pg_wal'));
    assert.deepEqual(dirs.tablespaces, [{ name: 'ts1', path: realpathSync(real) }]);
    assert.equal(dirs.postmasterPid, parsePostmasterPid(readFileSync(join(pg.dataDir, 'postmaster.pid'), 'utf8')));
  });

  await t.test('readPgDirs: data_directory needs pg_monitor; without it, what is readable', async () => {
    for (const [role, readable] of [['monitor', true], ['plain', false]] as const) {
      const sql = postgres(pg.url.replace('postgres://postgres@', `postgres://${role}@`), { max: 1, onnotice: () => {} });
      try {
        const d = await readPgDirs(sql);
        assert.equal(d.local, true, `${role}: local`);
        assert.equal(d.postmasterPid, dirs.postmasterPid, `${role}: postmaster pid`);
        assert.equal(d.tablespaces.length, 1, `${role}: tablespaces are public`);
        assert.equal(d.dataDirectory !== undefined, readable, `${role}: data_directory readable`);
        if (!readable) assert.match(d.problems.join('\n'), /pg_monitor/);
      } finally {
        await sql.end({ timeout: 1 });
      }
    }
  });

  await t.test('storageFamilies: the filesystem of PGDATA, pg_wal and the tablespace, with size > 0', async () => {
    const fams = await storageFamilies(dirs);
    for (const f of fams) assert.ok(Value.Check(MetricFamily, f), `${f.name} is a valid MetricFamily`);
    const size = fams.find((f) => f.name === 'pg_storage.fs_size_bytes');
    assert.ok(size, `pg_storage.fs_size_bytes missing; got ${fams.map((f) => f.name).join(', ')}`);
    const data = size.points.find((p) => p.l?.role === 'data');
    assert.ok(data && data.v > 0, 'PGDATA filesystem size > 0');
    assert.ok(data.l!.mount.startsWith('/') && data.l!.fstype && data.l!.device, `labels: ${JSON.stringify(data.l)}`);
    assert.ok(valueOf(fams, 'pg_storage.fs_avail_bytes', { role: 'data' })! <= data.v, 'avail ≤ size');
    assert.ok(size.points.some((p) => p.l?.role === 'wal'), 'pg_wal measured');
    assert.equal(size.points.find((p) => p.l?.role === 'tablespace:ts1')?.l?.path, realpathSync(real));
    // The device is reported when the filesystem is on a block device of /proc/diskstats (not overlay, tmpfs, NFS).
    for (const p of fams.find((f) => f.name === 'pg_storage.disk_write_bytes')?.points ?? []) {
      assert.ok(p.v >= 0 && p.l?.device && p.l?.disk, `disk point ${JSON.stringify(p)}`);
    }
  });

  await t.test('processFamilies: postmaster and client backends with CPU ≥ 0 and RSS > 0; counters never go back', async () => {
    const sampler = new PgProcessSampler({ pssEvery: 1 });
    const r1 = await sampler.processFamilies(await readPgProcessRows(admin), dirs.postmasterPid);
    for (const f of r1.metrics) assert.ok(Value.Check(MetricFamily, f), `${f.name} is a valid MetricFamily`);
    assert.deepEqual(r1.denied, [], 'the test runs as root or as the server user: every file is readable');
    assert.equal(r1.pss, true);
    const count = (r: PgProcessResult, type: string) => valueOf(r.metrics, 'pg_process.count', { backend_type: type });
    const cpu = (r: PgProcessResult, type: string) => valueOf(r.metrics, 'pg_process.cpu_seconds', { backend_type: type })!;
    assert.equal(count(r1, 'postmaster'), 1);
    assert.ok(count(r1, 'client backend')! >= 4, `client backends: ${count(r1, 'client backend')}`);
    assert.equal(count(r1, 'checkpointer'), 1);
    for (const type of ['postmaster', 'client backend']) {
      assert.ok(cpu(r1, type) >= 0, `${type}: CPU ≥ 0`);
      assert.ok(valueOf(r1.metrics, 'pg_process.rss_bytes', { backend_type: type })! > 0, `${type}: RSS > 0`);
      assert.ok(valueOf(r1.metrics, 'pg_process.pss_bytes', { backend_type: type })! > 0, `${type}: PSS > 0`);
      assert.ok(valueOf(r1.metrics, 'pg_process.io_read_bytes', { backend_type: type })! >= 0, `${type}: io read`);
    }
    // One backend burns CPU and another one exits: the client backend counter still only grows.
    await clients[0]`select count(*) from generate_series(1, 3000000)`;
    await clients[2].end({ timeout: 1 });
    const clientRows = async () => (await readPgProcessRows(admin)).filter((r) => r.backend_type === 'client backend').length;
    await waitFor('the closed connection\'s backend to exit', async () => await clientRows() === count(r1, 'client backend')! - 1, 10_000, 50);
    const r2 = await sampler.processFamilies(await readPgProcessRows(admin), dirs.postmasterPid);
    assert.equal(count(r2, 'client backend'), count(r1, 'client backend')! - 1);
    assert.ok(cpu(r2, 'client backend') > cpu(r1, 'client backend'), `client backend CPU ${cpu(r1, 'client backend')} → ${cpu(r2, 'client backend')}`);
    assert.ok(valueOf(r2.metrics, 'pg_process.exited_cpu_seconds', {})! >= 0);
  });

  await t.test('as an OS user without access to PGDATA nor ptrace: what is readable, denials reported', { skip: process.getuid?.() !== 0 && 'needs root to run a child as nobody' }, async () => {
    // tsx keeps its cache in TMPDIR: one nobody may write to, removed with the rest.
    const tmp = join(dir.path, 'nobody-tmp');
    mkdirSync(tmp);
    chmodSync(tmp, 0o777);
    const { dirs: d, procs } = await runAsNobody(pg.url, dirs.postmasterPid!, tmp);
    assert.equal(d.local, true);
    assert.equal(d.dataDirectory, dirs.dataDirectory);
    assert.equal(d.wal, undefined, 'pg_wal cannot be resolved without access to PGDATA');
    assert.match(d.problems.join('\n'), /pg_wal/);
    assert.deepEqual([...procs.newlyDenied].sort(), ['io', 'smaps_rollup']);
    assert.equal(procs.pss, false);
    assert.ok(valueOf(procs.metrics, 'pg_process.rss_bytes', { backend_type: 'postmaster' })! > 0, 'RSS needs no ptrace access');
    assert.ok(!procs.metrics.some((f) => f.name.startsWith('pg_process.io_') || f.name.startsWith('pg_process.pss')));
  });
});
