// The store's own size: measured by kind from the catalog, recorded by the worker, served with
// growth and forecast by GET /api/v1/store/size.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Envelope } from '../src/protocol/index.ts';
import { startServer, type RunningServer } from '../src/server/index.ts';
import { Worker } from '../src/server/worker/index.ts';
import { DAY_MS, STORE_KINDS, type StoreSizeReport } from '../src/store/index.ts';
import { startTestPostgres, type TestPostgres, adminFetch } from './harness/index.ts';

/** A trusted forwarder's token: these tests send for many made-up agents. */
const INGEST_TOKEN = 'test-ingest-token';

let pg: TestPostgres;
let server: RunningServer;

before(async () => {
  // Autovacuum would add visibility-map forks between two measurements.
  pg = await startTestPostgres(18, { autovacuum: 'off' });
  server = await startServer({ role: 'api', storeUrl: pg.url, host: '127.0.0.1', port: 0, retentionDays: 7, ingestToken: INGEST_TOKEN });
});
after(async () => { await server?.stop(); await pg?.destroy(); });

async function get<T>(path: string): Promise<{ status: number; body: T }> {
  const res = await adminFetch(server, `${path}`);
  return { status: res.status, body: await res.json() as T };
}

function envelopes(n: number, ts: number): Envelope[] {
  const base = { v: 1 as const, agent: 'agent-size', instance: 'size-1' };
  const out: Envelope[] = [];
  for (let i = 0; i < n; i++) {
    out.push({ ...base, seq: 4 * i + 1, ts: ts + i, type: 'metrics', data: { collector: 'pg_stat_database', metrics: [
      { name: 'pg_stat_database.xact_commit', kind: 'counter', points: Array.from({ length: 20 }, (_, d) => ({ l: { datname: `db${d}` }, v: i * 100 + d })) }] } });
    out.push({ ...base, seq: 4 * i + 2, ts: ts + i, type: 'statements', data: { interval_ms: 60_000,
      entries: [{ queryid: String(1000 + (i % 10)), datname: 'app', usename: 'app', toplevel: true, c: { calls: i, total_exec_time: i * 1.5 } }],
      texts: i < 10 ? [{ queryid: String(1000 + i), text: `SELECT ${i} FROM t WHERE a = $1` }] : [] } });
    out.push({ ...base, seq: 4 * i + 3, ts: ts + i, type: 'activity', data: { interval_ms: 15_000, sample_ms: 1000, samples: 15,
      groups: [{ state: 'active', wait_event_type: 'IO', wait_event: 'DataFileRead', datname: 'app', usename: 'app', backend_type: 'client backend', n: 3 }],
      sessions: [{ pid: 100 + i, backend_type: 'client backend', state: 'active', wait_event_type: 'IO', wait_event: 'DataFileRead', query: 'select $1' }] } });
    out.push({ ...base, seq: 4 * i + 4, ts: ts + i, type: 'event', data: { kind: 'test', severity: 'info', message: `event ${i}` } });
  }
  return out;
}

/** Sizes computed here another way: pg_partition_tree rather than pg_inherits. */
async function independent() {
  const tree = (t: string) => server.store.sql`select coalesce(sum(pg_total_relation_size(relid)), 0)::bigint as b from pg_partition_tree(${t}::regclass) where isleaf`;
  const rel = (t: string) => server.store.sql`select pg_total_relation_size(${t}::regclass) as b`;
  const [[raw], [stats], [texts], [activity], [sessions], [events], [settings], [db]] = await Promise.all([
    tree('sample_sets'), tree('statement_stats'), rel('statement_texts'), tree('activity_samples'), tree('activity_sessions'), rel('events'), rel('settings_snapshots'),
    server.store.sql`select pg_database_size(current_database()) as b`,
  ]);
  return { raw: Number(raw.b), statements: Number(stats.b) + Number(texts.b), activity: Number(activity.b) + Number(sessions.b), events: Number(events.b) + Number(settings.b), total: Number(db.b) };
}

let first: StoreSizeReport;

