import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prng } from '../../test/harness/prng.ts';
import { encode as pack } from '@msgpack/msgpack';
import {
  decodeEnvelope, decodeValue, encodeEnvelope, MAX_MESSAGE_BYTES, MESSAGE_TYPES, PROTOCOL_ERROR_CODES, ProtocolError,
  sniffEncoding, validateEnvelope, type Encoding, type Envelope, type MessageType, type ProtocolErrorCode,
} from './index.ts';

const TS = 1_700_000_000_123;

/** One valid envelope of every message type, with every optional field used somewhere. */
const SAMPLES: { [K in MessageType]: Envelope<K> } = {
  metrics: {
    v: 1, type: 'metrics', agent: 'agent-db1', instance: 'main-1', seq: 1, ts: TS,
    data: {
      collector: 'pg_stat_database', interval_ms: 15_000,
      metrics: [
        { name: 'pg_stat_database.xact_commit', kind: 'counter', unit: '1', points: [{ l: { datname: 'postgres' }, v: 12 }, { l: { datname: 'app' }, v: 2 ** 40 }] },
        { name: 'pg_up.up', kind: 'gauge', points: [{ v: 1 }, { v: 0.25 }, { v: -3.5 }] },
      ],
    },
  },
  inventory: {
    v: 1, type: 'inventory', agent: 'agent-db1', instance: 'main-1', seq: 2, ts: TS,
    data: {
      namespace: 'default', cluster: 'main', node: 'db1.example', version: 'PostgreSQL 17.2 on x86_64', version_num: 170002,
      role: 'primary', started_at: TS - 86_400_000, system_identifier: '7312345678901234567', databases: ['app', 'postgres'], up: true,
    },
  },
  heartbeat: {
    v: 1, type: 'heartbeat', agent: 'agent-db1', seq: 3, ts: TS,
    data: {
      agent_version: '0.1.0', uptime_s: 12.5, node: 'db1.example', spool: { messages: 3, bytes: 4096, dropped: 0 },
      collectors: [
        { id: 'pg_stat_database', instance: 'main-1', state: 'ok', runs: 10, failures: 0, last_duration_ms: 3.2 },
        { id: 'pg_locks', instance: 'main-1', state: 'backoff', runs: 4, failures: 3, last_error: 'canceling statement due to statement timeout' },
      ],
    },
  },
  event: {
    v: 1, type: 'event', agent: 'agent-db1', instance: 'main-1', seq: 4_000_000_000, ts: TS,
    data: { kind: 'role.changed', severity: 'warning', message: 'role changed from primary to replica', details: { from: 'primary', to: 'replica', nested: { list: [1, 'two', null, true] } } },
  },
  statements: {
    v: 1, type: 'statements', agent: 'agent-db1', instance: 'main-1', seq: 5, ts: TS,
    data: {
      interval_ms: 60_000,
      entries: [{ queryid: '-6074478521356846112', datname: 'app', usename: 'web', toplevel: true, c: { calls: 120, total_exec_time: 35.25, rows: 120, shared_blks_hit: 480 } }],
      other: { entries: 3, c: { calls: 4, total_exec_time: 0.5 } },
      texts: [{ queryid: '-6074478521356846112', text: 'SELECT * FROM orders WHERE id = $1' }],
      evicted: 0,
    },
  },
  activity: {
    v: 1, type: 'activity', agent: 'agent-db1', instance: 'main-1', seq: 6, ts: TS,
    data: {
      interval_ms: 15_000, sample_ms: 1000, samples: 15,
      groups: [
        { state: 'active', wait_event_type: 'IO', wait_event: 'DataFileRead', queryid: '42', datname: 'app', usename: 'web', backend_type: 'client backend', n: 7 },
        { state: 'idle in transaction', wait_event_type: 'Client', wait_event: 'ClientRead', datname: 'app', usename: 'web', backend_type: 'client backend', n: 15 },
      ],
    },
  },
  settings: {
    v: 1, type: 'settings', agent: 'agent-db1', instance: 'main-1', seq: 7, ts: TS,
    data: {
      full: false, conf_load_time: TS - 60_000, removed: ['pg_stat_statements.max'],
      settings: [
        { name: 'work_mem', setting: '65536', unit: 'kB', vartype: 'integer', context: 'user', category: 'Resource Usage / Memory', source: 'configuration file',
          sourcefile: '/var/lib/postgresql/data/postgresql.auto.conf', sourceline: 3, pending_restart: false, boot_val: '4096', reset_val: '65536' },
        { name: 'shared_buffers', setting: '16384', unit: '8kB', vartype: 'integer', context: 'postmaster', source: 'configuration file', pending_restart: true },
      ],
    },
  },
  'command.result': {
    v: 1, type: 'command.result', agent: 'agent-db1', instance: 'main-1', seq: 8, ts: TS,
    data: {
      id: '0b6c4f1e-7d1a-4c55-9a63-1f2e3d4c5b6a', action: 'alter_system', status: 'ok', started_at: TS - 40, duration_ms: 38.5, by: 'alice',
      output: { reloaded: true, settings: [{ name: 'work_mem', before: '4096', after: '8192', pending_restart: false }], restart_needed: [] },
      task: { id: 3, scheduled_at: TS - 60 },
    },
  },
};

