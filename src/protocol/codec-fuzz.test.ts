// Deterministic fuzzing of the decoder: more than 100,000 valid, mutated and random inputs.
// Each one decodes to an envelope that passes validation, or fails with a ProtocolError whose
// code is stable and whose message says what is wrong; nothing else is ever thrown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import {
  decodeEnvelope, decodeValue, encodeEnvelope, ID_PATTERN, MAX_MESSAGE_BYTES, MESSAGE_TYPES, PROTOCOL_ERROR_CODES, ProtocolError,
  validateEnvelope, type Encoding, type Envelope, type ProtocolErrorCode,
} from './index.ts';
import {
  encodeValue, mutateBytes, mutateJsonText, mutateValue, nested, randomBytes, randomEnvelopeLike, randomJsonish, Rand, validEnvelope,
  MSGPACK_TYPE_BYTES,
} from '../../test/harness/fuzz.ts';

const TS = 1_700_000_000_123;
const ENCODINGS: readonly Encoding[] = ['msgpack', 'json'];
/** Longest error message accepted: it must name the problem, not echo the input. */
const MAX_REASON_CHARS = 1000;
const TIMEOUT = { timeout: 60_000 };

const fed = { inputs: 0 };
const outcomes = new Map<'ok' | ProtocolErrorCode, number>();
let slowest = { ms: 0, what: '' };

/** What each code's message starts with: the problem, and the path of the field when there is one. */
const MESSAGE_SHAPES: Record<ProtocolErrorCode, RegExp> = {
  PGFLEET_PROTOCOL_TOO_LARGE: /^message is \d+ bytes, the limit is 1048576$/,
  PGFLEET_PROTOCOL_DECODE: /^(message is empty$|not valid (JSON|MessagePack): \S)/,
  PGFLEET_PROTOCOL_ENVELOPE: /^(envelope must be an object$|invalid envelope: \/.*: \S)/s,
  PGFLEET_PROTOCOL_UNKNOWN_TYPE: /^unknown message type ".*" \(known: metrics, inventory, heartbeat, event, statements, activity, settings, command\.result\)$/s,
  PGFLEET_PROTOCOL_SCHEMA: /^invalid (metrics|inventory|heartbeat|event|statements|activity|settings|command\.result) data: \/data.*: \S/s,
};

const idPattern = new RegExp(ID_PATTERN);
const hex = (b: Uint8Array) => Buffer.from(b.subarray(0, 200)).toString('hex');

function outcomeOf(run: () => Envelope): Envelope | ProtocolError {
  try {
    return run();
  } catch (err) {
    if (err instanceof ProtocolError) return err;
    throw err;
  }
}

/** A ProtocolError with a known code, a message naming the problem, and only readable envelope fields in `partial`. */
function assertClearError(err: unknown, what: string): asserts err is ProtocolError {
  assert.ok(err instanceof ProtocolError, `${what}: threw ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`);
  assert.equal(err.name, 'ProtocolError', what);
  assert.ok((PROTOCOL_ERROR_CODES as readonly string[]).includes(err.code), `${what}: unknown code ${err.code}`);
  assert.match(err.code, /^PGFLEET_PROTOCOL_[A-Z_]+$/);
  assert.ok(err.message.length > 0 && err.message.length <= MAX_REASON_CHARS, `${what}: ${err.code} message of ${err.message.length} chars: ${err.message.slice(0, 300)}…`);
  assert.match(err.message, MESSAGE_SHAPES[err.code], `${what}: ${err.code}`);
  const { agent, seq, type } = err.partial;
  assert.ok(agent === undefined || (typeof agent === 'string' && agent.length <= 100), `${what}: partial.agent`);
  assert.ok(seq === undefined || typeof seq === 'number', `${what}: partial.seq`);
  assert.ok(type === undefined || (typeof type === 'string' && type.length <= 40), `${what}: partial.type`);
}

