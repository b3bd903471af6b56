/**
 * Settings over time on the real path: PostgreSQL 13 and 18 targets → agent (pg_settings, then
 * its changes) → keeper → store → GET /api/v1/instances/{id}/settings and …/settings/changes,
 * checked against pg_settings on the targets; ALTER SYSTEM with a reload, a setting that waits
 * for a restart, the restart itself, and an agent restart that must not grow the history.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import postgres from 'postgres';
import type { Agent } from '../src/agent/index.ts';
import { startServer, type RunningServer } from '../src/server/index.ts';
import { startInprocAgent, startTestPostgres, tempDir, waitFor, type CrashableTestPostgres, type TestPostgres, adminFetch } from './harness/index.ts';

interface Setting { name: string; setting: string; unit?: string; source: string; sourcefile?: string; sourceline?: number; pending_restart: boolean; context: string; vartype: string }
interface SettingsReply { instance: string; at: number; as_of: number | null; complete: boolean; conf_load_time: number | null; pending_restart: number; settings: Setting[] }
interface ChangesReply { complete: boolean; changes: { ts: number; name: string; before: Setting | null; after: Setting | null }[]; difference: { name: string; before: Setting | null; after: Setting | null }[] }

let store: TestPostgres;
let pg13: CrashableTestPostgres;
let pg18: CrashableTestPostgres;
let server: RunningServer;
let agent: Agent;
const dir = tempDir();
const sessions = new Map<string, postgres.Sql>();
/** One session per server, kept for the whole file. */
const connect = (url: string) => {
  let s = sessions.get(url);
  if (!s) { s = postgres(url, { max: 1, onnotice: () => {} }); sessions.set(url, s); }
  return s;
};
const TARGETS = () => [{ name: 'set13-1', cluster: 'set13', url: pg13.url }, { name: 'set18-1', cluster: 'set18', url: pg18.url }];
const startAgent = () => startInprocAgent(server, dir.path, { id: 'agent-settings', namespace: 'prod', node: 'settings-host', targets: TARGETS(), log: (level, msg) => { if (process.env.DEBUG_AGENT) console.log(`agent ${level}: ${msg}`); } });

before(async () => {
  [store, pg13, pg18] = await Promise.all([startTestPostgres(18), startTestPostgres(13), startTestPostgres(18)]);
  server = await startServer({ role: 'all', storeUrl: store.url, host: '127.0.0.1', port: 0, retentionDays: 7 });
  agent = startAgent();
});

after(async () => {
  await agent?.stop();
  await server?.stop();
  await Promise.all([...sessions.values()].map((s) => s.end({ timeout: 1 })));
  await Promise.all([store?.destroy(), pg13?.destroy(), pg18?.destroy()]);
  dir.remove();
});

async function get<T>(path: string, status = 200): Promise<T> {
  const res = await adminFetch(server, `${path}`);
  const body = await res.json();
  assert.equal(res.status, status, `${path}: ${JSON.stringify(body).slice(0, 300)}`);
  return body as T;
}

const byName = (r: SettingsReply) => new Map(r.settings.map((s) => [s.name, s]));

/** The target's own pg_settings, as a plain session sees it, without what a client sets for itself. */
async function onTarget(url: string): Promise<Map<string, Record<string, unknown>>> {
  const rows = await connect(url)`select name, setting, unit, source, sourcefile, sourceline, pending_restart from pg_settings where source <> 'client'`;
  return new Map(rows.map((r) => [r.name as string, r]));
}

test('every setting of PostgreSQL 13 and 18 as pg_settings has it, with sources and files; the agent\'s own session settings are not reported', async () => {
  for (const t of TARGETS()) {
    const reply = await waitFor(`${t.name}: a full settings snapshot`, async () => {
      const r = await get<SettingsReply>(`/api/v1/instances/${t.name}/settings`);
      return r.complete ? r : undefined;
    }, 60_000);
    const want = await onTarget(t.url);
    const got = byName(reply);
    assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort(), `${t.name}: the same settings`);
    assert.ok(got.size > 250, `${t.name}: ${got.size} settings`);
    for (const [name, w] of want) {
      const g = got.get(name)!;
      assert.deepEqual(
        { setting: g.setting, unit: g.unit ?? null, source: g.source, sourcefile: g.sourcefile ?? null, sourceline: g.sourceline ?? null, pending_restart: g.pending_restart },
        { setting: w.setting, unit: w.unit, source: w.source, sourcefile: w.sourcefile, sourceline: w.sourceline, pending_restart: w.pending_restart },
        `${t.name}: ${name}`);
    }
    // The agent's collectors run with statement_timeout 5000 ms; the server's own is the default.
    assert.equal(got.get('statement_timeout')!.setting, '0');
    assert.equal(got.get('statement_timeout')!.source, 'default');
    assert.equal(got.get('default_transaction_read_only')!.setting, 'off');
    assert.equal(got.has('application_name'), false, "the agent's application_name is its session's");
    // The harness starts the servers with fsync off on the command line.
    assert.deepEqual([got.get('fsync')!.setting, got.get('fsync')!.source], ['off', 'command line']);
    assert.equal(got.get('shared_buffers')!.context, 'postmaster');
    assert.ok(reply.conf_load_time! > Date.now() - 600_000 && reply.conf_load_time! <= Date.now());
    assert.equal(reply.pending_restart, 0);
  }
});

