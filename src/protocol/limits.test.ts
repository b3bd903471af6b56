// The schemas hold every value to what the store can hold (src/store/migrations/*.sql): an int4 column takes
// no integer past 2^31 - 1, a bigint none past 2^63 - 1, text no U+0000, jsonb and UTF-8 no lone surrogate.
// What they refuse is a PGFLEET_PROTOCOL_SCHEMA error naming the field; what they accept at the limit is
// stored (test/ingest-http.test.ts sends the same values to a real PostgreSQL).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cutText, INT4_MAX, ProtocolError, TEXT_PATTERN, toPgText, validateEnvelope, type Envelope, type MessageType,
} from './index.ts';

const TS = 1_700_000_000_123;

/** A valid envelope of each type, small. */
function sample(type: MessageType): Envelope {
  const base = { v: 1 as const, agent: 'agent-db1', instance: 'main-1', seq: 1, ts: TS };
  switch (type) {
    case 'metrics': return { ...base, type, data: { collector: 'pg_stat_database', interval_ms: 15_000, metrics: [{ name: 'pg_stat_database.xact_commit', kind: 'counter', unit: '1', points: [{ l: { datname: 'app' }, v: 1 }] }] } };
    case 'inventory': return { ...base, type, data: { namespace: 'default', cluster: 'main', node: 'db1', version: 'PostgreSQL 17.2', version_num: 170002, role: 'primary', started_at: TS - 1000, system_identifier: '7312345678901234567', databases: ['app'], up: false, error: 'refused' } };
    case 'heartbeat': return { ...base, type, data: { agent_version: '0.1.0', uptime_s: 1, node: 'db1', spool: { messages: 0, bytes: 0, dropped: 0 }, collectors: [{ id: 'pg_locks', instance: 'main-1', state: 'backoff', runs: 1, failures: 1, last_error: 'timeout', note: 'slow' }] } };
    case 'event': return { ...base, type, data: { kind: 'role.changed', severity: 'info', message: 'changed', details: { from: 'primary', list: [1, 'two', { deep: 'three' }] } } };
    case 'statements': return { ...base, type, data: { interval_ms: 60_000, entries: [{ queryid: '-6074478521356846112', datname: 'app', usename: 'web', toplevel: true, c: { calls: 1 } }], texts: [{ queryid: '-6074478521356846112', text: 'SELECT 1' }], evicted: 0 } };
    case 'activity': return { ...base, type, data: { interval_ms: 15_000, sample_ms: 1000, samples: 15, groups: [{ state: 'active', wait_event_type: 'IO', wait_event: 'DataFileRead', queryid: '42', datname: 'app', usename: 'web', backend_type: 'client backend', n: 7 }] } };
    case 'settings': return { ...base, type, data: { full: true, removed: ['old_setting'], settings: [{ name: 'work_mem', setting: '4096', unit: 'kB', vartype: 'integer', context: 'user', category: 'Resource Usage', source: 'default', sourcefile: '/etc/postgresql.conf', sourceline: 1, pending_restart: false, boot_val: '4096', reset_val: '4096' }] } };
    case 'command.result': return { ...base, type, data: { id: '0b6c4f1e-7d1a-4c55-9a63-1f2e3d4c5b6a', action: 'vacuum', status: 'error', sqlstate: '55P03', error: 'lock timeout', duration_ms: 5, output: { statement: 'VACUUM' }, task: { id: 1, scheduled_at: TS } } };
  }
}

/** The sample with the value at `path` (slash-separated under `data`) replaced. */
function withValue(type: MessageType, path: string, value: unknown): unknown {
  const env = structuredClone(sample(type)) as unknown as { data: Record<string, unknown> };
  const keys = path.split('/');
  let at: Record<string, unknown> = env.data;
  for (const k of keys.slice(0, -1)) at = at[k] as Record<string, unknown>;
  at[keys[keys.length - 1]] = value;
  return env;
}

function refusal(value: unknown): ProtocolError | undefined {
  try {
    validateEnvelope(value);
    return undefined;
  } catch (err) {
    assert.ok(err instanceof ProtocolError, String(err));
    return err;
  }
}

/** Every field that reaches an int4 column, with the column. */
const INT4_FIELDS: [MessageType, string, string][] = [
  ['metrics', 'interval_ms', 'metrics.interval_ms, series_sets.interval_ms'],
  ['inventory', 'version_num', 'instances.version_num'],
  ['statements', 'interval_ms', 'statement_stats.interval_ms'],
  ['activity', 'interval_ms', 'activity_samples.interval_ms'],
  ['activity', 'sample_ms', 'activity_samples.sample_ms'],
  ['activity', 'samples', 'activity_samples.samples'],
  ['activity', 'groups/0/n', 'activity_samples.n'],
];

