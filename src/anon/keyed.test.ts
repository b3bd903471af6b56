import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedStream, sipHash24 } from './keyed.ts';

const hex = ([lo, hi]: [number, number]): string => hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');

test('SipHash-2-4 gives the reference vectors (key 00..0f, message 00..n-1)', () => {
  const keyBytes = Buffer.from(Array.from({ length: 16 }, (_, i) => i));
  const k = new Uint32Array([keyBytes.readUInt32LE(0), keyBytes.readUInt32LE(4), keyBytes.readUInt32LE(8), keyBytes.readUInt32LE(12)]);
  const msg = Uint8Array.from({ length: 64 }, (_, i) => i);
  // From the SipHash paper's appendix and its reference implementation's vectors.
  assert.equal(hex(sipHash24(k, msg, 0)), '726fdb47dd0e0e31');
  assert.equal(hex(sipHash24(k, msg, 15)), 'a129ca6149be45e5');
});

test('a keyed stream is the same for the same key and seed, and different otherwise', () => {
  const draw = (key: string, seed: string) => { const r = new KeyedStream(key, 'test', seed); return Array.from({ length: 8 }, () => r.uint32()); };
  assert.deepEqual(draw('key-one-of-enough-length', 'a'), draw('key-one-of-enough-length', 'a'));
  assert.notDeepEqual(draw('key-one-of-enough-length', 'a'), draw('key-one-of-enough-length', 'b'));
  assert.notDeepEqual(draw('key-one-of-enough-length', 'a'), draw('key-two-of-enough-length', 'a'));
  // Draws spread evenly: 10,000 digits, each decimal digit 8–12 % of them.
  const r = new KeyedStream('k'.repeat(32), 'test', 'spread');
  const counts = new Array(10).fill(0);
  for (let i = 0; i < 10_000; i++) counts[r.below(10)]++;
  for (const c of counts) assert.ok(c > 800 && c < 1200, String(counts));
});
