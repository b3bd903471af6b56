import { test } from 'node:test';
import assert from 'node:assert/strict';
import { numberArray } from './pg-array.ts';

test('numberArray: array text that int[], bigint[] and float8[] read back as the same numbers', () => {
  assert.equal(numberArray([]), '{}');
  assert.equal(numberArray([1, -2, 2.5, null, undefined]), '{1,-2,2.5,NULL,NULL}');
  assert.equal(numberArray([NaN, Infinity, -Infinity, 1e21, 1e-7]), '{NaN,Infinity,-Infinity,1e+21,1e-7}');
  assert.equal(numberArray(['-9223372036854775808', '1700000000123']), '{-9223372036854775808,1700000000123}');
});
