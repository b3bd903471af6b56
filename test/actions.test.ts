// Actions (issue 10): each action does what it says on a real PostgreSQL primary and its streaming
// standby; the agent refuses bad signatures, expired commands, actions off its allowlist, writes
// aimed at a replica and replays, and every refusal is in the audit log; a viewer triggers nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { Agent, InprocTransport } from '../src/agent/index.ts';
import { commandPublicKey, DB_ACTIONS, DEFAULT_AGENT_ACTIONS, signCommand, type Command } from '../src/protocol/index.ts';
import { startServer, type RunningServer } from '../src/server/index.ts';
import { InprocCommandChannel } from '../src/server/commands/index.ts';
import type { CommandRow } from '../src/store/index.ts';
import { adminFetch, adminToken, newPassword, signIn, startTestPair, startTestPostgres, tempDir, waitFor, type TestPair, type TestPostgres } from './harness/index.ts';

let store: TestPostgres;
let pair: TestPair;
let server: RunningServer;
let agent: Agent;
const channel = new InprocCommandChannel();
const dir = tempDir('pgfleet-actions-');
const tokens: Record<'operator' | 'viewer' | 'admin', string> = { operator: '', viewer: '', admin: '' };
const AGENT = 'agent-actions';

/** The test's agent: both instances of the pair, commands in-process; scripts allowed, statistics resets not (the allowlist test asks for one). */
function makeAgent(key: ReturnType<typeof commandPublicKey>): Agent {
  return new Agent({
    id: AGENT, namespace: 'default', node: 'node-actions', preset: 'standard', catalogDirs: [], spoolDir: dir.path,
    statementTimeoutMs: 5000, lockTimeoutMs: 1000, maxIntervalS: 5, heartbeatS: 2, nodeMetrics: false, statementsIntervalS: 0, activityIntervalS: 0, settingsIntervalS: 0,
    targets: [{ name: 'main-1', cluster: 'main', url: pair.primary.url }, { name: 'main-2', cluster: 'main', url: pair.standby.url }],
    transport: new InprocTransport(async (bytes) => { await server.keeper.ingest([{ bytes, source: 'inproc' }]); }, channel.register),
    commandKey: key,
    allowActions: [...DEFAULT_AGENT_ACTIONS.filter((a) => a !== 'reset_stats'), 'script'],
  });
}

async function tokenFor(name: string, role: 'operator' | 'viewer'): Promise<string> {
  const password = newPassword();
  const made = await adminFetch(server, '/api/v1/users', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, password, grants: [{ namespace: 'default', role }] }) });
  assert.equal(made.status, 201, await made.clone().text());
  const s = await signIn(server.url!, name, password);
  const res = await fetch(`${server.url}/api/v1/tokens`, { method: 'POST', headers: { cookie: s.cookie, 'x-csrf-token': s.csrf, 'content-type': 'application/json' }, body: JSON.stringify({ name: `${name}-t`, scopes: [{ namespace: 'default', role }] }) });
  assert.equal(res.status, 201, await res.clone().text());
  return (await res.json() as { token: string }).token;
}

/** Runs an action as the operator and waits for its outcome. */
async function act(instance: string, action: string, params: unknown, extra: Record<string, unknown> = {}, token = tokens.operator): Promise<{ status: number; row: CommandRow }> {
  const res = await fetch(`${server.url}/api/v1/instances/${instance}/actions/${action}`, {
    method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ params, wait_s: 30, ...extra }),
  });
  const body = await res.json() as CommandRow;
  return { status: res.status, row: body };
}

/** The audit entries of refused commands, newest first. */
async function refusals(): Promise<{ detail: { id: string; reason: string; action: string } }[]> {
  const res = await adminFetch(server, '/api/v1/audit?action=command.refused&limit=200');
  return await res.json() as { detail: { id: string; reason: string; action: string } }[];
}