test('ALTER SYSTEM and a reload: the new value with its file, a restart-only setting pending; the moment before still answers the old values', async () => {
  const sql = connect(pg18.url);
  const before = Date.now();
  await new Promise((r) => setTimeout(r, 5));
  await sql`alter system set work_mem = '64MB'`;
  await sql`alter system set shared_buffers = '256MB'`;
  await sql`select pg_reload_conf()`;
  const now = await waitFor('work_mem 64MB and shared_buffers pending a restart', async () => {
    const r = await get<SettingsReply>('/api/v1/instances/set18-1/settings');
    const m = byName(r);
    return m.get('work_mem')?.setting === '65536' && m.get('shared_buffers')?.pending_restart ? r : undefined;
  }, 60_000);
  const m = byName(now);
  assert.equal(m.get('work_mem')!.source, 'configuration file');
  assert.match(m.get('work_mem')!.sourcefile!, /postgresql\.auto\.conf$/);
  assert.equal(m.get('shared_buffers')!.setting, '16384', 'not applied before a restart: 128MB in 8kB pages');
  assert.equal(now.pending_restart, 1);

  const then = byName(await get<SettingsReply>(`/api/v1/instances/set18-1/settings?at=${before}`));
  assert.equal(then.get('work_mem')!.setting, '4096');
  assert.equal(then.get('shared_buffers')!.pending_restart, false);

  const ch = await get<ChangesReply>(`/api/v1/instances/set18-1/settings/changes?from=${before}`);
  assert.equal(ch.complete, true);
  const changed = (xs: { name: string; before: Setting | null; after: Setting | null }[]) =>
    xs.map((c) => [c.name, c.before?.setting, c.after?.setting, c.before?.pending_restart, c.after?.pending_restart]);
  assert.deepEqual(changed(ch.changes), [['shared_buffers', '16384', '16384', false, true], ['work_mem', '4096', '65536', false, false]]);
  assert.ok(ch.changes.every((c) => c.ts > before));
  assert.deepEqual(changed(ch.difference), changed(ch.changes));
  // The other instance did not change.
  assert.deepEqual((await get<ChangesReply>(`/api/v1/instances/set13-1/settings/changes?from=${before}`)).changes, []);
});

test('after a restart of the server the pending setting is applied and no longer pending', async () => {
  const before = Date.now();
  await pg18.stop();
  await pg18.restart();
  const now = await waitFor('shared_buffers 256MB after the restart', async () => {
    const m = byName(await get<SettingsReply>('/api/v1/instances/set18-1/settings'));
    return m.get('shared_buffers')?.setting === '32768' ? m : undefined;
  }, 90_000);
  assert.equal(now.get('shared_buffers')!.pending_restart, false);
  const ch = await get<ChangesReply>(`/api/v1/instances/set18-1/settings/changes?from=${before}`);
  const diff = new Map(ch.difference.map((d) => [d.name, [d.before?.setting, d.after?.setting]]));
  assert.deepEqual(diff.get('shared_buffers'), ['16384', '32768']);
  assert.deepEqual(diff.get('wal_buffers'), ['512', '1024'], 'wal_buffers = -1 follows shared_buffers (1/32 of it, at most a WAL segment)');
  // With it change the settings PostgreSQL 18 derives from shared_buffers, and nothing else.
  assert.deepEqual([...diff.keys()].sort(), ['commit_timestamp_buffers', 'shared_buffers', 'shared_memory_size', 'shared_memory_size_in_huge_pages',
    'subtransaction_buffers', 'transaction_buffers', 'wal_buffers']);
});

test('a restarted agent sends every setting again; the store keeps only changes', async () => {
  const rows = async () => Number((await connect(store.url)`select count(*)::int as n from settings_snapshots`)[0].n);
  const stored = await rows();
  await agent.stop();
  const t0 = Date.now();
  agent = startAgent();
  await waitFor('the restarted agent to send its settings', async () => {
    const [r] = await connect(store.url)`select count(*)::int as n from ingested i join agents a on a.id = i.agent_id where a.name = 'agent-settings' and i.type = 'settings' and i.received_at >= to_timestamp(${t0 / 1000})`;
    return r.n >= 2;
  }, 60_000);
  assert.equal(await rows(), stored, 'two full snapshots equal to the stored state add no row');
});

test('bad requests: a wrong time, an empty window, an unknown instance', async () => {
  const bad = await get<{ message: string }>('/api/v1/instances/set18-1/settings?at=yesterday', 400);
  assert.match(bad.message, /at: expected ms since the epoch/);
  const empty = await get<{ message: string }>('/api/v1/instances/set18-1/settings/changes?from=now&to=now-1h', 400);
  assert.match(empty.message, /must be before/);
  await get('/api/v1/instances/nope-1/settings', 404);
});
