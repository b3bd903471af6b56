// POST /api/v1/ingest under fuzzing: more than 100,000 mutated, random and good messages, in arrays and single
// bodies, JSON and MessagePack, with malformed bodies, wrong content types and oversized bodies, sent with
// modest concurrency, the good ones of every client from the same agents. No answer is a 5xx; every refusal is a
// 4xx whose JSON body says what is wrong (each bad envelope by its index and reason, the first five of a request,
// then how many more); what the route's checks pass the store takes (the schemas' limits are the store's), so
// nothing sent is left in dead_letters; every good message is stored exactly once; no transaction deadlocks.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { arrayItems, decodeValue, MAX_MESSAGE_BYTES, MESSAGE_TYPES, ProtocolError, validateEnvelope, type Encoding, type Envelope, type MessageType } from '../src/protocol/index.ts';
import { Keeper } from '../src/server/keeper/index.ts';
import { startServer, type RunningServer } from '../src/server/index.ts';
import { startTestPostgres, type TestPostgres } from './harness/index.ts';

/** A trusted forwarder's token: these tests send for many made-up agents. */
const INGEST_TOKEN = 'test-ingest-token';
import { encodeValue, mutateBytes, mutateJsonText, mutateValue, randomBytes, randomJsonish, Rand, validEnvelope } from './harness/fuzz.ts';

const RETENTION_MS = 7 * 86_400_000;
const TARGET_MESSAGES = 100_000;
const CONCURRENCY = 4;
/** What the route accepts (the ingest route's content type parsers); anything else is 415. */
const MEDIA_TYPES = new Set(['application/json', 'application/msgpack', 'application/x-msgpack', 'application/octet-stream']);
const MAX_BATCH = 1000;

let store: TestPostgres;
let server: RunningServer;

before(async () => {
  // Deadlocks (none expected: see the deadlock test) are found after deadlock_timeout, 1 s by default.
  store = await startTestPostgres(18, { deadlock_timeout: '50ms' });
  server = await startServer({ role: 'api', storeUrl: store.url, host: '127.0.0.1', port: 0, retentionDays: RETENTION_MS / 86_400_000, ingestToken: INGEST_TOKEN });
});
after(async () => { await server?.stop(); await store?.destroy(); });

interface Req {
  what: string;
  body?: Uint8Array;
  contentType?: string;
  /** Envelopes in the body as built (before any byte damage). */
  messages: number;
  /** Good messages in it: stored by this request, or sent again when it is refused. */
  good: Envelope[];
  /** ts on the retention boundary: the route's check and the keeper's may see different clocks. */
  boundary?: boolean;
}

/**
 * What the route must answer, worked out with the same pure checks it uses: a refusal whose message includes
 * each of `includes` (with `bad` envelopes refused one by one), or storing `n` messages.
 */
type Expected = { status: number; code: string; includes: string[]; bad?: number } | { status: 200; n: number };

