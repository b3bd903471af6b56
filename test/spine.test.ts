// The real path: target PostgreSQL → agent → nats-server (JetStream) → keeper → store → API.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { statfsSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { Agent, NatsTransport } from '../src/agent/index.ts';
import { encodeEnvelope, ingestSubject } from '../src/protocol/index.ts';
import { startServer, type RunningServer } from '../src/server/index.ts';
import { startPostgres } from '../src/pg-embedded/index.ts';
import { startTestNats, startTestPostgres, tempDir, waitFor, type TestNats, type TestPostgres, adminFetch } from './harness/index.ts';

const N = 250;
let store: TestPostgres;
let target: TestPostgres;
let nats: TestNats;
let server: RunningServer;
let agent: Agent;
const dir = tempDir();

before(async () => {
  [store, target, nats] = await Promise.all([startTestPostgres(18), startTestPostgres(15), startTestNats()]);
  server = await startServer({ role: 'all', storeUrl: store.url, natsServers: [nats.url], host: '127.0.0.1', port: 0, retentionDays: 7 });
  agent = new Agent({
    id: 'agent-spine', namespace: 'prod', node: 'spine-host', targets: [{ name: 'spine-1', cluster: 'spine', url: target.url }],
    preset: 'standard', catalogDirs: [], spoolDir: join(dir.path, 'spool'), statementTimeoutMs: 5000, lockTimeoutMs: 1000,
    maxIntervalS: 1, heartbeatS: 2, nodeMetrics: true, transport: await NatsTransport.connect({ servers: nats.url }),
  });
  agent.start();
});

after(async () => {
  await agent?.stop();
  await server?.stop();
  await Promise.all([store?.destroy(), target?.destroy(), nats?.destroy()]);
  dir.remove();
});

async function api<T>(path: string): Promise<{ status: number; body: T }> {
  const res = await adminFetch(server, `${path}`);
  return { status: res.status, body: await res.json() as T };
}

test('the instance appears with the role and version the target reports', async () => {
  const sql = postgres(target.url, { max: 1 });
  const [{ v, num }] = await sql`select version() as v, current_setting('server_version_num')::int as num`;
  await sql.end();
  type List = { instances: { id: string; role: string; version: string; version_num: number; status: string; namespace: string; cluster: string }[] };
  const inst = await waitFor('spine-1 in /api/v1/instances', async () =>
    (await api<List>('/api/v1/instances')).body.instances.find((i) => i.id === 'spine-1' && i.status === 'up'));
  assert.equal(inst.role, 'primary');
  assert.equal(inst.version_num, num);
  assert.equal(inst.version, v);
  assert.equal(inst.namespace, 'prod');
  assert.equal(inst.cluster, 'spine');
  const one = await api<{ instance: { id: string } }>('/api/v1/instances/spine-1');
  assert.equal(one.status, 200);
  assert.equal(one.body.instance.id, 'spine-1');
});

test(`xact_commit after ${N} committed transactions is stored and returned by the series API`, async () => {
  const admin = postgres(target.url, { max: 1, onnotice: () => {} });
  await admin.unsafe('create database spine_counter');
  await admin.end();
  // fetch_types off: the client itself runs no transaction in this database.
  const db = postgres(target.urlFor('spine_counter'), { max: 1, fetch_types: false });
  for (let i = 0; i < N; i++) await db.unsafe('select 1');
  await db.end(); // a backend flushes its statistics when it exits
  const direct = postgres(target.url, { max: 1 });
  const expected = await waitFor('pg_stat_database to show the transactions', async () => {
    const [r] = await direct`select xact_commit::int as c from pg_stat_database where datname = 'spine_counter'`;
    return r && r.c >= N ? r.c as number : undefined;
  });
  await direct.end();
  // Backend start-up runs one transaction of its own in the database it connects to.
  assert.equal(expected, N + 1, 'PostgreSQL counts the transactions run plus the session start-up');

  type Series = { kind: string; fn: string; series: { labels: Record<string, string>; points: [number, number | null][] }[] };
  const q = '/api/v1/series?instance=spine-1&metric=pg_stat_database.xact_commit&fn=value&match=datname%3Dspine_counter&from=now-5m&maxPoints=300';
  const got = await waitFor(`series API to return xact_commit = ${N + 1}`, async () => {
    const { body } = await api<Series>(q);
    const pts = body.series[0]?.points.filter((p) => p[1] !== null) ?? [];
    return pts.length && pts[pts.length - 1][1] === expected ? body : undefined;
  }, 60_000);
  assert.equal(got.kind, 'counter');
  assert.deepEqual(got.series.map((s) => s.labels), [{ datname: 'spine_counter' }]);

  // The same counter read back from the store's own table, to be sure the API did not invent it.
  const [row] = await server.store.sql`
    select max(x.value) as v from raw_samples x join series s on s.id = x.series_id join metrics m on m.id = s.metric_id
    where m.name = 'pg_stat_database.xact_commit' and s.labels->>'datname' = 'spine_counter'`;
  assert.equal(row.v, expected);
});