before(async () => {
  [store, pair] = await Promise.all([startTestPostgres(18), startTestPair(16, `
    create table t (id bigserial primary key, v int not null, pad text);
    insert into t (v, pad) select g % 1000, repeat('x', 50) from generate_series(1, 50000) g;
    create index t_v_idx on t (v);`)]);
  server = await startServer({ role: 'all', storeUrl: store.url, host: '127.0.0.1', port: 0, retentionDays: 7, commandChannel: channel });
  const key = commandPublicKey(await server.commands!.publicKey());
  agent = makeAgent(key);
  agent.start();
  await waitFor('both instances known with their agent', async () => {
    const [a, b] = await Promise.all([server.store.inventory.getInstance('main-1'), server.store.inventory.getInstance('main-2')]);
    return a?.agent === AGENT && b?.agent === AGENT && b.role === 'replica';
  }, 60_000);
  tokens.operator = await tokenFor('olga', 'operator');
  tokens.viewer = await tokenFor('victor', 'viewer');
  tokens.admin = await adminToken(server.url!, server.firstAdmin);
});

after(async () => {
  await agent?.stop();
  await server?.stop();
  await Promise.all([store?.destroy(), pair?.destroy()]);
  dir.remove();
});

test('terminate_backend: the backend is gone; cancel_backend: the query stops, the session stays', async () => {
  const victim = postgres(pair.primary.url, { max: 1, onnotice: () => {} });
  try {
    const [{ pid }] = await victim`select pg_backend_pid() as pid`;
    const sleeping = victim`select pg_sleep(60)`.then(() => undefined, (err: { code?: string }) => err);
    const watch = postgres(pair.primary.url, { max: 1 });
    await waitFor('the sleeping query to show', async () => (await watch`select count(*)::int as n from pg_stat_activity where pid = ${pid} and state = 'active'`)[0].n === 1);
    await watch.end();
    const cancel = await act('main-1', 'cancel_backend', { pid });
    assert.equal(cancel.status, 200);
    assert.equal(cancel.row.state, 'ok', JSON.stringify(cancel.row));
    assert.equal((await sleeping)?.code, '57014', 'the query was cancelled');
    const [{ alive }] = await victim`select 1 as alive`;
    assert.equal(alive, 1, 'the cancelled session is still usable');

    const term = await act('main-1', 'terminate_backend', { pid });
    assert.equal(term.row.state, 'ok', JSON.stringify(term.row));
    assert.equal((term.row.output as { gone: boolean }).gone, true);
    const check = postgres(pair.primary.url, { max: 1 });
    const [{ n }] = await check`select count(*)::int as n from pg_stat_activity where pid = ${pid}`;
    await check.end();
    assert.equal(n, 0, 'the terminated backend is not in pg_stat_activity');

    const none = await act('main-1', 'terminate_backend', { pid: 999_999 });
    assert.equal(none.row.state, 'error');
    assert.match(none.row.error!, /no backend with pid 999999/);
  } finally {
    await victim.end({ timeout: 1 }).catch(() => {});
  }
});

test('alter_system: the value is live after the reload; a postmaster setting is reported as needing a restart; bad values change nothing', async () => {
  const set = await act('main-1', 'alter_system', { settings: [{ name: 'work_mem', value: '12MB' }, { name: 'shared_buffers', value: '64MB' }] });
  assert.equal(set.row.state, 'ok', JSON.stringify(set.row));
  const out = set.row.output as { settings: { name: string; before: string; after: string; pending_restart: boolean }[]; restart_needed: string[] };
  assert.equal(out.settings.find((s) => s.name === 'work_mem')!.after, '12288');
  assert.deepEqual(out.restart_needed, ['shared_buffers']);
  const fresh = postgres(pair.primary.url, { max: 1 });
  const [{ work_mem }] = await fresh`show work_mem`;
  await fresh.end();
  assert.equal(work_mem, '12MB', 'a new session sees the new value');

  const bad = await act('main-1', 'alter_system', { settings: [{ name: 'work_mem', value: '20MB' }, { name: 'max_wal_size', value: 'lots' }] });
  assert.equal(bad.row.state, 'error');
  assert.equal(bad.row.sqlstate, '22023');
  assert.match(bad.row.error!, /put back: work_mem/);
  const again = postgres(pair.primary.url, { max: 1 });
  await again`select pg_reload_conf()`;
  const [{ auto }] = await again`select setting as auto from pg_file_settings where name = 'work_mem' and sourcefile like '%postgresql.auto.conf'`;
  await again.end();
  assert.equal(auto, '12MB', 'the failed change left postgresql.auto.conf as it was');

  // A list setting is written element by element: one quoted 'a,b' would name a single library "a,b".
  const libs = await act('main-1', 'alter_system', { settings: [{ name: 'shared_preload_libraries', value: 'pg_stat_statements, "auto_explain"' }] });
  assert.equal(libs.row.state, 'ok', JSON.stringify(libs.row));
  const look = postgres(pair.primary.url, { max: 1 });
  const [{ file }] = await look`select setting as file from pg_file_settings where name = 'shared_preload_libraries' and sourcefile like '%postgresql.auto.conf'`;
  await look.end();
  assert.equal(file, 'pg_stat_statements, auto_explain');

  const reset = await act('main-1', 'alter_system', { settings: [{ name: 'work_mem', value: null }, { name: 'shared_buffers', value: null }, { name: 'shared_preload_libraries', value: null }] });
  assert.equal(reset.row.state, 'ok', JSON.stringify(reset.row));
  assert.equal((reset.row.output as typeof out).settings.find((s) => s.name === 'work_mem')!.after, '4096');
});

