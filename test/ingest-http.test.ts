// HTTPS ingest (POST /api/v1/ingest): the same envelopes as on NATS; bad input gets a 400 and stores nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { encode as pack } from '@msgpack/msgpack';
import { encodeEnvelope, INT4_MAX, MAX_MESSAGE_BYTES, type Envelope } from '../src/protocol/index.ts';
import { IngestRefusedError } from '../src/server/keeper/index.ts';
import { startPostgres } from '../src/pg-embedded/index.ts';
import { startServer, type RunningServer } from '../src/server/index.ts';
import { join } from 'node:path';
import { runPgfleet, startTestPostgres, tempDir, waitFor, type TestPostgres, adminFetch } from './harness/index.ts';

let store: TestPostgres;
let server: RunningServer;
/** A trusted forwarder's token: these tests send for made-up agents. */
const INGEST_TOKEN = 'test-ingest-token';

before(async () => {
  store = await startTestPostgres(18);
  server = await startServer({ role: 'api', storeUrl: store.url, host: '127.0.0.1', port: 0, retentionDays: 7, ingestToken: INGEST_TOKEN });
});
after(async () => { await server?.stop(); await store?.destroy(); });

const metrics = (seq: number, v = 42): Envelope => ({
  v: 1, type: 'metrics', agent: 'agent-http', instance: 'http-1', seq, ts: Date.now(),
  data: { collector: 'pg_stat_database', metrics: [{ name: 'pg_stat_database.xact_commit', kind: 'counter', points: [{ l: { datname: 'a' }, v }] }] },
});

