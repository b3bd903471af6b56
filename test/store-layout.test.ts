// The sample store on a real PostgreSQL: raw rows by series set, rollups checked against
// the raw samples they come from, counter resets, compaction into chunks that give back
// every sample exactly, late samples after a day was compacted, and the migration of
// samples stored by the earlier layout.
import { readFileSync } from 'node:fs';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import postgres from 'postgres';
import { DAY_MS, openStore, RAW_INDEX_BUCKET_MS, rawBuckets, RESOLUTION_MS, type RangeQuery, type Store } from '../src/store/index.ts';
import { startTestPostgres, type TestPostgres } from './harness/index.ts';
import { prng } from './harness/prng.ts';

let pg: TestPostgres;
let store: Store;
before(async () => { pg = await startTestPostgres(16); store = await openStore(pg.url); });
after(async () => { await store?.close(); await pg?.destroy(); });

interface Generated { setId: number; series: number[]; counters: boolean[]; ts: number[]; vals: number[][] }

let ownerSeq = 0;
/**
 * A set of gauges and counters of a fresh owner, sampled every `intervalMs` (± jitter) over
 * [from, to). Counters grow by random amounts and reset at `resets` (to a small value).
 */
async function generate(opts: { from: number; to: number; intervalMs: number; gauges: number; counters: number; resets?: number[]; seed: number; jitterMs?: number }): Promise<Generated> {
  const rnd = prng(opts.seed);
  const owner = 1000 + ++ownerSeq;
  const names = [...Array.from({ length: opts.gauges }, (_, i) => ({ name: `t.gauge${i}`, kind: 'gauge' as const })),
    ...Array.from({ length: opts.counters }, (_, i) => ({ name: `t.counter${i}`, kind: 'counter' as const }))];
  const metrics = await store.timeseries.ensureMetrics(names.map((n) => ({ ...n, interval_ms: opts.intervalMs })));
  const series = await store.timeseries.resolveSeries(names.map((n) => ({ ownerKind: 'i', ownerId: owner, metricId: metrics.get(n.name)!.id, labels: { seed: String(opts.seed) } })));
  const counters = names.map((n) => n.kind === 'counter');
  const [setId] = await store.timeseries.resolveSets([{ ownerKind: 'i', ownerId: owner, series, counters, intervalMs: opts.intervalMs }]);
  const g: Generated = { setId, series, counters, ts: [], vals: [] };
  const level = names.map(() => rnd() * 1000);
  const resets = [...(opts.resets ?? [])];
  for (let t = opts.from; t < opts.to; t += opts.intervalMs) {
    const ts = t + Math.round((rnd() - 0.5) * 2 * (opts.jitterMs ?? 0));
    const reset = resets.length > 0 && ts >= resets[0];
    if (reset) resets.shift();
    g.ts.push(ts);
    g.vals.push(names.map((n, k) => {
      if (n.kind === 'gauge') return Math.round((level[k] += (rnd() - 0.5) * 20) * 100) / 100;
      level[k] = reset ? Math.floor(rnd() * 5) : level[k] + Math.floor(rnd() * 500);
      return level[k];
    }));
  }
  return g;
}

async function write(g: Generated, now: number): Promise<void> {
  await store.timeseries.ensurePartitions(Math.min(...g.ts), Math.max(...g.ts) + 1);
  for (let i = 0; i < g.ts.length; i += 2000) {
    await store.sql.begin((tx) => store.timeseries.writeSets(tx, { setId: g.ts.slice(i, i + 2000).map(() => g.setId), ts: g.ts.slice(i, i + 2000), vals: g.vals.slice(i, i + 2000) }, now));
  }
}

/** What a rollup bucket must hold for member k, computed here from the generated samples. */
function expectedBucket(g: Generated, k: number, from: number, width: number) {
  const idx = g.ts.map((t, i) => i).filter((i) => g.ts[i] >= from && g.ts[i] < from + width);
  if (idx.length === 0) return undefined;
  const v = idx.map((i) => g.vals[i][k]);
  if (!g.counters[k]) {
    return { n: v.length, mn: Math.min(...v), mx: Math.max(...v), av: v.reduce((a, b) => a + b, 0) / v.length, lst: v[v.length - 1] };
  }
  const incs: number[] = [];
  const rates: number[] = [];
  for (const i of idx) {
    if (i === 0) continue;
    const d = g.vals[i][k] - g.vals[i - 1][k];
    const inc = d < 0 ? g.vals[i][k] : d;
    incs.push(inc);
    rates.push((inc * 1000) / (g.ts[i] - g.ts[i - 1]));
  }
  return { n: v.length, mn: rates.length ? Math.min(...rates) : null, mx: rates.length ? Math.max(...rates) : null, av: incs.reduce((a, b) => a + b, 0), lst: v[v.length - 1] };
}

