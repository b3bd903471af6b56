// Agent enrollment (issue 9): agents register with a namespace's enrollment token and get their own
// credentials; nats-server runs with the authorization pgfleet generates. An agent publishing on another
// agent's subject, an agent sending as another agent, a revoked agent and an unknown key are all refused,
// and nothing they sent is stored.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createUser } from '@nats-io/nkeys';
import { Agent, NatsTransport } from '../src/agent/index.ts';
import { loadCatalog } from '../src/catalog/index.ts';
import { commandPublicKey, encodeEnvelope, type Envelope } from '../src/protocol/index.ts';
import { FleetSimulator } from '../src/simulate/index.ts';
import { startServer, type RunningServer } from '../src/server/index.ts';
import { adminFetch, adminHeaders, startTestNats, startTestPostgres, tempDir, waitFor, type TestNats, type TestPostgres } from './harness/index.ts';

const dir = tempDir();
let pg: TestPostgres;
let api: RunningServer;
let keeper: RunningServer;
let cmdApi: RunningServer | undefined;
let nats: TestNats;
const keeperKey = createUser();
const keys = { 'ag-0': createUser(), 'ag-1': createUser(), 'ag-cmd': createUser(), stranger: createUser() };
const credentials: Record<string, string> = {};
const transports: NatsTransport[] = [];
const now = Date.now();
const sim = new FleetSimulator(loadCatalog(), { agents: 2, seed: 11, prefix: 'ag', namespace: 'alpha' });
const envs = sim.tick(now - 3 * 60_000, now);
const of = (agent: string) => envs.filter((e) => e.agent === agent);

const seedFile = (name: keyof typeof keys) => {
  const f = join(dir.path, `${name}.nk`);
  writeFileSync(f, new TextDecoder().decode(keys[name].getSeed()));
  return f;
};
const stored = async (agent: string, seq?: number) => (await api.store.sql<{ n: number }[]>`
  select count(*)::int as n from ingested where agent_id = (select id from agents where name = ${agent}) and (${seq ?? null}::bigint is null or seq = ${seq ?? null})`)[0].n;
const authorization = async () => (await adminFetch(api, `/api/v1/nats/authorization?keeperNkey=${keeperKey.getPublicKey()}`)).text();
const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${api.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

before(async () => {
  pg = await startTestPostgres(18);
  api = await startServer({ role: 'all', storeUrl: pg.url, host: '127.0.0.1', port: 0, retentionDays: 7 });
});

after(async () => {
  for (const t of transports) await t.close().catch(() => {});
  await keeper?.stop();
  await cmdApi?.stop();
  await api?.stop();
  await nats?.destroy();
  await pg?.destroy();
  dir.remove();
});

test('an enrollment token of a namespace registers each agent once; the credentials come back once', async () => {
  const made = await adminFetch(api, '/api/v1/enrollment-tokens', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ namespace: 'alpha', uses: 2 }) });
  assert.equal(made.status, 201);
  const { token } = await made.json() as { token: string };
  for (const agent of ['ag-0', 'ag-1'] as const) {
    const r = await post('/api/v1/agents/enroll', { token, agent, nkey: keys[agent].getPublicKey() });
    const body = await r.json() as { credential: string; namespace: string };
    assert.equal(r.status, 201, JSON.stringify(body));
    assert.equal(body.namespace, 'alpha');
    credentials[agent] = body.credential;
  }
  // Used up, and an enrolled id cannot be taken over with another token.
  assert.equal((await post('/api/v1/agents/enroll', { token, agent: 'ag-2' })).status, 409);
  const other = await (await adminFetch(api, '/api/v1/enrollment-tokens', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ namespace: 'alpha' }) })).json() as { token: string; id: number };
  const takeover = await post('/api/v1/agents/enroll', { token: other.token, agent: 'ag-0', nkey: keys.stranger.getPublicKey() });
  assert.equal(takeover.status, 409);
  assert.match((await takeover.json() as { message: string }).message, /enrolled already/);
  assert.equal((await post('/api/v1/agents/enroll', { token: 'pge_AAAAAAAA_' + 'A'.repeat(43), agent: 'ag-9' })).status, 401);
  await adminFetch(api, `/api/v1/enrollment-tokens/${other.id}`, { method: 'DELETE' });
  assert.equal((await post('/api/v1/agents/enroll', { token: other.token, agent: 'ag-9' })).status, 401, 'a revoked enrollment token');
  const listed = await (await adminFetch(api, '/api/v1/agents')).text();
  assert.ok(!listed.includes(credentials['ag-0'].split('.')[1]), 'no credential in the list');
});