async function post(body: BodyInit, type = 'application/json') {
  const res = await fetch(`${server.url}/api/v1/ingest`, { method: 'POST', headers: { 'content-type': type, authorization: `Bearer ${INGEST_TOKEN}` }, body });
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

/** Every stored string of each type holding non-ASCII text and surrogate pairs; every int4 field at 2^31 - 1; bigints at their ends. */
function atTheLimits(agent: string, instance: string, seq0: number): Envelope[] {
  const ts = Date.now();
  const t = (s: string) => `${s} é😀\u{10ffff}`;
  const base = { v: 1 as const, agent, seq: 0, ts };
  let n = seq0;
  const nested = (depth: number): unknown => (depth === 0 ? t('leaf') : [nested(depth - 1)]);
  return [
    { ...base, seq: n++, type: 'metrics', instance, data: { collector: t('c'), interval_ms: INT4_MAX, metrics: [{ name: 'limits.value', kind: 'gauge', unit: t('u'), points: [{ l: { [`${'k'.repeat(97)}😀`]: t('v'), [t('ключ')]: t('v') }, v: Number.MAX_VALUE }] }] } },
    { ...base, seq: n++, type: 'metrics', data: { collector: 'os', node: t('node'), metrics: [{ name: 'limits.node', kind: 'counter', points: [{ v: -Number.MAX_VALUE }] }] } },
    { ...base, seq: n++, type: 'inventory', instance, data: { namespace: t('ns'), cluster: t('cl'), node: t('node'), version: t('PostgreSQL'), version_num: INT4_MAX, role: 'replica',
      started_at: 8.64e15, system_identifier: t('7'), databases: [t('db'), ''], up: false, error: t('refused') } },
    { ...base, seq: n++, type: 'heartbeat', data: { agent_version: t('0.1'), uptime_s: 1e300, node: t('node'), spool: { messages: 2 ** 53 - 1, bytes: 0, dropped: 0 },
      collectors: [{ id: t('c'), instance: t('i'), state: 'failing', runs: 1, failures: 1, last_error: t('e'), note: t('n') }] } },
    { ...base, seq: n++, type: 'event', instance, data: { kind: t('k'), severity: 'critical', message: t('m'), details: { [t('key')]: nested(29), n: -1e300, z: null, b: true } } },
    { ...base, seq: n++, type: 'statements', instance, data: { interval_ms: INT4_MAX, entries: [
      { queryid: '9223372036854775807', datname: t('d'), usename: t('u'), toplevel: true, c: { calls: Number.MAX_VALUE } },
      { queryid: '-9223372036854775808', datname: t('d'), usename: t('u'), toplevel: false, c: {} }],
      texts: [{ queryid: '9223372036854775807', text: t('SELECT') }, { queryid: '-9223372036854775808', text: `${'x'.repeat(19_998)}😀` }] } },
    { ...base, seq: n++, type: 'activity', instance, data: { interval_ms: INT4_MAX, sample_ms: INT4_MAX, samples: INT4_MAX, groups: [
      { state: t('s'), wait_event_type: t('w'), wait_event: t('e'), queryid: '-9223372036854775808', datname: t('d'), usename: t('u'), backend_type: t('b'), n: INT4_MAX }] } },
  ];
}

test('values at the limits of every schema are stored; one step past them is refused at validation, naming the field', async () => {
  const good = atTheLimits('agent-limits', 'limits-1', 1);
  assert.deepEqual(await post(JSON.stringify(good)), { status: 200, body: { accepted: good.length, duplicates: 0 } });
  assert.deepEqual(await post(pack(atTheLimits('agent-limits', 'limits-1', 100)) as unknown as BodyInit, 'application/msgpack'),
    { status: 200, body: { accepted: good.length, duplicates: 0 } });
  const [texts] = await server.store.sql`select count(*)::int as n, max(length(text))::int as longest from statement_texts where queryid in (9223372036854775807, -9223372036854775808)`;
  assert.deepEqual(texts, { n: 2, longest: 19_999 }, 'the pair at the end is one character in PostgreSQL');

  const before = await counts();
  const one = (type: Envelope['type']) => structuredClone(good.find((e) => e.type === type)!) as unknown as { data: Record<string, any>; seq: number };
  const bad: [unknown, RegExp][] = [];
  const push = (type: Envelope['type'], change: (d: Record<string, any>) => void, re: RegExp) => { const e = one(type); e.seq += 1000; change(e.data); bad.push([e, re]); };
  push('metrics', (d) => { d.interval_ms = INT4_MAX + 1; }, /\/data\/interval_ms: Expected integer to be less or equal to 2147483647/);
  push('inventory', (d) => { d.version_num = 2 ** 32; }, /\/data\/version_num: Expected integer/);
  push('inventory', (d) => { d.started_at = 1e300; }, /\/data\/started_at: Expected number to be less or equal/);
  push('activity', (d) => { d.groups[0].n = INT4_MAX + 1; }, /\/data\/groups\/0\/n: Expected integer/);
  push('activity', (d) => { d.samples = INT4_MAX + 1; }, /\/data\/samples: Expected integer/);
  push('statements', (d) => { d.entries[0].queryid = '9223372036854775808'; }, /\/data\/entries\/0\/queryid: Expected string to match 'int64' format/);
  push('statements', (d) => { d.texts[0].text = 'SELECT \u0000'; }, /\/data\/texts\/0\/text: Expected string to match/);
  push('inventory', (d) => { d.error = 'a\ud800b'; }, /\/data\/error: Expected string to match/);
  push('inventory', (d) => { d.databases = ['ok', 'x\u0000']; }, /\/data\/databases\/1: Expected string to match/);
  push('heartbeat', (d) => { d.collectors[0].note = '\udc00'; }, /\/data\/collectors\/0\/note: Expected string to match/);
  push('event', (d) => { d.details = { a: 'x\u0000' }; }, /\/data\/details\/a: Expected union value/);
  push('metrics', (d) => { d.metrics[0].points[0].l = { datname: 'x\u0000' }; }, /\/data\/metrics\/0\/points\/0\/l\/datname: Expected string to match/);
  for (const [env, re] of bad) {
    const r = await post(JSON.stringify(env));
    assert.equal(r.status, 400, `${JSON.stringify(env).slice(0, 200)} → ${JSON.stringify(r.body)}`);
    assert.equal((r.body as { code?: string }).code, 'PGFLEET_PROTOCOL_SCHEMA');
    assert.match(r.body.message ?? '', re);
  }
  assert.deepEqual(await counts(), before, 'nothing was stored');
});

/** A statements envelope of about `bytes` bytes encoded (long query texts). */
function largeStatements(seq: number, bytes: number): Envelope {
  const texts = Array.from({ length: Math.ceil(bytes / 20_050) }, (_, i) => ({ queryid: String(seq * 1000 + i), text: `SELECT ${i} -- ${'é'.repeat(50)}${'x'.repeat(19_900)}` }));
  return { v: 1, type: 'statements', agent: 'agent-large', instance: 'large-1', seq, ts: Date.now(), data: { interval_ms: 60_000, entries: [], texts } };
}

test('a body may hold up to 8 MiB of envelopes, each at most 1 MiB encoded', async () => {
  // 3 MiB of envelopes of about 200 kB, as JSON and as MessagePack.
  const batch = (from: number) => Array.from({ length: 17 }, (_, i) => largeStatements(from + i, 200_000));
  const json = new TextEncoder().encode(JSON.stringify(batch(1)));
  assert.ok(json.length > 3 * MAX_MESSAGE_BYTES && json.length < 8 * MAX_MESSAGE_BYTES, String(json.length));
  assert.deepEqual(await post(json as unknown as BodyInit), { status: 200, body: { accepted: 17, duplicates: 0 } });
  const mp = pack(batch(100));
  assert.ok(mp.length > 2 * MAX_MESSAGE_BYTES, String(mp.length));
  assert.deepEqual(await post(mp as unknown as BodyInit, 'application/msgpack'), { status: 200, body: { accepted: 17, duplicates: 0 } });

  const before = await counts();
  // One envelope past 1 MiB in an array: 413 naming it, nothing stored.
  const withLarge = [largeStatements(200, 100_000), largeStatements(201, 1_200_000), largeStatements(202, 100_000)];
  for (const [body, type] of [[JSON.stringify(withLarge), 'application/json'], [pack(withLarge), 'application/msgpack']] as const) {
    const r = await post(body as unknown as BodyInit, type);
    assert.equal(r.status, 413, JSON.stringify(r.body));
    assert.equal((r.body as { code?: string }).code, 'PGFLEET_PROTOCOL_TOO_LARGE');
    assert.match(r.body.message ?? '', /^nothing stored: envelope 1: message is \d+ bytes, the limit is 1048576$/);
  }
  // One envelope past 1 MiB on its own.
  const single = await post(JSON.stringify(largeStatements(203, 1_500_000)));
  assert.equal(single.status, 413);
  assert.match(single.body.message ?? '', /message is \d+ bytes, the limit is 1048576 per envelope \(an array of envelopes may take up to 8388608 bytes\)/);
  // Past 8 MiB in all.
  const tooMuch = await post(JSON.stringify(Array.from({ length: 9 }, (_, i) => largeStatements(300 + i, 1_000_000))));
  assert.equal(tooMuch.status, 413);
  assert.equal((tooMuch.body as { code?: string }).code, 'FST_ERR_CTP_BODY_TOO_LARGE');
  // A large body that is not a well-formed array: 400, as any body that does not decode.
  const broken = await post(`${JSON.stringify(batch(400)).slice(0, -1)},]`);
  assert.equal(broken.status, 400);
  assert.match(broken.body.message ?? '', /not valid JSON: an empty array element/);
  assert.deepEqual(await counts(), before, 'nothing was stored');
});

test('a message on the retention boundary is stored or refused with the reason, never dead-lettered behind a 200', async () => {
  const retention = 7 * 86_400_000;
  const [{ n: deadBefore }] = await server.store.sql`select count(*)::int as n from dead_letters`;
  const answers = new Map<string, number>();
  for (let i = 0; i < 60; i++) {
    const env = { ...metrics(1000 + i), ts: Date.now() - retention + (i % 6) };
    const r = await post(JSON.stringify(env));
    if (r.status === 200) assert.deepEqual(r.body, { accepted: 1, duplicates: 0 });
    else {
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.match(r.body.message ?? '', /older than the retention of 604800 s/);
    }
    answers.set(String(r.status), (answers.get(String(r.status)) ?? 0) + 1);
  }
  const [{ n: deadAfter }] = await server.store.sql`select count(*)::int as n from dead_letters`;
  assert.equal(deadAfter, deadBefore, `no dead letter (answers ${JSON.stringify(Object.fromEntries(answers))})`);

  // The keeper refuses an all-or-nothing batch (isolate: false) whose message its own checks refuse: nothing stored, no
  // dead letter, and the route answers 400 with the reason. Here the keeper's time is told to be past the boundary.
  const before = await counts();
  const now = Date.now();
  const items = [metrics(2000), { ...metrics(2001), ts: now - retention - 1 }].map((envelope) => ({ envelope, source: 'http' }));
  await assert.rejects(server.keeper.ingest(items, { isolate: false, now }), (err) => {
    assert.ok(err instanceof IngestRefusedError);
    assert.equal(err.code, 'PGFLEET_INGEST_REFUSED');
    assert.deepEqual(err.refused.map((r) => [r.index, r.code]), [[1, 'PGFLEET_PROTOCOL_ENVELOPE']]);
    assert.match(err.refused[0].reason, /older than the retention/);
    return true;
  });
  assert.deepEqual(await counts(), before, 'nothing was stored');
  const [{ n: deadLast }] = await server.store.sql`select count(*)::int as n from dead_letters`;
  assert.equal(deadLast, deadAfter, 'and nothing was dead-lettered');
});

test('the live stream announces committed updates', async () => {
  const ctrl = new AbortController();
  const res = await adminFetch(server, `/api/v1/live`, { signal: ctrl.signal });
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
  // The agent enrolls in namespace edge and sends with its own credential.
  const made = await (await adminFetch(server, '/api/v1/enrollment-tokens', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ namespace: 'edge', uses: 1 }) })).json() as { token: string };
  const enroll = runPgfleet(['enroll', '--server', server.url!, '--token', made.token, '--id', 'edge-agent', '--dir', join(dir.path, 'keys')]);
  assert.equal(await new Promise<number | null>((r) => enroll.child.once('exit', (c) => r(c))), 0, enroll.output());
  assert.match(enroll.output(), /enrolled edge-agent in namespace edge/);
  const credentialFile = join(dir.path, 'keys', 'edge-agent.credential');
  assert.equal(statSync(credentialFile).mode & 0o777, 0o600, 'the credential is readable by its owner only');
  assert.equal(statSync(join(dir.path, 'keys', 'edge-agent.nk')).mode & 0o777, 0o600);
  // Enrolled once: a second enrollment of the same id is refused (the token allowed one use anyway).
  const again = runPgfleet(['enroll', '--server', server.url!, '--token', made.token, '--id', 'edge-agent', '--dir', join(dir.path, 'keys2')]);
  assert.equal(await new Promise<number | null>((r) => again.child.once('exit', (c) => r(c))), 1);
  const agent = runPgfleet(['agent', '--server', server.url!, '--id', 'edge-agent', '--token-file', credentialFile, '--target', `httpagent-1=${target.url}`, '--spool-dir', join(dir.path, 'spool'),
    '--max-interval-s', '1', '--namespace', 'edge', '--no-node-metrics']);
  try {
    type List = { instances: { id: string; namespace: string; version_num: number; status: string }[] };
    const inst = await waitFor('httpagent-1 to appear', async () => {
      const r = await adminFetch(server, `/api/v1/instances`);
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
    const res = await adminFetch(server, `/api/v1/instances`);
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
  await waitFor('the API to answer again', async () => (await adminFetch(server, `/api/v1/instances`)).status === 200);
  assert.equal((await post(JSON.stringify(metrics(30)))).status, 200);
});