const ENCODINGS: Encoding[] = ['msgpack', 'json'];
const jsonBytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const packBytes = (value: unknown) => pack(value);
const clone = <T>(v: T): T => structuredClone(v);

/** The ProtocolError that decoding the bytes throws (fails when it returns or throws something else). */
function decodeError(bytes: Uint8Array, encoding?: Encoding): ProtocolError {
  try {
    decodeEnvelope(bytes, encoding);
  } catch (err) {
    assert.ok(err instanceof ProtocolError, `expected a ProtocolError, got ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`);
    return err;
  }
  assert.fail('the message was accepted');
}

/** Encodes `value` (not necessarily a valid envelope) both ways and checks both fail with `code` and a message matching `message`. */
function rejectsBothWays(value: unknown, code: ProtocolErrorCode, message: RegExp): ProtocolError[] {
  // The encoding is given: JSON text such as `42` or `null` does not start with { or [ and would be sniffed as MessagePack.
  return ([[jsonBytes(value), 'json'], [packBytes(value), 'msgpack']] as const).map(([bytes, encoding]) => {
    const err = decodeError(bytes, encoding);
    assert.equal(err.code, code, `code for ${JSON.stringify(value).slice(0, 200)}: ${err.message}`);
    assert.match(err.message, message);
    assert.equal(err.name, 'ProtocolError');
    return err;
  });
}

for (const type of MESSAGE_TYPES) {
  for (const encoding of ENCODINGS) {
    test(`${type} survives an ${encoding} round trip`, () => {
      const env = SAMPLES[type];
      const bytes = encodeEnvelope(env, encoding);
      assert.equal(sniffEncoding(bytes), encoding);
      assert.deepEqual(decodeEnvelope(bytes), env, 'sniffed encoding');
      assert.deepEqual(decodeEnvelope(bytes, encoding), env, 'given encoding');
    });
  }
}

test('every message type has a sample here', () => {
  assert.deepEqual(Object.keys(SAMPLES).sort(), [...MESSAGE_TYPES].sort());
});

test('msgpack is the default encoding and is smaller than JSON', () => {
  const env = SAMPLES.metrics;
  const packed = encodeEnvelope(env);
  assert.equal(sniffEncoding(packed), 'msgpack');
  assert.ok(packed.byteLength < encodeEnvelope(env, 'json').byteLength);
});

test('unknown envelope fields are kept (additions are optional fields, never renames)', () => {
  const env = { ...clone(SAMPLES.heartbeat), added_in_v1_1: { x: 1 } };
  for (const encoding of ENCODINGS) {
    assert.deepEqual(decodeEnvelope(encodeEnvelope(env as Envelope, encoding)), env);
  }
});

