import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from './agent.ts';
import { splitMetrics } from '../protocol/index.ts';
import { NoopTransport } from './transport/index.ts';
import { decodeEnvelope, type Envelope, type MetricsData, type StatementsData } from '../protocol/index.ts';

const family = (name: string, n: number) => ({
  name, kind: 'gauge' as const, points: Array.from({ length: n }, (_, i) => ({ l: { table: `public.table_with_a_long_name_${i}`, schema: 'public' }, v: i })),
});

/** An agent with no target whose sent messages are decoded into `seen`. */
function spooledAgent(t: TestContext): { agent: Agent; seen: Envelope[] } {
  const dir = mkdtempSync(join(tmpdir(), 'pgfleet-split-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const seen: Envelope[] = [];
  const agent = new Agent({
    id: 'agent-split', namespace: 'default', node: 'n', targets: [], preset: 'minimal', catalogDirs: [], spoolDir: dir,
    statementTimeoutMs: 1000, lockTimeoutMs: 100, heartbeatS: 60, nodeMetrics: false,
    transport: new NoopTransport((b) => seen.push(decodeEnvelope(b))),
  });
  return { agent, seen };
}

test('splitMetrics halves by family, then by point', () => {
  const two = splitMetrics({ collector: 'c', metrics: [family('a.x', 3), family('a.y', 3)] })!;
  assert.deepEqual(two.map((d) => d.metrics.map((f) => f.name)), [['a.x'], ['a.y']]);
  const one = splitMetrics({ collector: 'c', metrics: [family('a.x', 5)] })!;
  assert.deepEqual(one.map((d) => d.metrics[0].points.length), [3, 2]);
  assert.equal(splitMetrics({ collector: 'c', metrics: [family('a.x', 1)] }), undefined);
});

test('a collector run larger than a message is sent as several messages, every point kept, seqs contiguous', async (t) => {
  const { agent, seen } = spooledAgent(t);
  const points = 40_000; // about 3 MB of MessagePack
  agent.send('metrics', 'split-1', { collector: 'big', metrics: [family('big.rows', points), family('big.size', 10)] }, Date.now());
  agent.shipper.start();
  assert.ok(await agent.shipper.drain(10_000));
  await agent.stop();
  const sizes = seen.length;
  assert.ok(sizes >= 3, `${sizes} messages`);
  assert.deepEqual(seen.map((e) => e.seq).sort((a, b) => a - b), Array.from({ length: sizes }, (_, i) => i + 1));
  const total = seen.reduce((n, e) => n + (e.data as MetricsData).metrics.reduce((m, f) => m + f.points.length, 0), 0);
  assert.equal(total, points + 10);
  assert.equal(agent.produced.samples, points + 10);
});

test('a statements message larger than a message is split; every entry and text kept, texts with their entries', async (t) => {
  const { agent, seen } = spooledAgent(t);
  // 300 entries with 7 kB texts: about 2 MB.
  const entries = Array.from({ length: 300 }, (_, i) => ({ queryid: String(1000 + i), datname: 'app', usename: 'web', toplevel: true, c: { calls: i + 1 } }));
  const texts = entries.map((e) => ({ queryid: e.queryid, text: `SELECT ${'x, '.repeat(2300)}${e.queryid}` }));
  assert.equal(agent.send('statements', 'split-1', { interval_ms: 60_000, entries, texts, other: { entries: 5, c: { calls: 9 } } }, Date.now()), true);
  agent.shipper.start();
  assert.ok(await agent.shipper.drain(10_000));
  await agent.stop();
  assert.ok(seen.length >= 2, `${seen.length} messages`);
  const parts = seen.map((e) => e.data as StatementsData);
  assert.equal(parts.flatMap((p) => p.entries).length, 300);
  assert.equal(parts.flatMap((p) => p.texts ?? []).length, 300);
  for (const p of parts) {
    const ids = new Set(p.entries.map((e) => e.queryid));
    for (const x of p.texts ?? []) assert.ok(ids.has(x.queryid), 'a text travels with its entry');
  }
  assert.equal(parts.filter((p) => p.other).length, 1, 'other is sent once');
});
