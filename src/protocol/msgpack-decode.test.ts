// The common-case decoder either leaves a value to @msgpack/msgpack (UNSURE) or gives exactly
// what @msgpack/msgpack gives: checked on valid envelopes of every type, on their mutated bytes,
// on random bytes and on values that need the full decoder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decode as unpack, encode as pack } from '@msgpack/msgpack';
import { decodeCommonMsgpack, UNSURE } from './msgpack-decode.ts';
import { MESSAGE_TYPES } from './messages.ts';
import { mutateBytes, mutateValue, nested, randomBytes, Rand, validEnvelope, weirdValue } from '../../test/harness/fuzz.ts';

/** What @msgpack/msgpack makes of the bytes: its value, or that it throws. */
function full(b: Uint8Array): { value: unknown } | { threw: string } {
  try { return { value: unpack(b) }; } catch (err) { return { threw: (err as Error).message }; }
}

/** Decodes with both; returns whether the common decoder decided. Fails when it decided otherwise than the full one. */
function agrees(b: Uint8Array, what: string): boolean {
  const common = decodeCommonMsgpack(b);
  if (common === UNSURE) return false;
  const f = full(b);
  assert.ok('value' in f, `${what}: the common decoder gave a value where @msgpack/msgpack throws (${'threw' in f ? f.threw : ''})`);
  assert.deepStrictEqual(common, f.value, what);
  return true;
}

test('valid envelopes of every type decode as @msgpack/msgpack decodes them, none left to it', () => {
  const r = new Rand(11);
  for (let i = 0; i < 4000; i++) {
    const type = MESSAGE_TYPES[i % MESSAGE_TYPES.length];
    const env = validEnvelope(r, type, { agent: `agent-${r.int(50)}`, seq: r.range(1, 2 ** 40), ts: 1_700_000_000_123 + r.int(1e9), instance: `main-${r.int(9)}` });
    assert.ok(agrees(pack(env), `${type} #${i}`), `${type} #${i} was left to the full decoder`);
  }
});

test('mutated envelopes and random bytes: the same value as @msgpack/msgpack, or left to it', () => {
  const r = new Rand(12);
  let decided = 0;
  let left = 0;
  for (let i = 0; i < 20_000; i++) {
    const type = MESSAGE_TYPES[i % MESSAGE_TYPES.length];
    const env = validEnvelope(r, type, { agent: `a${r.int(9)}`, seq: r.range(1, 1e6), ts: 1_700_000_000_000 + r.int(1e9), instance: `main-${r.int(9)}` });
    let b: Uint8Array;
    if (i % 3 === 0) b = mutateBytes(r, pack(env), 'msgpack');
    else if (i % 3 === 1) { try { b = pack(mutateValue(r, env)); } catch { continue; } } else b = randomBytes(r);
    if (agrees(b, `input #${i}`)) decided++; else left++;
  }
  // Both outcomes occur, so the test checks both paths.
  assert.ok(decided > 1000 && left > 1000, `decided ${decided}, left ${left}`);
});

test('numbers of every width, text of every length and script, and containers of every header decode as @msgpack/msgpack decodes them', () => {
  const r = new Rand(13);
  const numbers = [0, 1, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, 2 ** 53 + 2, 2 ** 63, 2 ** 64, -1, -32, -33, -128, -129,
    -32768, -32769, -(2 ** 31), -(2 ** 31) - 1, -(2 ** 53), 0.5, -0, 1e-320, 1e308, NaN, Infinity, -Infinity, 1.7e12];
  for (const n of numbers) assert.ok(agrees(pack(n), `number ${n}`), `number ${n} was left to the full decoder`);
  // A float32 (0xca) is not what @msgpack/msgpack's encoder writes by default, but other encoders do.
  assert.ok(agrees(new Uint8Array([0xca, 0x3f, 0xc0, 0x00, 0x00]), 'float32 1.5'));
  for (const len of [0, 1, 24, 25, 31, 32, 255, 256, 65535, 65536]) {
    assert.ok(agrees(pack('x'.repeat(len)), `ascii text of ${len}`), `ascii text of ${len}`);
    assert.ok(agrees(pack('ж'.repeat(len)), `cyrillic text of ${len}`), `cyrillic text of ${len}`);
  }
  for (const s of ['😀', 'é\u0301', '\u0000', '\uffff', 'a\u202eb', '日本語のテキスト']) assert.ok(agrees(pack({ [s]: s }), `text ${JSON.stringify(s)}`));
  for (const n of [0, 15, 16, 65535, 65536]) {
    assert.ok(agrees(pack(Array.from({ length: n }, (_, i) => i)), `array of ${n}`));
    assert.ok(agrees(pack(Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]))), `map of ${n}`));
  }
  // The cache keeps a copy of the bytes, not a view into the caller's Buffer: the same bytes
  // changed in place (a reused frame) give the new text, not the cached one.
  const frame = Buffer.from(pack({ name: 'q100014' }));
  assert.deepEqual(decodeCommonMsgpack(frame), { name: 'q100014' });
  frame.set(pack({ name: 'q100100' }));
  assert.deepEqual(decodeCommonMsgpack(frame), { name: 'q100100' });
  // The cache of short text gives the same strings whatever came before: many distinct ones, then again.
  const words = Array.from({ length: 20_000 }, () => r.word(1, 24, 'abcdefgh'));
  for (let round = 0; round < 2; round++) assert.ok(agrees(pack(words), `20,000 short words, round ${round}`));
});

test('what only the full decoder reads is left to it: binary, extensions, other keys, __proto__, depth, invalid UTF-8, a byte order mark, lengths past the end, trailing bytes', () => {
  const r = new Rand(14);
  const cases: [string, Uint8Array][] = [
    ['binary', pack(new Uint8Array([1, 2, 3]))],
    ['timestamp extension', pack(new Date(1_700_000_000_000))],
    ['a number as a key', new Uint8Array([0x81, 0x01, 0x02])],
    ['__proto__ as a key', new Uint8Array([0x81, 0xa9, ...new TextEncoder().encode('__proto__'), 0x01])],
    ['nested 60 deep', pack(nested(60))],
    ['invalid UTF-8', new Uint8Array([0xa2, 0xc3, 0x28])],
    ['a byte order mark', pack('\ufeffx'.repeat(20))],
    ['an array longer than the bytes', new Uint8Array([0xdd, 0xff, 0xff, 0xff, 0xff, 0x01])],
    ['a map longer than the bytes', new Uint8Array([0xdf, 0x00, 0x01, 0x00, 0x00, 0xa1, 0x61])],
    ['text longer than the bytes', new Uint8Array([0xdb, 0x00, 0x00, 0x10, 0x00, 0x61])],
    ['cut float', new Uint8Array([0xcb, 0x3f, 0xf0])],
    ['trailing bytes', new Uint8Array([0x01, 0x02])],
    ['empty', new Uint8Array(0)],
    ['never used 0xc1', new Uint8Array([0xc1])],
    ['weird value', pack(weirdValue(r))],
  ];
  for (const [what, b] of cases) {
    const common = decodeCommonMsgpack(b);
    if (what === 'weird value') { if (common !== UNSURE) agrees(b, what); continue; }
    assert.equal(common, UNSURE, `${what}: decided instead of leaving it to the full decoder`);
  }
});