test('integers past 32 bits come back as numbers from MessagePack', () => {
  const env = clone(SAMPLES.event);
  env.seq = 2 ** 40 + 7;
  env.ts = 8_000_000_000_000;
  const back = decodeEnvelope(encodeEnvelope(env));
  assert.equal(typeof back.seq, 'number');
  assert.equal(back.seq, 2 ** 40 + 7);
  assert.equal(back.ts, 8_000_000_000_000);
});

test('sniffEncoding: JSON starts with { or [ after white space, anything else is MessagePack', () => {
  const b = (...x: number[]) => Uint8Array.from(x);
  assert.equal(sniffEncoding(jsonBytes({ a: 1 })), 'json');
  assert.equal(sniffEncoding(jsonBytes([1])), 'json');
  assert.equal(sniffEncoding(new TextEncoder().encode(' \t\r\n {"a":1}')), 'json');
  assert.equal(sniffEncoding(new TextEncoder().encode('\n[1]')), 'json');
  assert.equal(sniffEncoding(packBytes({ a: 1 })), 'msgpack');
  assert.equal(sniffEncoding(packBytes([1, 2])), 'msgpack');
  assert.equal(sniffEncoding(b(0xde, 0x00, 0x01)), 'msgpack', 'map16');
  assert.equal(sniffEncoding(b(0xdf, 0, 0, 0, 1)), 'msgpack', 'map32');
  assert.equal(sniffEncoding(new TextEncoder().encode('"text"')), 'msgpack', 'a JSON string is not an envelope');
  assert.equal(sniffEncoding(new Uint8Array(0)), 'json', 'empty');
  assert.equal(sniffEncoding(b(0x20, 0x20)), 'json', 'only white space');
});

test('encodeEnvelope refuses a message past the size limit, naming agent, seq and type', () => {
  const env = clone(SAMPLES.event);
  env.data.message = 'x'.repeat(4000);
  env.data.details = { big: 'y'.repeat(MAX_MESSAGE_BYTES) };
  for (const encoding of ENCODINGS) {
    assert.throws(() => encodeEnvelope(env, encoding), (err: unknown) => {
      assert.ok(err instanceof ProtocolError);
      assert.equal(err.code, 'PGFLEET_PROTOCOL_TOO_LARGE');
      assert.match(err.message, new RegExp(`limit is ${MAX_MESSAGE_BYTES}`));
      assert.deepEqual(err.partial, { agent: 'agent-db1', seq: env.seq, type: 'event' });
      return true;
    });
  }
});

test('PGFLEET_PROTOCOL_TOO_LARGE: more than MAX_MESSAGE_BYTES is refused before decoding', () => {
  const bytes = new Uint8Array(MAX_MESSAGE_BYTES + 1).fill(0x20);
  bytes[0] = 0x7b;
  for (const encoding of [undefined, ...ENCODINGS]) {
    const err = decodeError(bytes, encoding);
    assert.equal(err.code, 'PGFLEET_PROTOCOL_TOO_LARGE');
    assert.match(err.message, /1048577 bytes/);
  }
  // Exactly at the limit is decoded (and fails for its content, not its size).
  assert.equal(decodeError(bytes.subarray(0, MAX_MESSAGE_BYTES)).code, 'PGFLEET_PROTOCOL_DECODE');
});

