import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeEnvelope, encodeEnvelope, STATEMENT_COUNTERS, type Envelope, type MetricFamily } from '../protocol/index.ts';
import { collectorsForPreset, labelsOf, loadCatalog, metricDefs, rowsToFamilies } from '../catalog/index.ts';
import { FleetSimulator, estimateRate, simulatedColumns, SimulateError, type SimulateOptions } from './index.ts';
import { collectorRows, collectorFamilies } from './collector-run.ts';
import { simInstance } from './instance.ts';
import { valueOf, type Model } from './values.ts';

const catalog = loadCatalog();
const byId = new Map(catalog.map((d) => [d.id, d]));
const T0 = Date.UTC(2026, 5, 1, 12);
const MIN = 60_000;

/** Every envelope of `minutes` simulated minutes from T0, in ticks of `stepMs`. */
function run(opts: SimulateOptions, minutes: number, stepMs = MIN): { sim: FleetSimulator; envs: Envelope[] } {
  const sim = new FleetSimulator(catalog, opts);
  const envs: Envelope[] = [];
  for (let t = T0; t < T0 + minutes * MIN; t += stepMs) envs.push(...sim.tick(t, t + stepMs));
  return { sim, envs };
}

const shared = run({ agents: 4, seed: 7 }, 30);
/** A shorter run for the comparisons of whole runs. */
const short = run({ agents: 4, seed: 7 }, 15);
const metricsOf = (envs: Envelope[]) => envs.filter((e): e is Envelope<'metrics'> => e.type === 'metrics');

/** Envelopes as JSON lines, sorted (seq left out when asked): fast to compare. */
const lines = (envs: Envelope[], withSeq = true) => envs.map((e) => JSON.stringify(withSeq ? e : { ...e, seq: 0 })).sort();

test('the same seed gives the same envelopes; another seed other values', () => {
  const again = run({ agents: 4, seed: 7 }, 15);
  assert.deepEqual(lines(again.envs), lines(short.envs));
  const other = run({ agents: 4, seed: 8 }, 15);
  assert.notDeepEqual(metricsOf(other.envs).map((e) => e.data.metrics), metricsOf(short.envs).map((e) => e.data.metrics));
});

test('values do not depend on how the time is cut into ticks', () => {
  const fine = run({ agents: 4, seed: 7 }, 15, 7_500);
  assert.deepEqual(lines(fine.envs, false), lines(short.envs, false));
});

test('seq goes up by one per agent from firstSeq, over ticks; the first tick has one inventory per instance', () => {
  for (const [firstSeq, envs] of [[1, shared.envs], [1000, run({ agents: 4, seed: 7, firstSeq: 1000 }, 5).envs]] as const) {
    const next = new Map<string, number>();
    for (const e of envs) {
      assert.equal(e.seq, next.get(e.agent) ?? firstSeq, `${e.agent} seq`);
      next.set(e.agent, e.seq + 1);
    }
    assert.equal(next.size, 4);
  }
  const first = new FleetSimulator(catalog, { agents: 3 }).tick(T0, T0 + 10);
  assert.deepEqual(first.filter((e) => e.type === 'inventory').map((e) => e.instance), ['sim-0', 'sim-1', 'sim-2']);
});

test('every envelope survives encoding and passes validateEnvelope', () => {
  shared.envs.forEach((e, i) => {
    const back = decodeEnvelope(encodeEnvelope(e));
    if (i % 50 === 0) assert.deepEqual(back, e);
  });
  assert.deepEqual(Object.keys(shared.sim.stats.byType).sort(), ['activity', 'heartbeat', 'inventory', 'metrics', 'statements']);
  assert.equal(shared.sim.stats.messages, shared.envs.length);
});

test('names: agent and instance sim-<i>, cluster sim-<i/2>, even primary, odd replica', () => {
  const inv = shared.envs.filter((e): e is Envelope<'inventory'> => e.type === 'inventory' && e.seq === 1);
  assert.deepEqual(inv.map((e) => [e.agent, e.instance, e.data.cluster, e.data.role, e.data.namespace]), [
    ['sim-0', 'sim-0', 'sim-0', 'primary', 'sim'], ['sim-1', 'sim-1', 'sim-0', 'replica', 'sim'],
    ['sim-2', 'sim-2', 'sim-1', 'primary', 'sim'], ['sim-3', 'sim-3', 'sim-1', 'replica', 'sim']]);
  assert.deepEqual(inv[0].data.databases, ['db0', 'db1', 'db2']);
  assert.equal(inv[0].data.system_identifier, inv[1].data.system_identifier, 'a replica is a copy of its primary');
});

