// pgfleet tune's recommendations applied to real servers of every major: each value goes in with
// ALTER SYSTEM (which checks units, bounds and enum values), the server restarts with them, and
// pg_settings then shows every one of them as recommended.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import postgres from 'postgres';
import { advise, type Profile } from '../src/advisor/index.ts';
import { availableMajors, runPgfleet, startTestPostgres } from './harness/index.ts';

const GB = 1024 ** 3;
type P = Omit<Profile, 'major'>;
/** Profiles whose shared_buffers this machine can allocate, and profiles of machines far larger than it. */
const FITS: P[] = [
  { cpus: 1, ramBytes: 1 * GB, disk: 'hdd', workload: 'desktop', replication: false },
  { cpus: 2, ramBytes: 4 * GB, disk: 'ssd', workload: 'web' },
  { cpus: 8, ramBytes: 16 * GB, disk: 'nvme', workload: 'oltp', connections: 1000, allowDurabilityRisk: true },
];
const LARGER: P[] = [
  { cpus: 16, ramBytes: 64 * GB, disk: 'san', workload: 'mixed', dataBytes: 20 * GB },
  { cpus: 64, ramBytes: 256 * GB, disk: 'ssd', workload: 'oltp', connections: 2000 },
  { cpus: 128, ramBytes: 1024 * GB, disk: 'nvme', workload: 'dw' },
];

for (const major of availableMajors()) {
  test(`PostgreSQL ${major}: the recommended configuration of 1–128 CPUs and 1 GB–1 TB goes in with ALTER SYSTEM, and the server restarts with it`, async (t) => {
    for (const [profiles, settings] of [[FITS, {}], [LARGER, { shared_buffers: '128MB' }]] as const) {
      // A 1 TB profile's shared_buffers cannot be allocated on this machine: for those, the server is
      // started with -c shared_buffers=128MB, which outranks postgresql.auto.conf; ALTER SYSTEM still
      // checks the recommended value, and every other value is applied.
      const pg = await startTestPostgres(major, settings);
      try {
        for (const profile of profiles) {
          const advice = advise({ ...profile, major });
          // As the SQL output says: the settings, a restart; then the settings of the libraries it loaded, and a restart.
          let sql = postgres(pg.url, { max: 1, onnotice: () => {} });
          for (const phase of [false, true]) {
            sql = postgres(pg.url, { max: 1, onnotice: () => {} });
            for (const r of advice.recommendations) if ((r.afterLoading !== null) === phase) await sql.unsafe(r.sql);
            await sql.end({ timeout: 1 });
            await pg.stop();
            await pg.restart();
          }
          sql = postgres(pg.url, { max: 1, onnotice: () => {} });
          try {
            const rows = await sql`select name, setting, source from pg_settings where name = any(${advice.recommendations.map((r) => r.name)})`;
            const byName = new Map(rows.map((r) => [r.name as string, r as unknown as { setting: string; source: string }]));
            const differ: string[] = [];
            const overridden: string[] = [];
            for (const r of advice.recommendations) {
              const row = byName.get(r.name);
              if (!row) { differ.push(`${r.name} missing`); continue; }
              if (row.source === 'command line') { overridden.push(r.name); continue; }
              // wal_buffers = -1 asks the server to derive it (shared_buffers / 32): the server shows what it derived.
              if (r.name === 'wal_buffers' && r.setting === '-1') { if (row.source !== 'configuration file' && row.source !== 'override') differ.push(`${r.name}: not from the configuration (${row.source})`); continue; }
              const same = r.name === 'shared_preload_libraries' ? row.setting.split(',').map((x) => x.trim()).join(',') === r.setting : Number.isFinite(Number(r.setting)) ? Number(row.setting) === Number(r.setting) : row.setting === r.setting;
              if (!same) differ.push(`${r.name}: server ${row.setting}, recommended ${r.setting} (${r.recommended})`);
            }
            assert.deepEqual(differ, [], `PostgreSQL ${major}, ${JSON.stringify(profile)}`);
            t.diagnostic(`${profile.cpus} CPU${profile.cpus === 1 ? "" : "s"}, ${profile.ramBytes / GB} GB, ${profile.disk}, ${profile.workload}: ${advice.recommendations.length} settings applied, worst-case memory ${(advice.memory.worstCaseBytes / GB).toFixed(1)} GB; set on the command line instead: ${overridden.join(', ') || 'none'}`);
            await sql.unsafe('ALTER SYSTEM RESET ALL');
          } finally {
            await sql.end({ timeout: 1 });
          }
        }
      } finally {
        await pg.destroy();
      }
    }
  });
}