test('PGFLEET_PROTOCOL_DECODE: bytes that are not JSON or MessagePack', () => {
  const cases: [string, Uint8Array, Encoding | undefined, RegExp][] = [
    ['empty', new Uint8Array(0), undefined, /empty/],
    ['empty msgpack', new Uint8Array(0), 'msgpack', /empty/],
    ['truncated JSON', new TextEncoder().encode('{"v":1,"type":'), undefined, /not valid JSON/],
    ['white space only', new TextEncoder().encode('   '), undefined, /not valid JSON/],
    ['invalid UTF-8 in JSON', Uint8Array.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), undefined, /not valid JSON/],
    ['JSON with trailing garbage', new TextEncoder().encode('{"v":1} x'), undefined, /not valid JSON/],
    ['truncated MessagePack', encodeEnvelope(SAMPLES.metrics).subarray(0, 40), undefined, /not valid MessagePack/],
    ['MessagePack with trailing bytes', Uint8Array.from([...encodeEnvelope(SAMPLES.heartbeat), 0x01]), undefined, /not valid MessagePack/],
    ['the never-used MessagePack byte 0xc1', Uint8Array.from([0xc1]), undefined, /not valid MessagePack/],
    ['MessagePack forced as JSON', encodeEnvelope(SAMPLES.event), 'json', /not valid JSON/],
  ];
  for (const [name, bytes, encoding, message] of cases) {
    const err = decodeError(bytes, encoding);
    assert.equal(err.code, 'PGFLEET_PROTOCOL_DECODE', name);
    assert.match(err.message, message, name);
    assert.deepEqual(err.partial, {}, `${name}: nothing is readable`);
    if (bytes.byteLength > 0) assert.ok(err.cause !== undefined, `${name}: the parser's error is kept as cause`);
  }
});

test('decodeValue returns any value, the envelope check is separate', () => {
  assert.equal(decodeValue(packBytes(42)), 42);
  assert.deepEqual(decodeValue(jsonBytes([1, 2])), [1, 2]);
  assert.throws(() => validateEnvelope(42), (err: unknown) => err instanceof ProtocolError && err.code === 'PGFLEET_PROTOCOL_ENVELOPE');
});

test('PGFLEET_PROTOCOL_ENVELOPE: not an object', () => {
  for (const value of [null, 42, 'text', [SAMPLES.event], true]) {
    rejectsBothWays(value, 'PGFLEET_PROTOCOL_ENVELOPE', /envelope must be an object/);
  }
});

test('PGFLEET_PROTOCOL_ENVELOPE: each envelope field, named by its path', () => {
  const base = SAMPLES.heartbeat as unknown as Record<string, unknown>;
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['v missing', { ...base, v: undefined }, /\/v: /],
    ['v = 2', { ...base, v: 2 }, /\/v: /],
    ['type missing', { ...base, type: undefined }, /\/type: /],
    ['type empty', { ...base, type: '' }, /\/type: /],
    ['type too long', { ...base, type: 't'.repeat(41) }, /\/type: /],
    ['agent with a dot', { ...base, agent: 'agent.db1' }, /\/agent: /],
    ['agent with a NATS wildcard', { ...base, agent: 'agent>' }, /\/agent: /],
    ['agent not a string', { ...base, agent: 7 }, /\/agent: /],
    ['instance with a space', { ...base, instance: 'main 1' }, /\/instance: /],
    ['seq missing', { ...base, seq: undefined }, /\/seq: /],
    ['seq 0', { ...base, seq: 0 }, /\/seq: /],
    ['seq negative', { ...base, seq: -1 }, /\/seq: /],
    ['seq fractional', { ...base, seq: 1.5 }, /\/seq: /],
    ['seq as a string', { ...base, seq: '5' }, /\/seq: /],
    ['ts negative', { ...base, ts: -1 }, /\/ts: /],
    ['ts fractional', { ...base, ts: 1.25 }, /\/ts: /],
    ['data missing', { ...base, data: undefined }, /\/data: /],
  ];
  for (const [name, value, path] of cases) {
    // JSON drops undefined fields; MessagePack keeps them as nil, which the check refuses too.
    const withoutUndefined = Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
    const errs = rejectsBothWays(withoutUndefined, 'PGFLEET_PROTOCOL_ENVELOPE', path);
    for (const err of errs) assert.match(err.message, /^invalid envelope: /, name);
  }
});

