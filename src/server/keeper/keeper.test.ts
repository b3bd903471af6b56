import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeEnvelope, type Envelope } from '../../protocol/index.ts';
import { DAY_MS } from '../../store/index.ts';
import { isDataError, Keeper, type Incoming } from './keeper.ts';

const NOW = Date.UTC(2024, 4, 17, 12, 0, 0);

const heartbeat = (seq: number, ts = NOW): Envelope<'heartbeat'> => ({
  v: 1, type: 'heartbeat', agent: 'agent-db1', seq, ts,
  data: { agent_version: '0.1.0', uptime_s: 1, node: 'db1', spool: { messages: 0, bytes: 0, dropped: 0 }, collectors: [] },
});
const metrics = (seq: number, ts = NOW): Envelope<'metrics'> => ({
  v: 1, type: 'metrics', agent: 'agent-db1', instance: 'main-1', seq, ts,
  data: { collector: 'pg_up', metrics: [{ name: 'pg_up.up', kind: 'gauge', points: [{ v: 1 }] }] },
});
const bytesItem = (env: unknown, encoding: 'msgpack' | 'json' = 'msgpack'): Incoming => ({
  bytes: encoding === 'json' ? new TextEncoder().encode(JSON.stringify(env)) : encodeEnvelope(env as Envelope),
  source: 'nats:pgfleet.ingest.default.agent-db1.x',
});

test('valid envelopes pass, as bytes in either encoding or already decoded, in order', () => {
  const items: Incoming[] = [bytesItem(heartbeat(1)), bytesItem(metrics(2), 'json'), { envelope: metrics(3), source: 'inproc' }];
  const { ok, dead } = Keeper.check(items, NOW);
  assert.deepEqual(dead, []);
  assert.deepEqual(ok, [heartbeat(1), metrics(2), metrics(3)]);
});

test('malformed bytes become dead letters with code, reason, source, payload and what could be read', () => {
  const badSchema = { ...metrics(7), data: { collector: 'pg_up', metrics: [{ name: 'pg_up.up', kind: 'gauge', points: [{ v: 'one' }] }] } };
  const unknownType = { ...heartbeat(8), type: 'command.refused' };
  const badEnvelope = { ...heartbeat(9), agent: 'agent.db1' };
  const garbage: Incoming = { bytes: Uint8Array.from([0x7b, 0x7b, 0x7b]), source: 'http' };
  const empty: Incoming = { bytes: new Uint8Array(0), source: 'http' };
  const tooLarge: Incoming = { bytes: new Uint8Array(1024 * 1024 + 1), source: 'http' };
  const items = [bytesItem(heartbeat(1)), bytesItem(badSchema), bytesItem(unknownType, 'json'), bytesItem(badEnvelope, 'json'), garbage, empty, tooLarge, bytesItem(heartbeat(2))];
  const { ok, dead } = Keeper.check(items, NOW);
  assert.deepEqual(ok.map((e) => e.seq), [1, 2]);
  assert.deepEqual(dead.map((d) => d.code), [
    'PGFLEET_PROTOCOL_SCHEMA', 'PGFLEET_PROTOCOL_UNKNOWN_TYPE', 'PGFLEET_PROTOCOL_ENVELOPE',
    'PGFLEET_PROTOCOL_DECODE', 'PGFLEET_PROTOCOL_DECODE', 'PGFLEET_PROTOCOL_TOO_LARGE',
  ]);
  assert.match(dead[0].reason, /\/data\/metrics\/0\/points\/0\/v/);
  assert.match(dead[1].reason, /unknown message type "command\.refused"/);
  assert.match(dead[2].reason, /\/agent/);
  assert.match(dead[3].reason, /not valid JSON/);
  assert.match(dead[4].reason, /empty/);
  assert.deepEqual([dead[0].agent, dead[0].seq, dead[0].type], ['agent-db1', 7, 'metrics']);
  assert.deepEqual([dead[1].agent, dead[1].seq, dead[1].type], ['agent-db1', 8, 'command.refused']);
  assert.deepEqual([dead[2].agent, dead[2].seq, dead[2].type], ['agent.db1', 9, 'heartbeat']);
  assert.deepEqual([dead[3].agent, dead[3].seq, dead[3].type], [undefined, undefined, undefined]);
  assert.equal(dead[0].source, 'nats:pgfleet.ingest.default.agent-db1.x');
  assert.equal(dead[3].source, 'http');
  items.slice(1, 7).forEach((item, i) => assert.equal(dead[i].payload, item.bytes, 'the bytes are kept for the dead-letter table'));
});

