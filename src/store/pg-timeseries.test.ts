import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labelsKey } from './pg-timeseries.ts';

test('labelsKey does not depend on the order of the labels', () => {
  assert.equal(labelsKey({ datname: 'app', state: 'idle' }), labelsKey({ state: 'idle', datname: 'app' }));
  assert.equal(labelsKey({ a: '1', b: '2', c: '3' }), labelsKey({ c: '3', a: '1', b: '2' }));
});

test('labelsKey: integer-like keys (which objects enumerate first) sort like any other key', () => {
  const a: Record<string, string> = { '10': 'x', '9': 'y', b: 'z' };
  const b: Record<string, string> = {};
  b.b = 'z';
  b['9'] = 'y';
  b['10'] = 'x';
  assert.equal(labelsKey(a), labelsKey(b));
});

test('labelsKey: every permutation of five labels gives one key', () => {
  const entries = [['mode', 'user'], ['cpu', '3'], ['device', 'sda'], ['Z', 'upper'], ['_', 'under']];
  const keys = new Set<string>();
  const permute = (rest: string[][], acc: string[][]) => {
    if (rest.length === 0) { keys.add(labelsKey(Object.fromEntries(acc))); return; }
    rest.forEach((e, i) => permute([...rest.slice(0, i), ...rest.slice(i + 1)], [...acc, e]));
  };
  permute(entries, []);
  assert.equal(keys.size, 1);
});

test('labelsKey tells different label sets apart', () => {
  const sets: Record<string, string>[] = [
    {}, { a: '' }, { a: '1' }, { a: '2' }, { b: '1' }, { a: '1', b: '' }, { a: '1', b: '2' }, { a: '2', b: '1' },
    // Values and keys that look like the key's own syntax must not collide.
    { a: '1","b' }, { 'a","1': 'b' }, { a: '[["b"' }, { 'a|b': 'c' }, { a: 'b|c' }, { a: '\u0000' }, { a: 'é' }, { a: 'e\u0301' },
  ];
  const keys = sets.map(labelsKey);
  assert.equal(new Set(keys).size, sets.length, keys.join('\n'));
});

test('labelsKey of no labels is stable', () => {
  assert.equal(labelsKey({}), labelsKey({}));
  assert.equal(labelsKey({}), '[]');
});