test('REINDEX CONCURRENTLY completes under concurrent writes and blocks none of them longer than lock_timeout', async () => {
  const writer = postgres(pair.primary.url, { max: 1 });
  let stop = false;
  let writes = 0;
  let worst = 0;
  const writing = (async () => {
    while (!stop) {
      const t0 = performance.now();
      await writer`insert into t (v) values (${writes % 1000})`;
      worst = Math.max(worst, performance.now() - t0);
      writes++;
    }
  })();
  try {
    await waitFor('writes to flow', () => writes > 50);
    const before = writes;
    const r = await act('main-1', 'reindex', { database: 'postgres', schema: 'public', index: 't_v_idx' }, { lock_timeout_ms: 2000 });
    assert.equal(r.row.state, 'ok', JSON.stringify(r.row));
    assert.match((r.row.output as { statement: string }).statement, /REINDEX INDEX CONCURRENTLY "public"."t_v_idx"/);
    assert.ok(writes - before > 10, `writes went on during the reindex (${writes - before})`);
    stop = true;
    await writing;
    assert.ok(worst < 2000, `the slowest write took ${worst.toFixed(0)} ms, under the 2000 ms lock_timeout`);
    const [idx] = await writer`select i.indisvalid, (select count(*)::int from pg_class where relname like 't_v_idx_ccnew%') as leftovers from pg_index i where i.indexrelid = 't_v_idx'::regclass`;
    assert.deepEqual({ ...idx }, { indisvalid: true, leftovers: 0 });
  } finally {
    stop = true;
    await writing.catch(() => {});
    await writer.end();
  }
});

