import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encode as pack } from '@msgpack/msgpack';
import { arrayItems, decodeValue, ProtocolError, type Encoding } from './index.ts';
import { encodeValue, mutateBytes, mutateJsonText, Rand, validEnvelope } from '../../test/harness/fuzz.ts';
import { MESSAGE_TYPES } from './messages.ts';

const enc = new TextEncoder();

/** The elements as arrayItems cuts them, each decoded on its own. */
function decodedItems(bytes: Uint8Array, encoding: Encoding): unknown[] | undefined {
  return arrayItems(bytes, encoding)?.map((b) => decodeValue(b, encoding));
}

test('arrayItems: each element of an array, as bytes that decode to what decoding the whole array gives', () => {
  const r = new Rand(11);
  for (let n = 0; n < 300; n++) {
    const list = Array.from({ length: r.range(0, 12) }, (_, i) => validEnvelope(r, r.pick(MESSAGE_TYPES), { agent: 'a', seq: i + 1, ts: 1_700_000_000_000, instance: 'i-1' }));
    for (const encoding of ['json', 'msgpack'] as const) {
      assert.deepEqual(decodedItems(encodeValue(list, encoding), encoding), decodeValue(encodeValue(list, encoding), encoding), `${encoding} ${n}`);
    }
  }
});

test('arrayItems: JSON strings holding brackets, commas, quotes and escapes, nesting, white space and a BOM', () => {
  const values = ['[', ']', ',', '"', '\\', '\\"]', '{"a":[1,2]}', 'é😀', { a: [1, { b: ']' }], '"': '[' }, [], {}, null, -1.5e3, true];
  const text = `\ufeff \n[ ${values.map((v) => JSON.stringify(v)).join(' ,\t')} ] \r\n`;
  assert.deepEqual(decodedItems(enc.encode(text), 'json'), values);
  assert.deepEqual(decodedItems(enc.encode('[]'), 'json'), []);
  assert.deepEqual(decodedItems(enc.encode(' [ ] '), 'json'), []);
});

test('arrayItems: MessagePack of every kind of value, and arrays of 16- and 32-bit length', () => {
  const values = [0, 127, -1, -33, 255, 65_535, 2 ** 32, -(2 ** 40), 1.5, 'a', 'x'.repeat(40), 'y'.repeat(300), 'z'.repeat(70_000),
    new Uint8Array(3), new Uint8Array(300), new Uint8Array(70_000), null, true, false, [1, [2, [3]]], { a: { b: [1, 'c'] } },
    Array.from({ length: 20 }, (_, i) => i), Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i]))];
  assert.deepEqual(decodedItems(pack(values), 'msgpack'), values);
  const many = Array.from({ length: 70_000 }, (_, i) => i % 3);
  assert.equal(pack(many)[0], 0xdd, 'array32');
  assert.deepEqual(decodedItems(pack(many), 'msgpack'), many);
  const some = Array.from({ length: 20 }, (_, i) => i);
  assert.equal(pack(some)[0], 0xdc, 'array16');
  assert.deepEqual(decodedItems(pack(some), 'msgpack'), some);
  // An extension value is cut out like any other, and decodeValue says what it is.
  const ext = Uint8Array.from([0x92, 0xd4, 0x01, 0x02, 0x07]);
  assert.deepEqual(arrayItems(ext, 'msgpack')!.map((b) => [...b]), [[0xd4, 0x01, 0x02], [0x07]]);
});

test('arrayItems: anything but an array is undefined', () => {
  for (const text of ['{"v":1}', '"a"', '1', 'null', '', '   ', '\ufeff{}']) assert.equal(arrayItems(enc.encode(text), 'json'), undefined, text);
  for (const value of [{ v: 1 }, 'a', 1, null]) assert.equal(arrayItems(pack(value), 'msgpack'), undefined, JSON.stringify(value));
  assert.equal(arrayItems(new Uint8Array(0), 'msgpack'), undefined);
});

test('arrayItems: a malformed array is PGFLEET_PROTOCOL_DECODE, saying what is wrong', () => {
  const bad: [string | Uint8Array, Encoding, RegExp][] = [
    ['[1,2', 'json', /not closed/], ['[1,]', 'json', /empty array element/], ['[,1]', 'json', /empty array element/], ['[1,,2]', 'json', /empty array element/],
    ['[1] 2', 'json', /after the array/], ['[{]}', 'json', /unbalanced/], ['["a]', 'json', /not closed/], ['[1}', 'json', /unbalanced/],
    [Uint8Array.from([0x93, 0x01, 0x02]), 'msgpack', /declares 3 elements, but only 2 bytes follow/], [Uint8Array.from([0x93, 0x91, 0x01, 0x01]), 'msgpack', /ends inside an array element/],
    [Uint8Array.from([0x91, 0x01, 0x02]), 'msgpack', /1 bytes after the array/],
    [Uint8Array.from([0xdd, 0xff, 0xff, 0xff, 0xff, 0x01]), 'msgpack', /declares 4294967295 elements/],
    [Uint8Array.from([0x91, 0xdd, 0x01, 0x00, 0x00, 0x00]), 'msgpack', /more elements than/],
    [Uint8Array.from([0x91, 0xdb, 0xff, 0xff, 0xff, 0xff]), 'msgpack', /declares 4294967295 bytes/],
    [Uint8Array.from([0x91, 0xc1]), 'msgpack', /0xc1/],
    [Uint8Array.from([0x91, 0xcd, 0x01]), 'msgpack', /declares 2 bytes/],
    [Uint8Array.from([0x91, 0xda, 0x01]), 'msgpack', /inside the header/],
  ];
  for (const [input, encoding, re] of bad) {
    const bytes = typeof input === 'string' ? enc.encode(input) : input;
    assert.throws(() => arrayItems(bytes, encoding), (err) => err instanceof ProtocolError && err.code === 'PGFLEET_PROTOCOL_DECODE' && re.test(err.message), String(input));
  }
});

test('arrayItems on damaged bytes: elements or a DECODE error, nothing else, fast', () => {
  const r = new Rand(12);
  const started = performance.now();
  for (let n = 0; n < 5000; n++) {
    const encoding = r.pick(['json', 'msgpack'] as const);
    const list = Array.from({ length: r.range(1, 6) }, (_, i) => validEnvelope(r, r.pick(MESSAGE_TYPES), { agent: 'a', seq: i + 1, ts: 1, instance: 'i-1' }));
    const bytes = encoding === 'json' && r.chance(0.5) ? mutateJsonText(r, JSON.stringify(list)) : mutateBytes(r, encodeValue(list, encoding), encoding);
    try {
      const items = arrayItems(bytes, encoding);
      if (items) assert.ok(items.every((b) => b.length > 0) && items.reduce((s, b) => s + b.length, 0) <= bytes.length);
    } catch (err) {
      assert.ok(err instanceof ProtocolError && err.code === 'PGFLEET_PROTOCOL_DECODE', String(err));
    }
  }
  // Deep nesting is walked without recursion.
  const deep = enc.encode(`[${'['.repeat(500_000)}${']'.repeat(500_000)}]`);
  assert.equal(arrayItems(deep, 'json')!.length, 1);
  const deepPack = new Uint8Array(500_001).fill(0x91);
  deepPack[500_000] = 0x01;
  assert.equal(arrayItems(deepPack, 'msgpack')!.length, 1);
  assert.ok(performance.now() - started < 10_000);
});