function close(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);

/** Checks every rollup row of `g` at `res` against the samples, member by member. */
async function checkRollups(g: Generated, res: '1m' | '1h'): Promise<void> {
  const table = res === '1m' ? 'rollups_1m' : 'rollups_1h';
  const width = RESOLUTION_MS[res];
  const rows = await store.sql<{ ts: number; n: number; mn: number[]; mx: number[]; av: number[]; lst: number[] }[]>`
    select ts, n, mn, mx, av, lst from ${store.sql(table)} where set_id = ${g.setId} order by ts`;
  const buckets = new Set(g.ts.map((t) => Math.floor(t / width) * width));
  assert.equal(rows.length, buckets.size, `${res}: one row per bucket with samples`);
  let checked = 0;
  for (const r of rows) {
    for (let k = 0; k < g.series.length; k++) {
      const want = expectedBucket(g, k, Number(r.ts), width)!;
      const where = `${res} bucket ${new Date(Number(r.ts)).toISOString()} member ${k} (${g.counters[k] ? 'counter' : 'gauge'})`;
      assert.equal(r.n, want.n, `${where}: n`);
      assert.ok(close(r.av[k], want.av), `${where}: av ${r.av[k]} ≠ ${want.av}`);
      assert.equal(r.lst[k], want.lst, `${where}: last`);
      if (want.mn === null) assert.equal(r.mn[k], null, `${where}: no rate before the first sample`);
      else assert.ok(close(r.mn[k], want.mn!) && close(r.mx[k], want.mx!), `${where}: min/max ${r.mn[k]}/${r.mx[k]} ≠ ${want.mn}/${want.mx}`);
      if (g.counters[k]) assert.ok(r.av[k] >= 0 && (r.mn[k] === null || r.mn[k] >= 0), `${where}: never negative`);
      checked++;
    }
  }
  assert.ok(checked > 0);
}

test('rollups hold what the raw samples say, bucket by bucket (gauges: min, max, avg, last; counters: rates, increase across resets)', async () => {
  const from = NOW - 5 * HOUR;
  const g = await generate({ from, to: NOW - HOUR, intervalMs: 15_000, jitterMs: 2000, gauges: 3, counters: 3, seed: 1,
    resets: [from + 37 * 60_000, from + 2 * HOUR + 5_000] });
  await write(g, NOW);
  // A set collected every 5 minutes has no 1-minute rollups; its hours come from raw samples
  // (those of the set above from its minutes).
  const slow = await generate({ from, to: NOW - HOUR, intervalMs: 300_000, jitterMs: 20_000, gauges: 2, counters: 2, seed: 11,
    resets: [from + 2 * HOUR + 5_000] });
  await write(slow, NOW);
  const [marks] = await store.sql`select count(*)::int as n from rollup_redo where set_id = any(${[g.setId, slow.setId]}::int[])`;
  assert.ok(marks.n > 0, 'history older than the grace marks its buckets');
  const m = await store.rollups.run('1m', NOW);
  const h = await store.rollups.run('1h', NOW);
  // The rollup had not reached those buckets: its slices computed them with the samples and took the marks.
  assert.equal(m.redone + h.redone, 0, 'history the rollup had not reached yet is not computed twice');
  const [left] = await store.sql`select count(*)::int as n from rollup_redo where set_id = any(${[g.setId, slow.setId]}::int[])`;
  assert.equal(left.n, 0, 'no redo mark left');
  await checkRollups(g, '1m');
  await checkRollups(g, '1h');
  await checkRollups(slow, '1h');
  const [{ n }] = await store.sql`select count(*)::int as n from rollups_1m where set_id = ${slow.setId}`;
  assert.equal(n, 0, 'no 1-minute rollups for a set collected every 5 minutes');
});

