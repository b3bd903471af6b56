// HTTPS ingest (POST /api/v1/ingest): the same envelopes as on NATS; bad input gets a 400 and stores nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { encodeEnvelope, type Envelope } from '../src/protocol/index.ts';
import { startPostgres } from '../src/pg-embedded/index.ts';
import { startServer, type RunningServer } from '../src/server/index.ts';
import { join } from 'node:path';
import { runPgfleet, startTestPostgres, tempDir, waitFor, type TestPostgres } from './harness/index.ts';

let store: TestPostgres;
let server: RunningServer;

before(async () => {
  store = await startTestPostgres(18);
  server = await startServer({ role: 'api', storeUrl: store.url, host: '127.0.0.1', port: 0, retentionDays: 7 });
});
after(async () => { await server?.stop(); await store?.destroy(); });

const metrics = (seq: number, v = 42): Envelope => ({
  v: 1, type: 'metrics', agent: 'agent-http', instance: 'http-1', seq, ts: Date.now(),
  data: { collector: 'pg_stat_database', metrics: [{ name: 'pg_stat_database.xact_commit', kind: 'counter', points: [{ l: { datname: 'a' }, v }] }] },
});

async function post(body: BodyInit, type = 'application/json') {
  const res = await fetch(`${server.url}/api/v1/ingest`, { method: 'POST', headers: { 'content-type': type }, body });
  return { status: res.status, body: await res.json() as { message?: string; accepted?: number; duplicates?: number } };
}

async function counts() {
  const [r] = await server.store.sql`select (select count(*) from ingested)::int as msgs, (select count(*) from raw_samples)::int as samples,
    (select count(*) from instances)::int as instances`;
  return r;
}

test('malformed input is answered 400 with the reason and lands nothing', async () => {
  const before = await counts();
  const bad: [BodyInit, string, RegExp][] = [
    ['{"v":1,', 'application/json', /not valid JSON/],
    ['', 'application/json', /empty|body/i],
    [new Uint8Array([0xc1, 0xff, 0x00]) as unknown as BodyInit, 'application/msgpack', /MessagePack|envelope/],
    ['{"v":2,"type":"metrics","agent":"a","seq":1,"ts":1,"data":{}}', 'application/json', /invalid envelope: \/v/],
    [JSON.stringify({ ...metrics(1), type: 'telepathy' }), 'application/json', /unknown message type "telepathy"/],
    [JSON.stringify({ ...metrics(1), data: { collector: 'x', metrics: [{ name: 'm', kind: 'gauge', points: [{ v: 'high' }] }] } }), 'application/json', /invalid metrics data: \/data\/metrics\/0\/points\/0\/v/],
    [JSON.stringify({ ...metrics(1), agent: 'bad agent!' }), 'application/json', /\/agent/],
    [JSON.stringify({ ...metrics(1), ts: Date.now() + 10 * 86_400_000 }), 'application/json', /in the future/],
    // One good and one bad envelope: all or nothing.
    [JSON.stringify([metrics(1), { ...metrics(2), seq: -5 }]), 'application/json', /envelope 1: invalid envelope: \/seq/],
    ['[]', 'application/json', /no envelopes/],
  ];
  for (const [body, type, re] of bad) {
    const r = await post(body, type);
    assert.equal(r.status, 400, `${String(body).slice(0, 60)} → ${r.status} ${JSON.stringify(r.body)}`);
    assert.match(r.body.message ?? '', re);
  }
  assert.deepEqual(await counts(), before, 'nothing was stored');
});

test('good envelopes are stored once, as JSON or MessagePack; a resend is a duplicate', async () => {
  const json = await post(JSON.stringify([metrics(10), metrics(11)]));
  assert.deepEqual(json, { status: 200, body: { accepted: 2, duplicates: 0 } });
  const mp = await post(encodeEnvelope(metrics(12)) as unknown as BodyInit, 'application/msgpack');
  assert.deepEqual(mp, { status: 200, body: { accepted: 1, duplicates: 0 } });
  const again = await post(JSON.stringify(metrics(11)));
  assert.deepEqual(again, { status: 200, body: { accepted: 0, duplicates: 1 } });
  const c = await counts();
  assert.equal(c.msgs, 3);
  assert.equal(c.samples, 3);
  assert.equal(c.instances, 1);
});

