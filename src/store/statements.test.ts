import { test } from 'node:test';
import assert from 'node:assert/strict';
import { latestTexts } from './statements.ts';

test('latestTexts: one text per (instance, queryid), the last one given, with the earliest time, in key order', () => {
  const got = latestTexts([
    { instanceId: 2, queryid: '5', text: 'b1', ts: 30 },
    { instanceId: 1, queryid: '-9223372036854775808', text: 'min', ts: 50 },
    { instanceId: 2, queryid: '5', text: 'b2', ts: 10 },
    { instanceId: 1, queryid: '9223372036854775807', text: 'max', ts: 40 },
    { instanceId: 2, queryid: '05', text: 'b3', ts: 20 }, // the same bigint as '5'
    { instanceId: 1, queryid: '5', text: 'other instance', ts: 60 },
  ]);
  assert.deepEqual(got, [
    { instanceId: 1, queryid: '-9223372036854775808', text: 'min', ts: 50 },
    { instanceId: 1, queryid: '5', text: 'other instance', ts: 60 },
    { instanceId: 1, queryid: '9223372036854775807', text: 'max', ts: 40 },
    { instanceId: 2, queryid: '5', text: 'b3', ts: 10 },
  ]);
  assert.deepEqual(latestTexts([]), []);
});
