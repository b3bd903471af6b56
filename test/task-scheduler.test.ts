// The agent's task scheduler on a fake clock: runs at the cron's times, never two runs of a task at
// once (also when a new task set arrives mid-run), windows, and the missed-run policy after a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { TaskScheduler, type TaskDef } from '../src/agent/commands/scheduler.ts';
import type { CommandExecutor } from '../src/agent/commands/executor.ts';
import { commandPublicKey, generateCommandKeys, signCommand, type Command } from '../src/protocol/index.ts';
import { tempDir } from './harness/index.ts';

const keys = generateCommandKeys();
const T0 = Date.UTC(2026, 10, 24, 0, 59, 0);

function harness(dir: string) {
  let now = T0;
  const runs: { id: number; at: number }[] = [];
  const skips: { id: number; at: number; reason: string }[] = [];
  const pending: (() => void)[] = [];
  const executor = {
    runTask: (t: TaskDef, at: number) => { runs.push({ id: t.id, at }); return new Promise((r) => pending.push(() => r({}))); },
    skipTask: (t: TaskDef, at: number, reason: string) => { skips.push({ id: t.id, at, reason }); },
  } as unknown as CommandExecutor;
  const scheduler = new TaskScheduler({ agent: 'a1', publicKey: commandPublicKey(keys.publicKey), executor, stateDir: dir, now: () => now });
  const sync = (version: number, tasks: TaskDef[]) => {
    const c: Command = { v: 1, id: randomUUID(), agent: 'a1', action: 'tasks_sync', params: { version, tasks }, issued_at: now, expires_at: now + 60_000, by: 'system', lock_timeout_ms: 1000, statement_timeout_ms: 0 };
    return scheduler.accept(signCommand(c, keys.privateKey), c);
  };
  const advance = async (ms: number, step = 250) => {
    for (let t = 0; t < ms; t += step) { now += step; scheduler.tick(); }
    await Promise.resolve();
  };
  const finishAll = async () => { while (pending.length) pending.shift()!(); await new Promise((r) => setImmediate(r)); };
  return { scheduler, sync, advance, finishAll, runs, skips, setNow: (t: number) => { now = t; } };
}

const task = (over: Partial<TaskDef>): TaskDef => ({ id: 1, name: 't', instance: 'db-1', action: 'analyze', params: { database: 'postgres' }, cron: '* * * * * *', missed: 'skip', lock_timeout_ms: 1000, statement_timeout_ms: 0, by: 'task 1', ...over });

test('runs on the second it is due; a run still going makes the next ones skip, also across a new task set', async () => {
  const dir = tempDir();
  try {
    const h = harness(dir.path);
    assert.equal(h.sync(1, [task({ id: 1, cron: '*/2 * * * * *', timezone: 'UTC' })]), undefined);
    await h.advance(2000);
    assert.equal(h.runs.length, 1);
    assert.equal(h.runs[0].at % 2000, 0, 'due on an even second');
    // A new set arrives while the run goes on: the task is the same, its run still counts.
    assert.equal(h.sync(2, [task({ id: 1, cron: '*/2 * * * * *', timezone: 'UTC' }), task({ id: 2, instance: 'db-2', cron: '0 0 3 * * *' })]), undefined);
    await h.advance(4000);
    assert.equal(h.runs.length, 1, 'no second run while the first goes on');
    assert.deepEqual(h.skips.map((s) => s.reason), ['the previous run is still running', 'the previous run is still running']);
    await h.finishAll();
    await h.advance(2000);
    assert.equal(h.runs.length, 2, 'runs again once the first ended');
    assert.equal(h.sync(1, []), 'task set version 1 is older than the one held (2)', 'an older set is a replay');
  } finally { dir.remove(); }
});

test('outside its window a run is skipped; after a restart a missed run is skipped or run once, as the task says', async () => {
  const dir = tempDir();
  try {
    const h = harness(dir.path);
    // Every minute, window 01:00–02:00 UTC; the clock starts at 00:58:50.
    h.setNow(Date.UTC(2026, 10, 24, 0, 58, 50));
    h.sync(1, [task({ id: 1, cron: '0 * * * * *', timezone: 'UTC', window: { start: '01:00', end: '02:00' } }), task({ id: 2, cron: '30 * * * * *', timezone: 'UTC', missed: 'run' })]);
    await h.advance(71_000, 500);
    assert.deepEqual(h.skips.map((s) => [s.id, new Date(s.at).toISOString(), s.reason]), [[1, '2026-11-24T00:59:00.000Z', 'outside its window 01:00–02:00']]);
    assert.deepEqual(h.runs.map((r) => [r.id, new Date(r.at).toISOString()]), [[2, '2026-11-24T00:59:30.000Z'], [1, '2026-11-24T01:00:00.000Z']]);
    await h.finishAll();

    // The agent is down for ten minutes; a new scheduler reads the kept set and last runs.
    const later = harness(dir.path);
    later.setNow(Date.UTC(2026, 10, 24, 1, 10, 10));
    later.scheduler.load();
    assert.deepEqual(later.skips.map((s) => [s.id, new Date(s.at).toISOString(), s.reason]), [[1, '2026-11-24T01:10:00.000Z', 'missed while the agent was down (missed-run policy: skip)']]);
    assert.deepEqual(later.runs.map((r) => [r.id, new Date(r.at).toISOString()]), [[2, '2026-11-24T01:09:30.000Z']], 'the latest missed run, once');
  } finally { dir.remove(); }
});
