import { test } from 'node:test';
import assert from 'node:assert/strict';
import { numberArray } from './pg-array.ts';

test('numberArray: array text that int[], bigint[] and float8[] read back as the same numbers', () => {
  assert.equal(numberArray([]), '{}');
  assert.equal(numberArray([1, -2, 2.5, null]), '{1,-2,2.5,NULL}');
  assert.equal(numberArray([NaN, Infinity, -Infinity, 1e21, 1e-7]), '{NaN,Infinity,-Infinity,1e+21,1e-7}');
  assert.equal(numberArray(['-9223372036854775808', '1700000000123']), '{-9223372036854775808,1700000000123}');
});

test('numberArray: text that is not an integer, and undefined, are refused rather than shifting the elements', () => {
  for (const bad of ['1,2', 'NULL', '{1}', '1.5', '', ' 1']) assert.throws(() => numberArray(['1', bad]), /element 1 is the text/);
  assert.throws(() => numberArray([1, undefined as unknown as number]), /element 1 is undefined, not a number/);
});
