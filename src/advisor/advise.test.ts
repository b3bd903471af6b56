import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ADVISOR_MAJORS, advise, AdvisorError, DISK_KINDS, DURABILITY_RISKS, formatAdvice, parseSize, PG_SETTINGS, WORKLOADS, type Profile } from './index.ts';

const GB = 1024 ** 3;
const CPUS = [1, 2, 4, 8, 16, 32, 64, 128];
const RAM = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024].map((g) => g * GB);

test('every profile of the grid: values the target major accepts, worst-case memory under 90 % of RAM, nothing durability-reducing', () => {
  let profiles = 0;
  let recommendations = 0;
  const wrong: string[] = [];
  for (const major of ADVISOR_MAJORS) for (const cpus of CPUS) for (const ramBytes of RAM) for (const disk of DISK_KINDS) for (const workload of WORKLOADS) {
    const p: Profile = { cpus, ramBytes, disk, workload, major, replication: (cpus + ramBytes / GB) % 2 === 0 };
    // advise() itself refuses a value outside the major's bounds, units or enum values: this checks it again.
    const a = advise(p);
    profiles++;
    recommendations += a.recommendations.length;
    if (a.memory.worstCaseBytes > 0.9 * ramBytes) wrong.push(`${JSON.stringify(p)}: worst case ${a.memory.worstCaseBytes} over ${0.9 * ramBytes}`);
    for (const r of a.recommendations) {
      const meta = PG_SETTINGS[major][r.name];
      if (!meta) { wrong.push(`${major}: ${r.name} does not exist`); continue; }
      const v = Number(r.setting);
      if ((meta.vartype === 'integer' || meta.vartype === 'real') && !(Number.isFinite(v) && (meta.min === null || v >= meta.min) && (meta.max === null || v <= meta.max))) wrong.push(`${major} ${r.name}=${r.setting} outside [${meta.min}, ${meta.max}]`);
      if (meta.vartype === 'enum' && !meta.enumvals!.includes(r.setting)) wrong.push(`${major} ${r.name}=${r.setting} not in ${meta.enumvals}`);
      if (DURABILITY_RISKS[r.name]?.unsafe.includes(r.setting)) wrong.push(`${JSON.stringify(p)}: ${r.name}=${r.setting} without opt-in`);
    }
  }
  assert.deepEqual(wrong.slice(0, 10), []);
  assert.equal(profiles, 6 * CPUS.length * RAM.length * DISK_KINDS.length * WORKLOADS.length);
  assert.ok(recommendations > profiles * 50);
});

test('with opt-in, only synchronous_commit goes off, and the reason says what is lost; fsync and full_page_writes never', () => {
  for (const workload of WORKLOADS) {
    const a = advise({ cpus: 4, ramBytes: 8 * GB, disk: 'ssd', workload, major: 17, allowDurabilityRisk: true });
    const risky = a.recommendations.filter((r) => DURABILITY_RISKS[r.name]?.unsafe.includes(r.setting));
    assert.deepEqual(risky.map((r) => r.name), ['synchronous_commit']);
    assert.match(risky[0].reason, /loses the last commits/);
    assert.ok(!a.recommendations.some((r) => r.name === 'fsync' || r.name === 'full_page_writes'));
  }
});

test('each recommendation: unit, context, reason, confidence, SQL and rollback; current values make the rollback', () => {
  const a = advise({ cpus: 8, ramBytes: 32 * GB, disk: 'nvme', workload: 'oltp', major: 16, connections: 500 }, { shared_buffers: '128MB', shared_preload_libraries: 'pg_cron' });
  const sb = a.recommendations.find((r) => r.name === 'shared_buffers')!;
  assert.deepEqual([sb.recommended, sb.setting, sb.unit, sb.context, sb.current], ['8GB', '1048576', '8kB', 'postmaster', '128MB']);
  assert.equal(sb.sql, "ALTER SYSTEM SET shared_buffers = '8GB';");
  assert.equal(sb.rollbackSql, "ALTER SYSTEM SET shared_buffers = '128MB';");
  const spl = a.recommendations.find((r) => r.name === 'shared_preload_libraries')!;
  assert.equal(spl.recommended, 'pg_cron,pg_stat_statements,auto_explain', 'libraries already loaded are kept');
  assert.equal(spl.sql, "ALTER SYSTEM SET shared_preload_libraries = 'pg_cron', 'pg_stat_statements', 'auto_explain';", 'a list, element by element');
  assert.equal(spl.rollbackSql, "ALTER SYSTEM SET shared_preload_libraries = 'pg_cron';");
  const wm = a.recommendations.find((r) => r.name === 'work_mem')!;
  assert.match(wm.reason, /500 connections \+ 8 parallel workers/);
  assert.equal(a.recommendations.find((r) => r.name === 'max_connections')!.recommended, '500');
  assert.equal(a.recommendations.find((r) => r.name === 'checkpoint_timeout')!.recommended, '15min');
  assert.equal(a.recommendations.find((r) => r.name === 'track_wal_io_timing')!.recommended, 'on');
  assert.ok(a.recommendations.every((r) => r.reason.length > 10 && ['high', 'medium', 'low'].includes(r.confidence) && r.sql.startsWith(`ALTER SYSTEM SET ${r.name} = '`) && r.sql.endsWith("';")));
  // PostgreSQL 13 has no track_wal_io_timing.
  const old = advise({ cpus: 8, ramBytes: 32 * GB, disk: 'nvme', workload: 'oltp', major: 13 });
  assert.ok(!old.recommendations.some((r) => r.name === 'track_wal_io_timing'));
  // 18 only: asynchronous I/O.
  const new18 = advise({ cpus: 32, ramBytes: 128 * GB, disk: 'nvme', workload: 'dw', major: 18 });
  assert.deepEqual(['io_method', 'io_workers'].map((n) => new18.recommendations.find((r) => r.name === n)?.recommended), ['worker', '8']);
});

