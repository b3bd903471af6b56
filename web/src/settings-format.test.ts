import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatSettingValue, isNonDefault, settingContext, settingSource } from './settings-format.ts';

const int = (unit?: string) => ({ vartype: 'integer', ...(unit ? { unit } : {}) });

test('sizes and times in their units; -1, 0, text and unitless values as they are', () => {
  assert.equal(formatSettingValue(int('8kB'), '16384'), '128 MiB');
  assert.equal(formatSettingValue(int('kB'), '65536'), '64 MiB');
  assert.equal(formatSettingValue(int('MB'), '1024'), '1 GiB');
  assert.equal(formatSettingValue(int('ms'), '200'), '200 ms');
  assert.equal(formatSettingValue(int('s'), '300'), '5 min');
  assert.equal(formatSettingValue(int('min'), '60'), '60 min');
  assert.equal(formatSettingValue(int('ms'), '-1'), '-1');
  assert.equal(formatSettingValue(int('ms'), '0'), '0');
  assert.equal(formatSettingValue(int(), '100'), '100');
  assert.equal(formatSettingValue({ vartype: 'real' }, '0.9'), '0.9');
  assert.equal(formatSettingValue({ vartype: 'string' }, ''), '""');
  assert.equal(formatSettingValue({ vartype: 'enum' }, 'replica'), 'replica');
  assert.equal(formatSettingValue(int('8kB'), undefined), '—');
});

test('context, source and default', () => {
  assert.equal(settingContext('postmaster').label, 'restart');
  assert.equal(settingContext('sighup').label, 'reload');
  const s = { name: 'work_mem', setting: '65536', vartype: 'integer', context: 'user', source: 'configuration file', sourcefile: '/data/postgresql.auto.conf', sourceline: 3, pending_restart: false };
  assert.equal(settingSource(s), 'configuration file (postgresql.auto.conf:3)');
  assert.equal(isNonDefault(s), true);
  assert.equal(isNonDefault({ ...s, source: 'default' }), false);
});
