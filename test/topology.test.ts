/**
 * GET /api/v1/clusters/{namespace}/{cluster}/topology on the real path: a PostgreSQL 18 primary
 * and its streaming standby (physical slot standby_1) → agent → keeper → store → the API, checked
 * against pg_stat_replication and pg_replication_slots on the primary; then the standby is
 * promoted and the role change shows on its lane and in the events, and the stream is gone.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import postgres from 'postgres';
import type { Agent } from '../src/agent/index.ts';
import type { TopologyReply } from '../src/server/api/topology-service.ts';
import { startServer, type RunningServer } from '../src/server/index.ts';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { launchChromium, startInprocAgent, startTestPair, startTestPostgres, tempDir, waitFor, type TestBrowser, type TestPair, type TestPostgres, adminFetch, browserSignIn } from './harness/index.ts';

const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url));
let browser: TestBrowser | undefined;

let store: TestPostgres;
let pair: TestPair;
let server: RunningServer;
let agent: Agent;
const dir = tempDir();
let started = 0;

before(async () => {
  [store, pair] = await Promise.all([startTestPostgres(18), startTestPair(18)]);
  server = await startServer({ role: 'all', storeUrl: store.url, host: '127.0.0.1', port: 0, retentionDays: 7, webDir: fileURLToPath(new URL('../web/dist', import.meta.url)) });
  started = Date.now();
  agent = startInprocAgent(server, dir.path, {
    id: 'agent-topo', namespace: 'prod', node: 'topo-host',
    targets: [{ name: 'pair-1', cluster: 'pair', url: pair.primary.url }, { name: 'pair-2', cluster: 'pair', url: pair.standby.url }],
  });
});

after(async () => {
  await browser?.close();
  await agent?.stop();
  await server?.stop();
  await Promise.all([store?.destroy(), pair?.destroy()]);
  dir.remove();
});

async function topology(query = ''): Promise<TopologyReply> {
  const res = await adminFetch(server, `/api/v1/clusters/prod/pair/topology${query}`);
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body).slice(0, 300));
  return body as TopologyReply;
}

test('members, the stream from primary to standby with its lag, the slot, and the standby\'s receiver', async () => {
  const t = await waitFor('the stream pair-1 → pair-2 and the slot', async () => {
    const r = await topology();
    const link = r.replication.find((l) => l.standby === 'pair-2');
    const receiver = r.members.find((m) => m.instance === 'pair-2')?.receiver;
    return link && link.replay_lag_bytes !== null && new Set(r.slots.map((s) => s.instance)).size === 2 && receiver?.connected === 1 ? r : undefined;
  }, 60_000);
  assert.deepEqual(t.members.map((m) => [m.instance, m.role, m.up, m.upstream]), [['pair-1', 'primary', true, null], ['pair-2', 'replica', true, 'pair-1']]);
  const sql = postgres(pair.primary.url, { max: 1, onnotice: () => {} });
  try {
    const [rep] = await sql`select application_name, state, sync_state from pg_stat_replication`;
    const slotsOf = async (url: string, instance: string) => {
      const s = postgres(url, { max: 1, onnotice: () => {} });
      try { return (await s`select slot_name, slot_type, active from pg_replication_slots order by slot_name`).map((r) => [instance, r.slot_name, r.slot_type, r.active]); } finally { await s.end({ timeout: 1 }); }
    };
    // The standby holds a copy of the slot (made with the cold copy of the primary), inactive.
    const slots = [...await slotsOf(pair.primary.url, 'pair-1'), ...await slotsOf(pair.standby.url, 'pair-2')];
    assert.equal(t.replication.length, 1);
    const link = t.replication[0];
    assert.deepEqual([link.primary, link.standby, link.application_name, link.state, link.is_sync], ['pair-1', 'pair-2', rep.application_name, rep.state, rep.sync_state === 'async' ? 0 : 1]);
    assert.ok(link.replay_lag_bytes! >= 0);
    assert.deepEqual(t.slots.map((s) => [s.instance, s.slot_name, s.slot_type, s.active]), slots);
    assert.deepEqual(slots.map((x) => x[3]), [true, false]);
    assert.ok(t.slots[0].retained_bytes! >= 0);
  } finally {
    await sql.end({ timeout: 1 });
  }
  const receiver = t.members[1].receiver!;
  assert.deepEqual([receiver.name, receiver.primary_slot_name, receiver.connected], ['standby_1', 'standby_1', 1]);
  assert.equal(t.members[0].receiver, null);
  for (const m of t.members) assert.deepEqual(m.lane.map((s) => s.state), [m.role], `${m.instance}: one role over the window`);
});

test('a promoted standby: its lane turns from replica to primary at the event, and the stream is gone', async () => {
  const before = Date.now();
  const sql = postgres(pair.standby.url, { max: 1, onnotice: () => {} });
  try { await sql`select pg_promote()`; } finally { await sql.end({ timeout: 1 }); }
  const t = await waitFor('pair-2 primary, its stream gone', async () => {
    const r = await topology(`?from=${started}`);
    return r.members.find((m) => m.instance === 'pair-2')?.role === 'primary' && r.replication.length === 0 && r.events.some((e) => e.kind === 'role.changed') ? r : undefined;
  }, 90_000);
  const change = t.events.find((e) => e.kind === 'role.changed')!;
  assert.equal(change.instance, 'pair-2');
  assert.ok(change.ts >= before, 'the change is after the promotion');
  const lane = t.members.find((m) => m.instance === 'pair-2')!.lane;
  assert.deepEqual(lane.map((s) => s.state), ['replica', 'primary']);
  assert.equal(lane[0].to, change.ts);
  assert.equal(lane[0].from, started);
  assert.equal(t.members.find((m) => m.instance === 'pair-2')!.upstream, null);

  // The console's cluster page draws the same: two primaries now, pair-2's lane replica then primary, the event listed.
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
  await browserSignIn(browser.context, server);
  const page = await browser.context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${server.url}/clusters/prod/pair?range=1h`);
  await page.locator('[data-testid="member"][data-instance="pair-2"][data-role="primary"]').waitFor({ timeout: 30_000 });
  assert.deepEqual(await page.locator('.lane-row[data-instance="pair-2"] .lane-seg').evaluateAll((els) => els.map((e) => e.getAttribute('data-state'))), ['replica', 'primary']);
  assert.equal(await page.locator('[data-testid="topology-events"] li[data-kind="role.changed"]').count(), 1);
  assert.match(await page.locator('[data-testid="slots"]').textContent() ?? '', /standby_1/);
  await page.screenshot({ path: join(ARTIFACTS, 'cluster.png'), fullPage: true });
  assert.deepEqual(errors, []);
});

test('bad requests: an unknown cluster, a wrong window', async () => {
  const res = await adminFetch(server, `/api/v1/clusters/prod/nope/topology`);
  assert.equal(res.status, 404);
  assert.match((await res.json() as { message: string }).message, /cluster "prod\/nope" is not known/);
  const bad = await adminFetch(server, `/api/v1/clusters/prod/pair/topology?from=now&to=now-1h`);
  assert.equal(bad.status, 400);
});