test('the memory guard on a small machine with many connections: shared_buffers gives way, and a note says why', () => {
  const a = advise({ cpus: 2, ramBytes: 1 * GB, disk: 'ssd', workload: 'oltp', major: 15, connections: 5000 });
  assert.ok(a.memory.worstCaseBytes <= 0.9 * GB);
  assert.equal(a.recommendations.find((r) => r.name === 'work_mem')!.recommended, '64kB');
  assert.ok(a.notes.some((n) => /connection pooler/.test(n)));
});

test('a profile that cannot be read: every problem at once', () => {
  assert.throws(() => advise({ cpus: 0, ramBytes: 10, disk: 'tape' as never, workload: 'web', major: 12 as never }), (e: unknown) =>
    e instanceof AdvisorError && e.code === 'PGFLEET_ADVISOR_PROFILE' && e.problems.length === 4);
  assert.deepEqual([parseSize('32GB'), parseSize('512 MiB'), parseSize('1.5T'), parseSize('lots'), parseSize('3 parsecs')], [32 * GB, 512 * 1024 ** 2, 1.5 * 1024 * GB, undefined, undefined]);
});

test('output formats: postgresql.conf lines, ALTER SYSTEM with reload and rollback, Patroni YAML, JSON', () => {
  const a = advise({ cpus: 4, ramBytes: 16 * GB, disk: 'ssd', workload: 'web', major: 17 });
  const conf = formatAdvice(a, 'conf');
  assert.match(conf, /^shared_buffers = '4GB'\t# restart$/m);
  assert.match(conf, /^checkpoint_timeout = '15min'$/m);
  const sql = formatAdvice(a, 'sql');
  assert.match(sql, /^SELECT pg_reload_conf\(\);$/m);
  assert.match(sql, /^-- a restart is needed for: shared_buffers, .*max_connections/m);
  assert.match(sql, /^-- ALTER SYSTEM RESET shared_buffers;$/m);
  const patroni = formatAdvice(a, 'patroni');
  assert.match(patroni, /^postgresql:\n  parameters:\n    shared_buffers: 4GB$/m);
  assert.match(patroni, /^    jit: 'off'$/m, 'on/off quoted: YAML would read them as booleans');
  const json = JSON.parse(formatAdvice(a, 'json')) as { recommendations: { name: string; current: null; recommended: string; unit: string | null; context: string; reason: string }[] };
  assert.ok(json.recommendations.every((r) => 'name' in r && 'current' in r && 'recommended' in r && 'unit' in r && 'context' in r && 'reason' in r));
  // Connected: only what differs is written out.
  const b = advise({ cpus: 4, ramBytes: 16 * GB, disk: 'ssd', workload: 'web', major: 17 }, { shared_buffers: '4GB', jit: 'on' });
  const conf2 = formatAdvice(b, 'conf');
  assert.doesNotMatch(conf2, /^shared_buffers/m);
  assert.match(conf2, /^jit = 'off'$/m);
  assert.match(formatAdvice(b, 'report'), /^jit = off  \(now on\)/m);
});

test('review fixes: the server\'s connections kept, lists compared element by element, no offline list overwrite, data size never raises shared_buffers, a failing guard said', () => {
  const kept = advise({ cpus: 8, ramBytes: 32 * GB, disk: 'ssd', workload: 'web', major: 16 }, { max_connections: '500' });
  assert.equal(kept.recommendations.find((r) => r.name === 'max_connections')!.recommended, '500');
  const listed = advise({ cpus: 8, ramBytes: 32 * GB, disk: 'ssd', workload: 'web', major: 16 }, { shared_preload_libraries: 'pg_stat_statements, auto_explain' });
  const spl = listed.recommendations.find((r) => r.name === 'shared_preload_libraries')!;
  assert.equal(spl.current, spl.recommended, 'SHOW\'s ", " is the same list');
  assert.doesNotMatch(formatAdvice(listed, 'sql'), /shared_preload_libraries/);
  const offline = formatAdvice(advise({ cpus: 8, ramBytes: 32 * GB, disk: 'ssd', workload: 'web', major: 16 }), 'conf');
  assert.doesNotMatch(offline, /^shared_preload_libraries/m);
  assert.match(offline, /^# add pg_stat_statements and auto_explain to shared_preload_libraries, keeping what it lists now/m);
  const small = advise({ cpus: 1, ramBytes: 256 * 1024 ** 2, disk: 'ssd', workload: 'desktop', major: 16, dataBytes: 10 * 1024 ** 2 });
  assert.equal(small.recommendations.find((r) => r.name === 'shared_buffers')!.recommended, '16MB');
  const crowded = advise({ cpus: 2, ramBytes: 1 * GB, disk: 'ssd', workload: 'oltp', major: 16, connections: 20_000 });
  assert.ok(crowded.notes.some((n) => /the memory guard cannot hold/.test(n)));
  const derived = advise({ cpus: 1, ramBytes: 1 * GB, disk: 'ssd', workload: 'web', major: 16 }, { wal_buffers: '4MB' }, undefined, { defaults: new Set(['wal_buffers']) });
  const wb = derived.recommendations.find((r) => r.name === 'wal_buffers')!;
  assert.deepEqual([wb.recommended, wb.current, wb.rollbackSql], ['-1', '-1', 'ALTER SYSTEM RESET wal_buffers;']);
});
