/**
 * Golden test of the pg_stat_statements version mapping on real servers, 13 to 18:
 * the same counter names come out of every major's extension (13 split total_time
 * into total_exec_time and total_plan_time; 17 renamed blk_read_time to
 * shared_blk_read_time), and the deltas of a known workload are exact.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import postgres from 'postgres';
import { openTargetPool } from '../src/agent/collect.ts';
import { StatementsSampler } from '../src/agent/statements/sampler.ts';
import { statementColumns } from '../src/agent/statements/columns.ts';
import type { StatementsData } from '../src/protocol/index.ts';
import { PG_MAJORS, startTestPostgres } from './harness/index.ts';

/** Counters every major 13+ provides, under the same names. */
const EVERYWHERE = ['calls', 'total_exec_time', 'total_plan_time', 'plans', 'rows', 'shared_blks_hit', 'shared_blks_read', 'shared_blks_dirtied', 'shared_blks_written',
  'local_blks_hit', 'temp_blks_read', 'temp_blks_written', 'shared_blk_read_time', 'shared_blk_write_time', 'wal_records', 'wal_fpi', 'wal_bytes'];

for (const major of PG_MAJORS) {
  test(`pg_stat_statements on PostgreSQL ${major}: stable counter names and exact deltas`, async (t) => {
    const pg = await startTestPostgres(major, { shared_preload_libraries: 'pg_stat_statements', track_io_timing: 'on', 'pg_stat_statements.track_planning': 'on' });
    const admin = postgres(pg.url, { max: 1, onnotice: () => {} });
    const pool = openTargetPool(pg.url.replace('postgres://postgres@', 'postgres://mon@'), undefined, { statementTimeoutMs: 5000, lockTimeoutMs: 1000 });
    t.after(async () => { await pool.end({ timeout: 1 }); await admin.end({ timeout: 1 }); await pg.destroy(); });
    await admin.unsafe(`CREATE EXTENSION pg_stat_statements; CREATE ROLE mon LOGIN; GRANT pg_monitor TO mon;
      CREATE TABLE g (id int PRIMARY KEY, v text); INSERT INTO g SELECT i, md5(i::text) FROM generate_series(1, 2000) i;`);
    const sampler = new StatementsSampler({ top: 50 });
    assert.equal(await sampler.sample(() => pool, [], 5000, Date.now()), 'baseline');
    for (let i = 0; i < 13; i++) await admin.unsafe(`SELECT v FROM g WHERE id = ${i + 1}`);
    await admin.unsafe(`INSERT INTO g SELECT i, 'x' FROM generate_series(3001, 3500) i`);
    const out = await sampler.sample(() => pool, [], 5000, Date.now()) as StatementsData;
    const sel = out.entries.find((e) => e.c.calls === 13 && e.usename === 'postgres');
    assert.ok(sel, `the SELECT ran 13 times: ${JSON.stringify(out.entries.map((e) => [e.queryid, e.c.calls]))}`);
    assert.equal(sel.c.rows, 13);
    assert.equal(out.texts?.find((x) => x.queryid === sel.queryid)?.text, 'SELECT v FROM g WHERE id = $1');
    const ins = out.entries.find((e) => e.c.rows === 500);
    assert.ok(ins && (ins.c.wal_bytes ?? 0) > 0, 'the INSERT wrote WAL');
    // The columns the view has on this major, mapped to stable names: query them the way the sampler does.
    const cols = (await admin`SELECT attname FROM pg_attribute WHERE attrelid = 'pg_stat_statements'::regclass AND attnum > 0`).map((r) => r.attname as string);
    const names = statementColumns(cols).map((c) => c.counter);
    for (const n of EVERYWHERE) assert.ok(names.includes(n as never), `${n} on ${major} (view columns: ${cols.join(', ')})`);
    if (major >= 17) assert.ok(cols.includes('shared_blk_read_time') && !cols.includes('blk_read_time'));
    else assert.ok(cols.includes('blk_read_time') && !cols.includes('shared_blk_read_time'));
    assert.ok(names.includes('total_exec_time') && !cols.includes('total_time'));
  });
}