test('NATS with the generated authorization: each agent publishes only as itself', async () => {
  const conf = await authorization();
  assert.match(conf, new RegExp(`pgfleet\\.ingest\\.alpha\\.ag-0\\.>.*# ag-0`));
  nats = await startTestNats({ config: conf });
  keeper = await startServer({ role: 'keeper', storeUrl: pg.url, natsServers: [nats.url], natsNkeySeed: new TextDecoder().decode(keeperKey.getSeed()), host: '127.0.0.1', port: 0, retentionDays: 7 });
  const a0 = await NatsTransport.connect({ servers: nats.url, nkeyFile: seedFile('ag-0'), inboxPrefix: '_INBOX_ag-0', timeoutMs: 3000 });
  transports.push(a0);
  const send = (t: NatsTransport, e: Envelope, as: { agent?: string; namespace?: string } = {}) =>
    t.send(encodeEnvelope(e), { agent: as.agent ?? e.agent, namespace: as.namespace ?? 'alpha', type: e.type, seq: e.seq });

  // Its own messages go through.
  for (const e of of('ag-0')) await send(a0, e);
  await waitFor('ag-0 stored', async () => (await stored('ag-0')) === of('ag-0').length, 30_000);

  // On another agent's subject: the broker refuses the publish.
  const b = of('ag-1')[0];
  await assert.rejects(send(a0, b), /permission|timeout|TIMEOUT/i);
  // On another namespace's subject too.
  await assert.rejects(send(a0, { ...of('ag-0')[0], seq: 9001 }, { namespace: 'beta' }), /permission|timeout|TIMEOUT/i);
  // Its own subject, another agent's envelope; its own subject, an inventory claiming another namespace: the keeper refuses both.
  await send(a0, { ...b, seq: 9002 }, { agent: 'ag-0' });
  const inv = of('ag-0').find((e) => e.type === 'inventory')!;
  await send(a0, { ...inv, seq: 9003, data: { ...inv.data, namespace: 'beta' } } as Envelope);
  await waitFor('both refusals dead-lettered', async () => (await api.store.sql`select 1 from dead_letters where reason like 'sent as agent ag-0%' or reason like '%belongs to namespace alpha%'`).length === 2, 30_000);
  assert.equal(await stored('ag-1'), 0, 'nothing of ag-1 came from ag-0');
  assert.equal(await stored('ag-0', 9003), 0);
  const [{ ns }] = await api.store.sql`select ns.name as ns from instances i join clusters c on c.id = i.cluster_id join namespaces ns on ns.id = c.namespace_id where i.name = 'ag-0'`;
  assert.equal(ns, 'alpha', 'the instance stayed in its namespace');

  // A key nobody enrolled cannot connect at all.
  const stranger = await NatsTransport.connect({ servers: nats.url, nkeyFile: seedFile('stranger'), inboxPrefix: '_INBOX_stranger', timeoutMs: 2000 });
  transports.push(stranger);
  await assert.rejects(send(stranger, { ...of('ag-0')[0], agent: 'stranger', seq: 1 }, { agent: 'stranger' }), /not reachable|authorization/i);
});

