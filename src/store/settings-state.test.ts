import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SettingEntry } from '../protocol/index.ts';
import { diffSettings, replaySettings, type SettingsRow } from './settings-state.ts';

const e = (name: string, setting: string, more: Partial<SettingEntry> = {}): SettingEntry =>
  ({ name, setting, vartype: 'integer', context: 'user', source: 'default', pending_restart: false, ...more });
const full = (ts: number, ...settings: SettingEntry[]): SettingsRow => ({ ts, full: true, settings, removed: null, conf_load_time: ts - 1 });
const delta = (ts: number, settings: SettingEntry[], removed: string[] | null = null): SettingsRow => ({ ts, full: false, settings, removed, conf_load_time: null });

test('the state at a moment: a full snapshot, then changes; the first full snapshot is no change', () => {
  const { state, changes } = replaySettings([
    delta(300, [e('work_mem', '65536', { source: 'configuration file' })]),
    full(100, e('work_mem', '4096'), e('jit', 'on', { vartype: 'bool' })),
    delta(200, [], ['jit']),
  ]);
  assert.equal(state.complete, true);
  assert.equal(state.asOf, 300);
  assert.equal(state.confLoadTime, 99, 'a change without conf_load_time keeps the last one');
  assert.deepEqual([...state.settings.keys()], ['work_mem']);
  assert.equal(state.settings.get('work_mem')!.setting, '65536');
  assert.deepEqual(changes.map((c) => [c.ts, c.name, c.before?.setting ?? null, c.after?.setting ?? null]), [[200, 'jit', 'on', null], [300, 'work_mem', '4096', '65536']]);
});

test('a later full snapshot reports what it changes: values, pending restarts, settings gone and new', () => {
  const { changes } = replaySettings([
    full(100, e('shared_buffers', '16384'), e('jit', 'on'), e('work_mem', '4096')),
    full(200, e('shared_buffers', '16384', { pending_restart: true }), e('work_mem', '4096'), e('io_method', 'worker')),
  ]);
  assert.deepEqual(changes.map((c) => [c.name, c.before === null, c.after === null]), [['io_method', true, false], ['jit', false, true], ['shared_buffers', false, false]]);
  assert.equal(changes[2].after!.pending_restart, true);
});

test('without a full snapshot the state is incomplete and holds what was seen changing', () => {
  const { state, changes } = replaySettings([delta(100, [e('work_mem', '8192')])]);
  assert.equal(state.complete, false);
  assert.equal(state.settings.size, 1);
  assert.equal(changes.length, 1);
});

test('the difference of two states: changed, added and removed settings; the category alone is no difference', () => {
  const a = replaySettings([full(1, e('a', '1'), e('b', '2', { category: 'X' }), e('c', '3'))]).state;
  const b = replaySettings([full(2, e('b', '2', { category: 'Y' }), e('c', '4'), e('d', '5'))]).state;
  assert.deepEqual(diffSettings(a, b).map((d) => [d.name, d.before?.setting ?? null, d.after?.setting ?? null]), [['a', '1', null], ['c', '3', '4'], ['d', null, '5']]);
  assert.deepEqual(diffSettings(b, b), []);
});
