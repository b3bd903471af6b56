/**
 * `pgfleet catalog test`, run as a user runs it: every SQL collector of the catalog on
 * embedded PostgreSQL 13–18 and streaming replicas, as a pg_monitor role, through the
 * agent's runner; one line per server; nothing left behind, also after Ctrl-C.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PG_MAJORS, runPgfleet, tempDir, type PgfleetProcess } from './harness/index.ts';

/** Runs `pgfleet catalog <args>`; resolves with its exit code and output. */
async function catalog(args: string[], t: { after(fn: () => Promise<void>): void }, during?: (p: PgfleetProcess) => Promise<void>) {
  const p = runPgfleet(['catalog', ...args]);
  const exit = new Promise<number | null>((r) => p.child.once('exit', (code) => r(code)));
  t.after(() => p.kill());
  if (during) await during(p);
  const code = await exit;
  return { code, out: p.output() };
}

/** Nothing left: the folder the command announced is gone and no process runs from it. */
function assertCleanedUp(out: string) {
  const dir = /catalog test: servers in (\S+)/.exec(out)?.[1];
  assert.ok(dir, `the command names its folder:\n${out}`);
  assert.equal(existsSync(dir), false, `${dir} is left behind`);
  const running = readdirSync('/proc').filter((pid) => /^\d+$/.test(pid)).filter((pid) => {
    try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir); } catch { return false; }
  });
  assert.deepEqual(running, [], `a server still runs from ${dir}`);
}

const LINE = /^PostgreSQL (\d+)\.\d+ (primary|replica): (\d+) run, (\d+) skipped(?: \((.*)\))?, (\d+) failed$/;

test('catalog test on every major: one line per server, replicas, skips with a reason, nothing failed', async (t) => {
  const { code, out } = await catalog(['test', '--versions', PG_MAJORS.join(',')], t);
  assert.equal(code, 0, out);
  const lines = out.split('\n').map((l) => LINE.exec(l)).filter((m) => m !== null);
  const seen = lines.map((m) => `${m[1]} ${m[2]}`);
  assert.deepEqual(seen, PG_MAJORS.flatMap((m) => m === 13 || m === 18 ? [`${m} primary`, `${m} replica`] : [`${m} primary`]),
    `one line per major and role, in order, replicas for the oldest and the newest:\n${out}`);
  for (const m of lines) {
    assert.equal(m[6], '0', `nothing fails on PostgreSQL ${m[1]} ${m[2]}:\n${out}`);
    assert.ok(Number(m[3]) > 0, `collectors ran on PostgreSQL ${m[1]} ${m[2]}`);
    const skips = m[5] ?? '';
    // pg_stat_io exists from 16 on: skipped before, with the reason, and run after.
    if (Number(m[1]) < 16) assert.match(skips, new RegExp(`pg_stat_io: no SQL for server_version_num ${m[1]}\\d{4}`), out);
    else assert.doesNotMatch(skips, /pg_stat_io/, out);
    // Role-bound collectors are skipped where they do not belong.
    assert.match(skips, m[2] === 'primary' ? /pg_wal_receiver: runs on replica only/ : /pg_replication: runs on primary only/, out);
  }
  assert.match(out, /^catalog: \d+ collectors in preset exhaustive: \d+ SQL, \d+ node-scope not run here/m);
  assert.match(out, /^8 servers, 0 failed$/m);
  assertCleanedUp(out);
});

test('catalog test --json with a broken collector of --catalog-dir: its id and SQLSTATE, exit 1', async (t) => {
  const dir = tempDir('pgfleet-catalog-dir-');
  t.after(() => dir.remove());
  mkdirSync(join(dir.path, 'extra'));
  writeFileSync(join(dir.path, 'extra', 'x_broken.yaml'), [
    'id: x_broken', 'description: names a column that does not exist', 'interval: 60s', 'scope: instance', 'presets: [exhaustive]',
    'variants:', '  - sql: SELECT no_such_column AS n FROM pg_stat_database', 'columns:', '  n: {usage: gauge, description: "n"}', '',
  ].join('\n'));
  const { code, out } = await catalog(['test', '--versions', '18', '--replicas', 'none', '--json', '--catalog-dir', join(dir.path, 'extra')], t);
  assert.equal(code, 1, out);
  const docs = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  assert.deepEqual(docs.map((d) => d.type), ['catalog', 'server', 'summary'], out);
  const server = docs[1];
  assert.equal(server.major, 18);
  assert.equal(server.role, 'primary');
  assert.equal(server.failed, 1);
  const broken = server.collectors.find((c: { id: string }) => c.id === 'x_broken');
  assert.equal(broken.status, 'failed');
  assert.equal(broken.sqlstate, '42703');
  assert.match(broken.error, /no_such_column.*SQLSTATE 42703/);
  assert.equal(server.collectors.find((c: { id: string }) => c.id === 'pg_stat_io').status, 'ok');
  assert.deepEqual(docs[2], { type: 'summary', servers: 1, failed: 1 });
  assertCleanedUp(out);
});

test('catalog test stops and deletes its servers on Ctrl-C', async (t) => {
  // One major at a time: when the first has started, five are still to come.
  const { code, out } = await catalog(['test', '--versions', PG_MAJORS.join(','), '--replicas', 'none', '--parallel', '1'], t, async (p) => {
    await p.waitForOutput(/PostgreSQL 13 primary started/);
    p.child.kill('SIGINT');
  });
  assert.equal(code, 130, out);
  assert.match(out, /SIGINT: stopping/);
  assert.match(out, /\(interrupted\)$/m);
  assert.doesNotMatch(out, /PostgreSQL 18/, 'nothing starts after Ctrl-C');
  assertCleanedUp(out);
});

test('catalog test: an unknown major is bad usage (exit 2) and the message lists the supported ones', async (t) => {
  const unknown = await catalog(['test', '--versions', '12,18'], t);
  assert.equal(unknown.code, 2, unknown.out);
  assert.match(unknown.out, /--versions: "12" is not a supported PostgreSQL major; supported: 13, 14, 15, 16, 17, 18/);
  assert.doesNotMatch(unknown.out, /servers in/, 'nothing is started');
  const replica = await catalog(['test', '--versions', '13,14', '--replicas', '16'], t);
  assert.equal(replica.code, 2, replica.out);
  assert.match(replica.out, /--replicas: 16 is not among --versions \(13, 14\)/);
});

test('catalog --help, an unknown sub-command, and catalog list', async (t) => {
  const sub = await catalog(['frob'], t);
  assert.equal(sub.code, 2, sub.out);
  assert.match(sub.out, /unknown command "catalog frob"[\s\S]*catalog test/);
  const help = await catalog(['--help'], t);
  assert.equal(help.code, 0, help.out);
  assert.match(help.out, /catalog list\s+list the collectors/);
  assert.match(help.out, /catalog test\s+run every SQL collector/);
  const list = await catalog(['list'], t);
  assert.equal(list.code, 0, list.out);
  assert.match(list.out, /^pg_stat_io\s+instance\s+any\s+\d+s\s+exhaustive\s+16\+\s+built-in$/m);
  assert.match(list.out, /^node_cpu\s+node\s+any\s+.*reader cpu/m);
});