test('after ingest and a worker run, sizes by kind match the catalog and one snapshot is recorded', async () => {
  const ts0 = Date.now() - 60_000;
  const batch = envelopes(100, ts0);
  for (let i = 0; i < batch.length; i += 200) {
    const res = await fetch(`${server.url}/api/v1/ingest`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${INGEST_TOKEN}` }, body: JSON.stringify(batch.slice(i, i + 200)) });
    assert.equal(res.status, 200, await res.text());
  }
  await new Worker(server.store, { retentionDays: 7 }).runAll(Date.now());
  const { status, body } = await get<StoreSizeReport>('/api/v1/store/size');
  assert.equal(status, 200);
  first = body;
  const kind = (k: string) => body.kinds.find((x) => x.kind === k)!;
  assert.deepEqual(body.kinds.map((k) => k.kind), [...STORE_KINDS]);
  const want = await independent();
  for (const k of ['raw', 'statements', 'activity', 'events'] as const) {
    assert.ok(kind(k).bytes > 0, `${k} has data`);
    assert.equal(kind(k).bytes, want[k], `${k} is pg_total_relation_size over its tables`);
  }
  for (const k of ['dictionary', 'ingest', 'other']) assert.ok(kind(k).bytes > 0, `${k} > 0`);
  assert.equal(body.total.bytes, want.total, 'total is pg_database_size');
  assert.equal(body.kinds.reduce((a, k) => a + k.bytes, 0), body.total.bytes, 'the kinds add up to the database');
  // Retention as the worker applies it; days held from the start of the first message's day partition.
  assert.deepEqual([kind('raw').retention_days, kind('rollups_1m').retention_days, kind('rollups_1h').retention_days, kind('events').retention_days], [7, 30, 400, null]);
  const day = Math.floor(ts0 / DAY_MS) * DAY_MS;
  assert.equal(kind('raw').oldest, day);
  assert.ok(Math.abs(kind('raw').days_held! - (body.measured_at - day) / DAY_MS) < 1e-9);
  assert.equal(kind('raw').partitions, new Set(batch.map((e) => Math.floor(e.ts / DAY_MS))).size);
  assert.equal(kind('ingest').days_held, kind('raw').days_held, 'bookkeeping lives as long as the ingested data');

  const [{ n }] = await server.store.sql`select count(distinct ts)::int as n from store_size_history`;
  assert.equal(n, 1, 'one snapshot');
  assert.equal(body.history.ts.length, 1);
  assert.equal(body.growth.snapshots, 1);
  assert.match(body.growth.reason ?? '', /one size snapshot/);
  assert.equal(body.total.growth_per_day, null);
  assert.ok(body.kinds.every((k) => k.growth_per_day === null && k.forecast_30d === null));
});

test('with older snapshots, growth is their least-squares slope and the forecast follows it', async () => {
  const [{ ts }] = await server.store.sql`select max(ts) as ts from store_size_history`;
  const t = Number(ts);
  // 24 hourly snapshots before the real one, on a line of 2 MiB a day for the total and 1 MiB a day for events.
  const rows = await server.store.sql<{ kind: string; bytes: number }[]>`select kind, bytes from store_size_history where ts = ${t}`;
  const at = (k: string) => Number(rows.find((r) => r.kind === k)!.bytes);
  const slope = { total: 2 * 2 ** 20, events: 2 ** 20 };
  for (let h = 1; h <= 24; h++) {
    for (const [kind, perDay] of Object.entries(slope)) {
      await server.store.sql`insert into store_size_history (ts, kind, bytes) values (${t - h * 3_600_000}, ${kind}, ${Math.round(at(kind) - (perDay * h) / 24)})`;
    }
  }
  const { body } = await get<StoreSizeReport>('/api/v1/store/size?disk_free_bytes=10000000');
  const events = body.kinds.find((k) => k.kind === 'events')!;
  assert.equal(body.growth.reason, null);
  assert.equal(body.growth.snapshots, 25);
  assert.ok(Math.abs(body.total.growth_per_day! - slope.total) < 2, `total growth ${body.total.growth_per_day}`);
  assert.ok(Math.abs(events.growth_per_day! - slope.events) < 2, `events growth ${events.growth_per_day}`);
  // Events are kept until deleted: the trend goes on for 30 days, and there is no steady state.
  assert.ok(Math.abs(events.forecast_30d! - (events.bytes + 30 * events.growth_per_day!)) < 1e-6);
  assert.equal(events.steady_state, null);
  assert.equal(body.kinds.find((k) => k.kind === 'raw')!.growth_per_day, null, 'a kind with one snapshot has no growth');
  assert.equal(body.total.forecast_30d, null, 'not every kind has a forecast');
  assert.ok(body.disk && body.disk.days_until_full !== null, JSON.stringify(body.disk));
  assert.ok(Math.abs(body.disk.days_until_full! - 10_000_000 / slope.events) < 1e-3, "only the kinds with growth count");
  assert.match(body.disk.reason ?? "", /counting only the 1 kinds of 10/);
  assert.equal(body.history.ts.length, 25);
  assert.equal(body.history.kinds.events.filter((v) => v !== null).length, 25);
  assert.equal(body.history.kinds.raw.filter((v) => v !== null).length, 1);
  assert.ok(first.measured_at <= body.measured_at);
});

test('the worker records at most one snapshot an hour, and history is thinned to the days asked', async () => {
  const retention = { samplesDays: 7, statementsDays: 7, rollup1mDays: 30, rollup1hDays: 400 };
  const [{ ts }] = await server.store.sql`select max(ts) as ts from store_size_history`;
  assert.equal(await server.store.size.record(retention, Number(ts) + 30 * 60_000), false, 'half an hour later: not due');
  assert.equal(await server.store.size.record({ ...retention, samplesDays: 3 }, Number(ts) + 30 * 60_000), true, 'retention changed: recorded');
  assert.equal(await server.store.size.record(retention, Number(ts) + 90 * 60_000), true, 'an hour after the last one');
  const { body } = await get<StoreSizeReport>('/api/v1/store/size?days=1');
  assert.ok(body.history.ts.every((t) => t > body.measured_at - DAY_MS && t <= body.measured_at));
  // 400 days in at most 800 snapshots: one per 12 hours, the last of each.
  const long = (await get<StoreSizeReport>('/api/v1/store/size?days=400')).body.history.ts;
  assert.ok(long.length >= 2 && long.length <= 3, `${long.length} snapshots`);
  assert.equal(long.at(-1), Number(ts), 'the newest snapshot is kept');
});

test('bad parameters are answered 400 with a code; the route is in the OpenAPI document', async () => {
  for (const q of ['days=0', 'days=401', 'disk_free_bytes=-1', 'nope=1']) {
    const { status, body } = await get<{ code: string }>(`/api/v1/store/size?${q}`);
    assert.equal(status, 400, q);
    assert.equal(body.code, 'PGFLEET_API_BAD_PARAM', q);
  }
  const { body } = await get<{ paths: Record<string, unknown> }>('/docs/json');
  assert.ok(body.paths['/api/v1/store/size'], 'documented');
});
