/**
 * GET /metrics on the real path: an agent watching two instances (one PostgreSQL 18 serves as
 * both targets and as the store) → keeper → store → the Prometheus exposition. Every line
 * parses, every value is the newest stored raw sample of its series, labels say whose it is.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import postgres from 'postgres';
import type { Agent } from '../src/agent/index.ts';
import { startServer, type RunningServer } from '../src/server/index.ts';
import { startInprocAgent, startTestPostgres, tempDir, waitFor, type TestPostgres, adminFetch } from './harness/index.ts';

let pg: TestPostgres;
let server: RunningServer;
let agent: Agent;
let sql: postgres.Sql;
const dir = tempDir();

before(async () => {
  pg = await startTestPostgres(18);
  server = await startServer({ role: 'all', storeUrl: pg.url, host: '127.0.0.1', port: 0, retentionDays: 7 });
  sql = postgres(pg.url, { max: 2, onnotice: () => {} });
  agent = startInprocAgent(server, dir.path, {
    id: 'agent-prom', namespace: 'prod', node: 'prom-host', nodeMetrics: true,
    targets: [{ name: 'prom-1', cluster: 'prom', url: pg.url }, { name: 'prom-2', cluster: 'prom', url: pg.url }],
  });
});

after(async () => {
  await agent?.stop();
  await server?.stop();
  await sql?.end({ timeout: 1 });
  await pg?.destroy();
  dir.remove();
});

interface Line { name: string; labels: Record<string, string>; value: number; ts: number }

/** A strict reader of the text format: any line it cannot read fails the test with the line. */
function parseExposition(text: string): { lines: Line[]; types: Map<string, string> } {
  const lines: Line[] = [];
  const types = new Map<string, string>();
  for (const raw of text.split('\n')) {
    if (raw === '') continue;
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (gauge|counter)$/.exec(raw);
    if (type) { assert.ok(!types.has(type[1]), `one TYPE line per family: ${type[1]}`); types.set(type[1], type[2]); continue; }
    if (/^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*$/.test(raw)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+) (\d+)$/.exec(raw);
    assert.ok(m, `a sample line: ${raw}`);
    const labels: Record<string, string> = {};
    const body = m[2] ?? '';
    const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/gy;
    let at = 0;
    for (let l = re.exec(body); l; l = re.exec(body)) {
      labels[l[1]] = l[2].replace(/\\(.)/g, (_s, c: string) => (c === 'n' ? '\n' : c));
      at = re.lastIndex;
    }
    assert.equal(at, body.length, `labels read to the end: ${raw}`);
    assert.ok(types.has(m[1]), `TYPE before the samples of ${m[1]}`);
    const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
    assert.ok(m[3] === 'NaN' || !Number.isNaN(value), `a value: ${raw}`);
    lines.push({ name: m[1], labels, value, ts: Number(m[4]) });
  }
  return { lines, types };
}

async function scrape(query = ''): Promise<{ res: Response; text: string }> {
  const res = await adminFetch(server, `/metrics${query}`);
  return { res, text: await res.text() };
}

test('GET /metrics: every line parses and every value is the newest stored sample of its series', async () => {
  // Both instances and the host have reported.
  await waitFor('pg_up and xact_commit of both instances and host CPU in /metrics', async () => {
    const { text } = await scrape();
    // …and a counter family the assertions below name (a loaded machine may bring it a few seconds later).
    return /pg_up_up\{instance="prom-1"/.test(text) && /pg_up_up\{instance="prom-2"/.test(text) && /node_cpu_seconds\{node="prom-host"/.test(text)
      && /pg_stat_database_xact_commit\{instance="prom-1"/.test(text) && /pg_stat_database_xact_commit\{instance="prom-2"/.test(text);
  }, 60_000);
  await agent.stop();
  // Nothing arrives any more: the scrape and the store can be compared.
  const { res, text } = await scrape();
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const { lines, types } = parseExposition(text);
  assert.equal(types.get('pg_stat_database_xact_commit'), 'counter');
  assert.equal(types.get('pg_up_up'), 'gauge');
  assert.match(text, /# HELP pg_up_up \S/);

  const up = lines.filter((l) => l.name === 'pg_up_up');
  assert.deepEqual(up.map((l) => [l.labels.instance, l.labels.namespace, l.labels.cluster, l.value]).sort(),
    [['prom-1', 'prod', 'prom', 1], ['prom-2', 'prod', 'prom', 1]]);
  for (const l of lines) {
    assert.ok(('instance' in l.labels) !== ('node' in l.labels), `an instance or a node, not both: ${JSON.stringify(l)}`);
  }
  // Each line against the store's newest raw sample of the same series.
  const newest = await sql<{ metric: string; owner: string; labels: Record<string, string>; value: number; ts: string }[]>`
    select distinct on (s.id) m.name as metric, coalesce(i.name, n.name) as owner, s.labels, r.value, r.ts
    from raw_samples r join series s on s.id = r.series_id join metrics m on m.id = s.metric_id
      left join instances i on s.owner_kind = 'i' and i.id = s.owner_id left join nodes n on s.owner_kind = 'n' and n.id = s.owner_id
    where r.ts >= ${Date.now() - 300_000}
    order by s.id, r.ts desc`;
  const key = (name: string, owner: string, labels: Record<string, string>): string =>
    `${name}|${owner}|${JSON.stringify(Object.entries(labels).sort())}`;
  const stored = new Map(newest.map((r) => [key(r.metric.replace(/[^a-zA-Z0-9_:]/g, '_'), r.owner, r.labels), r]));
  assert.equal(lines.length, stored.size, 'one line per series with a recent sample');
  let compared = 0;
  for (const l of lines) {
    const { instance, namespace: _ns, cluster: _c, node, ...rest } = l.labels;
    // A series' own label named like a target label is exported_<name>.
    const own = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k.replace(/^exported_/, ''), v]));
    const r = stored.get(key(l.name, instance ?? node, own));
    assert.ok(r, `the store has ${l.name} of ${instance ?? node} ${JSON.stringify(own)}`);
    assert.equal(l.ts, Number(r.ts), `${l.name}: the newest sample's time`);
    if (Number.isNaN(r.value)) assert.ok(Number.isNaN(l.value));
    else assert.equal(l.value, r.value, `${l.name} ${JSON.stringify(own)}`);
    compared++;
  }
  assert.ok(compared > 100, `${compared} series compared`);
});

test('GET /metrics filters by instance and namespace; the host comes along', async () => {
  const one = parseExposition((await scrape('?instance=prom-1&lookback_s=86400')).text).lines;
  assert.ok(one.some((l) => l.labels.instance === 'prom-1'));
  assert.ok(!one.some((l) => l.labels.instance === 'prom-2'), 'no line of the other instance');
  assert.ok(one.some((l) => l.labels.node === 'prom-host'), 'the host of prom-1');
  const none = await scrape('?namespace=elsewhere&lookback_s=86400');
  assert.equal(none.res.status, 200);
  assert.equal(none.text, '');
});

test('GET /metrics with a bad parameter is a 400 that says what is wrong', async () => {
  for (const q of ['?lookback_s=0', '?lookback_s=abc', '?lookback_s=999999', '?bogus=1']) {
    const res = await adminFetch(server, `/metrics${q}`);
    assert.equal(res.status, 400, q);
    const body = await res.json() as { code: string; message: string };
    assert.equal(body.code, 'PGFLEET_API_BAD_PARAM', q);
    assert.ok(body.message.length > 10, `${q}: ${body.message}`);
  }
});