/** The route's checks, on this side: decoding as the content type says, each envelope, then the clock and instance checks. */
function expectedOf(req: Req): Expected {
  const bytes = req.body ?? new Uint8Array(0);
  const type = (req.contentType ?? '').toLowerCase();
  if (req.contentType !== undefined || bytes.length > 0) {
    if (!MEDIA_TYPES.has(type.split(';')[0].trim())) return { status: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', includes: [] };
    if (bytes.length > 8 * MAX_MESSAGE_BYTES) return { status: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE', includes: [] };
  }
  const encoding = type.includes('json') ? 'json' : 'msgpack';
  let isArray: boolean;
  let items: (() => unknown)[];
  try {
    if (bytes.length <= MAX_MESSAGE_BYTES) {
      const value = decodeValue(bytes, encoding);
      isArray = Array.isArray(value);
      items = (isArray ? value as unknown[] : [value]).map((v) => () => v);
    } else {
      // Past the per-envelope limit only an array is taken, each of its envelopes within the limit.
      const parts = arrayItems(bytes, encoding);
      if (parts === undefined) return { status: 413, code: 'PGFLEET_PROTOCOL_TOO_LARGE', includes: [`message is ${bytes.length} bytes, the limit is ${MAX_MESSAGE_BYTES} per envelope`] };
      isArray = true;
      items = parts.map((part) => () => decodeValue(part, encoding));
    }
  } catch (err) {
    assert.ok(err instanceof ProtocolError, `${req.what}: decoding threw ${String(err)}`);
    return { status: err.code === 'PGFLEET_PROTOCOL_TOO_LARGE' ? 413 : 400, code: err.code, includes: [err.message] };
  }
  if (items.length === 0) return { status: 400, code: 'PGFLEET_API_BAD_PARAM', includes: ['no envelopes in the request'] };
  if (items.length > MAX_BATCH) return { status: 400, code: 'PGFLEET_API_BAD_PARAM', includes: [`${items.length} envelopes in one request; the limit is ${MAX_BATCH}`] };
  const problems = problemsOf(items);
  if (problems.length === 0) return { status: 200, n: items.length };
  const named = problems.slice(0, 5).map(([i, , reason]) => (isArray ? `envelope ${i}: ${reason}` : reason));
  if (problems.length > 5) named.push(`; and ${problems.length - 5} more`);
  return { status: problems[0][1] === 'PGFLEET_PROTOCOL_TOO_LARGE' ? 413 : 400, code: problems[0][1], includes: named, bad: problems.length };
}

/** [index, code, reason] of each bad envelope, in order; each item decodes (or fails to) when called. */
function problemsOf(items: (() => unknown)[]): [number, string, string][] {
  const problems: [number, string, string][] = [];
  items.forEach((item, i) => {
    let env: Envelope;
    try {
      env = validateEnvelope(item());
    } catch (err) {
      assert.ok(err instanceof ProtocolError, `validateEnvelope threw ${String(err)}`);
      problems.push([i, err.code, err.message]);
      return;
    }
    const { dead } = Keeper.check([{ envelope: env, source: 'http' }], Date.now(), { maxAgeMs: RETENTION_MS });
    if (dead.length > 0) problems.push([i, dead[0].code, dead[0].reason]);
  });
  return problems;
}

const stats = { requests: 0, messages: 0, byStatus: new Map<number, number>(), namedBad: 0, countedBad: 0, largeBodies: 0 };
/** Every good message ever built, by `agent:seq`. */
const goodSent = new Map<string, Envelope>();
const keyOf = (e: { agent: string; seq: number }) => `${e.agent}:${e.seq}`;

async function send(req: Req, retry: Envelope[]): Promise<void> {
  const expected = expectedOf(req);
  stats.requests++;
  stats.messages += req.messages;
  const res = await fetch(`${server.url}/api/v1/ingest`, {
    method: 'POST', headers: { authorization: `Bearer ${INGEST_TOKEN}`, ...(req.contentType === undefined ? {} : { 'content-type': req.contentType }) }, body: req.body as BodyInit | undefined,
  });
  const text = await res.text();
  const what = `${req.what} → ${res.status} ${text.slice(0, 600)}`;
  stats.byStatus.set(res.status, (stats.byStatus.get(res.status) ?? 0) + 1);
  assert.ok(res.status < 500, `a 5xx: ${what}`);
  let body: { statusCode?: number; code?: string; error?: string; message?: string; accepted?: number; duplicates?: number };
  try { body = JSON.parse(text); } catch { assert.fail(`not a JSON answer: ${what}`); }
  if (res.status === 200) {
    assert.ok(expected.status === 200 || req.boundary, `stored, but ${expected.status} ${'code' in expected ? expected.code : ''} was expected: ${what}`);
    const n = 'n' in expected ? expected.n : req.messages;
    // Each message is stored or a duplicate: none is dead-lettered behind a 200 (the keeper checks at the route's time).
    assert.ok(Number.isInteger(body.accepted) && Number.isInteger(body.duplicates) && body.accepted! + body.duplicates! === n, what);
    if ((req.body?.length ?? 0) > MAX_MESSAGE_BYTES) stats.largeBodies++;
    return;
  }
  assert.ok(res.status >= 400 && res.status < 500, what);
  assert.equal(body.statusCode, res.status, what);
  assert.ok(typeof body.code === 'string' && /^(PGFLEET|FST)_[A-Z_]+$/.test(body.code), what);
  assert.ok(typeof body.error === 'string' && body.error.length > 0, what);
  assert.ok(typeof body.message === 'string' && body.message.length >= 10, `the message does not say what is wrong: ${what}`);
  retry.push(...req.good);
  if (req.boundary) return assert.match(body.message, /older than the retention/, what);
  if ('includes' in expected) {
    assert.equal(res.status, expected.status, `${what}\nexpected: ${expected.status} ${expected.code} ${expected.includes.join(' | ').slice(0, 400)}`);
    assert.equal(body.code, expected.code, what);
    for (const part of expected.includes) assert.ok(body.message.includes(part), `the answer does not name "${part.slice(0, 300)}": ${what}`);
    if (expected.bad !== undefined) {
      stats.namedBad += Math.min(expected.bad, 5);
      stats.countedBad += expected.bad - Math.min(expected.bad, 5);
    }
  } else {
    // Every envelope passed the protocol's checks: the schemas' limits are what the store can hold, so it never refuses one.
    assert.fail(`refused although every envelope passed the checks: ${what}`);
  }
}

// ---- What is sent ----
// Each client (one per concurrent worker) has its own seed and resend queue, so what it sends does not depend
// on timing. The good messages of every client are those of the same two agents and instances, each
// client taking its own residue of the sequence numbers: concurrent requests share agent and instance rows.

const WRONG_TYPES = ['text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', 'application/vnd.api+json', 'application/cbor', ''];

/** Encodes as asked, or as JSON when the value is deeper than the MessagePack encoder goes. */
function encodeSome(value: unknown, encoding: Encoding): [Uint8Array, Encoding] {
  if (encoding === 'msgpack') {
    try { return [encodeValue(value, 'msgpack'), 'msgpack']; } catch { /* too deep for the encoder */ }
  }
  return [encodeValue(value, 'json'), 'json'];
}

class Client {
  private readonly r: Rand;
  /** Resends take their own random choices, so the rest of the stream does not depend on which requests were refused. */
  private readonly rResend: Rand;
  private readonly seqOf = new Map<string, number>();
  private readonly recent: Envelope[] = [];
  private n = 0;
  /** Good messages of refused requests, to send again. */
  readonly retry: Envelope[] = [];

  constructor(private readonly id: number) {
    this.r = new Rand(0x1e57_f000 + id);
    this.rResend = new Rand(0x1e57_f100 + id);
  }

  private goodEnvelope(now: number, type: MessageType = this.r.pick(MESSAGE_TYPES)): Envelope {
    const r = this.r;
    const k = r.int(2);
    const agent = `fz-good-${k}`;
    const n = (this.seqOf.get(agent) ?? 0) + 1;
    this.seqOf.set(agent, n);
    const seq = (n - 1) * CONCURRENCY + this.id + 1;
    const nodeLevel = (type === 'metrics' || type === 'heartbeat' || type === 'event') && r.chance(0.3);
    const env = validEnvelope(r, type, { agent, seq, ts: now - r.int(600_000), instance: nodeLevel ? undefined : `fzgood${k}-1` });
    goodSent.set(keyOf(env), env);
    this.recent.push(env);
    if (this.recent.length > 20) this.recent.shift();
    return env;
  }

  private fuzzBase(now: number, type: MessageType = this.r.pick(MESSAGE_TYPES)): Envelope {
    const r = this.r;
    return validEnvelope(r, type, { agent: `fz-mut-${this.id}`, seq: r.range(1, 1e9), ts: now - r.int(3_600_000), instance: r.chance(0.8) ? `fzmut${this.id}-1` : undefined });
  }

  private contentTypeOf(encoding: Encoding, r = this.r): string {
    if (r.chance(0.8)) return encoding === 'json' ? 'application/json' : 'application/msgpack';
    return r.pick(encoding === 'json' ? ['application/json; charset=utf-8', 'Application/JSON'] : ['application/x-msgpack', 'application/octet-stream', 'APPLICATION/MSGPACK']);
  }

  private arrayReq(what: string, values: unknown[], good: Envelope[], r = this.r): Req {
    const [body, encoding] = encodeSome(values, r.pick(['json', 'msgpack'] as const));
    return { what: `${what} (${values.length}, ${encoding})`, body, contentType: this.contentTypeOf(encoding, r), messages: values.length, good };
  }

  resendReq(count: number): Req {
    const good = this.retry.splice(0, count);
    return this.arrayReq('good messages sent again', good, good, this.rResend);
  }

  /** One fuzzed message as bytes: a changed value, damaged bytes or damaged JSON text. */
  private fuzzedReq(now: number): Req {
    const r = this.r;
    const env = this.fuzzBase(now);
    const wanted = r.pick(['json', 'msgpack'] as const);
    const roll = r.next();
    const [body, encoding] = roll < 0.5 ? encodeSome(mutateValue(r, env, now), wanted)
      : roll < 0.8 ? [mutateBytes(r, encodeValue(env, wanted), wanted), wanted] : [mutateJsonText(r, JSON.stringify(env)), 'json' as const];
    return { what: `a fuzzed message (${encoding})`, body, contentType: this.contentTypeOf(encoding), messages: 1, good: [] };
  }

  /** A changed envelope that the route must refuse (checked here), for arrays that mix good and bad. */
  private badValue(now: number): unknown {
    for (let tries = 0; tries < 20; tries++) {
      const value = mutateValue(this.r, this.fuzzBase(now), now);
      const [bytes, encoding] = encodeSome(value, 'json');
      if (problemsOf([() => decodeValue(bytes, encoding)]).length > 0) return value;
    }
    return { ...this.fuzzBase(now), v: 2 };
  }

  private shuffled<T>(list: T[]): T[] {
    for (let i = list.length - 1; i > 0; i--) {
      const j = this.r.int(i + 1);
      [list[i], list[j]] = [list[j], list[i]];
    }
    return list;
  }

  private malformedReq(i: number, now: number): Req {
    const r = this.r;
    const enc = new TextEncoder();
    const env = this.fuzzBase(now);
    const one = (what: string, body: Uint8Array | undefined, contentType: string | undefined, messages = 1): Req => ({ what, body, contentType, messages, good: [] });
    switch (i % 14) {
      case 0: return one('random bytes', randomBytes(r, 2000), this.contentTypeOf('msgpack'));
      case 1: return one('random JSON-like text', randomJsonish(r), 'application/json');
      case 2: { const type = r.pick(WRONG_TYPES); return one(`content type "${type}"`, encodeValue(env, 'json'), type); }
      case 3: return one('no body, no content type', undefined, undefined, 0);
      case 4: return one('an empty JSON body', new Uint8Array(0), 'application/json', 0);
      case 5: return r.chance(0.5) ? one('JSON sent as MessagePack', encodeValue(env, 'json'), 'application/msgpack') : one('MessagePack sent as JSON', encodeValue(env, 'msgpack'), 'application/json');
      case 6: return one('an empty array', enc.encode('[]'), 'application/json', 0);
      case 7: return this.arrayReq('more envelopes than a request may hold', Array.from({ length: MAX_BATCH + 1 }, () => ({ ...env, seq: r.range(1, 1e9) })), []);
      case 8: { // past the message limit, under the body limit; now and then past the body limit too
        const size = i % 28 === 8 ? 9 * MAX_MESSAGE_BYTES : 2 * MAX_MESSAGE_BYTES;
        const body = new Uint8Array(size).fill(0x20);
        body.set(encodeValue(env, 'json'));
        return one(`a body of ${size} bytes`, body, 'application/json');
      }
      case 9: { // nested array32 headers that promise gigabytes
        const body = new Uint8Array(200);
        for (let k = 0; k < 40; k++) body.set([0xdd, 0x01, 0x00, 0x00, 0x00], k * 5);
        return one('40 nested array32 headers', body, 'application/msgpack');
      }
      case 10: return one('a body nested 100,000 deep', enc.encode(`${'['.repeat(100_000)}${']'.repeat(100_000)}`), 'application/json');
      case 11: return one('a body that is not an object', enc.encode(r.pick(['null', '42', '"text"', 'true', '[[1]]', '[null]'])), 'application/json');
      case 12: return this.arrayReq('envelopes nested in arrays', [[env], { ...env, data: [env] }], []);
      default: return one('an envelope with a __proto__ key', enc.encode(JSON.stringify(env).replace('{', '{"__proto__":{"v":1},')), 'application/json');
    }
  }

  /**
   * An array past the per-envelope limit, under the body limit: good statements messages carrying long texts,
   * 2 to 3 MiB in all; now and then with one envelope past the per-envelope limit, or with damaged bytes.
   */
  private largeArrayReq(now: number): Req {
    const r = this.r;
    const withTexts = (env: Envelope, n: number): Envelope => {
      if (env.type === 'statements') env.data.texts = Array.from({ length: n }, (_, j) => ({ queryid: String(1000 + j), text: `SELECT ${r.word(8, 8)} FROM t WHERE a = $1 -- ${'é'.repeat(500)}${'x'.repeat(19_400)}` }));
      return env;
    };
    const target = r.range(2, 3) * MAX_MESSAGE_BYTES;
    const good: Envelope[] = [];
    for (let size = 0; size < target; size += 5 * 20_000) good.push(withTexts(this.goodEnvelope(now, 'statements'), 5));
    const values: unknown[] = [...good];
    const roll = r.next();
    if (roll < 0.2) values.splice(r.int(values.length), 0, withTexts(this.fuzzBase(now, 'statements'), 60)); // about 1.2 MB
    const encoding = r.pick(['json', 'msgpack'] as const);
    const body = roll > 0.85 ? mutateBytes(r, encodeValue(values, encoding), encoding) : encodeValue(values, encoding);
    return { what: `a large array (${values.length}, ${body.length} bytes, ${encoding})`, body, contentType: this.contentTypeOf(encoding), messages: values.length, good };
  }

  /** The next request: mostly arrays of fuzzed envelopes and single fuzzed messages, then mixed arrays, good messages and malformed bodies. */
  next(): Req {
    const i = this.n++;
    const r = this.r;
    const now = Date.now();
    if (this.retry.length > 0 && i % 5 === 0) return this.resendReq(50);
    switch (i % 20) {
      case 6: case 7: {
        const env = this.goodEnvelope(now);
        const encoding = r.pick(['json', 'msgpack'] as const);
        return { what: `a good ${env.type} (${encoding})`, body: encodeValue(env, encoding), contentType: this.contentTypeOf(encoding), messages: 1, good: [env] };
      }
      case 8: case 9:
        return this.arrayReq('fuzzed envelopes', Array.from({ length: r.range(100, 300) }, () => mutateValue(r, this.fuzzBase(now), now)), []);
      case 12: {
        const values = Array.from({ length: r.range(20, 200) }, () => this.fuzzBase(now));
        const encoding = r.pick(['json', 'msgpack'] as const);
        return { what: `a damaged array (${values.length}, ${encoding})`, body: mutateBytes(r, encodeValue(values, encoding), encoding), contentType: this.contentTypeOf(encoding), messages: values.length, good: [] };
      }
      case 13: case 14: {
        const good = Array.from({ length: r.range(5, 20) }, () => this.goodEnvelope(now));
        return this.arrayReq('good and bad envelopes', this.shuffled([...good, ...Array.from({ length: r.range(1, 5) }, () => this.badValue(now))]), good);
      }
      case 15: {
        const good = Array.from({ length: r.range(10, 40) }, () => this.goodEnvelope(now));
        // Now and then messages sent before: duplicates, never stored twice.
        return this.arrayReq('good envelopes', this.shuffled([...good, ...this.recent.slice(0, r.range(0, 3))]), good);
      }
      case 11: return Math.floor(i / 20) % 4 === 0 ? this.largeArrayReq(now) : this.fuzzedReq(now);
      case 16: return this.malformedReq(Math.floor(i / 20), now);
      case 17: { // ts just inside the retention: when the keeper checks it again, it may be just outside
        const env = { ...this.fuzzBase(now), instance: `fzmut${this.id}-1`, ts: Date.now() - RETENTION_MS + r.int(8) };
        return { what: `ts at the retention boundary (${env.type})`, body: encodeValue(env, 'msgpack'), contentType: 'application/msgpack', messages: 1, good: [], boundary: true };
      }
      default: return this.fuzzedReq(now);
    }
  }
}

async function deadlockCount(): Promise<number> {
  const [{ deadlocks }] = await server.store.sql<{ deadlocks: number }[]>`select deadlocks::int from pg_stat_database where datname = current_database()`;
  return deadlocks;
}

test(`POST /api/v1/ingest: ${TARGET_MESSAGES.toLocaleString('en')} fuzzed messages, no 5xx, every refusal explained, every good message stored once`, { timeout: 300_000 }, async () => {
  const started = Date.now();
  const deadlocksBefore = await deadlockCount();
  const clients = Array.from({ length: CONCURRENCY }, (_, id) => new Client(id));
  let failed = false;
  await Promise.all(clients.map(async (client) => {
    try {
      while (stats.messages < TARGET_MESSAGES && !failed) await send(client.next(), client.retry);
      // The good messages of its last refused requests.
      while (client.retry.length > 0 && !failed) await send(client.resendReq(100), client.retry);
    } catch (err) {
      failed = true; // the first failure stops every client, so it is the one reported
      throw err;
    }
  }));
  const sentMs = Date.now() - started;

  const stored = await server.store.sql<{ agent: string; seq: string }[]>`
    select a.name as agent, i.seq::text as seq from ingested i join agents a on a.id = i.agent_id where a.name like 'fz-good-%'`;
  const storedKeys = new Set(stored.map((s) => `${s.agent}:${s.seq}`));
  assert.equal(storedKeys.size, stored.length);
  const missing = [...goodSent.keys()].filter((k) => !storedKeys.has(k));
  assert.deepEqual(missing.slice(0, 20), [], `${missing.length} of ${goodSent.size} good messages are not stored`);
  assert.equal(stored.length, goodSent.size, 'only the good messages are stored under the good agents, once each');

  // The route answers for every message it was sent: it refuses (400) or stores, and never leaves one in the dead letters.
  const dead = await server.store.sql<{ source: string; code: string; reason: string; agent: string | null }[]>`select source, code, reason, agent from dead_letters`;
  assert.deepEqual(dead.filter((d) => d.source === 'http').slice(0, 5), [], 'no message sent over HTTP is a dead letter');
  assert.equal(await deadlockCount() - deadlocksBefore, 0, 'deadlocks in the store');

  assert.ok(stats.messages >= TARGET_MESSAGES);
  console.log(`# ingest fuzz: ${stats.messages} messages in ${stats.requests} requests in ${(sentMs / 1000).toFixed(1)} s; answers ${JSON.stringify(Object.fromEntries(stats.byStatus))}; `
    + `${goodSent.size} good messages stored; bad envelopes named ${stats.namedBad}, counted as "and N more" ${stats.countedBad}; `
    + `bodies past ${MAX_MESSAGE_BYTES} bytes stored ${stats.largeBodies}; dead letters ${dead.length}; deadlocks ${await deadlockCount() - deadlocksBefore}`);
});

/** A heartbeat, an inventory and a statements message of one agent (and its instance), in that order. */
function agentMessages(agent: string, seq: () => number, text: string): Envelope[] {
  const ts = Date.now();
  const instance = `${agent}-1`;
  return [
    { v: 1, type: 'heartbeat', agent, seq: seq(), ts, data: { agent_version: '0.1.0', uptime_s: 1, node: `node-${agent}`, spool: { messages: 0, bytes: 0, dropped: 0 }, collectors: [] } },
    { v: 1, type: 'inventory', agent, instance, seq: seq(), ts, data: { namespace: 'default', cluster: agent, node: `node-${agent}`, version: 'PostgreSQL 17.2', version_num: 170002, role: 'primary', up: true } },
    { v: 1, type: 'statements', agent, instance, seq: seq(), ts, data: { interval_ms: 60_000, entries: [{ queryid: '42', datname: 'app', usename: 'web', toplevel: true, c: { calls: 1 } }], texts: [{ queryid: '42', text }] } },
  ];
}

test('concurrent arrays that share agents and instances do not deadlock in the store', async () => {
  const before = await deadlockCount();
  let seq = 0;
  const next = () => ++seq;
  const statuses: number[] = [];
  // Eight clients, each sending the messages of the same three agents and instances (heartbeats and inventories update
  // their rows, statements upsert the same query text), four in one order and four in the other.
  await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map(async (c) => {
    const agents = c % 2 ? ['dl-a', 'dl-b', 'dl-c'] : ['dl-c', 'dl-b', 'dl-a'];
    for (let k = 0; k < 10; k++) {
      const res = await fetch(`${server.url}/api/v1/ingest`, {
        method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${INGEST_TOKEN}` }, body: JSON.stringify(agents.flatMap((a) => agentMessages(a, next, `SELECT ${c}`))),
      });
      statuses.push(res.status);
      await res.text();
    }
  }));
  assert.ok(statuses.every((s) => s === 200), `answers: ${statuses.join(', ')}`);
  // The keeper's own batches, as from NATS (two keepers, or one keeper's batches in flight): the same, without the route.
  await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map(async (c) => {
    const agents = c % 2 ? ['dl-a', 'dl-b', 'dl-c'] : ['dl-c', 'dl-b', 'dl-a'];
    for (let k = 0; k < 10; k++) {
      const result = await server.keeper.ingest(agents.flatMap((a) => agentMessages(a, next, `SELECT ${c}`)).map((envelope) => ({ envelope, source: 'inproc' })));
      assert.deepEqual([result.accepted, result.dead.length], [9, 0]);
    }
  }));
  assert.equal(await deadlockCount() - before, 0, 'deadlocks in the store');
});

test('statements messages that repeat a query text are stored, the last text kept with the first time it was seen', async () => {
  const statements = (seq: number, ts: number, texts: { queryid: string; text: string }[]) => ({ v: 1, type: 'statements', agent: 'fz-texts', instance: 'fztexts-1', seq, ts,
    data: { interval_ms: 60_000, entries: [{ queryid: '-6074478521356846112', datname: 'app', usename: 'web', toplevel: true, c: { calls: 1 } }], texts } });
  const text = (t: string) => ({ queryid: '-6074478521356846112', text: t });
  const stored = async () => (await server.store.sql<{ text: string; first_seen: number }[]>`
    select t.text, t.first_seen from statement_texts t join instances i on i.id = t.instance_id where i.name = 'fztexts-1' and t.queryid = -6074478521356846112`)
    .map((r) => ({ text: r.text, first_seen: Number(r.first_seen) }));
  const now = Date.now();
  const answers: string[] = [];
  const post = async (body: unknown) => {
    const res = await fetch(`${server.url}/api/v1/ingest`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${INGEST_TOKEN}` }, body: JSON.stringify(body) });
    answers.push(`${res.status} ${await res.text()}`);
  };
  // One message listing a text twice.
  await post(statements(1, now - 3000, [text('SELECT 1'), text('SELECT 2')]));
  assert.deepEqual(await stored(), [{ text: 'SELECT 2', first_seen: now - 3000 }]);
  // Two messages of one instance with the same text in one request: the last one wins, first_seen stays.
  await post([statements(2, now - 1000, [text('SELECT 3')]), statements(3, now - 2000, [text('SELECT 4')])]);
  assert.deepEqual(await stored(), [{ text: 'SELECT 4', first_seen: now - 3000 }]);
  assert.deepEqual(answers, ['200 {"accepted":1,"duplicates":0}', '200 {"accepted":2,"duplicates":0}']);
});
