import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareEffect, effectMeasures, meanOf } from './effects.ts';

test('a setting names what it acts on; transactions/s are always compared', () => {
  assert.deepEqual(effectMeasures(['work_mem']).map((m) => m.key), ['tps', 'temp_bytes']);
  assert.deepEqual(effectMeasures(['max_wal_size', 'checkpoint_timeout']).map((m) => m.key), ['tps', 'checkpoints_req', 'wal_fpi']);
  assert.deepEqual(effectMeasures(['log_lock_waits']).map((m) => m.key), ['tps']);
  assert.deepEqual(effectMeasures(['shared_buffers']).map((m) => [m.key, m.better]), [['tps', 'higher'], ['cache_miss', 'lower']]);
});

test('before and after: relative change, ±5 % is the same, the better direction decides', () => {
  const [, temp] = effectMeasures(['work_mem']);
  assert.deepEqual(compareEffect(temp, 1000, 100), { key: 'temp_bytes', label: temp.label, unit: 'bytes_per_s', before: 1000, after: 100, change: -0.9, verdict: 'better' });
  assert.equal(compareEffect(temp, 1000, 1030).verdict, 'same');
  assert.equal(compareEffect(temp, 1000, 2000).verdict, 'worse');
  assert.equal(compareEffect(temp, 0, 0).verdict, 'same');
  assert.equal(compareEffect(temp, 0, 5).verdict, 'unknown', 'from nothing to something has no relative size');
  assert.equal(compareEffect(temp, null, 5).verdict, 'unknown');
  assert.equal(meanOf([1, null, 3]), 2);
  assert.equal(meanOf([null]), null);
});