test('queries read 1-minute and 1-hour rollups by step, and agree with raw samples for the same windows', async () => {
  const from = NOW - 4 * HOUR;
  const g = await generate({ from, to: NOW - HOUR, intervalMs: 15_000, gauges: 1, counters: 1, seed: 2, resets: [from + HOUR + 30_000] });
  await write(g, NOW);
  await store.rollups.run('1m', NOW);
  await store.rollups.run('1h', NOW);
  for (const [step, res] of [[120_000, '1m'], [3_600_000, '1h']] as const) {
    for (const [k, fn, kind] of [[0, 'value', 'gauge'], [1, 'rate', 'counter'], [1, 'value', 'counter']] as const) {
      const q: RangeQuery = { seriesIds: [g.series[k]], from, to: NOW - HOUR, stepMs: step, fn, kind };
      const rolled = await store.timeseries.queryRange(q);
      const raw = await store.timeseries.queryRange({ ...q, resolution: 'raw' });
      assert.equal(rolled.resolution, res);
      const a = rolled.buckets.get(g.series[k])!;
      const b = raw.buckets.get(g.series[k])!;
      assert.equal(a.size, b.size, `${res} ${kind} ${fn}: same buckets`);
      for (const [t, v] of b) {
        // A counter's rate: increase over the bucket's span. Raw divides by the time its
        // samples cover, the rollup by the bucket; with samples every 15 s they agree.
        if (kind === 'counter' && fn === 'rate' && t === from) continue; // no sample before the first one
        if (fn === 'rate') assert.ok(Math.abs(a.get(t)! - v) <= 1e-6 * Math.max(1, v), `${res} rate at ${new Date(t).toISOString()}: rollup ${a.get(t)} raw ${v}`);
        else if (kind === 'counter') assert.equal(a.get(t), lastIn(g, k, t, step), `${res} counter value = last sample of the bucket`);
        else assert.ok(close(a.get(t)!, v), `${res} avg at ${new Date(t).toISOString()}: rollup ${a.get(t)} raw ${v}`);
      }
      if (fn === 'rate') for (const [, v] of a) assert.ok(v >= 0 && v < 500 / 15 + 1e-9, `${res}: rate ${v} within what the counter did (no negative or spiking rate at the reset)`);
    }
  }
});

test('a chart of several members of one set, and of a series found in two sets, reads the rollups as raw samples say', async () => {
  const from = NOW - 8 * HOUR;
  // The collector's output changes shape at `mid` (inside a step, on the 15-s grid): from then
  // on gauge 0 and counter 0 are members of a second set, at other positions, beside a new series.
  const mid = from + 3 * HOUR + 7 * 60_000 + 30_000;
  const to = NOW - HOUR;
  const g = await generate({ from, to: mid, intervalMs: 15_000, gauges: 3, counters: 3, seed: 21, resets: [from + HOUR + 5_000] });
  await write(g, NOW);
  const metrics = await store.timeseries.ensureMetrics([{ name: 't.extra', kind: 'gauge', interval_ms: 15_000 }]);
  const [extra] = await store.timeseries.resolveSeries([{ ownerKind: 'i', ownerId: 9_001, metricId: metrics.get('t.extra')!.id, labels: {} }]);
  const series2 = [extra, g.series[3], g.series[0]];
  const [set2] = await store.timeseries.resolveSets([{ ownerKind: 'i', ownerId: 9_001, series: series2, counters: [false, true, false], intervalMs: 15_000 }]);
  assert.notEqual(set2, g.setId);
  const rnd = prng(22);
  let counter = g.vals[g.vals.length - 1][3];
  const g2: Generated = { setId: set2, series: series2, counters: [false, true, false], ts: [], vals: [] };
  for (let t = mid; t < to; t += 15_000) {
    counter = t === mid + 2 * HOUR ? 3 : counter + Math.floor(rnd() * 500);
    g2.ts.push(t); g2.vals.push([rnd() * 10, counter, Math.round(rnd() * 10_000) / 100]);
  }
  await write(g2, NOW);
  for (let i = 0; i < 3; i++) { await store.rollups.run('1m', NOW); await store.rollups.run('1h', NOW); }
  const raw0 = (await store.timeseries.readRaw([g.series[3]], from, to)).get(g.series[3])!;

  const gauges = g.series.slice(0, 3);
  const counters = g.series.slice(3);
  for (const [step, res] of [[300_000, '1m'], [3_600_000, '1h']] as const) {
    for (const [ids, fn, kind] of [[gauges, 'value', 'gauge'], [counters, 'rate', 'counter'], [counters, 'value', 'counter']] as const) {
      const q: RangeQuery = { seriesIds: [...ids], from, to, stepMs: step, fn, kind };
      const rolled = await store.timeseries.queryRange(q);
      assert.equal(rolled.resolution, res);
      for (const id of ids) {
        const alone = await store.timeseries.queryRange({ ...q, seriesIds: [id] });
        const raw = await store.timeseries.queryRange({ ...q, seriesIds: [id], resolution: 'raw' });
        const a = rolled.buckets.get(id)!;
        const where = `${res} ${kind} ${fn} series ${ids.indexOf(id)}`;
        const single = alone.buckets.get(id)!;
        assert.deepEqual([...a.keys()].sort(), [...single.keys()].sort(), `${where}: the same steps with the others as alone`);
        for (const [t, v] of single) assert.ok(close(a.get(t)!, v), `${where} at ${new Date(t).toISOString()}: ${a.get(t)} with the others, ${v} alone`);
        const b = raw.buckets.get(id)!;
        assert.equal(a.size, b.size, `${where}: same buckets as raw`);
        for (const [t, v] of b) {
          const at = `${where} at ${new Date(t).toISOString()}: rollup ${a.get(t)} raw ${v}`;
          if (fn === 'rate') {
            if (t === from) continue; // no sample before the first one
            const shapeChange = t <= mid && mid < t + step;
            // A series that ends there: raw divides by the time its samples cover, the rollup by whole minutes.
            if (shapeChange && id !== g.series[3]) continue;
            // The series that goes on: the step's time counted once (both sets have rows there), and
            // the increase from the old set's last sample to the new set's first counted too.
            assert.ok(Math.abs(a.get(t)! - v) <= 1e-6 * Math.max(1, v), at);
          } else if (kind === 'counter') {
            if (id !== g.series[3]) continue;
            let last = NaN;
            raw0.ts.forEach((x, i) => { if (x >= t && x < t + step) last = raw0.values[i]; });
            assert.equal(a.get(t), last, `${at}: the last sample of the step`);
          } else assert.ok(close(a.get(t)!, v), at);
        }
      }
    }
  }
});