test('every field stored in an int4 column takes up to 2^31 - 1 and refuses more, naming the field', () => {
  for (const [type, path, column] of INT4_FIELDS) {
    assert.equal(refusal(withValue(type, path, INT4_MAX)), undefined, `${type} ${path} = 2^31 - 1 (${column})`);
    for (const big of [INT4_MAX + 1, 2 ** 53, 1e300]) {
      const err = refusal(withValue(type, path, big));
      assert.equal(err?.code, 'PGFLEET_PROTOCOL_SCHEMA', `${type} ${path} = ${big} (${column})`);
      assert.match(err!.message, new RegExp(`/data/${path}: Expected integer to be less or equal to ${INT4_MAX}`), `${type} ${path} = ${big}`);
    }
  }
});

test('started_at (a bigint of ms) is a time a Date can hold', () => {
  assert.equal(refusal(withValue('inventory', 'started_at', 0)), undefined);
  assert.equal(refusal(withValue('inventory', 'started_at', 8.64e15)), undefined);
  for (const bad of [1e300, 8.64e15 + 1, -1]) assert.match(refusal(withValue('inventory', 'started_at', bad))?.message ?? '', /\/data\/started_at: Expected number/, String(bad));
});

test('queryids are signed 64-bit integers in canonical decimal', () => {
  const paths: [MessageType, string][] = [['statements', 'entries/0/queryid'], ['statements', 'texts/0/queryid'], ['activity', 'groups/0/queryid']];
  for (const [type, path] of paths) {
    for (const good of ['0', '42', '-42', '9223372036854775807', '-9223372036854775808', '999999999999999999', '-1000000000000000000']) {
      assert.equal(refusal(withValue(type, path, good)), undefined, `${path} = ${good}`);
    }
    for (const bad of ['9223372036854775808', '-9223372036854775809', '99999999999999999999', '18446744073709551615', '-0', '007', '', '1e3', ' 1', '+1', '１']) {
      const err = refusal(withValue(type, path, bad));
      assert.equal(err?.code, 'PGFLEET_PROTOCOL_SCHEMA', `${path} = ${JSON.stringify(bad)}`);
      assert.match(err!.message, new RegExp(`/data/${path}: Expected string to match 'int64' format`), `${path} = ${bad}`);
    }
  }
});

/** Every string field that reaches a text column or jsonb. */
const TEXT_FIELDS: [MessageType, string][] = [
  ['metrics', 'collector'], ['metrics', 'metrics/0/unit'], ['metrics', 'metrics/0/points/0/l/datname'],
  ['inventory', 'namespace'], ['inventory', 'cluster'], ['inventory', 'node'], ['inventory', 'version'], ['inventory', 'system_identifier'],
  ['inventory', 'databases/0'], ['inventory', 'error'],
  ['heartbeat', 'agent_version'], ['heartbeat', 'node'], ['heartbeat', 'collectors/0/id'], ['heartbeat', 'collectors/0/instance'],
  ['heartbeat', 'collectors/0/last_error'], ['heartbeat', 'collectors/0/note'],
  ['event', 'kind'], ['event', 'message'], ['event', 'details/from'], ['event', 'details/list/1'], ['event', 'details/list/2/deep'],
  ['statements', 'entries/0/datname'], ['statements', 'entries/0/usename'], ['statements', 'texts/0/text'],
  ['activity', 'groups/0/state'], ['activity', 'groups/0/wait_event_type'], ['activity', 'groups/0/wait_event'],
  ['activity', 'groups/0/datname'], ['activity', 'groups/0/usename'], ['activity', 'groups/0/backend_type'],
  ['settings', 'settings/0/name'], ['settings', 'settings/0/setting'], ['settings', 'settings/0/source'], ['settings', 'settings/0/sourcefile'],
  ['settings', 'settings/0/boot_val'], ['settings', 'removed/0'],
];

test('no stored string holds U+0000 or a lone surrogate; pairs (emoji) and every other character pass', () => {
  for (const [type, path] of TEXT_FIELDS) {
    for (const good of ['a😀b', '😀', 'é\u0301', '\ufeff\u202e\uffff\u{10ffff}', 'tab\tnew\nline']) {
      assert.equal(refusal(withValue(type, path, good)), undefined, `${type} ${path} = ${JSON.stringify(good)}`);
    }
    for (const bad of ['a\u0000b', '\u0000', 'a\ud800', '\udfff', 'a\udc00b', '\ud83d\ud83d\ude00x\ud800']) {
      const err = refusal(withValue(type, path, bad));
      assert.equal(err?.code, 'PGFLEET_PROTOCOL_SCHEMA', `${type} ${path} = ${JSON.stringify(bad)}`);
      // A string inside event details is named by the nearest value the free-form check covers.
      const named = type === 'event' && path.startsWith('details/') ? 'details/' + path.split('/')[1] : path;
      assert.ok(err!.message.includes(`/data/${named}`), `${type} ${path}: ${err!.message}`);
    }
  }
});