test('the live stream announces committed updates', async () => {
  const ctrl = new AbortController();
  const res = await fetch(`${server.url}/api/v1/live`, { signal: ctrl.signal });
  assert.equal(res.headers.get('content-type'), 'text/event-stream');
  const reader = res.body!.getReader();
  let text = '';
  const got = (async () => {
    while (!/event: update\ndata: .*"instance":"http-1"/.test(text)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    return text;
  })();
  // The stream is open (the retry line arrived) before the update is sent.
  await new Promise((r) => setTimeout(r, 200));
  assert.equal((await post(JSON.stringify(metrics(20)))).status, 200);
  const t = await Promise.race([got, new Promise<string>((_, rej) => setTimeout(() => rej(new Error(`no update event; got: ${text}`)), 10_000))]);
  ctrl.abort();
  assert.match(t, /"type":"metrics"/);
});

test('pgfleet agent --server sends over HTTPS ingest', async () => {
  const target = await startTestPostgres(14);
  const dir = tempDir();
  const agent = runPgfleet(['agent', '--server', server.url!, '--target', `httpagent-1=${target.url}`, '--spool-dir', join(dir.path, 'spool'),
    '--max-interval-s', '1', '--namespace', 'edge', '--no-node-metrics']);
  try {
    type List = { instances: { id: string; namespace: string; version_num: number; status: string }[] };
    const inst = await waitFor('httpagent-1 to appear', async () => {
      const r = await fetch(`${server.url}/api/v1/instances`);
      return ((await r.json()) as List).instances.find((i) => i.id === 'httpagent-1' && i.status === 'up');
    }, 60_000);
    assert.equal(inst.namespace, 'edge');
    assert.ok(inst.version_num >= 140000 && inst.version_num < 150000);
    await agent.stop();
    assert.match(agent.output(), /via http/);
  } finally {
    await agent.stop();
    await target.destroy();
    dir.remove();
  }
});

test('pgfleet agent reports every configuration problem at once and exits 2', async () => {
  const agent = runPgfleet(['agent', '--target', 'no_equals_sign', '--lock-timeout-ms', 'soon', '--preset', 'huge']);
  const code = await new Promise<number | null>((r) => agent.child.once('exit', (c) => r(c)));
  assert.equal(code, 2);
  const out = agent.output();
  assert.match(out, /--lock-timeout-ms: expected a number, got "soon"/);
  assert.match(out, /--preset \/ PGFLEET_PRESET: expected one of minimal, standard, exhaustive, got "huge"/);
});

test('with the store down, the API answers 503 with Retry-After, and recovers when it is back', async () => {
  await store.stop();
  try {
    const res = await fetch(`${server.url}/api/v1/instances`);
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('retry-after'), '5');
    const body = await res.json() as { code: string; message: string };
    assert.equal(body.code, 'PGFLEET_STORE_UNAVAILABLE');
    assert.match(body.message, /store is unavailable/);
    const ingest = await post(JSON.stringify(metrics(30)));
    assert.equal(ingest.status, 503, 'an agent is told to retry, so it keeps the message in its spool');
    const health = await fetch(`${server.url}/api/v1/health`);
    assert.equal(health.status, 503);
  } finally {
    const again = await startPostgres({ major: 18, dataDir: store.dataDir, port: store.port });
    const removeFirst = store.destroy;
    store = Object.assign(again, { destroy: async () => { await again.stop(); await removeFirst(); } });
  }
  await waitFor('the API to answer again', async () => (await fetch(`${server.url}/api/v1/instances`)).status === 200);
  assert.equal((await post(JSON.stringify(metrics(30)))).status, 200);
});
