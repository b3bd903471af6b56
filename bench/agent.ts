// Cost of `pgfleet agent` (preset standard) on a target with 10,000 tables and 5,000
// pg_stat_statements entries; baseline: Debian's prometheus-postgres-exporter with its
// default collectors, scraped every cycle, on the same target over the same window.
// Both run at once, each as its own pg_monitor role, so pg_stat_statements splits their
// database time by userid. Prints JSON lines, appends bench/RESULTS.md.
//
// A cycle is CYCLE_S seconds (15 by default): one exporter scrape, and one run of every
// agent collector (the agent runs with --max-interval-s CYCLE_S, so collectors whose
// catalog interval is longer run every cycle too: the agent's cost is overstated, never
// understated).
import { parseArgs } from 'node:util';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import postgres, { type Sql } from 'postgres';
import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { decodeEnvelope, KEEPER_CONSUMER, STREAM_NAME, type Envelope } from '../src/protocol/index.ts';
import { ensureIngestStream } from '../src/server/keeper/index.ts';
import { collectorsForPreset, loadCatalog, selectVariant } from '../src/catalog/index.ts';
import { freePort, type PgMajor } from '../src/pg-embedded/index.ts';
import { startTestNats, startTestPostgres, tempDir, waitFor, waitPort } from '../test/harness/index.ts';
import { CLK_TCK, commOf, hwmKb, procStat, rssKb, startAgent, tree, treeCpuMs } from './proc.ts';
import { machine, record } from './machine.ts';

const EXPORTER = process.env.PGFLEET_POSTGRES_EXPORTER ?? '/usr/bin/prometheus-postgres-exporter';
if (!existsSync(EXPORTER)) {
  process.stderr.write(`bench:agent needs postgres_exporter at ${EXPORTER} (Debian: apt-get install -y prometheus-postgres-exporter; or set PGFLEET_POSTGRES_EXPORTER)\n`);
  process.exit(1);
}

const { values } = parseArgs({ options: {
  major: { type: 'string', default: '16' }, tables: { type: 'string', default: '10000' },
  statements: { type: 'string', default: '5000' }, 'window-s': { type: 'string', default: '90' },
  'cycle-s': { type: 'string', default: '15' }, 'warmup-s': { type: 'string', default: '20' },
  'no-record': { type: 'boolean', default: false },
  // Node flags for the agent process, for diagnosis, e.g. "--cpu-prof --cpu-prof-dir=DIR" (use with --no-record).
  // What an agent runs in production (docs/install.md): the bundle, with a small young generation.
  'agent-node-args': { type: 'string', default: '--max-semi-space-size=1 --optimize-for-size --lite-mode --single-threaded' },
  'agent-entry': { type: 'string', default: 'dist/cli/index.js' },
  // The agent's --max-interval-s; 0 runs every collector at its catalog interval (use a window
  // of 600 s or more so the rare ones run), default: the cycle, so every collector runs each cycle.
  'agent-max-interval-s': { type: 'string' },
} });
const MAJOR = Number(values.major) as PgMajor;
const TABLES = Number(values.tables);
const STATEMENTS = Math.min(Number(values.statements), TABLES);
const CYCLE_S = Number(values['cycle-s']);
const CYCLES = Math.max(1, Math.round(Number(values['window-s']) / CYCLE_S));
const WINDOW_MS = CYCLES * CYCLE_S * 1000;
const SCHEMAS = 5;
const ROLES = { agent: 'bench_agent', exporter: 'bench_exporter' } as const;
type Tool = keyof typeof ROLES;

const log = (msg: string) => process.stderr.write(`[bench:agent] ${msg}\n`);
const cleanups: (() => unknown)[] = [];
async function cleanup(): Promise<void> {
  while (cleanups.length) { try { await cleanups.pop()!(); } catch (err) { log(`cleanup: ${(err as Error).message}`); } }
}
process.once('SIGINT', () => { void cleanup().then(() => process.exit(130)); });

// ---- the target ----