/** An accepted envelope is valid, of a known type, and can be encoded (as `encodings`) and decoded again. */
function assertGoodEnvelope(env: Envelope, what: string, encodings: readonly Encoding[] = ENCODINGS): void {
  assert.equal(env.v, 1, what);
  assert.ok((MESSAGE_TYPES as readonly string[]).includes(env.type), `${what}: type ${String(env.type)}`);
  assert.ok(Number.isSafeInteger(env.seq) && env.seq >= 1, `${what}: seq ${env.seq}`);
  assert.ok(Number.isSafeInteger(env.ts) && env.ts >= 0, `${what}: ts ${env.ts}`);
  assert.match(env.agent, idPattern, what);
  if (env.instance !== undefined) assert.match(env.instance, idPattern, what);
  assert.equal(validateEnvelope(env), env, `${what}: validating again`);
  for (const encoding of encodings) {
    let again: Uint8Array;
    try {
      again = encodeEnvelope(env, encoding);
    } catch (err) {
      assertClearError(err, `${what}: encoding the accepted envelope as ${encoding}`);
      assert.equal(err.code, 'PGFLEET_PROTOCOL_TOO_LARGE', `${what}: re-encoding as ${encoding}`);
      continue;
    }
    const back = outcomeOf(() => decodeEnvelope(again, encoding));
    assert.ok(!(back instanceof ProtocolError), `${what}: the accepted envelope, encoded as ${encoding}, is refused: ${(back as Error).message}`);
  }
}

/**
 * Feeds one input to decodeEnvelope and checks the outcome is an accepted envelope or a
 * clear ProtocolError. Every other input also goes through decodeValue + validateEnvelope,
 * which must agree (the same work again: all of them would double the run time).
 */
function feed(bytes: Uint8Array, what: string, encoding?: Encoding): Envelope | ProtocolError {
  const n = fed.inputs++;
  const label = `${what} [${bytes.length} bytes${encoding ? `, as ${encoding}` : ''}: ${hex(bytes)}]`;
  const t0 = performance.now();
  let out: Envelope | ProtocolError;
  try {
    out = outcomeOf(() => decodeEnvelope(bytes, encoding));
  } catch (err) {
    assertClearError(err, `${label} decodeEnvelope`);
    throw err;
  }
  const ms = performance.now() - t0;
  if (ms > slowest.ms) slowest = { ms, what: label.slice(0, 200) };
  if (out instanceof ProtocolError) assertClearError(out, label);
  else assertGoodEnvelope(out, label, [ENCODINGS[n % 2]]);
  if (n % 2 === 0) {
    let split: Envelope | ProtocolError;
    try {
      split = outcomeOf(() => validateEnvelope(decodeValue(bytes, encoding)));
    } catch (err) {
      assertClearError(err, `${label} decodeValue + validateEnvelope`);
      throw err;
    }
    if (out instanceof ProtocolError) {
      assert.ok(split instanceof ProtocolError, `${label}: decodeValue + validateEnvelope accepted what decodeEnvelope refused`);
      assert.equal(split.code, out.code, label);
      assert.equal(split.message, out.message, label);
    } else {
      assert.ok(!(split instanceof ProtocolError), `${label}: decodeValue + validateEnvelope refused what decodeEnvelope accepted`);
    }
  }
  const key = out instanceof ProtocolError ? out.code : 'ok';
  outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
  return out;
}

/** Feeds a value that never went through bytes (it may hold NaN, Dates, typed arrays, own __proto__ keys) to validateEnvelope. */
function feedValue(value: unknown, what: string): void {
  fed.inputs++;
  let out: Envelope;
  try {
    out = validateEnvelope(value);
  } catch (err) {
    assertClearError(err, `${what} validateEnvelope`);
    return;
  }
  assertGoodEnvelope(out, `${what} validateEnvelope`);
}

function someEnvelope(r: Rand, i: number): Envelope {
  const type = MESSAGE_TYPES[i % MESSAGE_TYPES.length];
  return validEnvelope(r, type, { agent: `agent-${r.int(50)}`, seq: r.range(1, 2 ** 40), ts: TS + r.int(1e6), instance: r.chance(0.8) ? `main-${r.int(9)}` : undefined });
}

/** Encodes as asked, or as JSON when MessagePack cannot hold the value (deeper than its encoder's 100 levels). */
function encodeSome(value: unknown, encoding: Encoding): [Uint8Array, Encoding] {
  if (encoding === 'msgpack') {
    try { return [encodeValue(value, 'msgpack'), 'msgpack']; } catch { /* too deep for the encoder */ }
  }
  return [encodeValue(value, 'json'), 'json'];
}