test('VACUUM ANALYZE, ANALYZE, CREATE and DROP INDEX CONCURRENTLY, reload, EXPLAIN', async () => {
  const vac = await act('main-1', 'vacuum', { database: 'postgres', tables: [{ schema: 'public', table: 't' }], analyze: true });
  assert.equal(vac.row.state, 'ok', JSON.stringify(vac.row));
  const pg = postgres(pair.primary.url, { max: 1 });
  try {
    const [st] = await pg`select last_vacuum is not null as vacuumed, last_analyze is not null as analyzed from pg_stat_user_tables where relname = 't'`;
    assert.deepEqual({ ...st }, { vacuumed: true, analyzed: true });
    assert.equal((await act('main-1', 'analyze', { database: 'postgres' })).row.state, 'ok');

    const made = await act('main-1', 'create_index', { database: 'postgres', schema: 'public', table: 't', columns: ['pad', 'v'], name: 't_pad_v' });
    assert.equal(made.row.state, 'ok', JSON.stringify(made.row));
    assert.equal((await pg`select indisvalid from pg_index where indexrelid = to_regclass('public.t_pad_v')`)[0].indisvalid, true);
    const dup = await act('main-1', 'create_index', { database: 'postgres', schema: 'public', table: 't', columns: ['v'], name: 't_pad_v' });
    assert.equal(dup.row.state, 'error');
    assert.equal(dup.row.sqlstate, '42P07', 'an index of that name exists');
    const dropped = await act('main-1', 'drop_index', { database: 'postgres', schema: 'public', index: 't_pad_v' });
    assert.equal(dropped.row.state, 'ok');
    assert.equal((await pg`select to_regclass('public.t_pad_v') as r`)[0].r, null);

    assert.equal((await act('main-1', 'reload_conf', {})).row.state, 'ok');

    // EXPLAIN ANALYZE runs the statement: admins of the namespace only.
    assert.equal((await act('main-1', 'explain', { database: 'postgres', query: 'select 1', analyze: true })).status, 403);
    const plan = await act('main-1', 'explain', { database: 'postgres', query: 'select * from t where v = $1', params: ['7'], analyze: true }, {}, tokens.admin);
    assert.equal(plan.row.state, 'ok', JSON.stringify(plan.row));
    const parsed = JSON.parse((plan.row.output as { plan: string }).plan) as { Plan: { 'Actual Rows': number } }[];
    assert.ok(parsed[0].Plan['Actual Rows'] > 0);
    const generic = await act('main-1', 'explain', { database: 'postgres', query: 'select * from t where v = $1' });
    assert.equal(generic.row.state, 'ok', 'PostgreSQL 16 explains a query with parameters as a generic plan');

    const [{ n: rowsBefore }] = await pg`select count(*)::int as n from t`;
    const ro = await act('main-1', 'explain', { database: 'postgres', query: 'insert into t (v) values (1)', analyze: true }, {}, tokens.admin);
    assert.equal(ro.row.state, 'error');
    assert.equal(ro.row.sqlstate, '25006', 'EXPLAIN ANALYZE of a write runs read-only unless allowed');
    const rw = await act('main-1', 'explain', { database: 'postgres', query: 'insert into t (v) values (1)', analyze: true, allow_writes: true }, {}, tokens.admin);
    assert.equal(rw.row.state, 'ok', JSON.stringify(rw.row));
    const [{ n: rowsAfter }] = await pg`select count(*)::int as n from t`;
    assert.equal(rowsAfter, rowsBefore, 'the explained insert was rolled back');
    // One statement only: a COMMIT smuggled into the text would end the read-only (or rolled-back) transaction.
    const smuggled = await act('main-1', 'explain', { database: 'postgres', query: 'select 1; commit; drop table t', analyze: true, allow_writes: true }, {}, tokens.admin);
    assert.equal(smuggled.row.state, 'error');
    assert.equal(smuggled.row.sqlstate, '42601', smuggled.row.error ?? '');
    assert.equal((await pg`select to_regclass('public.t') is not null as here`)[0].here, true, 'the table is still there');
  } finally {
    await pg.end();
  }
});