async function buildTarget(sql: Sql): Promise<void> {
  await sql.unsafe('create extension if not exists pg_stat_statements');
  for (let s = 0; s < SCHEMAS; s++) await sql.unsafe(`create schema s${s}`);
  // 500 tables per transaction: each table takes ~5 locks (table, pkey, toast, toast index, index), and the
  // lock table holds max_locks_per_transaction × max_connections of them.
  const BATCH = 500;
  for (let lo = 0; lo < TABLES; lo += BATCH) {
    const hi = Math.min(TABLES, lo + BATCH) - 1;
    await sql.unsafe(`do $$ declare t text; begin
      for i in ${lo}..${hi} loop
        t := format('s%s.t%s', i % ${SCHEMAS}, i);
        execute format('create table %s (id int primary key, a int not null, b text, c timestamptz not null default now(), d numeric)', t);
        execute format('insert into %s (id, a, b, d) select g, g %% 97, md5(g::text), g * 1.5 from generate_series(1, %s) g', t, 10 + i % 91);
        if i % 4 = 0 then execute format('create index on %s (a)', t); end if;
        if i % 16 = 0 then execute format('create index on %s (c, a)', t); end if;
      end loop; end $$`);
  }
  await sql.unsafe('analyze');
}

/** Query i: its own table and column list, so 5,000 of them are 5,000 pg_stat_statements entries. */
function shape(i: number, key: number): string {
  const cols = ['id', 'a', 'b', 'c', 'd'].filter((_, k) => k === 0 || ((i >> k) & 1) === 1);
  return `select ${cols.join(', ')} from s${i % SCHEMAS}.t${i} where id = ${key}`;
}
async function runShapes(sql: Sql, ids: number[]): Promise<void> {
  for (let k = 0; k < ids.length; k += 250) {
    await sql.unsafe(ids.slice(k, k + 250).map((i) => shape(i, 1 + (Date.now() + i) % 10)).join(';\n')).simple();
  }
}

interface DbTime { calls: number; exec_ms: number; plan_ms: number; statements: number }
async function dbTimeByRole(sql: Sql): Promise<Record<Tool, DbTime>> {
  const rows = await sql`select r.rolname, sum(s.calls)::float8 as calls, sum(s.total_exec_time)::float8 as exec_ms,
      sum(s.total_plan_time)::float8 as plan_ms, count(*)::int as statements
    from pg_stat_statements s join pg_roles r on r.oid = s.userid where r.rolname in ${sql(Object.values(ROLES))} group by r.rolname`;
  const out = {} as Record<Tool, DbTime>;
  for (const t of Object.keys(ROLES) as Tool[]) {
    const r = rows.find((x) => x.rolname === ROLES[t]);
    out[t] = { calls: r?.calls ?? 0, exec_ms: r?.exec_ms ?? 0, plan_ms: r?.plan_ms ?? 0, statements: r?.statements ?? 0 };
  }
  return out;
}

// ---- the exporter's text format ----

function parseExposition(text: string): { families: Set<string>; samples: number } {
  const families = new Set<string>();
  let samples = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) families.add(line.split(' ')[2]);
    else if (line && !line.startsWith('#')) { samples++; families.add(line.split(/[{ ]/)[0]); }
  }
  return { families, samples };
}
/** The exporter's own metrics (Go runtime, process, HTTP handler, scrape bookkeeping), not data about PostgreSQL. */
const exporterSelf = (name: string) => /^(go_|process_|promhttp_|pg_exporter_|postgres_exporter_)/.test(name);

// ---- attributing the agent's statements to catalog collectors ----

const normalize = (q: string) => q.toLowerCase().replace(/'(?:[^']|'')*'/g, '?').replace(/\$\d+|\b\d+(\.\d+)?\b/g, '?').replace(/\s+/g, ' ').trim();
function collectorOf(query: string, sqls: { id: string; norm: string }[]): string {
  const q = normalize(query);
  let best = { id: '(not in the catalog)', len: 0 };
  for (const s of sqls) {
    let n = 0;
    while (n < q.length && n < s.norm.length && q[n] === s.norm[n]) n++;
    if (n > best.len && (n === q.length || n >= 40)) best = { id: s.id, len: n };
  }
  return best.id;
}

// ---- the run ----