test('fuzz: 10,000 valid envelopes of every type and both encodings decode unchanged', TIMEOUT, () => {
  const r = new Rand(0xf0220001);
  for (let i = 0; i < 10_000; i++) {
    const env = someEnvelope(r, i);
    const encoding = ENCODINGS[(i >> 1) % 2];
    const bytes = encodeEnvelope(env, encoding);
    const out = feed(bytes, `valid #${i} ${env.type}`, i % 3 === 0 ? encoding : undefined);
    assert.ok(!(out instanceof ProtocolError), `valid #${i} ${env.type} (${encoding}) refused: ${(out as Error).message}`);
    assert.deepEqual(out, env, `valid #${i}`);
  }
});

test('fuzz: 40,000 byte mutations of valid envelopes (flips, truncation, insertion, duplicated ranges, MessagePack type bytes)', TIMEOUT, () => {
  const r = new Rand(0xf0220002);
  for (let i = 0; i < 40_000; i++) {
    const env = someEnvelope(r, i);
    const encoding = ENCODINGS[i % 2];
    const bytes = mutateBytes(r, encodeEnvelope(env, encoding), encoding);
    // Mostly sniffed as the ingest route's content type would say, sometimes forced to the wrong decoder.
    const as = r.chance(0.6) ? undefined : r.chance(0.8) ? encoding : ENCODINGS[1 - (i % 2)];
    feed(bytes, `byte mutation #${i} of ${env.type}/${encoding}`, as);
  }
});

test('fuzz: 30,000 value mutations (wrong types, huge numbers, NaN, deep nesting, long strings, extra, missing and polluting keys)', TIMEOUT, () => {
  const r = new Rand(0xf0220003);
  for (let i = 0; i < 30_000; i++) {
    const env = someEnvelope(r, i);
    const value = mutateValue(r, env, TS);
    const [bytes, encoding] = encodeSome(value, ENCODINGS[i % 2]);
    feed(bytes, `value mutation #${i} of ${env.type}/${encoding}`, i % 4 === 0 ? encoding : undefined);
    if (i % 10 === 0) feedValue(value, `value mutation #${i} of ${env.type}`);
  }
});

test('fuzz: 8,000 JSON text mutations (odd literals, bad escapes, duplicate and polluting keys, BOM, trailing commas)', TIMEOUT, () => {
  const r = new Rand(0xf0220004);
  for (let i = 0; i < 8000; i++) {
    const env = someEnvelope(r, i);
    const bytes = mutateJsonText(r, JSON.stringify(env));
    feed(bytes, `JSON text mutation #${i} of ${env.type}`, i % 2 === 0 ? 'json' : undefined);
  }
});

test('fuzz: 10,000 random inputs (bytes, JSON-like text, envelope-like values)', TIMEOUT, () => {
  const r = new Rand(0xf0220005);
  for (let i = 0; i < 10_000; i++) {
    switch (i % 4) {
      case 0: case 1: feed(randomBytes(r), `random bytes #${i}`, r.chance(0.3) ? r.pick(ENCODINGS) : undefined); break;
      case 2: feed(randomJsonish(r), `random JSON-like text #${i}`); break;
      default: {
        const value = randomEnvelopeLike(r);
        const [bytes, encoding] = encodeSome(value, r.pick(ENCODINGS));
        feed(bytes, `random envelope-like value #${i} (${encoding})`, encoding);
        feedValue(value, `random envelope-like value #${i}`);
      }
    }
  }
});