test('the agent refuses a bad signature, an expired command, an action off its allowlist, a write on a replica and a replay; each refusal is audited', async () => {
  const { privateKey: serverKey } = await server.store.commands.keyPair(() => { throw new Error('the key exists'); });
  const now = Date.now();
  const command = (over: Partial<Command> = {}): Command => ({
    v: 1, id: randomUUID(), agent: AGENT, instance: 'main-1', action: 'reload_conf', params: {}, issued_at: now, expires_at: now + 60_000, by: 'mallory',
    lock_timeout_ms: 1000, statement_timeout_ms: 1000, ...over,
  });
  // 1. Signed with another key.
  const forged = command();
  const other = generateKeyPairSync('ed25519').privateKey;
  const r1 = await channel.deliver(AGENT, signCommand(forged, other));
  assert.equal(r1?.accepted, false);
  assert.match(r1!.reason!, /signature/);
  // A valid command whose text was changed after signing.
  const tampered = signCommand(command({ action: 'reload_conf' }), serverKey);
  const r1b = await channel.deliver(AGENT, { ...tampered, command: tampered.command.replace('reload_conf', 'reset_stats') });
  assert.equal(r1b?.accepted, false);
  // 2. Expired.
  const expired = command({ issued_at: now - 600_000, expires_at: now - 300_000 });
  const r2 = await channel.deliver(AGENT, signCommand(expired, serverKey));
  assert.equal(r2?.accepted, false);
  assert.match(r2!.reason!, /expired/);
  // 3. Not on the allowlist (through the API, as a user would).
  const r3 = await act('main-1', 'reset_stats', { kind: 'database' });
  assert.equal(r3.row.state, 'refused');
  assert.match(r3.row.reason!, /not on this agent's allowlist/);
  // 4. A write aimed at the replica.
  const r4 = await act('main-2', 'vacuum', { database: 'postgres', tables: [{ schema: 'public', table: 't' }] });
  assert.equal(r4.row.state, 'refused', JSON.stringify(r4.row));
  assert.match(r4.row.reason!, /PGFLEET_COMMAND_REPLICA/);
  // A read-only action on the replica runs.
  assert.equal((await act('main-2', 'explain', { database: 'postgres', query: 'select count(*) from t' })).row.state, 'ok');
  // 5. A replay of a command already run.
  const once = signCommand(command(), serverKey);
  assert.equal((await channel.deliver(AGENT, once))?.accepted, true);
  const r5 = await channel.deliver(AGENT, once);
  assert.equal(r5?.accepted, false);
  assert.match(r5!.reason!, /already received/);

  const expect = [
    [forged.id, /PGFLEET_COMMAND_SIGNATURE/], [expired.id, /PGFLEET_COMMAND_EXPIRED/], [r3.row.id, /PGFLEET_COMMAND_NOT_ALLOWED/],
    [r4.row.id, /PGFLEET_COMMAND_REPLICA/], [JSON.parse(once.command).id, /PGFLEET_COMMAND_REPLAYED/],
  ] as const;
  // A refusal is reported under the command's id only when the command is genuine and new: a forged
  // or replayed one gets an id of its own, and its reason names the id it claimed.
  const entryOf = (rows: Awaited<ReturnType<typeof refusals>>, id: string) => rows.find((r) => r.detail.id === id || r.detail.reason.includes(id));
  const audit = await waitFor('every refusal in the audit log', async () => {
    const rows = await refusals();
    return expect.every(([id]) => entryOf(rows, id)) ? rows : undefined;
  });
  for (const [id, reason] of expect) assert.match(entryOf(audit, id)!.detail.reason, reason);
  assert.notEqual(entryOf(audit, forged.id)!.detail.id, forged.id, "a forged command's id is not trusted");
  const replayed = await server.store.commands.get(JSON.parse(once.command).id);
  assert.equal(replayed?.state, 'ok', "the replay did not overwrite the first run's outcome");
  assert.ok(audit.filter((r) => /SIGNATURE/.test(r.detail.reason)).length >= 2, 'the tampered command is audited too');
});

test('a viewer triggers no action: every action route, cancel, tasks and scripts answer 403 and make no command', async () => {
  const doc = await (await fetch(`${server.url}/docs/json`)).json() as { paths: Record<string, Record<string, unknown>> };
  const actionRoutes = Object.keys(doc.paths).filter((p) => p.startsWith('/api/v1/instances/{id}/actions/'));
  assert.deepEqual(actionRoutes.map((p) => p.split('/').at(-1)).sort(), [...DB_ACTIONS].sort(), 'one route per action');
  const count = async () => (await server.store.sql`select count(*)::int as n from commands`)[0].n as number;
  const before = await count();
  // Valid requests: what refuses them is the role, not their shape.
  const valid: Record<string, unknown> = {
    cancel_backend: { pid: 1 }, terminate_backend: { pid: 1 }, vacuum: { database: 'postgres' }, analyze: { database: 'postgres' },
    reindex: { database: 'postgres', schema: 'public', index: 't_v_idx' }, create_index: { database: 'postgres', schema: 'public', table: 't', columns: ['v'] },
    drop_index: { database: 'postgres', schema: 'public', index: 't_v_idx' }, alter_system: { settings: [{ name: 'work_mem', value: '1GB' }] },
    reload_conf: {}, reset_stats: { kind: 'database' }, explain: { database: 'postgres', query: 'select 1' }, script: { database: 'postgres', script: 'any' },
  };
  for (const path of actionRoutes) {
    const res = await fetch(`${server.url}${path.replace('{id}', 'main-1')}`, {
      method: 'POST', headers: { authorization: `Bearer ${tokens.viewer}`, 'content-type': 'application/json' }, body: JSON.stringify({ params: valid[path.split('/').at(-1)!] }),
    });
    assert.equal(res.status, 403, `${path} as a viewer: ${res.status} ${await res.text()}`);
  }
  const some = (await server.store.commands.list({ limit: 1 }))[0];
  const others: [string, string, unknown][] = [
    ['POST', `/api/v1/commands/${some.id}/cancel`, {}],
    ['POST', '/api/v1/tasks', { name: 'x', scope: 'instance', target: 'main-1', action: 'analyze', params: { database: 'postgres' }, cron: '0 3 * * *' }],
    ['POST', '/api/v1/scripts', { name: 'x', sql: 'select 1' }],
  ];
  for (const [method, path, body] of others) {
    const res = await fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${tokens.viewer}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(res.status, 403, `${method} ${path} as a viewer: ${res.status} ${await res.text()}`);
  }
  // An operator may not run scripts either (admins of the namespace only).
  const script = await act('main-1', 'script', { database: 'postgres', script: 'none' });
  assert.equal(script.status, 403);
  assert.equal(await count(), before, 'no command was made');
  const byToken = await (await adminFetch(server, '/api/v1/audit?result=denied&action=actions.&limit=200')).json() as { actor: string }[];
  assert.ok(byToken.filter((r) => r.actor.startsWith('victor')).length >= actionRoutes.length, 'every refused action is in the audit log');
});

test('scheduled tasks fire at their seconds, never overlap, run while the server is away, and their history survives its restart', async () => {
  const json = { 'content-type': 'application/json' };
  // The administrator's token outlives the server process (it is in the store).
  const tok = await adminToken(server.url!, server.firstAdmin);
  const adminFetch = (path: string, init: RequestInit = {}) => fetch(`${server.url}${path}`, { ...init, headers: { authorization: `Bearer ${tok}`, ...(init.headers as Record<string, string> | undefined) } });
  assert.equal((await adminFetch('/api/v1/scripts', { method: 'POST', headers: json, body: JSON.stringify({ name: 'nap', sql: 'select pg_sleep(2.5)', readOnly: true }) })).status, 201);
  const bodies = new Map<number, Record<string, unknown>>();
  const create = async (body: Record<string, unknown>) => {
    const res = await adminFetch('/api/v1/tasks', { method: 'POST', headers: json, body: JSON.stringify(body) });
    assert.equal(res.status, 201, await res.clone().text());
    const t = await res.json() as { id: number; nextRuns: number[] };
    bodies.set(t.id, body);
    return t;
  };
  // Every second, a run of 2.5 s: runs would overlap if allowed to.
  const nap = await create({ name: 'nap', scope: 'instance', target: 'main-1', action: 'script', params: { database: 'postgres', script: 'nap' }, cron: '* * * * * *' });
  assert.equal(nap.nextRuns.length, 3);
  // Every two seconds on the cluster: the primary runs it, the replica skips it.
  const an = await create({ name: 'analyze t', scope: 'cluster', target: 'default/main', action: 'analyze', params: { database: 'postgres', tables: [{ schema: 'public', table: 't' }] }, cron: '*/2 * * * * *' });
  const bad = await adminFetch('/api/v1/tasks', { method: 'POST', headers: json, body: JSON.stringify({ name: 'x', scope: 'instance', target: 'main-1', action: 'analyze', params: { database: 'postgres' }, cron: '61 * * * *' }) });
  assert.equal(bad.status, 400, 'a bad cron is refused with a message');
  assert.match((await bad.json() as { message: string }).message, /cron "61 \* \* \* \*"/);
  await waitFor('the agent to hold both tasks (one on each instance of the cluster)', () => agent.scheduler!.list().length === 3, 15_000);
  const syncs = await waitFor('the agent to accept the task set', async () => {
    const rows = (await server.store.commands.list({ limit: 500 })).filter((c) => c.action === 'tasks_sync' && c.state !== 'delivered' && c.state !== 'queued');
    return rows.length ? rows : undefined;
  });
  assert.deepEqual([...new Set(syncs.map((c) => c.state))], ['ok'], 'every task set was accepted');

  await new Promise((r) => setTimeout(r, 6000));
  // The server goes away; the agent keeps running its tasks and spools their results.
  const stoppedAt = Date.now();
  await server.stop();
  await new Promise((r) => setTimeout(r, 4000));
  const restartedAt = Date.now();
  server = await startServer({ role: 'all', storeUrl: store.url, host: '127.0.0.1', port: 0, retentionDays: 7, commandChannel: channel });
  type Run = CommandRow & { startedAt: number; scheduledAt: number };
  const runsOf = async (id: number) => await (await adminFetch(`/api/v1/tasks/${id}/runs?limit=500`)).json() as Run[];
  // The tasks are disabled once a nap due after the restart has run and been reported: disabled
  // after a fixed wait instead, they could stop before one started (the nap before it still
  // running when the change reached the agent, on a slow moment of the machine).
  await waitFor('a nap due after the restart to be reported', async () => (await runsOf(nap.id)).some((r) => r.state === 'ok' && r.scheduledAt > restartedAt), 30_000);
  for (const id of [nap.id, an.id]) {
    const off = await adminFetch(`/api/v1/tasks/${id}`, { method: 'PUT', headers: json, body: JSON.stringify({ ...bodies.get(id), enabled: false }) });
    assert.equal(off.status, 200, await off.text());
  }
  await waitFor('the agent to drop the disabled tasks', () => agent.scheduler!.list().length === 0, 15_000);
  const naps = await runsOf(nap.id);
  const ok = naps.filter((r) => r.state === 'ok').sort((a, b) => a.startedAt - b.startedAt);
  const skipped = naps.filter((r) => r.state === 'skipped');
  assert.ok(ok.length >= 4, `${ok.length} naps ran`);
  for (let i = 1; i < ok.length; i++) {
    assert.ok(ok[i].startedAt >= ok[i - 1].startedAt + ok[i - 1].durationMs!, `run ${i} started ${ok[i].startedAt - ok[i - 1].startedAt} ms after the one before, which took ${ok[i - 1].durationMs} ms: no overlap`);
  }
  assert.ok(skipped.length >= ok.length, `${skipped.length} runs skipped while one was running`);
  assert.ok(skipped.every((r) => r.reason === 'the previous run is still running'), 'every skip says why');
  for (const r of naps) assert.equal(r.scheduledAt % 1000, 0, 'every run is due on a whole second');
  for (const r of ok) assert.ok(r.startedAt - r.scheduledAt < 1000, `a run started ${r.startedAt - r.scheduledAt} ms after it was due`);
  assert.ok(naps.some((r) => r.scheduledAt < stoppedAt), 'runs from before the restart are still in the history');
  assert.ok(naps.some((r) => r.scheduledAt > stoppedAt && r.scheduledAt < restartedAt), 'runs while the server was away were reported after it came back');

  const analyzes = await runsOf(an.id);
  const primary = analyzes.filter((r) => r.instance === 'main-1');
  const replica = analyzes.filter((r) => r.instance === 'main-2');
  assert.ok(primary.filter((r) => r.state === 'ok').length >= 3, `${primary.length} runs on the primary`);
  for (const r of analyzes) assert.equal(r.scheduledAt % 2000, 0, 'due on even seconds');
  assert.ok(replica.length >= 3 && replica.every((r) => r.state === 'skipped' && /^replica:/.test(r.reason!)), 'the replica skips a write task');
});

test('an agent that lost its task set gets it again: its heartbeat says it holds none', async () => {
  const tok = tokens.admin; // the server was started again by the test before: the token is in the store
  const res = await fetch(`${server.url}/api/v1/tasks`, {
    method: 'POST', headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'hourly analyze', scope: 'instance', target: 'main-1', action: 'analyze', params: { database: 'postgres' }, cron: '0 * * * *' }),
  });
  assert.equal(res.status, 201, await res.text());
  await waitFor('the agent to hold the task', () => agent.scheduler!.list().some((t) => t.name === 'hourly analyze'), 15_000);
  // The agent goes, and comes back without its kept task set (the server saw it accept that set).
  await agent.stop();
  for (const f of readdirSync(dir.path).filter((n) => n.startsWith('tasks'))) rmSync(join(dir.path, f), { force: true });
  agent = makeAgent(commandPublicKey(await server.commands!.publicKey()));
  agent.start();
  assert.equal(agent.scheduler!.list().length, 0, 'nothing held at start');
  await waitFor('the task set sent again', async () => {
    return agent.scheduler!.list().some((t) => t.name === 'hourly analyze');
  }, 60_000, 3000);
});