test('a counter whose collector alternates between two shapes (labels that come and go) is rolled up once: no rate counted twice', async () => {
  // As a top-N list does (pg_table's tables with the most dead tuples): each run's set holds
  // the counter and the gauge, at other positions, beside a member only that shape has.
  const from = NOW - 6 * HOUR;
  const to = NOW - HOUR;
  const metrics = await store.timeseries.ensureMetrics([
    { name: 't.alt_counter', kind: 'counter', interval_ms: 15_000 }, { name: 't.alt_gauge', kind: 'gauge', interval_ms: 15_000 },
    { name: 't.alt_a', kind: 'gauge', interval_ms: 15_000 }, { name: 't.alt_b', kind: 'counter', interval_ms: 15_000 }]);
  const [counter, gauge, onlyA, onlyB] = await store.timeseries.resolveSeries(['t.alt_counter', 't.alt_gauge', 't.alt_a', 't.alt_b']
    .map((name) => ({ ownerKind: 'i' as const, ownerId: 9_002, metricId: metrics.get(name)!.id, labels: {} })));
  const [setA, setB] = await store.timeseries.resolveSets([
    { ownerKind: 'i', ownerId: 9_002, series: [gauge, counter, onlyA], counters: [false, true, false], intervalMs: 15_000 },
    { ownerKind: 'i', ownerId: 9_002, series: [onlyB, counter, gauge], counters: [true, true, false], intervalMs: 15_000 }]);
  const rnd = prng(31);
  const a: Generated = { setId: setA, series: [gauge, counter, onlyA], counters: [false, true, false], ts: [], vals: [] };
  const b: Generated = { setId: setB, series: [onlyB, counter, gauge], counters: [true, true, false], ts: [], vals: [] };
  let c = 1000;
  let cb = 0;
  let run = 0;
  const gapAt = from + 3 * HOUR - 15_000;
  for (let t = from; t < to; t += 15_000, run++) {
    c = t === from + 2 * HOUR ? 2 : c + Math.floor(rnd() * 500); // a reset on the way
    const gv = Math.round(rnd() * 10_000) / 100;
    // Mostly A, in runs of 1 to 3, so both shapes fall in most minutes and hours. At hh:59:45 a B
    // row, then two missed minutes (the collector did not run), then A again.
    const inB = t === gapAt ? true : t === gapAt + 135_000 ? false : run % 5 >= 3;
    if (t > gapAt && t < gapAt + 135_000) continue;
    if (!inB) { a.ts.push(t); a.vals.push([gv, c, rnd()]); } else { cb += 7; b.ts.push(t); b.vals.push([cb, c, gv]); }
  }
  // The B row at hh:59:45 arrives late: the counter's next sample is in an A row two minutes and an hour later.
  const lateAt = b.ts.indexOf(gapAt);
  assert.ok(lateAt > 0 && a.ts.includes(gapAt + 135_000));
  const late: Generated = { ...b, ts: b.ts.splice(lateAt, 1), vals: b.vals.splice(lateAt, 1) };
  await write(a, NOW);
  await write(b, NOW);
  // The rollups compute these buckets as they pass them (the earlier tests took them past NOW: start again).
  await store.sql`delete from rollup_state`;
  await store.sql`delete from rollup_redo`;
  for (let last = ''; ;) {
    const m = await store.rollups.run('1m', NOW);
    const h = await store.rollups.run('1h', NOW);
    if (`${m.doneTo}/${h.doneTo}` === last) break;
    last = `${m.doneTo}/${h.doneTo}`;
  }
  await checkAgainstRaw('as the rollups pass them', gapAt);
  await checkIncrease('as the rollups pass them');
  // The late row reopens its buckets; A's next row, whose increase it changes, is computed again with them.
  await write(late, NOW);
  for (let i = 0; i < 3; i++) { await store.rollups.run('1m', NOW); await store.rollups.run('1h', NOW); }
  // Marks of buckets the rollups have not closed yet wait for them (the minutes computed again mark their hours).
  const [left] = await store.sql`select count(*)::int as n from rollup_redo r join rollup_state s using (resolution)
    where r.set_id = any(${[setA, setB]}::int[]) and r.ts < s.done_to`;
  assert.equal(left.n, 0, 'no redo mark left on closed buckets');
  await checkAgainstRaw('after a late row', gapAt);
  await checkIncrease('after a late row');

  /** The counter's increase in every rollup row of both sets adds up to what its samples did, at 1m and 1h. */
  async function checkIncrease(when: string): Promise<void> {
    const samples = (await store.timeseries.readRaw([counter], from, to)).get(counter)!;
    for (const [res, table] of [['1m', 'rollups_1m'], ['1h', 'rollups_1h']] as const) {
      // From the second bucket on: the first has no sample before it.
      const start = from + RESOLUTION_MS[res];
      let want = 0;
      for (let i = 1; i < samples.ts.length; i++) {
        if (samples.ts[i] < start) continue;
        const d = samples.values[i] - samples.values[i - 1];
        want += d < 0 ? samples.values[i] : d;
      }
      // The counter is member 2 of both sets.
      const [got] = await store.sql<{ inc: number }[]>`select sum(av[2])::float8 as inc from ${store.sql(table)}
        where set_id = any(${[setA, setB]}::int[]) and ts >= ${start}::bigint and ts < ${to}::bigint`;
      assert.equal(got.inc, want, `${when}: ${res} rollups hold an increase of ${got.inc}, the samples ${want}`);
    }
  }

  async function checkAgainstRaw(when: string, gapAt: number): Promise<void> {
    for (const [step, res] of [[300_000, '1m'], [3_600_000, '1h']] as const) {
      for (const [id, fn, kind] of [[counter, 'rate', 'counter'], [gauge, 'value', 'gauge']] as const) {
        const q: RangeQuery = { seriesIds: [id], from, to, stepMs: step, fn, kind };
        const rolled = (await store.timeseries.queryRange(q)).buckets.get(id)!;
        const raw = (await store.timeseries.queryRange({ ...q, resolution: 'raw' })).buckets.get(id)!;
        assert.deepEqual([...rolled.keys()].sort(), [...raw.keys()].sort(), `${when}, ${res} ${kind} ${fn}: same steps`);
        for (const [t, v] of raw) {
          if (fn === 'rate' && t === from) continue; // no sample before the first one
          // Around the missed minutes raw divides by the time the samples cover, the rollup by the buckets that have rows.
          if (fn === 'rate' && Math.abs(t - Math.floor(gapAt / step) * step - step / 2) <= step / 2) continue;
          const at = `${when}, ${res} ${kind} ${fn} at ${new Date(t).toISOString()}: rollup ${rolled.get(t)} raw ${v}`;
          if (fn === 'rate') assert.ok(Math.abs(rolled.get(t)! - v) <= 1e-6 * Math.max(1, v), at);
          else assert.ok(close(rolled.get(t)!, v), at);
        }
      }
    }
  }
});