test('partial: agent, seq and type are filled when they can be read', () => {
  const [err] = rejectsBothWays({ ...SAMPLES.event, v: 2 }, 'PGFLEET_PROTOCOL_ENVELOPE', /\/v: /);
  assert.deepEqual(err.partial, { agent: 'agent-db1', seq: 4_000_000_000, type: 'event' });
  // Unreadable fields stay undefined, readable ones are kept (even when invalid).
  const [err2] = rejectsBothWays({ v: 1, type: 7, agent: 'a.b', seq: 'x', ts: 0, data: {} }, 'PGFLEET_PROTOCOL_ENVELOPE', /invalid envelope/);
  assert.deepEqual(err2.partial, { agent: 'a.b', seq: undefined, type: undefined });
  // Long strings are cut, so a dead letter stays small.
  const [err3] = rejectsBothWays({ v: 1, type: 'x'.repeat(500), agent: 'y'.repeat(500), seq: 1, ts: 0, data: {} }, 'PGFLEET_PROTOCOL_ENVELOPE', /\/type|\/agent/);
  assert.equal(err3.partial.agent?.length, 100);
  assert.equal(err3.partial.type?.length, 40);
});

test('PGFLEET_PROTOCOL_UNKNOWN_TYPE names the type and the known ones', () => {
  for (const type of ['command.refused', 'constructor', '__proto__', 'toString']) {
    const [err] = rejectsBothWays({ ...SAMPLES.event, type }, 'PGFLEET_PROTOCOL_UNKNOWN_TYPE', new RegExp(`unknown message type "${type.replace('.', '\\.')}"`));
    assert.match(err.message, /known: metrics, inventory, heartbeat, event, statements, activity, settings, command\.result/);
    assert.deepEqual(err.partial, { agent: 'agent-db1', seq: 4_000_000_000, type });
  }
});

test('PGFLEET_PROTOCOL_SCHEMA: the payload is checked by its type\'s schema, the path names the field', () => {
  const m = () => clone(SAMPLES.metrics);
  const inv = () => clone(SAMPLES.inventory);
  const hb = () => clone(SAMPLES.heartbeat);
  const ev = () => clone(SAMPLES.event);
  const cases: [string, Envelope, RegExp][] = [
    ['metric value a string', (() => { const e = m(); (e.data.metrics[0].points[1] as { v: unknown }).v = '2'; return e; })(), /\/data\/metrics\/0\/points\/1\/v: /],
    ['metric kind unknown', (() => { const e = m(); (e.data.metrics[1] as { kind: string }).kind = 'histogram'; return e; })(), /\/data\/metrics\/1\/kind: /],
    ['metric name with a space', (() => { const e = m(); e.data.metrics[0].name = 'bad name'; return e; })(), /\/data\/metrics\/0\/name: /],
    ['label value not a string', (() => { const e = m(); (e.data.metrics[0].points[0].l as Record<string, unknown>).datname = 5; return e; })(), /\/data\/metrics\/0\/points\/0\/l\/datname: /],
    ['extra field in a point', (() => { const e = m(); (e.data.metrics[0].points[0] as Record<string, unknown>).t = 1; return e; })(), /\/data\/metrics\/0\/points\/0\/t: /],
    ['collector missing', (() => { const e = m(); delete (e.data as Partial<typeof e.data>).collector; return e; })(), /\/data\/collector: /],
    ['interval_ms 0', (() => { const e = m(); e.data.interval_ms = 0; return e; })(), /\/data\/interval_ms: /],
    ['role unknown', (() => { const e = inv(); (e.data as { role: string }).role = 'leader'; return e; })(), /\/data\/role: /],
    ['up missing', (() => { const e = inv(); delete (e.data as Partial<typeof e.data>).up; return e; })(), /\/data\/up: /],
    ['database not a string', (() => { const e = inv(); (e.data.databases as unknown[]).push(1); return e; })(), /\/data\/databases\/2: /],
    ['spool bytes negative', (() => { const e = hb(); e.data.spool.bytes = -1; return e; })(), /\/data\/spool\/bytes: /],
    ['collector state unknown', (() => { const e = hb(); (e.data.collectors[1] as { state: string }).state = 'dead'; return e; })(), /\/data\/collectors\/1\/state: /],
    ['severity unknown', (() => { const e = ev(); (e.data as { severity: string }).severity = 'fatal'; return e; })(), /\/data\/severity: /],
    ['message too long', (() => { const e = ev(); e.data.message = 'm'.repeat(4001); return e; })(), /\/data\/message: /],
    ['data not an object', (() => { const e = ev(); (e as { data: unknown }).data = [1]; return e; })(), /\/data\/?: /],
    ['extra field in data', (() => { const e = ev(); (e.data as Record<string, unknown>).extra = 1; return e; })(), /\/data\/extra: /],
  ];
  for (const [name, env, path] of cases) {
    const errs = rejectsBothWays(env, 'PGFLEET_PROTOCOL_SCHEMA', path);
    for (const err of errs) {
      assert.match(err.message, new RegExp(`^invalid ${env.type} data: `), name);
      assert.deepEqual(err.partial, { agent: env.agent, seq: env.seq, type: env.type }, name);
    }
  }
});