test('timestamps: up to a day ahead and up to seven days old by default', () => {
  const items = [NOW + DAY_MS, NOW + DAY_MS + 1, NOW - 7 * DAY_MS, NOW - 7 * DAY_MS - 1, 0].map((ts, i) => bytesItem(heartbeat(i + 1, ts)));
  const { ok, dead } = Keeper.check(items, NOW);
  assert.deepEqual(ok.map((e) => e.seq), [1, 3]);
  assert.deepEqual(dead.map((d) => [d.seq, d.code]), [[2, 'PGFLEET_PROTOCOL_ENVELOPE'], [4, 'PGFLEET_PROTOCOL_ENVELOPE'], [5, 'PGFLEET_PROTOCOL_ENVELOPE']]);
  assert.match(dead[0].reason, /^ts 2024-05-18T12:00:00\.001Z is in the future \(clock off by more than 86400 s\)$/);
  assert.match(dead[1].reason, /is older than the retention of 604800 s/);
  assert.deepEqual([dead[0].agent, dead[0].type], ['agent-db1', 'heartbeat']);
});

test('timestamps: the limits can be set, and apply to decoded envelopes too', () => {
  const limits = { maxAgeMs: 60_000, maxFutureMs: 1000 };
  const items: Incoming[] = [
    { envelope: heartbeat(1, NOW - 60_000), source: 'inproc' },
    { envelope: heartbeat(2, NOW - 60_001), source: 'inproc' },
    { envelope: heartbeat(3, NOW + 1000), source: 'inproc' },
    { envelope: heartbeat(4, NOW + 1001), source: 'inproc' },
  ];
  const { ok, dead } = Keeper.check(items, NOW, limits);
  assert.deepEqual(ok.map((e) => e.seq), [1, 3]);
  assert.deepEqual(dead.map((d) => d.seq), [2, 4]);
  assert.equal(dead[0].payload, undefined, 'no bytes to keep');
  assert.equal(dead[0].source, 'inproc');
});

test('a timestamp a Date cannot hold is a dead letter, not an exception', () => {
  const items = [bytesItem(heartbeat(1)), bytesItem(heartbeat(2, 9e15)), bytesItem(heartbeat(3, Number.MAX_SAFE_INTEGER))];
  const { ok, dead } = Keeper.check(items, NOW);
  assert.deepEqual(ok.map((e) => e.seq), [1]);
  assert.deepEqual(dead.map((d) => [d.seq, d.code]), [[2, 'PGFLEET_PROTOCOL_ENVELOPE'], [3, 'PGFLEET_PROTOCOL_ENVELOPE']]);
});

test('a refused timestamp gives a dead letter of the usual shape', () => {
  const env = { ...heartbeat(1, NOW + 2 * DAY_MS), source: 'forged' } as Envelope;
  const { dead } = Keeper.check([{ envelope: env, source: 'http' }], NOW);
  assert.equal(dead[0].source, 'http');
  assert.deepEqual(Object.keys(dead[0]).sort(), ['agent', 'code', 'index', 'payload', 'reason', 'seq', 'source', 'type']);
});

test('a dead letter is storable text whatever the message held (U+0000, lone surrogates), and says where it was in the batch', () => {
  const badKey = { ...heartbeat(2), data: { ...heartbeat(2).data, ['x\u0000\ud800']: 1 } };
  const badAgent = { ...heartbeat(3), agent: 'a\u0000b\udc00' };
  const badType = { ...heartbeat(4), type: 'x\u0000' };
  const { ok, dead } = Keeper.check([bytesItem(heartbeat(1)), bytesItem(badKey, 'json'), bytesItem(badAgent, 'json'), bytesItem(badType, 'json')], NOW);
  assert.deepEqual(ok.map((e) => e.seq), [1]);
  assert.deepEqual(dead.map((d) => d.index), [1, 2, 3]);
  const bad = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
  for (const d of dead) {
    for (const text of [d.reason, d.agent ?? '', d.type ?? '']) assert.doesNotMatch(text, bad, JSON.stringify(d.reason));
  }
  assert.match(dead[0].reason, /\/data\/x\ufffd\ufffd: Unexpected property/);
  assert.equal(dead[1].agent, 'a\ufffdb\ufffd');
  assert.equal(dead[2].type, 'x\ufffd');
});

test('an empty batch is fine', () => {
  assert.deepEqual(Keeper.check([], NOW), { ok: [], dead: [] });
});

test('isDataError: SQLSTATE classes 22 (data exception), 23 (integrity violation), 54 (program limit) only', () => {
  for (const code of ['22000', '22001', '22003', '22P02', '22P05', '22021', '23502', '23505', '23514']) assert.equal(isDataError({ code }), true, code);
  for (const code of ['08006', '40001', '40P01', '53100', '57P01', '57014', 'XX000', '42P01', '2200', '220001', '22p02', 'ECONNREFUSED', 'PGFLEET_INGEST_STORE', '']) {
    assert.equal(isDataError({ code }), false, code);
  }
  for (const err of [undefined, null, 'string', 22, {}, { code: 22001 }, new Error('22001'), Object.assign(new Error('x'), { code: '23505' })]) {
    assert.equal(isDataError(err), err instanceof Error && (err as { code?: string }).code === '23505', String(err));
  }
});

test('isDataError: a message PostgreSQL can never store is not retried forever', () => {
  assert.equal(isDataError({ code: '54000' }), true);
});
