import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SettingsSampler } from './settings.ts';

const row = (name: string, setting: string, more: Record<string, unknown> = {}) => ({
  name, setting, unit: null, vartype: 'integer', context: 'user', category: 'Resource Usage', source: 'default',
  sourcefile: null, sourceline: null, pending_restart: false, boot_val: setting, reset_val: setting, conf_load_time: 1_700_000_000_000, ...more,
});

test('every setting first, then only changes and removals, nothing when nothing changed; a full snapshot again after a day', () => {
  const s = new SettingsSampler(86_400_000);
  const first = s.next([row('jit', 'on'), row('work_mem', '4096', { unit: 'kB' })], 0)!;
  assert.equal(first.full, true);
  assert.deepEqual(first.settings.map((x) => x.name), ['jit', 'work_mem']);
  assert.equal(first.settings[1].unit, 'kB');
  assert.equal(first.settings[0].sourcefile, undefined, 'null columns are left out');
  assert.equal(first.conf_load_time, 1_700_000_000_000);
  assert.equal(s.next([row('jit', 'on'), row('work_mem', '4096', { unit: 'kB' })], 60_000), undefined);
  const changed = s.next([row('work_mem', '65536', { unit: 'kB', source: 'configuration file', sourcefile: '/data/postgresql.auto.conf', sourceline: 3 })], 120_000)!;
  assert.equal(changed.full, false);
  assert.deepEqual(changed.settings.map((x) => [x.name, x.setting, x.source, x.sourceline]), [['work_mem', '65536', 'configuration file', 3]]);
  assert.deepEqual(changed.removed, ['jit']);
  assert.equal(s.next([row('work_mem', '65536', { unit: 'kB', source: 'configuration file', sourcefile: '/data/postgresql.auto.conf', sourceline: 3, pending_restart: 't' })], 180_000)!.settings[0].pending_restart, true);
  assert.equal(s.next([row('work_mem', '1')], 86_400_000)!.full, true);
  s.forget();
  assert.equal(s.next([row('work_mem', '1')], 86_400_001)!.full, true, 'after forget() every setting again');
});