test('at most three problems are listed in one message', () => {
  const e = clone(SAMPLES.metrics);
  for (const f of e.data.metrics) for (const p of f.points) (p as { v: unknown }).v = 'x';
  const err = decodeError(encodeEnvelope(e));
  assert.equal(err.code, 'PGFLEET_PROTOCOL_SCHEMA');
  assert.ok(err.message.split('; ').length <= 3, err.message);
});

test('a seq past 2^53 cannot be kept exactly and is refused', () => {
  const env = { ...clone(SAMPLES.event), seq: 2 ** 60 };
  const err = decodeError(jsonBytes(env));
  assert.equal(err.code, 'PGFLEET_PROTOCOL_ENVELOPE');
});

test('event details nested deeper than the server can serialise are refused', () => {
  const n = 5000;
  const text = `{"v":1,"type":"event","agent":"a","seq":1,"ts":1,"data":{"kind":"k","severity":"info","message":"m","details":{"deep":${'['.repeat(n)}1${']'.repeat(n)}}}}`;
  const err = decodeError(new TextEncoder().encode(text));
  assert.equal(err.code, 'PGFLEET_PROTOCOL_SCHEMA');
});

test('a label set too large for the series index is refused', () => {
  const rnd = prng(7);
  const text = (n: number) => Array.from({ length: n }, () => String.fromCharCode(97 + Math.floor(rnd() * 26))).join('');
  const env = clone(SAMPLES.metrics);
  env.data.metrics[0].points[0].l = { a: text(2000), b: text(2000) };
  const err = decodeError(encodeEnvelope(env));
  assert.equal(err.code, 'PGFLEET_PROTOCOL_SCHEMA');
});

// ---- Deterministic fuzzing: decodeEnvelope returns an envelope or throws a ProtocolError, never anything else. ----


/** Decodes and checks the outcome; returns 'ok' or the error code. */
function decodeOutcome(bytes: Uint8Array, what: string): 'ok' | ProtocolErrorCode {
  let env: Envelope;
  try {
    env = decodeEnvelope(bytes);
  } catch (err) {
    if (!(err instanceof ProtocolError)) {
      assert.fail(`${what}: ${Buffer.from(bytes).toString('hex').slice(0, 400)} threw ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`);
    }
    assert.ok((PROTOCOL_ERROR_CODES as readonly string[]).includes(err.code), `${what}: unknown code ${err.code}`);
    assert.equal(typeof err.message, 'string');
    return err.code;
  }
  // Whatever is accepted is a valid envelope of a known type.
  assert.ok((MESSAGE_TYPES as readonly string[]).includes(env.type), `${what}: accepted type ${String(env.type)}`);
  assert.equal(env.v, 1);
  assert.ok(Number.isInteger(env.seq) && env.seq >= 1);
  return 'ok';
}

test('fuzz: 2,000 random byte strings', () => {
  const rnd = prng(0x5eed_0001);
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const len = Math.floor(rnd() * 96);
    const bytes = new Uint8Array(len);
    for (let j = 0; j < len; j++) bytes[j] = Math.floor(rnd() * 256);
    // Steer a quarter of them into each decoder's map/object start.
    if (len > 0 && i % 4 === 1) bytes[0] = 0x7b;
    if (len > 0 && i % 4 === 2) bytes[0] = 0x80 | (bytes[0] & 0x0f);
    seen.add(decodeOutcome(bytes, `random #${i}`));
  }
  assert.ok(seen.has('PGFLEET_PROTOCOL_DECODE'));
});