test('commands over NATS with the generated authorization: the api signs and delivers, the agent answers on its own subject, runs it, reports it', async () => {
  const enrollment = await (await adminFetch(api, '/api/v1/enrollment-tokens', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ namespace: 'alpha' }) })).json() as { token: string };
  const enrolled = await (await post('/api/v1/agents/enroll', { token: enrollment.token, agent: 'ag-cmd', nkey: keys['ag-cmd'].getPublicKey() })).json() as { commandKey: string };
  assert.match(enrolled.commandKey, /^-----BEGIN PUBLIC KEY-----/, 'enrollment hands out the command key');
  const conf = await authorization();
  assert.match(conf, /"pgfleet\.cmd\.ag-cmd"\] }, allow_responses: true/);
  await nats.reload(conf);
  // An api process with a NATS connection of its own (the keeper's key) delivers the commands.
  cmdApi = await startServer({ role: 'api', storeUrl: pg.url, natsServers: [nats.url], natsNkeySeed: new TextDecoder().decode(keeperKey.getSeed()), host: '127.0.0.1', port: 0, retentionDays: 7 });
  const agent = new Agent({
    id: 'ag-cmd', namespace: 'alpha', node: 'cmd-host', targets: [{ name: 'cmd-1', cluster: 'cmd', url: pg.url }],
    preset: 'minimal', catalogDirs: [], spoolDir: join(dir.path, 'cmd-spool'), statementTimeoutMs: 5000, lockTimeoutMs: 1000, maxIntervalS: 2, heartbeatS: 2,
    nodeMetrics: false, statementsIntervalS: 0, activityIntervalS: 0, settingsIntervalS: 0,
    transport: await NatsTransport.connect({ servers: nats.url, nkeyFile: seedFile('ag-cmd'), inboxPrefix: '_INBOX_ag-cmd', timeoutMs: 3000 }),
    commandKey: commandPublicKey(enrolled.commandKey)
  });
  agent.start();
  try {
    await waitFor('cmd-1 known with its agent', async () => (await api.store.inventory.getInstance('cmd-1'))?.agent === 'ag-cmd', 30_000);
    const headers = { ...(await adminHeaders(api)), 'content-type': 'application/json' };
    const res = await fetch(`${cmdApi.url}/api/v1/instances/cmd-1/actions/reload_conf`, { method: 'POST', headers, body: JSON.stringify({ params: {}, wait_s: 30 }) });
    const row = await res.json() as { state: string; deliveredAt: number | null; output: { reloaded: boolean } };
    assert.equal(res.status, 200, JSON.stringify(row));
    assert.equal(row.state, 'ok', JSON.stringify(row));
    assert.equal(row.output.reloaded, true);
    // ag-0's connection takes no commands: no responder, the command waits (and expires if nobody takes it).
    const other = await fetch(`${cmdApi.url}/api/v1/instances/ag-0/actions/reload_conf`, { method: 'POST', headers, body: JSON.stringify({ params: {} }) });
    assert.equal(other.status, 202);
    assert.equal((await other.json() as { state: string }).state, 'queued');
  } finally {
    await agent.stop();
  }
});

