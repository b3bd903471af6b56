// The agent against every supported major (the contract suite for PostgreSQL versions):
// version and role discovered, collectors healthy; and on a primary/standby pair the
// roles come out right and the primary reports its standby.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import postgres from 'postgres';
import { Agent, NoopTransport } from '../src/agent/index.ts';
import { decodeEnvelope, type Envelope, type HeartbeatData, type InventoryData, type MetricsData } from '../src/protocol/index.ts';
import { PG_MAJORS, startTestPair, startTestPostgres, tempDir, waitFor, type PgMajor } from './harness/index.ts';

/** An agent whose messages are kept in memory. */
function recordingAgent(targets: { name: string; url: string }[], spool: string) {
  const seen: Envelope[] = [];
  const agent = new Agent({
    id: 'agent-majors', namespace: 'default', node: 'majors-host',
    targets: targets.map((t) => ({ ...t, cluster: t.name.replace(/-\d+$/, '') })),
    preset: 'exhaustive', catalogDirs: [], spoolDir: spool, statementTimeoutMs: 5000, lockTimeoutMs: 1000,
    maxIntervalS: 1, heartbeatS: 1, nodeMetrics: false,
    transport: new NoopTransport((bytes) => seen.push(decodeEnvelope(bytes))),
  });
  return { agent, seen };
}

const inventories = (seen: Envelope[], instance: string) =>
  seen.filter((e) => e.type === 'inventory' && e.instance === instance).map((e) => e.data as InventoryData);
const metricsOf = (seen: Envelope[], instance: string, collector: string) =>
  seen.filter((e) => e.type === 'metrics' && e.instance === instance && (e.data as MetricsData).collector === collector).map((e) => e.data as MetricsData);

for (const major of PG_MAJORS) {
  test(`agent on PostgreSQL ${major}: version, role, every collector healthy`, async (t) => {
    const pg = await startTestPostgres(major as PgMajor);
    const dir = tempDir();
    t.after(async () => { await pg.destroy(); dir.remove(); });
    const sql = postgres(pg.url, { max: 1 });
    const [{ num }] = await sql`select current_setting('server_version_num')::int as num`;
    await sql.end();
    const { agent, seen } = recordingAgent([{ name: `m${major}-1`, url: pg.url }], join(dir.path, 'spool'));
    agent.start();
    try {
      // Two heartbeats after every collector ran at least once.
      const hb = await waitFor('every collector to have run', () => {
        const beats = seen.filter((e) => e.type === 'heartbeat').map((e) => e.data as HeartbeatData);
        const last = beats[beats.length - 1];
        return last && last.collectors.length > 0 && last.collectors.every((c) => c.runs > 0 || c.state === 'skipped') ? last : undefined;
      }, 60_000);
      const inv = inventories(seen, `m${major}-1`)[0];
      assert.equal(inv.version_num, num);
      assert.equal(inv.role, 'primary');
      assert.equal(inv.up, true);
      const bad = hb.collectors.filter((c) => c.state === 'failing' || c.state === 'backoff');
      assert.deepEqual(bad, [], `collectors failing on ${major}`);
      assert.ok(metricsOf(seen, `m${major}-1`, 'pg_stat_database').length > 0);
    } finally {
      await agent.stop();
    }
  });
}

for (const major of [13, 18] as PgMajor[]) {
  test(`agent on a primary and its standby, PostgreSQL ${major}: roles and replication`, async (t) => {
    const pair = await startTestPair(major);
    const dir = tempDir();
    t.after(async () => { await pair.destroy(); dir.remove(); });
    const { agent, seen } = recordingAgent([{ name: 'pair-1', url: pair.primary.url }, { name: 'pair-2', url: pair.standby.url }], join(dir.path, 'spool'));
    agent.start();
    try {
      await waitFor('both inventories and a replication report', () =>
        inventories(seen, 'pair-1').length && inventories(seen, 'pair-2').length
        && metricsOf(seen, 'pair-1', 'pg_replication').some((m) => m.metrics.length > 0), 60_000);
      assert.equal(inventories(seen, 'pair-1')[0].role, 'primary');
      assert.equal(inventories(seen, 'pair-2')[0].role, 'replica');
      assert.equal(inventories(seen, 'pair-1')[0].system_identifier, inventories(seen, 'pair-2')[0].system_identifier, 'one cluster, one system identifier');
      const repl = metricsOf(seen, 'pair-1', 'pg_replication').find((m) => m.metrics.length > 0)!;
      const lag = repl.metrics.find((f) => f.name === 'pg_replication.replay_lag_bytes')!;
      assert.equal(lag.points[0].l?.application_name, 'standby_1');
      // Role-bound collectors run only where they belong.
      assert.equal(metricsOf(seen, 'pair-2', 'pg_replication').length, 0, 'pg_replication (primary only) does not run on the standby');
    } finally {
      await agent.stop();
    }
  });
}