test('pgfleet tune: flags in, the report, SQL or JSON out; --connect reads the live server; bad flags are a clear error', async () => {
  const run = async (args: string[]) => {
    const p = runPgfleet(['tune', ...args]);
    const code = await new Promise<number | null>((r) => p.child.once('exit', (c) => r(c)));
    return { code, out: p.output() };
  };
  const report = await run(['--cpus', '8', '--ram', '32GB', '--disk', 'nvme', '--workload', 'oltp', '--pg', '17']);
  assert.equal(report.code, 0, report.out);
  assert.match(report.out, /^shared_buffers = 8GB  \[restart\]/m);
  assert.match(report.out, /worst-case memory .* of 28\.8 GB allowed/);
  const json = await run(['--cpus', '8', '--ram', '32GB', '--pg', '17', '--format', 'json']);
  const parsed = JSON.parse(json.out) as { recommendations: { name: string; current: string | null; recommended: string; unit: string | null; context: string; reason: string }[] };
  assert.ok(parsed.recommendations.length > 50 && parsed.recommendations.every((r) => r.current === null && r.reason && r.context));
  const bad = await run(['--cpus', '8', '--ram', 'lots', '--pg', '12']);
  assert.equal(bad.code, 2);
  assert.match(bad.out, /--ram must be a size such as 16GB or 512MB, got "lots"; --pg must be one of 13, 14, 15, 16, 17, 18, got 12/);

  const pg = await startTestPostgres(16, { shared_preload_libraries: 'pg_stat_statements' });
  try {
    const live = await run(['--connect', pg.url, '--format', 'json', '--workload', 'web']);
    assert.equal(live.code, 0, live.out);
    const a = JSON.parse(live.out) as { profile: { major: number; cpus: number; ramBytes: number; dataBytes: number }; recommendations: { name: string; current: string | null; recommended: string }[] };
    // The test server runs as a superuser on this Linux machine: CPUs and RAM come from its /proc.
    assert.equal(a.profile.major, 16);
    assert.ok(a.profile.cpus >= 1 && a.profile.ramBytes > GB && a.profile.dataBytes > 0, JSON.stringify(a.profile));
    const sb = a.recommendations.find((r) => r.name === 'shared_buffers')!;
    assert.equal(sb.current, '128MB');
    assert.equal(a.recommendations.find((r) => r.name === 'shared_preload_libraries')!.recommended, 'pg_stat_statements,auto_explain');
    const sql = await run(['--connect', pg.url, '--format', 'sql', '--workload', 'web']);
    // The rollback restores what the server had: RESET where that was the built-in default, the value where it was set.
    assert.match(sql.out, /^-- ALTER SYSTEM RESET work_mem;$/m);
    assert.match(sql.out, /^-- ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements';$/m);
    // pg_stat_statements is loaded: its settings go in at once; auto_explain's wait for the restart that loads it.
    assert.match(sql.out, /^ALTER SYSTEM SET pg_stat_statements.max = '10000';\n(.|\n)*-- after the restart that loads auto_explain:\nALTER SYSTEM SET auto_explain/m);
  } finally {
    await pg.destroy();
  }
});
