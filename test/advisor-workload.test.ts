// pgfleet tune --connect on a server that has a workload: sorts that spill to temporary files, a write
// burst that forces checkpoints, a table full of dead tuples. Each must show in a recommendation that
// cites the measured numbers, and the SQL it gives must run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import postgres from 'postgres';
import { runPgfleet, startTestPostgres, waitFor } from './harness/index.ts';

for (const major of [13, 17] as const) {
  test(`PostgreSQL ${major}: spills, requested checkpoints and dead tuples become recommendations citing them`, async () => {
    const pg = await startTestPostgres(major, { shared_preload_libraries: 'pg_stat_statements', work_mem: '64kB', max_wal_size: '32MB', checkpoint_timeout: '1h' });
    const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
    try {
      await sql`create extension pg_stat_statements`;
      // Sorts of ~10 MB with 64 kB of work_mem: each goes to temporary files.
      for (let i = 0; i < 3; i++) await sql`select count(*) from (select g, md5(g::text) as h from generate_series(1, 200000) g order by h) s`;
      // About 110 MB of WAL against max_wal_size = 32 MB: checkpoints requested, not timed.
      await sql`create table burst as select g, repeat('x', 500) as pad from generate_series(1, 200000) g`;
      await sql`insert into burst select g, repeat('y', 500) from generate_series(1, 100000) g`;
      // Half of a table deleted, with autovacuum off for it: dead tuples stay.
      await sql`create table dead (id int, pad text) with (autovacuum_enabled = false)`;
      await sql`insert into dead select g, repeat('z', 50) from generate_series(1, 100000) g`;
      await sql`delete from dead where id % 2 = 0`;
      const cp = major >= 17 ? sql`select num_requested::int as n from pg_stat_checkpointer` : sql`select checkpoints_req::int as n from pg_stat_bgwriter`;
      await waitFor('three requested checkpoints', async () => { await sql`select pg_stat_clear_snapshot()`; return (await cp)[0].n >= 3; }, 60_000);
      await waitFor('the dead tuples counted', async () => { await sql`select pg_stat_clear_snapshot()`; return (await sql`select n_dead_tup::int as n from pg_stat_user_tables where relname = 'dead'`)[0]?.n >= 40_000; }, 60_000);

      const p = runPgfleet(['tune', '--connect', pg.url, '--cpus', '2', '--ram', '4GB', '--workload', 'oltp', '--format', 'json']);
      const code = await new Promise<number | null>((r) => p.child.once('exit', (c) => r(c)));
      assert.equal(code, 0, p.output());
      const a = JSON.parse(p.output()) as {
        recommendations: { name: string; recommended: string; reason: string; current: string }[];
        roles: { role: string; database: string; settings: Record<string, string>; reason: string; sql: string; rollbackSql: string }[];
        tables: { table: string; settings: Record<string, string>; reason: string; sql: string; rollbackSql: string }[];
      };
      // One query does all the spilling: its role gets the memory, not every backend.
      const role = a.roles.find((r) => r.settings.work_mem);
      assert.ok(role, JSON.stringify(a.roles));
      assert.match(role.reason, /wrote \d+(\.\d+)? MB of temporary files over 3 calls, \d+(\.\d+)? MB per call/);
      assert.ok(parseInt(role.settings.work_mem, 10) >= 5, role.settings.work_mem);
      const wal = a.recommendations.find((r) => r.name === 'max_wal_size')!;
      assert.match(wal.reason, /^\d+ of \d+ checkpoints were requested \(WAL reached max_wal_size, 32 MB\)/);
      assert.equal(wal.current, '32MB');
      if (major >= 14) assert.match(wal.reason, /MB of WAL was written in the \d+ s the statistics cover/);
      const table = a.tables.find((t) => t.table === 'public.dead');
      assert.ok(table, JSON.stringify(a.tables));
      assert.match(table.reason, /^50000 dead tuples against 50000 live \(100 %\), and autovacuum is off for this table/);
      assert.equal(table.settings.autovacuum_enabled, 'on');
      // The SQL it gives runs, and its rollback too.
      for (const stmt of [role.sql, table.sql]) await sql.unsafe(stmt);
      const [opts] = await sql`select reloptions from pg_class where relname = 'dead'`;
      assert.ok((opts.reloptions as string[]).includes('autovacuum_vacuum_scale_factor=0.01'), String(opts.reloptions));
      for (const stmt of [role.rollbackSql, table.rollbackSql]) await sql.unsafe(stmt);
    } finally {
      await sql.end({ timeout: 1 });
      await pg.destroy();
    }
  });
}
