import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LruMap } from './lru-map.ts';

test('an LruMap keeps the recently used entries and drops the oldest tenth when full', () => {
  const m = new LruMap<number, string>(20);
  for (let i = 0; i < 20; i++) m.set(i, `v${i}`);
  assert.equal(m.get(0), 'v0'); // 0 becomes the newest
  m.set(20, 'v20'); // full: the two oldest (1 and 2) go
  assert.equal(m.size, 19);
  assert.equal(m.has(1), false);
  assert.equal(m.has(2), false);
  assert.equal(m.get(0), 'v0');
  assert.equal(m.get(3), 'v3');
  assert.equal(m.get(20), 'v20');
  m.set(3, 'w3'); // replacing an entry does not evict
  assert.equal(m.size, 19);
  assert.equal(m.get(3), 'w3');
});