test('fuzz: 2,000 random mutations of valid envelopes (bytes)', () => {
  const rnd = prng(0x5eed_0002);
  const valid = MESSAGE_TYPES.flatMap((t) => ENCODINGS.map((e) => encodeEnvelope(SAMPLES[t], e)));
  const seen = new Map<string, number>();
  for (let i = 0; i < 2000; i++) {
    const src = valid[i % valid.length];
    let bytes = Uint8Array.from(src);
    const edits = 1 + Math.floor(rnd() * 4);
    for (let k = 0; k < edits; k++) {
      const at = Math.floor(rnd() * bytes.length);
      switch (Math.floor(rnd() * 6)) {
        case 0: bytes[at] = Math.floor(rnd() * 256); break; // replace a byte
        case 1: bytes[at] ^= 1 << Math.floor(rnd() * 8); break; // flip a bit
        case 2: bytes = bytes.subarray(0, at); break; // truncate
        case 3: bytes = Uint8Array.from([...bytes.subarray(0, at), Math.floor(rnd() * 256), ...bytes.subarray(at)]); break; // insert
        case 4: bytes = Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(at + 1)]); break; // delete
        default: { // duplicate a slice
          const n = Math.floor(rnd() * 16);
          bytes = Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(at, at + n), ...bytes.subarray(at)]);
        }
      }
      if (bytes.length === 0) break;
    }
    const outcome = decodeOutcome(bytes, `mutation #${i}`);
    seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
  }
  // The mutations reach past the decoder into the envelope and schema checks.
  for (const code of ['PGFLEET_PROTOCOL_DECODE', 'PGFLEET_PROTOCOL_SCHEMA'] as const) assert.ok(seen.has(code), `no ${code} in ${[...seen.keys()]}`);
});

test('fuzz: 2,000 random field replacements in valid envelopes (values)', () => {
  const rnd = prng(0x5eed_0003);
  const weird: unknown[] = [
    null, true, 0, -1, 1.5, 2 ** 53, -(2 ** 31), Number.MAX_VALUE, '', 'x', 'a.b', '*', '>', '\u0000', 'é'.repeat(300),
    [], [1, 'x'], {}, { a: 1 }, { __proto__: null }, 'metrics', 'event', 'counter', 'primary', 'ok',
  ];
  const paths = (v: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []) => {
    out.push(prefix);
    if (v && typeof v === 'object') for (const [k, c] of Object.entries(v)) paths(c, [...prefix, Array.isArray(v) ? Number(k) : k], out);
    return out;
  };
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const env = clone(SAMPLES[MESSAGE_TYPES[i % MESSAGE_TYPES.length]]) as unknown as Record<string, unknown>;
    const all = paths(env).filter((p) => p.length > 0);
    const path = all[Math.floor(rnd() * all.length)];
    let parent: Record<string | number, unknown> = env;
    for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
    const value = weird[Math.floor(rnd() * weird.length)];
    if (rnd() < 0.15) delete parent[path[path.length - 1]];
    else parent[path[path.length - 1]] = value;
    const bytes = i % 2 ? jsonBytes(env) : packBytes(env);
    seen.add(decodeOutcome(bytes, `replace ${path.join('/')} #${i}`));
  }
  for (const code of ['ok', 'PGFLEET_PROTOCOL_ENVELOPE', 'PGFLEET_PROTOCOL_UNKNOWN_TYPE', 'PGFLEET_PROTOCOL_SCHEMA']) {
    assert.ok(seen.has(code), `no ${code} in ${[...seen]}`);
  }
});

test('a MessagePack extension value is refused as an envelope, not decoded into one', () => {
  const err = decodeError(Uint8Array.from([0xc7, 0x00, 0x01]));
  assert.equal(err.code, 'PGFLEET_PROTOCOL_ENVELOPE');
});