test('families are the catalog metrics of their collector, with its kinds, units and labels', () => {
  const defs = new Map(metricDefs(catalog).map((m) => [m.name, m]));
  const seen = new Map<string, Set<string>>();
  for (const e of metricsOf(shared.envs)) {
    const def = byId.get(e.data.collector);
    if (!def) { assert.equal(e.data.collector, 'pgfleet_agent'); continue; }
    if (!seen.has(def.id)) seen.set(def.id, new Set());
    for (const f of e.data.metrics) {
      const m = defs.get(f.name);
      assert.ok(m && m.collector === def.id, `${f.name} is a metric of ${def.id}`);
      assert.equal(f.kind, m.kind, `${f.name} kind`);
      assert.equal(f.unit, m.unit, `${f.name} unit`);
      const want: string[] = def.scope === 'database' ? ['datname', ...labelsOf(def, f.name.slice(def.prefix.length + 1)).filter((l) => l !== 'datname')] : m.labels;
      for (const p of f.points) assert.deepEqual(Object.keys(p.l ?? {}), want, `${f.name} labels`);
      seen.get(def.id)!.add(f.name);
    }
  }
  // Collectors whose rows are always there send every metric their SQL variant has.
  for (const id of ['pg_stat_database', 'pg_up', 'pg_settings', 'pg_table', 'pg_index', 'pg_activity', 'pg_locks', 'node_cpu', 'node_fs', 'pg_checkpointer']) {
    const def = byId.get(id)!;
    assert.deepEqual([...seen.get(id)!].sort(), simulatedColumns(def, 160004).map((c) => `${def.prefix}.${c}`).sort(), id);
  }
  const all = (id: string) => Object.entries(byId.get(id)!.columns).filter(([, c]) => c.usage !== 'label' && c.usage !== 'info').map(([n]) => n);
  assert.deepEqual(simulatedColumns(byId.get('pg_stat_database')!, 160004), all('pg_stat_database').filter((c) => !c.startsWith('parallel_workers')), 'PostgreSQL 16 has no parallel_workers_* in pg_stat_database');
  assert.deepEqual(simulatedColumns(byId.get('pg_stat_database')!, 180000), all('pg_stat_database'));
});

test('families are what rowsToFamilies makes of the same rows, as the agent merges them over databases', () => {
  for (const i of [0, 1]) {
    const inst = simInstance(i, { prefix: 'sim', namespace: 'sim', agents: 2, firstAgent: 0, databases: 2, tables: 7, statements: 10, version_num: 170002, seed: 3 });
    const ctx = { role: inst.role, startedAt: T0 - 86_400_000 };
    for (const def of catalog) {
      for (const t of [T0, T0 + 3_600_000, T0 + 86_400_000]) {
        const expected = new Map<string, MetricFamily>();
        for (const [db, rows] of collectorRows(def, inst, t, def.interval_s * 1000, ctx)) {
          for (const f of rowsToFamilies(def, rows)) {
            if (db !== undefined) for (const p of f.points) p.l = { datname: db, ...p.l };
            const have = expected.get(f.name);
            if (have) have.points.push(...f.points); else expected.set(f.name, f);
          }
        }
        assert.deepEqual(collectorFamilies(def, inst, t, def.interval_s * 1000, ctx), [...expected.values()], `${def.id} on ${inst.role}`);
      }
    }
  }
});

test('collectors run at their catalog interval, each agent at its own phase', () => {
  const last = new Map<string, number>();
  const firstRun = new Map<string, number[]>();
  for (const e of metricsOf(shared.envs)) {
    const def = byId.get(e.data.collector);
    const interval = def ? def.interval_s * 1000 : 15_000;
    assert.equal(e.data.interval_ms, interval, e.data.collector);
    const key = `${e.agent} ${e.data.collector}`;
    const prev = last.get(key);
    if (prev !== undefined) assert.ok(Math.abs(e.ts - prev - interval) < 5, `${key}: ${e.ts - prev} ms after the previous run, interval ${interval}`);
    last.set(key, e.ts);
    if (e.data.collector === 'pg_up') firstRun.set(e.agent, [...(firstRun.get(e.agent) ?? []), e.ts % 15_000]);
  }
  assert.equal(new Set([...firstRun.values()].map((v) => v[0])).size, 4, 'agents do not fire together');
  const count = (type: string, agent: string) => shared.envs.filter((e) => e.type === type && e.agent === agent).length;
  assert.equal(count('heartbeat', 'sim-0'), 120);
  assert.equal(count('activity', 'sim-0'), 120);
  assert.equal(count('statements', 'sim-0'), 30);
  assert.equal(count('inventory', 'sim-0'), 31, 'one at start, then one a minute');
});