function lastIn(g: Generated, k: number, from: number, width: number): number {
  let v = NaN;
  for (let i = 0; i < g.ts.length; i++) if (g.ts[i] >= from && g.ts[i] < from + width) v = g.vals[i][k];
  return v;
}

test('a rollup bucket reopened by a late sample is computed again', async () => {
  const from = NOW - 3 * HOUR;
  const g = await generate({ from, to: NOW - 2 * HOUR, intervalMs: 15_000, gauges: 1, counters: 0, seed: 3 });
  // Every sample but one arrives in time; the one at from + 10 min comes after its bucket closed.
  const lateAt = g.ts.findIndex((t) => t >= from + 600_000);
  const late: Generated = { ...g, ts: [g.ts[lateAt]], vals: [[1_000_000]] };
  g.ts.splice(lateAt, 1); g.vals.splice(lateAt, 1);
  await write(g, NOW - 2 * HOUR);
  await store.rollups.run('1m', NOW);
  await store.rollups.run('1h', NOW);
  await write(late, NOW);
  // Marks of buckets not closed yet (an earlier recomputation marks the hours of its minutes) are not the late sample's.
  const [redo] = await store.sql`select count(*)::int as n from rollup_redo r join rollup_state s using (resolution)
    where r.set_id = ${g.setId} and r.ts < s.done_to`;
  assert.equal(redo.n, 2, 'the late sample reopened its 1m and 1h buckets');
  const run = await store.rollups.run('1m', NOW);
  await store.rollups.run('1h', NOW);
  assert.ok(run.redone >= 1);
  const bucket = Math.floor(late.ts[0] / 60_000) * 60_000;
  const [m] = await store.sql`select mx[1] as mx from rollups_1m where set_id = ${g.setId} and ts = ${bucket}`;
  const [h] = await store.sql`select mx[1] as mx from rollups_1h where set_id = ${g.setId} and ts = ${Math.floor(bucket / HOUR) * HOUR}`;
  assert.equal(m.mx, 1_000_000, '1m bucket recomputed with the late sample');
  assert.equal(h.mx, 1_000_000, '1h bucket recomputed with the late sample');
});