test('stored keys (labels, event details) hold neither U+0000 nor lone surrogates; label names are at most 100 characters', () => {
  const labels = (l: Record<string, string>) => withValue('metrics', 'metrics/0/points/0/l', l);
  const details = (d: Record<string, unknown>) => withValue('event', 'details', d);
  for (const key of ['a\u0000', 'a\ud800', '\udc00']) {
    assert.match(refusal(labels({ [key]: 'v' }))?.message ?? '', /\/data\/metrics\/0\/points\/0\/l\/.*: Unexpected property/s, JSON.stringify(key));
    assert.match(refusal(details({ [key]: 1 }))?.message ?? '', /\/data\/details\/.*: Unexpected property/s, JSON.stringify(key));
    assert.match(refusal(details({ a: { [key]: 1 } }))?.message ?? '', /\/data\/details\/a: Expected union value/, JSON.stringify(key));
  }
  assert.equal(refusal(labels({ ['k'.repeat(100)]: 'v', 'ключ😀': 'v' })), undefined);
  assert.match(refusal(labels({ ['k'.repeat(101)]: 'v' }))?.message ?? '', /Unexpected property/);
});

test('event details: JSON values only, checked as deep as the codec lets them nest', () => {
  const details = (d: unknown) => withValue('event', 'details', { d });
  const nest = (n: number, leaf: unknown) => { let v = leaf; for (let i = 0; i < n; i++) v = [v]; return v; };
  // data is depth 0, details 1, d 2: 30 arrays put the string at depth 32, the deepest the codec takes.
  assert.equal(refusal(details(nest(30, 'x😀'))), undefined);
  assert.match(refusal(details(nest(30, 'x\u0000')))?.message ?? '', /\/data\/details\/d: Expected union value/);
  assert.match(refusal(details(nest(31, 'x')))?.message ?? '', /nested deeper than 32 levels/);
  // Far deeper than the check's levels: the codec's depth check answers, and nothing overflows the stack.
  assert.match(refusal(details(nest(200_000, 'x')))?.message ?? '', /nested deeper than 32 levels/);
  for (const bad of [new Uint8Array(2), NaN, Infinity]) assert.match(refusal(details(bad))?.message ?? '', /\/data\/details\/d: Expected union value/, String(bad));
  assert.equal(refusal(details({ n: null, b: false, x: -1.5, s: '', a: [], o: {} })), undefined);
});

test('heartbeat objects take no other keys: the heartbeat is stored whole as jsonb', () => {
  assert.match(refusal(withValue('heartbeat', 'spool/extra', 'x\u0000'))?.message ?? '', /\/data\/spool\/extra: Unexpected property/);
  assert.match(refusal(withValue('heartbeat', 'collectors/0/extra', 1))?.message ?? '', /\/data\/collectors\/0\/extra: Unexpected property/);
});

test('checking stays cheap on long strings, good or bad', () => {
  const text = 'SELECT a, b FROM t WHERE x = $1 -- é😀 '.repeat(500).slice(0, 20_000);
  const started = performance.now();
  for (let i = 0; i < 200; i++) {
    assert.equal(refusal(withValue('statements', 'texts/0/text', text)), undefined);
    assert.equal(refusal(withValue('statements', 'texts/0/text', `${text.slice(0, 19_999)}\u0000`))?.code, 'PGFLEET_PROTOCOL_SCHEMA');
  }
  assert.ok(performance.now() - started < 5000, 'far under a millisecond for a 20,000-character text');
});

test('TEXT_PATTERN, toPgText: NUL and lone surrogates, nothing else', () => {
  const re = new RegExp(TEXT_PATTERN);
  for (const s of ['', 'a', '😀', 'a😀b😀', '\uffff', '\u{10ffff}']) assert.ok(re.test(s), JSON.stringify(s));
  for (const s of ['\u0000', 'a\ud800', '\ud800a', 'a\udc00', '\udc00\ud800', '😀\ud800', '\ude00😀']) assert.ok(!re.test(s), JSON.stringify(s));
  assert.equal(toPgText('a\u0000b\ud800c😀\udc00'), 'a\ufffdb\ufffdc😀\ufffd');
  assert.equal(toPgText('plain é 😀'), 'plain é 😀');
});

test('cutText never splits a surrogate pair', () => {
  assert.equal(cutText('abc', 5), 'abc');
  assert.equal(cutText('abcdef', 3), 'abc');
  assert.equal(cutText('ab😀', 3), 'ab', 'the pair would be split: cut before it');
  assert.equal(cutText('ab😀', 4), 'ab😀');
  assert.equal(cutText('a😀😀', 4), 'a😀');
  const re = new RegExp(TEXT_PATTERN);
  const text = '😀x'.repeat(3000);
  for (let max = 0; max <= 200; max++) assert.ok(re.test(cutText(text, max)) && cutText(text, max).length <= max, String(max));
});