test('node metrics arrive and are found through the instance', async () => {
  type Series = { series: { labels: Record<string, string>; points: [number, number | null][] }[] };
  const body = await waitFor('node_memory.total', async () => {
    const r = await api<Series>('/api/v1/series?instance=spine-1&metric=node_memory.total&from=now-5m');
    return r.body.series[0]?.points.some((p) => p[1] !== null) ? r.body : undefined;
  });
  const v = body.series[0].points.find((p) => p[1] !== null)?.[1];
  assert.ok(v && v > 1e8, `node_memory.total looks like bytes of RAM, got ${v}`);
});

test('the fleet list carries the host CPU busy share and the data directory filesystem use (df), from the agent on the host', async () => {
  type Key = { cpu_busy_ratio: number | null; disk_used_ratio: number | null; tps: number | null };
  const key = await waitFor('CPU and disk on spine-1', async () => {
    const k = (await api<{ instances: { id: string; key: Key }[] }>('/api/v1/instances')).body.instances.find((i) => i.id === 'spine-1')?.key;
    return k && k.cpu_busy_ratio !== null && k.disk_used_ratio !== null ? k : undefined;
  }, 60_000);
  assert.ok(key.cpu_busy_ratio! >= 0 && key.cpu_busy_ratio! <= 1, `cpu ${key.cpu_busy_ratio}`);
  const fs = statfsSync(target.dataDir);
  const used = (fs.blocks - fs.bfree) / (fs.blocks - fs.bfree + fs.bavail);
  assert.ok(Math.abs(key.disk_used_ratio! - used) < 0.01, `disk used ${key.disk_used_ratio} vs statfs ${used}`);
});

test('series API: bad parameters get 400 with a message that says what is wrong', async () => {
  const cases: [string, RegExp][] = [
    ['/api/v1/series?instance=spine-1&metric=pg_stat_database.xact_commit&from=yesterday', /from: expected/],
    ['/api/v1/series?instance=spine-1&metric=pg_stat_database.xact_commit&maxPoints=0', /maxPoints/],
    ['/api/v1/series?instance=spine-1&metric=pg_stat_database.xact_commit&from=now-1h&to=now-2h', /must be before/],
    ['/api/v1/series?instance=spine-1&metric=no_such.metric', /unknown metric "no_such.metric"/],
    ['/api/v1/series?instance=spine-1&metric=pg_stat_database.xact_commit&fn=median', /fn: expected one of value, rate/],
    ['/api/v1/series?instance=spine-1&metric=pg_stat_database.xact_commit&by=datname&agg=median', /agg: expected one of sum, avg, max, min/],
    ['/api/v1/series?metric=pg_stat_database.xact_commit', /instance is required/],
    ['/api/v1/series?instance=spine-1&metric=pg_stat_database.xact_commit&match=datname', /match: expected name=value/],
    ['/api/v1/series?instance=spine-1&metric=pg_stat_database.xact_commit&match=datname=a,datname=b', /label "datname" is given twice/],
    ['/api/v1/series?instance=spine-1&metric=pg_stat_database.xact_commit&match=dbname=postgres', /has no label "dbname"; its labels: datname/],
    ['/api/v1/series?instance=spine-1&metric=pg_stat_database.xact_commit&by=state', /by: pg_stat_database.xact_commit has no label "state"/],
    ['/api/v1/series?instance=spine-1&metric=pg_stat_database.xact_commit&bogus=1', /unknown parameter "bogus"/],
    ['/api/v1/series?instance=spine%00&metric=pg_stat_database.xact_commit', /NUL/],
    ['/api/v1/series?instance=spine-1&metric=pg_stat_database.xact_commit&to=now-99999999999w', /outside/],
  ];
  for (const [path, re] of cases) {
    const { status, body } = await api<{ message: string; code: string }>(path);
    assert.equal(status, 400, `${path} → ${status} ${JSON.stringify(body)}`);
    assert.match(body.message, re, path);
  }
  const missing = await api<{ message: string }>('/api/v1/series?instance=nope-1&metric=pg_stat_database.xact_commit');
  assert.equal(missing.status, 404);
  assert.match(missing.body.message, /instance "nope-1" is not known/);
});