test('a revoked agent: HTTPS ingest refuses its credential at once, NATS once the authorization is reloaded', async () => {
  // HTTPS: ag-1's own credential stores its messages, refuses another agent's envelope as a whole.
  const mine = await post('/api/v1/ingest', of('ag-1').map((e) => JSON.parse(new TextDecoder().decode(encodeJson(e)))), { authorization: `Bearer ${credentials['ag-1']}` });
  assert.equal(mine.status, 200, await mine.clone().text());
  const spoof = await post('/api/v1/ingest', [{ ...JSON.parse(new TextDecoder().decode(encodeJson(of('ag-0')[1]))), seq: 9100 }], { authorization: `Bearer ${credentials['ag-1']}` });
  assert.equal(spoof.status, 403);
  assert.match((await spoof.json() as { message: string }).message, /nothing stored: .*sent as agent ag-1, but the envelope says agent ag-0/);
  assert.equal(await stored('ag-0', 9100), 0);

  assert.equal((await adminFetch(api, '/api/v1/agents/ag-0/credential', { method: 'DELETE' })).status, 204);
  const revoked = await post('/api/v1/ingest', [{ ...JSON.parse(new TextDecoder().decode(encodeJson(of('ag-0')[1]))), seq: 9200 }], { authorization: `Bearer ${credentials['ag-0']}` });
  assert.equal(revoked.status, 401);

  const conf = await authorization();
  assert.ok(!conf.includes(keys['ag-0'].getPublicKey()), 'the revoked agent is left out');
  await nats.reload(conf);
  const a0 = await NatsTransport.connect({ servers: nats.url, nkeyFile: seedFile('ag-0'), inboxPrefix: '_INBOX_ag-0', timeoutMs: 2000 });
  transports.push(a0);
  await waitFor('the reload refuses ag-0', async () => {
    try { await a0.send(encodeEnvelope({ ...of('ag-0')[1], seq: 9300 }), { agent: 'ag-0', namespace: 'alpha', type: 'metrics', seq: 9300 }); return false; } catch { return true; }
  }, 30_000);
  assert.equal(await stored('ag-0', 9300), 0);
  assert.equal(await stored('ag-0', 9200), 0);
  // The audit log has the enrollments and the revocation.
  const audit = await (await adminFetch(api, '/api/v1/audit?action=agents.')).json() as { action: string; result: string }[];
  assert.ok(audit.some((e) => e.action === 'agents.revoke' && e.result === 'ok'));
  assert.equal(audit.filter((e) => e.action === 'agents.enroll' && e.result === 'ok').length, 3, 'ag-0, ag-1, and ag-cmd of the commands test');
});

function encodeJson(e: Envelope): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(e));
}

test("an agent of another namespace cannot write to this namespace's instances, nor take a revoked agent's id", async () => {
  const beta = await (await adminFetch(api, '/api/v1/enrollment-tokens', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ namespace: 'beta' }) })).json() as { token: string };
  // ag-0 was revoked (alpha): a token of beta cannot enroll it again.
  const retake = await post('/api/v1/agents/enroll', { token: beta.token, agent: 'ag-0' });
  assert.equal(retake.status, 409);
  assert.match((await retake.json() as { message: string }).message, /enrolled in namespace alpha/);
  const r = await post('/api/v1/agents/enroll', { token: beta.token, agent: 'intruder' });
  const { credential } = await r.json() as { credential: string };
  assert.equal(r.status, 201, `the intruder enrolls in beta: ${JSON.stringify({ credential })}`);
  // An instance's metrics: node-level ones (no instance) belong to the sending agent's own node, and for
  // about 2 % of start times the simulator's first metrics message is one of those.
  const base = JSON.parse(new TextDecoder().decode(encodeJson(of('ag-1').find((e) => e.type === 'metrics' && e.instance === 'ag-1')!))) as Envelope;
  const inv = JSON.parse(new TextDecoder().decode(encodeJson(of('ag-1').find((e) => e.type === 'inventory')!))) as Envelope & { data: { namespace: string } };
  for (const env of [{ ...base, agent: 'intruder', seq: 1 }, { ...inv, agent: 'intruder', seq: 2, ts: Date.now() + 3_600_000, data: { ...inv.data, namespace: 'beta' } }]) {
    const res = await post('/api/v1/ingest', [env], { authorization: `Bearer ${credential}` });
    const body = await res.json() as { message: string };
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.match(body.message, /nothing stored: .*instance ag-1 belongs to namespace alpha; agent intruder is of namespace beta/);
  }
  assert.equal(await stored('intruder'), 0);
  const [{ ns }] = await api.store.sql`select ns.name as ns from instances i join clusters c on c.id = i.cluster_id join namespaces ns on ns.id = c.namespace_id where i.name = 'ag-1'`;
  assert.equal(ns, 'alpha');
});