test('fuzz: edge cases — every single byte, every MessagePack type byte, the size limit, extreme nesting and lengths', TIMEOUT, () => {
  const r = new Rand(0xf0220006);
  const enc = new TextEncoder();
  for (let b = 0; b < 256; b++) {
    feed(Uint8Array.of(b), `the single byte 0x${b.toString(16)}`);
    feed(Uint8Array.of(b), `the single byte 0x${b.toString(16)} as JSON`, 'json');
  }
  // Each type byte with a length that promises far more than follows.
  for (const t of MSGPACK_TYPE_BYTES) {
    for (const tail of [[], [0xff], [0xff, 0xff], [0xff, 0xff, 0xff, 0xff], [0x7f, 0xff, 0xff, 0xff, 0x01], [0x00, 0x00, 0x00, 0x00]]) {
      feed(Uint8Array.of(t, ...tail), `type byte 0x${t.toString(16)} + ${tail.length} bytes`);
      feed(Uint8Array.of(0x81, 0xa1, 0x76, t, ...tail), `map {v: type byte 0x${t.toString(16)} + ${tail.length} bytes}`);
    }
  }
  const good = someEnvelope(r, 0);
  // At, below and past the size limit, padded with white space (JSON) or inside a string (MessagePack).
  for (const size of [MAX_MESSAGE_BYTES - 1, MAX_MESSAGE_BYTES, MAX_MESSAGE_BYTES + 1, 4 * MAX_MESSAGE_BYTES]) {
    const json = enc.encode(JSON.stringify(good));
    const padded = new Uint8Array(size).fill(0x20);
    padded.set(json, 0);
    const out = feed(padded, `${size} bytes of JSON`);
    assert.equal(out instanceof ProtocolError ? out.code : 'ok', size > MAX_MESSAGE_BYTES ? 'PGFLEET_PROTOCOL_TOO_LARGE' : 'ok');
    feed(encodeValue({ ...good, pad: 'p'.repeat(size - 100) }, 'msgpack'), `about ${size} bytes of MessagePack`);
  }
  // Nesting far past MAX_DEPTH: in data, in an extra envelope field, and as the whole body.
  for (const depth of [32, 33, 1000, 100_000]) {
    const deep = `${'['.repeat(depth)}1${']'.repeat(depth)}`;
    const text = JSON.stringify({ ...validEnvelope(r, 'event', { agent: 'a', seq: 1, ts: TS }) });
    feed(enc.encode(text.replace('"message":', `"x":${deep},"message":`)), `event data nested ${depth} deep`);
    feed(enc.encode(text.replace('"data":', `"extra":${deep},"data":`)), `extra envelope field nested ${depth} deep`);
    feed(enc.encode(text.replace(/"details":\{/, `"details":{"deep":${deep},`)), `event details nested ${depth} deep`);
    feed(enc.encode(deep), `a JSON array nested ${depth} deep`);
    const mp = new Uint8Array(depth + 1).fill(0x91);
    mp[depth] = 0x01;
    feed(mp, `a MessagePack array nested ${depth} deep`);
  }
  for (const depth of [31, 33]) feedValue({ ...good, extra: nested(depth, 'object') }, `an extra envelope field nested ${depth} deep`);
  const codeOf = (out: Envelope | ProtocolError) => (out instanceof ProtocolError ? out.code : 'ok');
  // Fields added in later versions get the limits of `data`: an accepted envelope can always be encoded again.
  const extraDeep = enc.encode(JSON.stringify(good).replace('"data":', `"extra":${'['.repeat(1000)}${']'.repeat(1000)},"data":`));
  assert.equal(codeOf(feed(extraDeep, 'an extra field 1000 deep')), 'PGFLEET_PROTOCOL_ENVELOPE');
  // Headers that promise more values than the bytes hold are refused before the decoder allocates for them:
  // 40 nested array32 headers of 2^24 entries (200 bytes) used to exhaust the heap and kill the process.
  for (const [head, what] of [[[0xdd, 0x01, 0x00, 0x00, 0x00], 'array32 of 2^24'], [[0xdc, 0xff, 0xff], 'array16 of 65535'], [[0xdf, 0x00, 0x10, 0x00, 0x00], 'map32 of 2^20']] as const) {
    for (const levels of [40, 100_000]) {
      const b = new Uint8Array(levels * head.length);
      for (let l = 0; l < levels; l++) b.set(head, l * head.length);
      const out = feed(b.subarray(0, Math.min(b.length, MAX_MESSAGE_BYTES)), `${levels} nested ${what} headers`);
      assert.ok(out instanceof ProtocolError && /declares \d+ entries, but only \d+ bytes follow/.test(out.message), `${what}: ${codeOf(out)}`);
    }
  }
  // A JSON "__proto__" key is an own property after JSON.parse; MessagePack refuses it, so JSON does too.
  // Where the schema takes no other keys (the heartbeat's spool) the schema refuses it first, naming it too.
  for (const [text, code] of [
    [JSON.stringify(good).replace('{', '{"__proto__":{"v":2},'), 'PGFLEET_PROTOCOL_ENVELOPE'],
    [JSON.stringify(validEnvelope(r, 'heartbeat', { agent: 'a', seq: 1, ts: TS })).replace('"spool":{', '"spool":{"__proto__":{"x":1},'), 'PGFLEET_PROTOCOL_SCHEMA'],
    [`{"v":1,"type":"metrics","agent":"a","seq":1,"ts":${TS},"data":{"collector":"c","metrics":[{"name":"m","kind":"gauge","points":[{"l":{"__proto__":"v"},"v":1}]}]}}`, 'PGFLEET_PROTOCOL_SCHEMA'],
    [`{"v":1,"type":"event","agent":"a","seq":1,"ts":${TS},"data":{"kind":"k","severity":"info","message":"m","details":{"a":{"__proto__":{"polluted":true}}}}}`, 'PGFLEET_PROTOCOL_SCHEMA'],
  ] as const) {
    const out = feed(enc.encode(text), `a JSON __proto__ key: ${text.slice(0, 60)}`);
    assert.equal(codeOf(out), code, text);
    assert.match((out as ProtocolError).message, /\/__proto__: (the key "__proto__" is not allowed|Unexpected property)/);
  }
  // Long strings and keys where the schema has a limit, and where it has none.
  for (const len of [100, 101, 40_000, 900_000]) {
    feed(encodeValue({ ...good, agent: 'a'.repeat(len) }, 'msgpack'), `agent of ${len} chars`);
    feed(encodeValue({ ...good, type: 't'.repeat(len) }, 'json'), `type of ${len} chars`);
    feed(encodeValue({ ...good, data: { ...good.data, ['k'.repeat(len)]: 1 } }, 'json'), `a data key of ${len} chars`);
    feed(encodeValue({ ...good, ['k'.repeat(len)]: 1 }, 'msgpack'), `an envelope key of ${len} chars`);
    feed(encodeValue({ v: 1, type: 'metrics', agent: 'a', seq: 1, ts: TS, data: { collector: 'c', metrics: [{ name: 'm', kind: 'gauge', points: [{ l: { ['l'.repeat(len)]: 'v' }, v: 1 }] }] } }, 'msgpack'), `a label name of ${len} chars`);
  }
  // Arrays just past their maxItems.
  feed(encodeValue({ v: 1, type: 'metrics', agent: 'a', seq: 1, ts: TS, data: { collector: 'c', metrics: [{ name: 'm', kind: 'gauge', points: Array.from({ length: 100_001 }, () => ({ v: 0 })) }] } }, 'msgpack'), '100,001 points');
  feed(encodeValue({ v: 1, type: 'activity', agent: 'a', instance: 'i', seq: 1, ts: TS, data: { interval_ms: 1, sample_ms: 1, samples: 1, groups: Array.from({ length: 20_001 }, () => ({ state: 'active', backend_type: 'b', n: 1 })) } }, 'msgpack'), '20,001 activity groups');
});

test('fuzz: more than 100,000 inputs fed, every outcome reached, none slow', () => {
  assert.ok(fed.inputs >= 100_000, `only ${fed.inputs} inputs`);
  for (const code of ['ok', ...PROTOCOL_ERROR_CODES] as const) assert.ok((outcomes.get(code) ?? 0) > 0, `no input ended as ${code}: ${JSON.stringify([...outcomes])}`);
  // A generous bound: the slowest inputs are the 1 MiB ones; anything near a second is a hang in the making.
  assert.ok(slowest.ms < 2000, `${slowest.what} took ${slowest.ms.toFixed(0)} ms`);
  console.log(`# fuzz: ${fed.inputs} inputs; outcomes ${JSON.stringify(Object.fromEntries(outcomes))}; slowest ${slowest.ms.toFixed(1)} ms (${slowest.what.slice(0, 80)})`);
});