test('a sample whose bucket a worker up to a minute ahead may have closed marks it; a later bucket is left to the job', async () => {
  const bucket = NOW - 5 * HOUR;
  const g = await generate({ from: bucket, to: bucket + 60_000, intervalMs: 60_000, gauges: 1, counters: 0, seed: 41 });
  // Written 90 s after the minute ended: a worker 60 s ahead saw it 150 s after, past its 120-s grace.
  await write(g, bucket + 60_000 + 90_000);
  const marks = await store.sql<{ resolution: string }[]>`select resolution from rollup_redo where set_id = ${g.setId} order by 1`;
  assert.deepEqual(marks.map((m) => m.resolution), ['1m'], 'the minute is marked, the hour (still open) is not');
  const h = await generate({ from: bucket, to: bucket + 60_000, intervalMs: 60_000, gauges: 1, counters: 0, seed: 42 });
  // Written 50 s after: even 60 s ahead, a worker waits 120 s.
  await write(h, bucket + 60_000 + 50_000);
  const [none] = await store.sql`select count(*)::int as n from rollup_redo where set_id = ${h.setId}`;
  assert.equal(none.n, 0);
  await store.sql`delete from rollup_redo where set_id = any(${[g.setId, h.setId]}::int[])`;
});

test('compaction moves whole days into chunks that give back every sample; late samples are merged; sets at 1/min stay out of 1m rollups', async (t) => {
  const day = Math.floor(NOW / DAY_MS) * DAY_MS - 2 * DAY_MS;
  const fast = await generate({ from: day, to: day + DAY_MS, intervalMs: 15_000, jitterMs: 3, gauges: 2, counters: 2, seed: 4, resets: [day + 7 * HOUR] });
  const slow = await generate({ from: day, to: day + DAY_MS, intervalMs: 60_000, gauges: 1, counters: 1, seed: 5 });
  await write(fast, day + DAY_MS);
  await write(slow, day + DAY_MS);
  const now = day + 2 * DAY_MS + 2 * HOUR;
  for (let i = 0; i < 4; i++) { await store.rollups.run('1m', now); await store.rollups.run('1h', now); }
  const [slow1m] = await store.sql`select count(*)::int as n from rollups_1m where set_id = ${slow.setId}`;
  assert.equal(slow1m.n, 0, 'a set collected once a minute has no 1-minute rollup');
  const done = await store.compactor.run(now, 10);
  const mine = done.find((d) => d.day.endsWith(new Date(day).toISOString().slice(0, 10).replaceAll('-', '')));
  assert.ok(mine, `the day was compacted: ${JSON.stringify(done)}`);
  assert.ok(mine.dropped, 'its raw partition is gone');
  const [raw] = await store.sql`select to_regclass(${mine.day}) as t`;
  assert.equal(raw.t, null);

  const check = async (g: Generated, extra: { ts: number; vals: number[] }[] = []) => {
    const got = await store.timeseries.readRaw(g.series, day, day + DAY_MS);
    const all = [...g.ts.map((t, i) => ({ ts: t, vals: g.vals[i] })), ...extra].filter((x) => x.ts >= day && x.ts < day + DAY_MS).sort((a, b) => a.ts - b.ts);
    g.series.forEach((id, k) => {
      const s = got.get(id)!;
      assert.deepEqual(s.ts, all.map((x) => x.ts), `series ${k}: every timestamp back`);
      assert.deepEqual(s.values, all.map((x) => x.vals[k]), `series ${k}: every value back, bit for bit`);
    });
  };
  await check(fast);
  await check(slow);
  const [size] = await store.sql`select sum(n)::float8 as samples, sum(octet_length(data))::float8 as bytes from sample_chunks where series_id = any(${fast.series}::int[])`;
  t.diagnostic(`chunks: ${(size.bytes / size.samples).toFixed(2)} bytes per sample (2 random-walk gauges, 2 counters)`);
  // Random walks compress worst of all; bench:store measures realistic series.
  assert.ok(size.bytes / size.samples < 8, `${(size.bytes / size.samples).toFixed(2)} bytes per sample in chunks, less than a float8 alone`);

  // A late sample for the compacted day lands in raw rows again; reads merge both; the next run folds it in.
  const lateTs = day + 12 * HOUR + 7_500;
  await write({ ...fast, ts: [lateTs], vals: [[1, 2, 3, 4]] }, now);
  await check(fast, [{ ts: lateTs, vals: [1, 2, 3, 4] }]);
  const again = await store.compactor.compactDay(mine.day, day);
  assert.equal(again.samples, (fast.ts.filter((t) => t >= day && t < day + DAY_MS).length + 1) * fast.series.length, "every sample of the day and the late one");
  assert.ok(again.dropped);
  await check(fast, [{ ts: lateTs, vals: [1, 2, 3, 4] }]);

  // Queries over the compacted day read the chunks (raw resolution) and the rollups.
  const q = await store.timeseries.queryRange({ seriesIds: [fast.series[0]], from: day, to: day + HOUR, stepMs: 15_000, fn: 'value', kind: 'gauge' });
  assert.equal(q.resolution, 'raw');
  assert.equal(q.buckets.get(fast.series[0])!.size, new Set(fast.ts.filter((t) => t >= day && t < day + HOUR).map((t) => Math.floor(t / 15_000))).size);
});