test('POST /api/v1/series/query answers several queries at once, each as GET /api/v1/series does; an offset shifts a window back', async () => {
  const post = async (body: unknown) => {
    const res = await adminFetch(server, `/api/v1/series/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: await res.json() as Record<string, unknown> };
  };
  type Reply = { step_ms: number; offset_ms: number; series: { labels: Record<string, string>; points: [number, number | null][] }[] };
  // A frozen window in the past, so both answers read the same stored data.
  const to = Date.now() - 5_000;
  const from = to - 120_000;
  const gets = await Promise.all([
    api<Reply>(`/api/v1/series?instance=spine-1&metric=pg_stat_database.xact_commit&fn=rate&by=&from=${from}&to=${to}&maxPoints=60`),
    api<Reply>(`/api/v1/series?instance=spine-1&metric=node_memory.total&from=${from}&to=${to}&maxPoints=60`),
  ]);
  const batch = await post({ instance: 'spine-1', from: String(from), to: String(to), maxPoints: 60, queries: [
    { metric: 'pg_stat_database.xact_commit', fn: 'rate', by: '' }, { metric: 'node_memory.total' },
    { metric: 'node_memory.total', offset: '1m' },
  ] });
  assert.equal(batch.status, 200, JSON.stringify(batch.body));
  const results = batch.body.results as Reply[];
  assert.equal(results.length, 3);
  for (let i = 0; i < 2; i++) {
    const { offset_ms, ...rest } = results[i];
    assert.equal(offset_ms, 0);
    assert.deepEqual(rest, gets[i].body, `query ${i} answers as GET /api/v1/series`);
  }
  // The offset query reads [from − 1 min, to − 1 min) and returns it on the asked window's axis.
  const back = await api<Reply>(`/api/v1/series?instance=spine-1&metric=node_memory.total&from=${from - 60_000}&to=${to - 60_000}&maxPoints=60`);
  assert.equal(results[2].offset_ms, 60_000);
  assert.deepEqual(results[2].series.map((s) => s.points), back.body.series.map((s) => s.points.map(([t, v]) => [t + 60_000, v])));

  for (const [body, re] of [
    [{ instance: 'spine-1', queries: [] }, /queries/],
    [{ instance: 'spine-1', queries: [{ metric: 'node_memory.total', offset: 'yesterday' }] }, /queries\[0\]\.offset: expected a duration/],
    [{ instance: 'spine-1', queries: [{ metric: 'no_such.metric' }] }, /unknown metric/],
    [{ instance: 'spine-1', from: 'now-2m', maxPoints: 60, queries: [{ metric: 'node_memory.total', offset: '7s' }] }, /not a whole number of steps/],
    [{ instance: 'spine-1', queries: Array.from({ length: 25 }, () => ({ metric: 'node_memory.total' })) }, /queries/],
    [{ instance: 'spine-1', queries: [{ metric: 'node_memory.total', colour: 'red' }] }, /colour/],
  ] as const) {
    const r = await post(body);
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.match(String(r.body.message), re);
  }
  assert.equal((await post({ instance: 'nope-1', queries: [{ metric: 'node_memory.total' }] })).status, 404);
});

test('catalog and OpenAPI document list the routes', async () => {
  const cat = await api<{ metrics: { name: string }[] }>('/api/v1/catalog');
  assert.ok(cat.body.metrics.some((m) => m.name === 'pg_stat_database.xact_commit'));
  const doc = await api<{ openapi: string; paths: Record<string, unknown> }>('/docs/json');
  assert.match(doc.body.openapi, /^3\./);
  for (const p of ['/api/v1/instances', '/api/v1/instances/{id}', '/api/v1/series', '/api/v1/catalog', '/api/v1/ingest', '/api/v1/health', '/api/v1/live']) {
    assert.ok(p in doc.body.paths, `OpenAPI lists ${p}`);
  }
  const ui = await fetch(`${server.url}/docs/`);
  assert.equal(ui.status, 200);
  assert.match(await ui.text(), /swagger-ui/i);
});

test('a malformed message on the broker goes to the dead letters with the reason; the stream goes on', async () => {
  const nc = await connect({ servers: nats.url });
  const js = jetstream(nc);
  await js.publish(ingestSubject('prod', 'agent-rogue', 'metrics'), new TextEncoder().encode('{"v":1,"type":"metrics","agent":"agent-rogue","seq":1,"ts":1'), { msgID: 'rogue:1' });
  await js.publish(ingestSubject('prod', 'agent-rogue', 'telepathy'), encodeEnvelope({ v: 1, type: 'event', agent: 'agent-rogue', seq: 2, ts: Date.now(), data: { kind: 'k', severity: 'info', message: 'm' } }).slice(0, 10), { msgID: 'rogue:2' });
  await nc.close();
  const dead = await waitFor('two dead letters', async () => {
    const rows = await server.store.sql`select source, code, reason from dead_letters where source like '%agent-rogue%' order by id`;
    return rows.length >= 2 ? rows : undefined;
  });
  assert.equal(dead[0].code, 'PGFLEET_PROTOCOL_DECODE');
  assert.match(dead[0].reason as string, /not valid JSON/);
  assert.match(dead[0].source as string, /^nats:pgfleet\.ingest\.prod\.agent-rogue\.metrics$/);
  assert.equal(dead[1].code, 'PGFLEET_PROTOCOL_DECODE');
  // The agent's stream is still stored after them.
  const before = Number((await server.store.sql`select max(seq) as s from ingested i join agents a on a.id = i.agent_id where a.name = 'agent-spine'`)[0].s);
  await waitFor('the agent stream to go on', async () =>
    Number((await server.store.sql`select max(seq) as s from ingested i join agents a on a.id = i.agent_id where a.name = 'agent-spine'`)[0].s) > before + 5);
});

test('an instance whose server stops is shown down, with the reason', async () => {
  await target.stop();
  type List = { instances: { id: string; status: string; error: string | null }[] };
  const inst = await waitFor('spine-1 to be down', async () =>
    (await api<List>('/api/v1/instances')).body.instances.find((i) => i.id === 'spine-1' && i.status === 'down'), 60_000);
  assert.match(inst.error ?? '', /ECONNREFUSED|connect|terminat|shut/i);
  const { body } = await api<List>('/api/v1/instances');
  assert.equal(body.instances[0].id, 'spine-1', 'problems first');
});

test('when the server comes back, the instance is up again and the outage is in its events', async () => {
  const again = await startPostgres({ major: 15, dataDir: target.dataDir, port: target.port });
  try {
    type List = { instances: { id: string; status: string }[] };
    await waitFor('spine-1 to be up again', async () =>
      (await api<List>('/api/v1/instances')).body.instances.find((i) => i.id === 'spine-1' && i.status === 'up'), 60_000);
    const events = await waitFor('down and up events', async () => {
      const rows = await server.store.sql`select kind from events e join instances i on i.id = e.instance_id where i.name = 'spine-1' order by e.ts, e.id`;
      const kinds = rows.map((r) => r.kind as string);
      return kinds.includes('instance.down') && kinds.includes('instance.up') ? kinds : undefined;
    });
    assert.ok(events.indexOf('instance.down') < events.lastIndexOf('instance.up'));
    // pg_up.up went to 0 during the outage and back to 1 after it.
    await waitFor('pg_up.up: 1, then 0, then 1', async () => {
      const [up] = await server.store.sql`
        select array_agg(x.value order by x.ts) as v from raw_samples x join series s on s.id = x.series_id join metrics m on m.id = s.metric_id
        join instances i on i.id = s.owner_id and s.owner_kind = 'i' where m.name = 'pg_up.up' and i.name = 'spine-1'`;
      return /1,(0,)+1/.test((up.v as number[]).join(','));
    });
  } finally {
    await again.stop();
  }
});