let exitCode = 0;
try {
  // It prints its version on stderr.
  const v = spawnSync(EXPORTER, ['--version'], { encoding: 'utf8' });
  const exporterVersion = `${v.stdout ?? ''}${v.stderr ?? ''}`;
  const exporterVersionShort = /version (\S+)/.exec(exporterVersion)?.[1] ?? 'unknown';

  log(`PostgreSQL ${MAJOR}: ${TABLES} tables, ${STATEMENTS} statement shapes`);
  const pg = await startTestPostgres(MAJOR, {
    shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.max': 10000,
    'pg_stat_statements.track_planning': 'on', track_io_timing: 'on', shared_buffers: '256MB',
  });
  cleanups.push(() => pg.destroy());
  const admin = postgres(pg.url, { max: 1, onnotice: () => {} });
  cleanups.push(() => admin.end({ timeout: 2 }));
  await admin.unsafe('create database bench');
  for (const role of Object.values(ROLES)) await admin.unsafe(`create role ${role} login; grant pg_monitor to ${role}; grant connect on database bench to ${role}`);
  const [{ version, num: versionNum }] = await admin`select current_setting('server_version') as version, current_setting('server_version_num')::int as num`;
  const sql = postgres(pg.urlFor('bench'), { max: 1, onnotice: () => {} });
  cleanups.push(() => sql.end({ timeout: 2 }));
  // pg_stat_statements is readable where the extension is: the bench database.
  const stats = postgres(pg.urlFor('bench'), { max: 1, onnotice: () => {} });
  cleanups.push(() => stats.end({ timeout: 2 }));
  const tBuild = performance.now();
  await buildTarget(sql);
  const shapes = Array.from({ length: STATEMENTS }, (_, i) => i);
  await runShapes(sql, shapes);
  const [{ entries }] = await sql`select count(*)::int as entries from pg_stat_statements`;
  log(`target built in ${((performance.now() - tBuild) / 1000).toFixed(1)} s; pg_stat_statements holds ${entries} entries`);

  const nats = await startTestNats();
  cleanups.push(() => nats.destroy());
  const nc = await connect({ servers: nats.url });
  cleanups.push(() => nc.close());
  await ensureIngestStream(nc);

  const spool = tempDir('pgfleet-bench-spool-');
  cleanups.push(() => spool.remove());
  const agentUrl = `postgres://${ROLES.agent}@127.0.0.1:${pg.port}/bench`;
  const agent = startAgent(['agent', '--id', 'bench-agent', '--namespace', 'bench', '--target', `bench-1=${agentUrl}`,
    '--nats', nats.url, '--spool-dir', spool.path, '--max-interval-s', values['agent-max-interval-s'] ?? String(CYCLE_S)], values['agent-node-args'].split(/\s+/).filter(Boolean), values['agent-entry']);
  cleanups.push(() => agent.stop());
  await agent.waitForOutput(/watching/);

  const exporterPort = await freePort();
  const exporter = spawn(EXPORTER, [`--web.listen-address=127.0.0.1:${exporterPort}`], {
    env: { PATH: process.env.PATH, DATA_SOURCE_NAME: `postgresql://${ROLES.exporter}@127.0.0.1:${pg.port}/bench?sslmode=disable` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let exporterLog = '';
  exporter.stdout!.on('data', (d: Buffer) => { exporterLog += d.toString(); });
  exporter.stderr!.on('data', (d: Buffer) => { exporterLog += d.toString(); });
  const exporterExit = new Promise<void>((r) => exporter.on('exit', () => r()));
  cleanups.push(async () => { if (exporter.exitCode === null && exporter.signalCode === null) { exporter.kill('SIGTERM'); await exporterExit; } });
  await waitPort(exporterPort);
  const scrape = async () => {
    const t = performance.now();
    const res = await fetch(`http://127.0.0.1:${exporterPort}/metrics`);
    const text = await res.text();
    if (!res.ok) throw new Error(`exporter answered ${res.status}: ${text.slice(0, 500)}`);
    return { text, ms: performance.now() - t };
  };

  // Warm-up: both tools connected, every collector has run once, first scrape done.
  await scrape();
  await new Promise((r) => setTimeout(r, Number(values['warmup-s']) * 1000));
  await waitFor('the agent to query the target', async () => (await admin`select 1 from pg_stat_activity where usename = ${ROLES.agent}`).length > 0);

  // The window. A light workload (the superuser runs 200 of the shapes every 5 s) keeps counters and
  // pg_stat_statements moving, so the agent's deltas are not empty.
  const pids: Record<Tool, number> = { agent: agent.pid, exporter: exporter.pid! };
  await stats`select pg_stat_statements_reset(oid, 0, 0) from pg_roles where rolname in ${stats(Object.values(ROLES))}`;
  const t0 = Date.now();
  const cpu0: Record<Tool, number> = { agent: treeCpuMs(pids.agent), exporter: treeCpuMs(pids.exporter) };
  const rss: Record<Tool, number[]> = { agent: [], exporter: [] };
  const procs: Record<Tool, number> = { agent: 0, exporter: 0 };
  const childNames: Record<Tool, Set<string>> = { agent: new Set(), exporter: new Set() };
  const rootRss: Record<Tool, number[]> = { agent: [], exporter: [] };
  // Backends serving each tool: CPU per pid, first and last seen in the window.
  const backends = new Map<number, { tool: Tool; first: number; last: number }>();
  const sampleBackends = async (seedZero: boolean) => {
    for (const r of await admin`select pid, usename from pg_stat_activity where usename in ${admin(Object.values(ROLES))}`) {
      const ticks = procStat(r.pid as number)?.cpuTicks;
      if (ticks === undefined) continue;
      const b = backends.get(r.pid as number);
      if (b) b.last = ticks;
      else backends.set(r.pid as number, { tool: r.usename === ROLES.agent ? 'agent' : 'exporter', first: seedZero ? 0 : ticks, last: ticks });
    }
  };
  await sampleBackends(false);
  const sampler = setInterval(() => {
    for (const t of Object.keys(ROLES) as Tool[]) {
      const ps = tree(pids[t]);
      rss[t].push(ps.reduce((s, p) => s + rssKb(p), 0));
      rootRss[t].push(rssKb(pids[t]));
      procs[t] = Math.max(procs[t], ps.length);
      for (const p of ps.slice(1)) { const c = commOf(p); if (c) childNames[t].add(c); }
    }
    void sampleBackends(true).catch(() => {});
  }, 1000);
  cleanups.push(() => clearInterval(sampler));
  const workload = setInterval(() => {
    void runShapes(sql, Array.from({ length: 200 }, () => Math.floor(Math.random() * STATEMENTS))).catch((err) => log(`workload: ${(err as Error).message}`));
  }, 5000);
  cleanups.push(() => clearInterval(workload));
  const scrapes: { families: Set<string>; samples: number; bytes: number; ms: number; error: boolean }[] = [];
  for (let c = 0; c < CYCLES; c++) {
    const due = t0 + c * CYCLE_S * 1000;
    if (Date.now() < due) await new Promise((r) => setTimeout(r, due - Date.now()));
    const { text, ms } = await scrape();
    // A failed default-metrics query sets pg_exporter_last_scrape_error; a failed collector, pg_scrape_collector_success 0.
    const error = /^pg_exporter_last_scrape_error 1$/m.test(text) || /^pg_scrape_collector_success\{[^}]*\} 0$/m.test(text);
    scrapes.push({ ...parseExposition(text), bytes: Buffer.byteLength(text), ms, error });
  }
  await new Promise((r) => setTimeout(r, Math.max(0, t0 + WINDOW_MS - Date.now())));
  clearInterval(workload);
  clearInterval(sampler);
  const t1 = Date.now();
  const cpu1: Record<Tool, number> = { agent: treeCpuMs(pids.agent), exporter: treeCpuMs(pids.exporter) };
  await sampleBackends(true);
  const db = await dbTimeByRole(stats);
  const hwm: Record<Tool, number> = { agent: hwmKb(pids.agent), exporter: hwmKb(pids.exporter) };
  const top = await stats`select r.rolname, s.query, s.calls::float8 as calls, s.total_exec_time::float8 as exec_ms,
      s.total_plan_time::float8 as plan_ms, s.rows::float8 as rows
    from pg_stat_statements s join pg_roles r on r.oid = s.userid
    where r.rolname in ${stats(Object.values(ROLES))} order by s.total_exec_time desc`;

  await agent.stop();
  const agentOut = agent.output();

  // What the agent sent in the window.
  const js = jetstream(nc);
  const consumer = await js.consumers.get(STREAM_NAME, KEEPER_CONSUMER);
  const sent: { env: Envelope; bytes: number }[] = [];
  for (;;) {
    const batch = await consumer.fetch({ max_messages: 1000, expires: 2000 });
    let n = 0;
    for await (const m of batch) { n++; sent.push({ env: decodeEnvelope(m.data), bytes: m.data.byteLength }); m.ack(); }
    if (n === 0) break;
  }
  const inWindow = sent.filter((s) => s.env.ts >= t0 && s.env.ts < t1);
  const families = new Set<string>();
  const pgFamilies = new Set<string>();
  const series = new Set<string>();
  const runs = new Map<string, Set<number>>();
  const familiesOf = new Map<string, Set<string>>();
  const byType: Record<string, number> = {};
  let points = 0;
  let statementEntries = 0;
  for (const { env } of inWindow) {
    byType[env.type] = (byType[env.type] ?? 0) + 1;
    if (env.type === 'statements') statementEntries += env.data.entries.length;
    if (env.type !== 'metrics') continue;
    const key = `${env.instance ?? 'node'}/${env.data.collector}`;
    runs.set(key, (runs.get(key) ?? new Set()).add(env.ts));
    for (const f of env.data.metrics) {
      families.add(f.name);
      familiesOf.set(env.data.collector, (familiesOf.get(env.data.collector) ?? new Set()).add(f.name));
      if (env.instance) pgFamilies.add(f.name);
      for (const p of f.points) { points++; series.add(`${f.name}${JSON.stringify(p.l ?? {})}`); }
    }
  }
  const agentBytes = inWindow.reduce((s, x) => s + x.bytes, 0);
  const runCounts = [...runs.values()].map((s) => s.size);
  const lastHeartbeat = [...sent].reverse().find((s) => s.env.type === 'heartbeat')?.env;
  const unhealthy = lastHeartbeat?.type === 'heartbeat'
    ? lastHeartbeat.data.collectors.filter((c) => c.state !== 'ok').map((c) => `${c.id}: ${c.state}${c.last_error ? ` (${c.last_error.slice(0, 120)})` : ''}`) : [];

  const exporterFamilies = new Set(scrapes.flatMap((s) => [...s.families]));
  const exporterPgFamilies = [...exporterFamilies].filter((n) => !exporterSelf(n));
  const exporterSettingsFamilies = exporterPgFamilies.filter((n) => n.startsWith('pg_settings_'));
  // The exporter makes one family per setting (pg_settings_shared_buffers_bytes, …); the agent one family labelled by name.
  const exporterComparable = exporterPgFamilies.length - exporterSettingsFamilies.length + (exporterSettingsFamilies.length > 0 ? 1 : 0);
  const exporterErrors = exporterLog.split('\n').filter((l) => /level=(error|warn)/.test(l));

  // Per-statement cost, attributed to collectors.
  const catalogSql = collectorsForPreset(loadCatalog(), 'standard').flatMap((d) => {
    const v = selectVariant(d, versionNum as number);
    return v ? [{ id: d.id, norm: normalize(v.sql), interval_s: d.interval_s }] : [];
  });
  const perCollector = new Map<string, { exec_ms: number; plan_ms: number; calls: number; query: string; interval_s?: number }>();
  for (const r of top.filter((x) => x.rolname === ROLES.agent)) {
    const id = /^set local statement_timeout/i.test(r.query as string) ? '(set local statement_timeout)' : collectorOf(r.query as string, catalogSql);
    const key = id === '(not in the catalog)' ? `${id} ${(r.query as string).replace(/\s+/g, ' ').slice(0, 80)}` : id;
    const have = perCollector.get(key) ?? { exec_ms: 0, plan_ms: 0, calls: 0, query: (r.query as string).replace(/\s+/g, ' ').slice(0, 100), interval_s: catalogSql.find((c) => c.id === id)?.interval_s };
    have.exec_ms += r.exec_ms as number; have.plan_ms += r.plan_ms as number; have.calls += r.calls as number;
    perCollector.set(key, have);
  }
  // At the catalog's own intervals a collector slower than the cycle runs CYCLE_S / interval_s times per cycle.
  const atCatalogIntervals = (v: { exec_ms: number; interval_s?: number }) => v.exec_ms / CYCLES * Math.min(1, CYCLE_S / (v.interval_s ?? CYCLE_S));
  const agentExecAtCatalogIntervals = [...perCollector.values()].reduce((s, v) => s + atCatalogIntervals(v), 0);
  const agentTop = [...perCollector.entries()].sort((a, b) => b[1].exec_ms - a[1].exec_ms).slice(0, 8)
    .map(([collector, v]) => ({ collector, ...(v.interval_s ? { catalog_interval_s: v.interval_s } : {}),
      exec_ms_per_cycle: +(v.exec_ms / CYCLES).toFixed(2), plan_ms_per_cycle: +(v.plan_ms / CYCLES).toFixed(2),
      calls_per_cycle: +(v.calls / CYCLES).toFixed(1), query: v.query }));
  const exporterTop = top.filter((x) => x.rolname === ROLES.exporter).slice(0, 5)
    .map((r) => ({ exec_ms_per_cycle: +((r.exec_ms as number) / CYCLES).toFixed(2), calls_per_cycle: +((r.calls as number) / CYCLES).toFixed(1), query: (r.query as string).replace(/\s+/g, ' ').slice(0, 100) }));

  const backendCpu: Record<Tool, number> = { agent: 0, exporter: 0 };
  for (const b of backends.values()) backendCpu[b.tool] += (b.last - b.first) * 1000 / CLK_TCK;
  const mb = (kb: number) => +(kb / 1024).toFixed(1);
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
  const fig = (t: Tool) => ({
    processes: procs[t], children: [...childNames[t]], rss_max_mb: mb(Math.max(...rss[t])), main_process_rss_max_mb: mb(Math.max(...rootRss[t])), rss_mean_mb: mb(mean(rss[t])), rss_hwm_mb: mb(hwm[t]),
    cpu_ms_per_cycle: +((cpu1[t] - cpu0[t]) / CYCLES).toFixed(1),
    db_exec_ms_per_cycle: +(db[t].exec_ms / CYCLES).toFixed(2), db_plan_ms_per_cycle: +(db[t].plan_ms / CYCLES).toFixed(2),
    db_calls_per_cycle: +(db[t].calls / CYCLES).toFixed(1), db_statements: db[t].statements,
    ...(t === 'agent' ? { db_exec_ms_per_cycle_at_catalog_intervals: +agentExecAtCatalogIntervals.toFixed(2) } : {}),
    backend_cpu_ms_per_cycle: +(backendCpu[t] / CYCLES).toFixed(1),
  });
  const a = fig('agent');
  const e = fig('exporter');
  const ratio = (x: number, y: number) => (y > 0 ? +(x / y).toFixed(3) : null);
  const m = machine({ postgres: version as string, postgres_exporter: exporterVersionShort });
  const figures: Record<string, unknown>[] = [
    { figure: 'machine', ...m },
    { figure: 'agent', preset: 'standard', entry: values['agent-entry'], node_args: values['agent-node-args'], max_interval_s: Number(values['agent-max-interval-s'] ?? CYCLE_S), window_s: WINDOW_MS / 1000, ...a, families: families.size, pg_families: pgFamilies.size, series: series.size,
      points_per_cycle: Math.round(points / CYCLES), bytes_per_cycle: Math.round(agentBytes / CYCLES), messages: byType,
      statement_entries_per_cycle: +(statementEntries / CYCLES).toFixed(1),
      collector_runs_in_window: { min: Math.min(...runCounts), max: Math.max(...runCounts), collectors: runCounts.length },
      families_by_collector: Object.fromEntries([...familiesOf.entries()].sort().map(([k, v]) => [k, v.size])),
      unhealthy_collectors: unhealthy, warn_lines: agentOut.split('\n').filter((l) => /\b(warn|error)\b/i.test(l)).length },
    { figure: 'exporter', version: exporterVersionShort, ...e, families: exporterFamilies.size, pg_families: exporterPgFamilies.length,
      pg_settings_families: exporterSettingsFamilies.length, pg_families_settings_as_one: exporterComparable, series_per_scrape: Math.round(mean(scrapes.map((s) => s.samples))),
      bytes_per_scrape: Math.round(mean(scrapes.map((s) => s.bytes))), scrape_ms_mean: Math.round(mean(scrapes.map((s) => s.ms))),
      scrapes: scrapes.length, scrapes_with_error: scrapes.filter((s) => s.error).length,
      error_log_lines: exporterErrors.length, first_error: exporterErrors[0]?.slice(0, 200) ?? null },
    { figure: 'ratio_agent_to_exporter',
      rss_max: ratio(a.rss_max_mb, e.rss_max_mb), rss_mean: ratio(a.rss_mean_mb, e.rss_mean_mb),
      cpu_per_cycle: ratio(a.cpu_ms_per_cycle, e.cpu_ms_per_cycle),
      db_exec_per_cycle: ratio(a.db_exec_ms_per_cycle, e.db_exec_ms_per_cycle),
      db_exec_per_cycle_at_catalog_intervals: ratio(agentExecAtCatalogIntervals, e.db_exec_ms_per_cycle),
      db_exec_plan_per_cycle: ratio(a.db_exec_ms_per_cycle + a.db_plan_ms_per_cycle, e.db_exec_ms_per_cycle + e.db_plan_ms_per_cycle),
      backend_cpu_per_cycle: ratio(a.backend_cpu_ms_per_cycle, e.backend_cpu_ms_per_cycle),
      pg_families: ratio(pgFamilies.size, exporterPgFamilies.length),
      pg_families_settings_as_one: ratio(pgFamilies.size, exporterComparable) },
    { figure: 'goals', agent_rss_max_mb: a.rss_max_mb, agent_rss_goal_mb: 80, agent_rss_ok: a.rss_max_mb <= 80,
      db_exec_per_cycle_ok: a.db_exec_ms_per_cycle <= e.db_exec_ms_per_cycle,
      db_exec_per_cycle_at_catalog_intervals_ok: agentExecAtCatalogIntervals <= e.db_exec_ms_per_cycle,
      more_pg_families_ok: pgFamilies.size > exporterPgFamilies.length, more_pg_families_settings_as_one_ok: pgFamilies.size > exporterComparable },
    { figure: 'agent_top_statements', top: agentTop },
    { figure: 'exporter_top_statements', top: exporterTop },
  ];
  const notes = `Target: PostgreSQL ${MAJOR}, ${TABLES} tables in ${SCHEMAS} schemas (primary keys, 10–100 rows, a secondary index on every 4th), `
    + `${entries} pg_stat_statements entries, a light workload (200 of the ${STATEMENTS} statement shapes every 5 s) during the window. `
    + `\`pgfleet agent\` (preset standard, NATS JetStream transport, --max-interval-s ${values["agent-max-interval-s"] ?? CYCLE_S}, node ${values["agent-node-args"]} ${values["agent-entry"]}) and prometheus-postgres-exporter ${exporterVersionShort} `
    + `(default collectors, scraped every ${CYCLE_S} s) ran together for ${CYCLES} cycles of ${CYCLE_S} s, each as its own pg_monitor role. `
    + `A cycle: one scrape, one run of every agent collector. RSS: VmRSS of the process tree sampled every second; CPU: utime+stime (with reaped children) of the tree; `
    + `database time: pg_stat_statements total_exec_time (and total_plan_time) per role over the window; backend CPU: utime+stime of the backends serving each role. `
    + `*_at_catalog_intervals: each agent statement's measured cost per run, at the catalog interval of the collector it belongs to (statements outside the catalog, `
    + `such as the pg_stat_statements and pg_stat_activity samplers, counted every cycle). `
    + `pg_families: metric names about PostgreSQL (agent: instance-level messages; exporter: without go_/process_/promhttp_/pg_exporter_ self-metrics; `
    + `the exporter makes one pg_settings_* family per setting, counted as one in *_settings_as_one).`;
  if (!values['no-record']) record('agent', figures, m, notes);
  else for (const f of figures) process.stdout.write(`${JSON.stringify({ bench: 'agent', ...f })}\n`);
} catch (err) {
  log(`failed: ${(err as Error).stack ?? err}`);
  exitCode = 1;
} finally {
  await cleanup();
}
process.exit(exitCode);