test('raw rows are found through the (set, ten-minute bucket) index: windows cut anywhere give back exactly their samples', async () => {
  const [def] = await store.sql<{ def: string }[]>`select pg_get_indexdef('sample_sets_set_bucket'::regclass) as def`;
  assert.match(def.def, new RegExp(`\\(ts / ${RAW_INDEX_BUCKET_MS}\\)`), `the index keys by RAW_INDEX_BUCKET_MS: ${def.def}`);
  // 7 s samples over 3 h across a day boundary: windows whose edges fall on, just before and just
  // after bucket edges, inside one bucket, and across the day's partitions.
  const day = Math.floor(NOW / DAY_MS) * DAY_MS - DAY_MS;
  const g = await generate({ from: day - 90 * 60_000, to: day + 90 * 60_000, intervalMs: 7000, gauges: 2, counters: 1, seed: 77, jitterMs: 900 });
  await write(g, NOW);
  const edge = day + 20 * 60_000;
  const windows: [number, number][] = [
    [edge, edge + 600_000], [edge - 1, edge + 1], [edge + 1, edge + 599_999], [edge - 7000, edge + 7001],
    [day - 15 * 60_000 + 3, day + 25 * 60_000 - 3], [day - 90 * 60_000, day + 90 * 60_000], [edge + 100, edge + 200],
  ];
  for (const [from, to] of windows) {
    const got = (await store.timeseries.readRaw([g.series[1]], from, to)).get(g.series[1]) ?? { ts: [], values: [] };
    const want = g.ts.map((t, i) => i).filter((i) => g.ts[i] >= from && g.ts[i] < to);
    assert.deepEqual(got.ts, want.map((i) => g.ts[i]), `[${from - day}, ${to - day}) ms from the day's start: the samples' times`);
    assert.deepEqual(got.values, want.map((i) => g.vals[i][1]), `[${from - day}, ${to - day}): their values`);
    const last = (await store.timeseries.queryLast([g.series[1]], to - 1, to - from)).get(g.series[1]);
    const k = want[want.length - 1];
    assert.deepEqual(last, k === undefined ? undefined : { ts: g.ts[k], value: g.vals[k][1] }, `[${from - day}, ${to - day}): the last sample`);
  }
  // Times far outside the int4 buckets (the API accepts up to ±8.64e15 ms) find nothing, without an error.
  assert.deepEqual(rawBuckets(8e15, 8.1e15), [2_147_483_647, 2_147_483_647]);
  assert.equal((await store.timeseries.readRaw([g.series[1]], 8e15, 8.1e15)).size, 0);
  assert.equal((await store.timeseries.queryLast([g.series[1]], 8e15, DAY_MS)).size, 0);
  // Every query writes the index expression with the width as a literal: each one must be RAW_INDEX_BUCKET_MS.
  const widths = new Set<number>();
  for (const f of ['pg-timeseries.ts', 'latest-samples.ts', 'rollups.ts']) {
    for (const m of readFileSync(new URL(`../src/store/${f}`, import.meta.url), 'utf8').matchAll(/\(\w+\.ts \/ (\d+)\)::int/g)) widths.add(Number(m[1]));
  }
  assert.deepEqual([...widths], [RAW_INDEX_BUCKET_MS], 'the bucket width written in the queries');
  // The planner reads one set's window through the index, not the whole partition.
  const [lo, hi] = rawBuckets(edge, edge + 600_000);
  const plan = (await store.sql.unsafe(`explain select ts from sample_sets where set_id = ${g.setId} and ts >= ${edge} and ts < ${edge + 600_000}
    and (ts / 600000)::int between ${lo} and ${hi}`)).map((r) => r['QUERY PLAN'] as string).join('\n');
  assert.match(plan, /Index Cond: \(\(set_id = \d+\) AND \(\(\(ts \/ 600000\)\)::integer >=/, `an index scan on set and bucket:\n${plan}`);
});

test('samples stored by the earlier layout are carried into series sets by the migration', async () => {
  const old = await startTestPostgres(16);
  try {
    const sql = postgres(old.url, { max: 1, onnotice: () => {} });
    for (const f of ['001_init.sql', '002_statements.sql']) await sql.unsafe(readFileSync(new URL(`../src/store/migrations/${f}`, import.meta.url), 'utf8'));
    await sql`create table schema_migrations (version text primary key, applied_at timestamptz not null default now())`;
    await sql`insert into schema_migrations (version) values ('001_init.sql'), ('002_statements.sql')`;
    await sql`insert into metrics (name, kind) values ('a', 'gauge'), ('b', 'counter')`;
    await sql`insert into series (owner_kind, owner_id, metric_id) values ('i', 1, 1), ('i', 1, 2)`;
    await sql.unsafe(`create table samples_20261122 partition of samples for values from (${Date.UTC(2026, 10, 22)}) to (${Date.UTC(2026, 10, 23)})`);
    await sql`insert into samples values (1, ${Date.UTC(2026, 10, 22, 1)}, 1.5), (1, ${Date.UTC(2026, 10, 22, 2)}, 2.5), (2, ${Date.UTC(2026, 10, 22, 1)}, 7)`;
    await sql.end();
    const s = await openStore(old.url);
    try {
      const rows = await s.sql`select series_id, ts, value from raw_samples order by series_id, ts`;
      assert.deepEqual(rows.map((r) => [r.series_id, Number(r.ts), r.value]), [[1, Date.UTC(2026, 10, 22, 1), 1.5], [1, Date.UTC(2026, 10, 22, 2), 2.5], [2, Date.UTC(2026, 10, 22, 1), 7]]);
      const [sets] = await s.sql`select count(*)::int as n, bool_or(counters[1]) as any_counter from series_sets`;
      assert.deepEqual([sets.n, sets.any_counter], [2, true]);
    } finally { await s.close(); }
  } finally { await old.destroy(); }
});