test('replicas do not run primary-only collectors, nor primaries replica-only ones; the heartbeat says skipped', () => {
  const ran = (agent: string) => new Set(metricsOf(shared.envs).filter((e) => e.agent === agent).map((e) => e.data.collector));
  const primaryOnly = collectorsForPreset(catalog, 'standard').filter((d) => d.role === 'primary').map((d) => d.id);
  const replicaOnly = collectorsForPreset(catalog, 'standard').filter((d) => d.role === 'replica').map((d) => d.id);
  assert.ok(primaryOnly.includes('pg_replication') && replicaOnly.includes('pg_recovery'));
  for (const id of primaryOnly) { assert.ok(ran('sim-0').has(id), id); assert.ok(!ran('sim-1').has(id), id); }
  for (const id of replicaOnly) { assert.ok(ran('sim-1').has(id), id); assert.ok(!ran('sim-0').has(id), id); }
  const hb = shared.envs.find((e): e is Envelope<'heartbeat'> => e.type === 'heartbeat' && e.agent === 'sim-1')!;
  assert.deepEqual(hb.data.collectors.find((c) => c.id === 'pg_replication'), { id: 'pg_replication', instance: 'sim-1', state: 'skipped', runs: 0, failures: 0, last_error: 'runs on primary only' });
  const up = metricsOf(shared.envs).filter((e) => e.data.collector === 'pg_up').map((e) => [e.agent, e.data.metrics.find((f) => f.name === 'pg_up.is_replica')!.points[0].v]);
  for (const [agent, v] of up) assert.equal(v, agent === 'sim-1' || agent === 'sim-3' ? 1 : 0);
});

test('node collectors are node-level messages; the others carry the instance', () => {
  for (const e of metricsOf(shared.envs)) {
    const node = byId.get(e.data.collector)?.scope === 'node' || e.data.collector === 'pgfleet_agent';
    assert.equal(e.instance, node ? undefined : e.agent, e.data.collector);
    assert.equal(e.data.node, node ? `${e.agent}.sim.internal` : undefined, e.data.collector);
  }
});

test('counters never decrease but at their rare resets, which go to a small value', () => {
  const last = new Map<string, number>();
  let decreases = 0;
  for (const e of metricsOf(shared.envs)) {
    for (const f of e.data.metrics) {
      if (f.kind !== 'counter') continue;
      for (const p of f.points) {
        assert.ok(Number.isFinite(p.v) && p.v >= 0, `${f.name} = ${p.v}`);
        const key = `${e.agent} ${f.name} ${JSON.stringify(p.l ?? {})}`;
        const prev = last.get(key);
        if (prev !== undefined && p.v < prev) decreases++;
        last.set(key, p.v);
      }
    }
  }
  assert.ok(decreases <= shared.sim.stats.resets, `${decreases} decreases, ${shared.sim.stats.resets} resets`);
  // The model itself, over many series and long enough to see resets (about one per series and quarter).
  const model: Model = { m: 'counter', lo: 1e-3, hi: 1e4, idle: 0.2 };
  const every = 900_000;
  let resets = 0;
  let sawIdle = false;
  let sawMoving = false;
  for (let s = 0; s < 300; s++) {
    let prev = -1;
    let reset = false;
    for (let k = 0; k < 2000; k++) {
      const v = valueOf(model, s * 7919, T0 + k * every, every, { role: 'primary', startedAt: 0, onReset: () => { reset = true; resets++; } })!;
      assert.ok(Number.isInteger(v), `integer: ${v}`);
      if (prev >= 0 && v < prev) assert.ok(reset, `series ${s} went from ${prev} to ${v} without a reset`);
      if (reset && prev >= 0) assert.ok(v <= 3 + 2 * 900 * 1e4, `after a reset: ${v}`);
      if (k === 1999) { sawIdle ||= v === prev; sawMoving ||= v > prev; }
      reset = false;
      prev = v;
    }
  }
  assert.ok(resets > 20 && resets < 200, `${resets} resets in 300 series × 2000 runs of 15 min`);
  assert.ok(sawIdle && sawMoving, 'some series idle, some moving');
});

