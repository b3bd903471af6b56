/**
 * Query statistics and active-session sampling on the real path: a PostgreSQL 16
 * target with pg_stat_statements → agent (as a pg_monitor role) → keeper → store → API.
 * Also: stored counters equal what SQL on the target says (bracketed by two reads),
 * and no stored statement text holds a literal value the workload used.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import postgres from 'postgres';
import { Agent, InprocTransport } from '../src/agent/index.ts';
import { startServer, type RunningServer } from '../src/server/index.ts';
import { startTestPostgres, tempDir, waitFor, type TestPostgres, adminFetch } from './harness/index.ts';

let store: TestPostgres;
let target: TestPostgres;
let server: RunningServer;
let agent: Agent;
let admin: postgres.Sql;
const dir = tempDir();

/** Values the workload puts in its queries; none may reach the store. */
const SECRETS = ['4111-LITERAL-7731', '918273645', 'Sup3rSecretPw', 'DefaultSecret123', 'CommentSecret', 'DoBlockSecret', 'LiteralApp42', '0.7734521', 'E-Escape-Secret'];

before(async () => {
  [store, target] = await Promise.all([
    startTestPostgres(18),
    startTestPostgres(16, { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track': 'all', track_io_timing: 'on' }),
  ]);
  admin = postgres(target.url, { max: 4, onnotice: () => {} });
  await admin.unsafe(`CREATE EXTENSION pg_stat_statements;
    CREATE ROLE pgfleet_monitor LOGIN; GRANT pg_monitor TO pgfleet_monitor;
    CREATE ROLE app_user LOGIN;
    CREATE TABLE secrets (id serial PRIMARY KEY, card text, n bigint, v float8);
    INSERT INTO secrets (card, n, v) SELECT md5(g::text), g, g / 7.0 FROM generate_series(1, 500) g;`);
  server = await startServer({ role: 'all', storeUrl: store.url, host: '127.0.0.1', port: 0, retentionDays: 7 });
  agent = new Agent({
    id: 'agent-stmts', namespace: 'prod', node: 'stmts-host',
    targets: [{ name: 'stmts-1', cluster: 'stmts', url: target.url.replace('postgres://postgres@', 'postgres://pgfleet_monitor@') }],
    preset: 'standard', catalogDirs: [], spoolDir: join(dir.path, 'spool'), statementTimeoutMs: 5000, lockTimeoutMs: 1000,
    maxIntervalS: 1, heartbeatS: 2, nodeMetrics: false, statementsIntervalS: 1, activitySampleMs: 200, activityIntervalS: 1,
    transport: new InprocTransport(async (bytes) => { await server.keeper.ingest([{ bytes, source: 'inproc' }]); }),
  });
  agent.start();
});

after(async () => {
  await agent?.stop();
  await server?.stop();
  await admin?.end({ timeout: 1 });
  await Promise.all([store?.destroy(), target?.destroy()]);
  dir.remove();
});

async function api<T>(path: string): Promise<{ status: number; body: T }> {
  const res = await adminFetch(server, `${path}`);
  return { status: res.status, body: await res.json() as T };
}

type Top = { statements: { queryid: string; toplevel: boolean; text: string | null; counters: Record<string, number>; mean_exec_time: number; time_share: number }[]; total: Record<string, number> };

test('calls of a statement run after the baseline add up to exactly what ran, with its redacted text', async () => {
  // The agent's own collectors show up in pg_stat_statements: once they do, the baseline is taken.
  await waitFor('first statements stored', async () => (await api<Top>('/api/v1/instances/stmts-1/statements?from=now-10m')).body.statements?.length > 0, 60_000);
  const N = 57;
  for (let i = 0; i < N; i++) await admin.unsafe(`SELECT count(*) FROM secrets WHERE card = '4111-LITERAL-7731' AND n > ${918273645 + i}`);
  const [{ queryid }] = await admin`SELECT queryid::text AS queryid FROM pg_stat_statements WHERE query LIKE '%FROM secrets WHERE card = $1 AND n > $2%'`;
  const top = await waitFor(`calls of ${queryid} to reach ${N}`, async () => {
    const r = await api<Top>('/api/v1/instances/stmts-1/statements?from=now-10m&sort=calls&limit=200');
    const s = r.body.statements.find((x) => x.queryid === queryid);
    return s && s.counters.calls >= N ? s : undefined;
  }, 60_000);
  assert.equal(top.counters.calls, N, 'the deltas add up to the calls that ran');
  assert.equal(top.counters.rows, N, 'one row per call');
  assert.ok(top.counters.total_exec_time > 0 && top.mean_exec_time > 0);
  assert.ok(top.counters.shared_blks_hit > 0, 'the scans read shared buffers');
  assert.ok(top.time_share > 0 && top.time_share <= 1);
  assert.equal(top.text, 'SELECT count(*) FROM secrets WHERE card = $1 AND n > $2');

  const one = await api<{ text: string; points: { t: number; counters: Record<string, number> }[] }>(`/api/v1/instances/stmts-1/statements/${queryid}?from=now-10m`);
  assert.equal(one.status, 200);
  assert.equal(one.body.points.reduce((n, p) => n + p.counters.calls, 0), N, 'the series sums to the same calls');

  // Ranked by any column; a wrong one is refused with the list.
  for (const sort of ['total_exec_time', 'mean_exec_time', 'rows', 'shared_blks_read', 'temp_blks_written', 'wal_bytes']) {
    assert.equal((await api(`/api/v1/instances/stmts-1/statements?from=now-10m&sort=${sort}`)).status, 200, sort);
  }
  const bad = await api<{ message: string }>('/api/v1/instances/stmts-1/statements?sort=speed');
  assert.equal(bad.status, 400);
  assert.match(bad.body.message, /sort/);
  assert.equal((await api('/api/v1/instances/stmts-1/statements/12x')).status, 400);
  assert.equal((await api('/api/v1/instances/stmts-1/statements/99999999999999999999')).status, 400, 'outside int8: 400, not 500');
  assert.equal((await api('/api/v1/instances/nope-1/statements')).status, 404);
  assert.equal((await api('/api/v1/instances/stmts-1/statements/123456789')).status, 404);
});

test('statements run inside a function are nested: their time is not counted twice in the total', async () => {
  await admin.unsafe(`CREATE FUNCTION busy() RETURNS bigint LANGUAGE plpgsql AS $$ BEGIN RETURN (SELECT count(*) FROM secrets a, secrets b WHERE a.n < b.n); END $$`);
  for (let i = 0; i < 3; i++) await admin.unsafe('SELECT busy()');
  const [{ queryid: outer }] = await admin`SELECT queryid::text AS queryid FROM pg_stat_statements WHERE query = 'SELECT busy()' AND toplevel`;
  const top = await waitFor('busy() and its nested query', async () => {
    const r = (await api<Top>('/api/v1/instances/stmts-1/statements?from=now-10m&limit=100')).body;
    const o = r.statements.find((x) => x.queryid === outer && x.counters.calls >= 3);
    const inner = r.statements.find((x) => !x.toplevel && x.text?.includes('secrets a, secrets b'));
    return o && inner ? { r, o, inner } : undefined;
  }, 60_000);
  assert.equal(top.o.toplevel, true);
  assert.ok(top.inner.counters.total_exec_time <= top.o.counters.total_exec_time);
  const shares = top.r.statements.filter((x) => x.toplevel).reduce((n, x) => n + x.time_share, 0);
  assert.ok(shares <= 1 + 1e-9, `top-level shares add up to at most 1: ${shares}`);
  assert.ok(top.o.time_share > 0.3, `busy() dominates the window: ${top.o.time_share}`);
});

test('no stored statement text contains a literal value of the executed queries', async () => {
  const app = postgres(target.url.replace('postgres://postgres@', 'postgres://app_user@'), { max: 1, onnotice: () => {} });
  await admin.unsafe(`GRANT ALL ON secrets TO app_user; GRANT ALL ON SEQUENCE secrets_id_seq TO app_user; GRANT CREATE ON SCHEMA public TO app_user`);
  try {
    await app.unsafe(`INSERT INTO secrets (card, n, v) VALUES ('4111-LITERAL-7731', 918273645, 0.7734521), ('4111-LITERAL-7731', 2, 3)`);
    await app.unsafe(`UPDATE secrets SET card = E'E-Escape-Secret\\n' WHERE n = 918273645`);
    await app.unsafe(`SELECT 1 /* user=CommentSecret */ FROM secrets WHERE id IN (918273645, 2, 3)`);
    await app.unsafe(`CREATE TABLE lit (v text DEFAULT 'DefaultSecret123')`);
    await app.unsafe(`SET application_name = 'LiteralApp42'`);
    await app.unsafe(`DO $$ BEGIN PERFORM 'DoBlockSecret'; END $$`);
    await admin.unsafe(`ALTER ROLE app_user PASSWORD 'Sup3rSecretPw'`);
  } finally {
    await app.end({ timeout: 1 });
  }
  // pg_stat_statements itself keeps some of them: the test would prove nothing otherwise.
  const raw = (await admin`SELECT query FROM pg_stat_statements`).map((r) => r.query as string).join('\n');
  const keptByPgss = SECRETS.filter((s) => raw.includes(s));
  assert.ok(keptByPgss.length >= 3, `pg_stat_statements holds literals the agent must redact (found ${keptByPgss.join(', ')})`);

  await waitFor('the texts of the workload to be stored', async () => {
    const [r] = await server.store.sql`select count(*)::int as n from statement_texts where text like '%lit%' or text like '%DO%' or text like '%ALTER ROLE%'`;
    return r.n >= 2;
  }, 60_000);
  const texts = (await server.store.sql`select text from statement_texts`).map((r) => r.text as string);
  assert.ok(texts.length >= 5);
  for (const t of texts) for (const s of SECRETS) assert.ok(!t.includes(s), `stored text holds "${s}": ${t}`);
  const top = await api<Top>('/api/v1/instances/stmts-1/statements?from=now-10m&limit=1000');
  const body = JSON.stringify(top.body);
  for (const s of SECRETS) assert.ok(!body.includes(s), `the API returns "${s}"`);
});

test('sampled activity gives a wait-event timeline and the top statements by active time', async () => {
  const sleepers = Array.from({ length: 3 }, () => admin.unsafe(`SELECT pg_sleep(2.5)`));
  await Promise.all(sleepers);
  type Timeline = { step_ms: number; groups: { key: string; points: { t: number; sessions: number }[] }[] };
  // Waits until the sleeps' last interval is stored too (the agent sends one every second here).
  const tl = await waitFor('PgSleep in the timeline', async () => {
    const r = await api<Timeline>('/api/v1/instances/stmts-1/activity?from=now-10m&by=wait_event');
    const g = r.body.groups?.find((x) => x.key === 'Timeout:PgSleep');
    return g && g.points.reduce((n, p) => n + p.sessions * r.body.step_ms / 1000, 0) > 6 ? r.body : undefined;
  }, 30_000);
  const sleep = tl.groups.find((g) => g.key === 'Timeout:PgSleep')!;
  // 3 sessions × 2.5 s of sleep, seen by samples every 200 ms: about 7.5 session-seconds.
  const sessionSeconds = sleep.points.reduce((n, p) => n + p.sessions * tl.step_ms / 1000, 0);
  assert.ok(sessionSeconds > 6 && sessionSeconds < 10, `session-seconds of PgSleep: ${sessionSeconds}`);
  const byType = await api<Timeline>('/api/v1/instances/stmts-1/activity?from=now-10m');
  assert.ok(byType.body.groups.some((g) => g.key === 'Timeout'));
  const [{ queryid }] = await admin`SELECT queryid::text AS queryid FROM pg_stat_statements WHERE query = 'SELECT pg_sleep($1)'`;
  const top = await api<{ statements: { queryid: string; active_ms: number; text: string | null; waits: Record<string, number> }[] }>('/api/v1/instances/stmts-1/activity/top?from=now-10m');
  assert.equal(top.body.statements[0].queryid, queryid, 'pg_sleep is the top statement by active time');
  assert.ok(top.body.statements[0].waits['Timeout:PgSleep'] > 4000);
  assert.equal((await api('/api/v1/instances/stmts-1/activity?by=colour')).status, 400);
});

test('the sessions snapshot shows who blocks whom, with redacted statements', async () => {
  const holder = postgres(target.url, { max: 1, onnotice: () => {}, connection: { application_name: 'holder' } });
  const waiter = postgres(target.url, { max: 1, onnotice: () => {}, connection: { application_name: 'waiter' } });
  try {
    const [{ pid: holderPid }] = await holder`select pg_backend_pid() as pid`;
    const [{ pid: waiterPid }] = await waiter`select pg_backend_pid() as pid`;
    // The holder keeps a row lock in an open transaction; the waiter's update of that row waits for it.
    await holder.unsafe(`BEGIN; UPDATE secrets SET n = n WHERE id = 1`);
    // postgres.js runs a query when it is awaited or then'd: this starts it now.
    const waiting = waiter.unsafe(`UPDATE secrets SET card = 'WaiterSecret-1' WHERE id = 1`).then(() => undefined);
    type Sessions = { ts: number | null; at: number; sessions: { pid: number; state: string; application_name?: string; wait_event_type?: string; query?: string; blocked_by?: number[]; xact_start?: number }[] };
    let last: unknown;
    const snap = await waitFor('the waiter blocked by the holder in a sessions snapshot', async () => {
      const r = await api<Sessions>('/api/v1/instances/stmts-1/sessions');
      last = r.body;
      if (r.status !== 200) throw new Error(`${r.status} ${JSON.stringify(r.body)}`);
      const w = r.body.sessions.find((x) => x.pid === waiterPid);
      return w?.blocked_by?.includes(holderPid) ? r.body : undefined;
    }, 30_000).catch((err: Error) => { throw new Error(`${err.message}; holder ${holderPid}, waiter ${waiterPid}; last answer: ${JSON.stringify(last)}`); });
    const w = snap.sessions.find((x) => x.pid === waiterPid)!;
    const h = snap.sessions.find((x) => x.pid === holderPid);
    assert.equal(w.wait_event_type, 'Lock');
    assert.equal(w.application_name, 'waiter');
    assert.deepEqual(w.blocked_by, [holderPid]);
    assert.ok(w.query?.startsWith('UPDATE secrets SET card = $'), `redacted: ${w.query}`);
    assert.equal(h?.state, 'idle in transaction');
    assert.equal(h?.blocked_by, undefined, 'the holder waits for nobody');
    assert.ok(typeof h?.xact_start === 'number' && h.xact_start <= snap.ts!, 'xact_start in ms, before the snapshot');
    assert.ok(!JSON.stringify(snap).includes('WaiterSecret'), 'no literal of the waiting statement');
    await holder.unsafe('COMMIT');
    await waiting;
    // A moment before the first snapshot has none.
    const before = await api<Sessions>(`/api/v1/instances/stmts-1/sessions?at=${snap.ts! - 86_400_000}`);
    assert.equal(before.status, 200);
    assert.equal(before.body.ts, null);
    assert.deepEqual(before.body.sessions, []);
    assert.equal((await api('/api/v1/instances/stmts-1/sessions?at=yesterday')).status, 400);
    assert.equal((await api('/api/v1/instances/nope/sessions')).status, 404);
  } finally {
    await holder.end({ timeout: 1 });
    await waiter.end({ timeout: 1 });
  }
});

test('stored counters equal what SQL on the target says at the same moment', async () => {
  const read = async () => (await admin`SELECT xact_commit::float8 AS xact_commit, blks_hit::float8 AS blks_hit, tup_inserted::float8 AS tup_inserted, numbackends::float8 AS numbackends
    FROM pg_stat_database WHERE datname = 'postgres'`)[0] as Record<string, number>;
  const stored = async (metric: string, after: number) => {
    const [r] = await server.store.sql`
      select x.value, x.ts from raw_samples x join series s on s.id = x.series_id join metrics m on m.id = s.metric_id join instances i on i.id = s.owner_id and s.owner_kind = 'i'
      where i.name = 'stmts-1' and m.name = ${metric} and s.labels->>'datname' = 'postgres' and x.ts > ${after} order by x.ts limit 1`;
    return r as { value: number; ts: number } | undefined;
  };
  // Bracket one collection between two reads: before ≤ stored ≤ after.
  await admin.unsafe(`INSERT INTO secrets (card, n) SELECT 'x', g FROM generate_series(1, 100) g`);
  await new Promise((r) => setTimeout(r, 700)); // statistics reach pg_stat_database within 500 ms of the commit
  const t0 = Date.now();
  const a = await read();
  const got = await waitFor('a collection after the first read', async () => {
    const all = await Promise.all(['xact_commit', 'blks_hit', 'tup_inserted', 'numbackends'].map((m) => stored(`pg_stat_database.${m}`, t0)));
    return all.every(Boolean) ? all as { value: number; ts: number }[] : undefined;
  }, 30_000);
  const b = await read();
  const [xc, bh, ti, nb] = got;
  for (const [name, s] of [['xact_commit', xc], ['blks_hit', bh], ['tup_inserted', ti]] as const) {
    assert.ok(a[name] <= s.value && s.value <= b[name], `${name}: ${a[name]} ≤ ${s.value} ≤ ${b[name]}`);
  }
  assert.ok(ti.value >= a.tup_inserted && a.tup_inserted > 0);
  // A gauge: the agent's read sees the same sessions as ours, give or take our own and its own connection.
  assert.ok(Math.abs(nb.value - a.numbackends) <= 2 && Math.abs(nb.value - b.numbackends) <= 2, `numbackends: ${a.numbackends}, ${nb.value}, ${b.numbackends}`);
});

test("the agent's own cost is stored as metrics, per collector", async () => {
  const rows = await waitFor('pgfleet_agent metrics', async () => {
    const r = await server.store.sql`select distinct m.name from metrics m join series s on s.metric_id = m.id where m.name like 'pgfleet_agent.%'`;
    return r.length >= 8 ? r.map((x) => x.name as string) : undefined;
  }, 30_000);
  for (const m of ['pgfleet_agent.rss_bytes', 'pgfleet_agent.cpu_seconds', 'pgfleet_agent.collector_duration_ms', 'pgfleet_agent.collector_state', 'pgfleet_agent.spool_bytes']) {
    assert.ok(rows.includes(m), m);
  }
  const [st] = await server.store.sql`
    select x.value from raw_samples x join series s on s.id = x.series_id join metrics m on m.id = s.metric_id
    where m.name = 'pgfleet_agent.collector_runs' and s.labels->>'collector' = 'pg_stat_statements' order by x.ts desc limit 1`;
  assert.ok(Number(st.value) >= 3, 'pg_stat_statements snapshots counted');
});