test('gauges are mostly constant or slow; sizes never shrink', () => {
  const last = new Map<string, number>();
  let changes = 0;
  let total = 0;
  for (const e of metricsOf(shared.envs)) {
    for (const f of e.data.metrics) {
      if (f.kind !== 'gauge') continue;
      for (const p of f.points) {
        const key = `${e.agent} ${f.name} ${JSON.stringify(p.l ?? {})}`;
        const prev = last.get(key);
        if (prev !== undefined) { total++; if (p.v !== prev) changes++; }
        if (/^pg_(table|index|database_size)\.(total_)?bytes$|heap_bytes$/.test(f.name) && prev !== undefined) assert.ok(p.v >= prev, `${key} shrank`);
        last.set(key, p.v);
      }
    }
  }
  assert.ok(changes / total < 0.5, `${changes} of ${total} gauge points changed`);
});

test('statements: deltas of known counters, texts once per queryid; activity: samples grouped', () => {
  const sent = new Set<string>();
  for (const e of shared.envs.filter((x): x is Envelope<'statements'> => x.type === 'statements' && x.agent === 'sim-0')) {
    assert.ok(Math.abs(e.data.interval_ms - 60_000) < 5);
    assert.ok(e.data.entries.length > 0 && e.data.entries.length <= 200);
    for (const en of e.data.entries) {
      for (const [k, v] of Object.entries(en.c)) { assert.ok((STATEMENT_COUNTERS as readonly string[]).includes(k), k); assert.ok(v > 0); }
    }
    for (const t of e.data.texts ?? []) { assert.ok(!sent.has(t.queryid), `${t.queryid} sent twice`); sent.add(t.queryid); }
    for (const en of e.data.entries) assert.ok(sent.has(en.queryid), 'each entry has its text by now');
  }
  const act = shared.envs.filter((x): x is Envelope<'activity'> => x.type === 'activity');
  assert.ok(act.every((a) => a.data.samples === 15 && a.data.groups.every((g) => g.n >= 1)));
  assert.ok(act.some((a) => a.data.groups.some((g) => g.backend_type === 'walsender')));
});

test('estimateRate scales with the agents and matches a simulation', () => {
  const two = estimateRate(catalog, { agents: 2, seed: 7 }, 600);
  const ten = estimateRate(catalog, { agents: 10, seed: 7 }, 600);
  assert.ok(Math.abs(ten.samplesPerS / two.samplesPerS - 5) < 1e-9);
  assert.ok(two.pointsPerMetricsMessage > 5 && two.bytesPerS > 0);
  assert.deepEqual(Object.keys(two.byTypePerS).sort(), ['activity', 'heartbeat', 'inventory', 'metrics', 'statements']);
});

test('a run too large for one message is split as the agent splits it', () => {
  const sim = new FleetSimulator(catalog, { agents: 1, databases: 60, tables: 30 });
  const envs: Envelope[] = [];
  for (let t = T0; t < T0 + 6 * MIN; t += MIN) envs.push(...sim.tick(t, t + MIN));
  const tables = metricsOf(envs).filter((e) => e.data.collector === 'pg_table');
  assert.ok(tables.length > 1 && new Set(tables.map((e) => e.ts)).size === 1, `${tables.length} pg_table messages of one run`);
  for (const e of envs) assert.ok(encodeEnvelope(e).byteLength <= 1024 * 1024);
  const sizes = tables.flatMap((e) => e.data.metrics).filter((f) => f.name === 'pg_table.total_bytes').reduce((n, f) => n + f.points.length, 0);
  assert.equal(sizes, 60 * 30, 'every table of every database once');
});

test('bad options are refused, every problem at once', () => {
  assert.throws(() => new FleetSimulator(catalog, { agents: 0, databases: 0, preset: 'huge' as never, namespace: 'a.b' }), (err: unknown) => {
    assert.ok(err instanceof SimulateError);
    assert.equal(err.code, 'PGFLEET_SIMULATE_OPTIONS');
    assert.equal(err.problems.length, 4, err.message);
    return true;
  });
});
