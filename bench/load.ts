// Load test: a fleet of simulated agents at the catalog's default intervals, in real time,
// against one `pgfleet serve --role all` (api, keeper and worker in one process: rollups,
// compaction and retention run as they would in production) on this machine.
//  - ingest lag: now − ts of the newest committed sample, from the server's own report
//    (GET /api/v1/health → ingest.lag_ms) every second, checked against the store at the end;
//  - memory: VmRSS of the server process every second (and of nats-server and PostgreSQL);
//  - backlog: messages the JetStream consumer has not had acked yet.
// `pgfleet simulate` runs in its own process, as a separate fleet would.
// Prints JSON lines and appends them to bench/RESULTS.md.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { KEEPER_CONSUMER, STREAM_NAME } from '../src/protocol/index.ts';
import { freePort } from '../src/pg-embedded/index.ts';
import { startTestNats, startTestPostgres, waitFor } from '../test/harness/index.ts';
import { machine, record } from './machine.ts';
import { postmasterPid, rssKb, startAgent, tree, treeCpuMs } from './proc.ts';

const { values } = parseArgs({ options: {
  agents: { type: 'string', default: '1000' }, minutes: { type: 'string', default: '5' }, seed: { type: 'string', default: '1' },
  'lag-goal-s': { type: 'string', default: '5' }, 'register-s': { type: 'string', default: '660' }, 'no-record': { type: 'boolean', default: false },
  'serve-node-args': { type: 'string', default: '' },
} });
const AGENTS = Number(values.agents);
const MINUTES = Number(values.minutes);
const REGISTER_S = Number(values['register-s']);
const LAG_GOAL_MS = Number(values['lag-goal-s']) * 1000;
const log = (msg: string) => process.stderr.write(`[bench:load] ${msg}\n`);

const pg = await startTestPostgres(18, { fsync: 'on', synchronous_commit: 'on', full_page_writes: 'on', max_wal_size: '4GB', shared_buffers: '512MB' });
const nats = await startTestNats();
const sql = postgres(pg.url, { max: 2, onnotice: () => {} });
const [{ version }] = await sql`select current_setting('server_version') as version`;
const port = await freePort();
const serveArgs = ['serve', '--role', 'all', '--store', pg.url, '--nats', nats.url, '--listen', `127.0.0.1:${port}`];
const cleanup: (() => Promise<unknown> | void)[] = [() => pg.destroy(), () => nats.destroy(), () => sql.end()];
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, async () => { for (const c of cleanup.reverse()) await Promise.resolve(c()).catch(() => {}); process.exit(130); });
}
let run;
try {
  run = await measure();
} finally {
  for (const c of cleanup.reverse()) await Promise.resolve(c()).catch(() => {});
}
const { ticks, wallS, cpu, simSummary, health, newest, stored, dead, serveOut, series, t0 } = run;

async function measure() {
  const serve = startAgent(serveArgs, values['serve-node-args'].split(/\s+/).filter(Boolean), 'dist/cli/index.js');
  cleanup.push(() => serve.kill());
  await serve.waitForOutput(/serve \(all\) started/);
  const api = `http://127.0.0.1:${port}`;
  const nc = await connect({ servers: nats.url });
  const jsm = await jetstreamManager(nc);

  // The first REGISTER_S are the fleet registering: each collector of each agent reports for the
  // first time within its interval (10 min for the slowest), and the server creates its series.
  // Lag is reported for that phase apart; the window measured against the goal follows it.
  const durationS = REGISTER_S + MINUTES * 60;
  const sim = startAgent(['simulate', '--agents', String(AGENTS), '--nats', nats.url, '--duration-s', String(durationS), '--seed', values.seed,
    '--progress-s', '30', '--prefix', 'load'], [], 'dist/cli/index.js');
  cleanup.push(() => sim.kill());
  log(`${AGENTS} agents for ${MINUTES} min against serve pid ${serve.pid}`);

  interface Tick { t: number; lagMs: number | null; rssMb: number; natsMb: number; pgMb: number; pending: number }
  const ticks: Tick[] = [];
  const t0 = Date.now();
  const cpu0 = { serve: treeCpuMs(serve.pid), sim: treeCpuMs(sim.pid) };
  let simCpuMs = 0;
  const natsPid = nats.pid();
  const pgPid = postmasterPid(pg.dataDir);
  while (sim.child.exitCode === null && sim.child.signalCode === null) {
    const health = await fetch(`${api}/api/v1/health`).then((r) => r.json() as Promise<{ ingest?: { lag_ms: number | null } }>).catch(() => undefined);
    const info = await jsm.consumers.info(STREAM_NAME, KEEPER_CONSUMER).catch(() => undefined);
    const tick: Tick = {
      t: Date.now() - t0, lagMs: health?.ingest?.lag_ms ?? null, rssMb: rssKb(serve.pid) / 1024,
      natsMb: rssKb(natsPid) / 1024, pgMb: tree(pgPid).reduce((s, p) => s + pssKb(p), 0) / 1024,
      pending: info ? info.num_pending + info.num_ack_pending : -1,
    };
    ticks.push(tick);
    simCpuMs = treeCpuMs(sim.pid) - cpu0.sim || simCpuMs;
    if (ticks.length % 30 === 0) log(`t=${Math.round(tick.t / 1000)} s lag=${tick.lagMs} ms rss=${tick.rssMb.toFixed(0)} MB pending=${tick.pending}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  const wallS = (Date.now() - t0) / 1000;
  const cpu = { serve: treeCpuMs(serve.pid) - cpu0.serve, sim: simCpuMs };
  const simLine = sim.output().split('\n').filter((l) => l.startsWith('{"figure":"simulate"')).at(-1);
  if (!simLine) throw new Error(`simulate printed no summary:\n${sim.output().slice(-2000)}`);
  const simSummary = JSON.parse(simLine) as { sent: number; samples: number };
  await waitFor('the backlog committed', async () => (await jsm.consumers.info(STREAM_NAME, KEEPER_CONSUMER)).num_pending === 0, 120_000, 200);
  await waitFor('every message committed', async () => Number((await sql`select count(*)::int as n from ingested`)[0].n) >= simSummary.sent, 120_000, 200);
  const [{ newest }] = await sql`select max(ts)::float8 as newest from sample_sets`;
  // The keeper counts a batch after its commit: the store can show it a moment before /health does.
  let health = { ingest: { newest_sample_ts: 0 } };
  await waitFor('the server to report the newest sample', async () => {
    health = await (await fetch(`${api}/api/v1/health`)).json() as typeof health;
    return health.ingest.newest_sample_ts >= newest;
  }, 10_000, 100).catch(() => {});
  const [{ stored }] = await sql`select count(*)::float8 as stored from ingested`;
  const [{ dead }] = await sql`select count(*)::int as dead from dead_letters`;
  await serve.stop();
  const serveOut = serve.output();
  await nc.close();
  const [{ series }] = await sql`select count(*)::int as series from series`;
  return { ticks, wallS, cpu, simSummary, health, newest, stored, dead, serveOut, series, t0 };
}

const steady = ticks.filter((k) => k.t >= REGISTER_S * 1000);
const registering = ticks.filter((k) => k.t < REGISTER_S * 1000);
const lastOver = registering.filter((k) => (k.lagMs ?? 0) >= LAG_GOAL_MS).at(-1);
const lags = steady.map((k) => k.lagMs).filter((v): v is number => v !== null).sort((a, b) => a - b);
const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))];
const rss = steady.map((k) => k.rssMb);
const lastMinute = ticks.filter((k) => k.t >= ticks.at(-1)!.t - 60_000).map((k) => k.rssMb);
const firstMinute = steady.filter((k) => k.t < steady[0].t + 60_000).map((k) => k.rssMb);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const figures: Record<string, unknown>[] = [
  { figure: 'machine', ...machine({ postgres: version, nats_server: 'debian nats-server' }) },
  { figure: 'registration', seconds: REGISTER_S, series, lag_max_ms: Math.max(...registering.map((k) => k.lagMs ?? 0)),
    lag_under_goal_from_s: lastOver ? Math.round(lastOver.t / 1000) + 1 : 0, rss_max_mb: +Math.max(...registering.map((k) => k.rssMb)).toFixed(1) },
  { figure: 'load', agents: AGENTS, minutes: MINUTES, wall_s: +wallS.toFixed(1), messages: simSummary.sent, samples: simSummary.samples,
    samples_per_s: Math.round(simSummary.samples / wallS), messages_per_s: Math.round(simSummary.sent / wallS), stored_messages: stored, dead_letters: dead,
    serve_cpu_cores: +(cpu.serve / 1000 / wallS).toFixed(2), simulate_cpu_cores: +(cpu.sim / 1000 / wallS).toFixed(2) },
  { figure: 'ingest_lag_ms', p50: pct(lags, 0.5), p95: pct(lags, 0.95), p99: pct(lags, 0.99), max: lags.at(-1), samples: lags.length,
    window_s: Math.round((steady.at(-1)!.t - steady[0].t) / 1000), goal_max: LAG_GOAL_MS, ok: (lags.at(-1) ?? Infinity) < LAG_GOAL_MS,
    newest_reported_equals_store: health.ingest.newest_sample_ts === newest },
  { figure: 'serve_rss_mb', max: +Math.max(...rss).toFixed(1), window_first_minute_mean: +mean(firstMinute).toFixed(1), last_minute_mean: +mean(lastMinute).toFixed(1),
    nats_max: +Math.max(...ticks.map((k) => k.natsMb)).toFixed(1), postgres_pss_max: +Math.max(...ticks.map((k) => k.pgMb)).toFixed(1) },
  { figure: 'backlog_messages', max: Math.max(...steady.map((k) => k.pending)), mean: Math.round(mean(steady.map((k) => k.pending))) },
  { figure: 'lag_peaks_and_slow_jobs', note: 'seconds since the start of the run',
    lag_peaks: [...steady].sort((a, b) => (b.lagMs ?? 0) - (a.lagMs ?? 0)).slice(0, 8).map((k) => ({ at_s: Math.round(k.t / 1000), lag_ms: k.lagMs })),
    slow_jobs: serveOut.split('\n').flatMap((l) => {
      const m = /^(\S+)\s.*worker job (\S+) took (\d+) ms/.exec(l);
      return m && Date.parse(m[1]) >= t0 + REGISTER_S * 1000 ? [{ ended_at_s: Math.round((Date.parse(m[1]) - t0) / 1000), job: m[2], ms: Number(m[3]) }] : [];
    }) },
  { figure: 'server_warnings', lines: serveOut.split('\n').filter((l) => /\b(warn|error)\b/.test(l)).length, last: serveOut.split('\n').filter((l) => /\b(warn|error)\b/.test(l)).slice(-3) },
];
const notes = `${AGENTS} simulated agents (\`pgfleet simulate\`, preset standard, seed ${values.seed}, catalog default intervals, real time) published to JetStream for ${REGISTER_S / 60} + ${MINUTES} min; one \`pgfleet serve --role all\` (the bundle${values['serve-node-args'] ? `, node ${values['serve-node-args']}` : ''}) stored them in PostgreSQL ${version} (fsync and synchronous_commit on) with its worker jobs running. The first ${REGISTER_S} s are the fleet registering (each collector reports once within its interval, the server creates the series; figure registration); the window measured against the goal follows. Lag: now − newest committed sample ts, from GET /api/v1/health each second; RSS each second.`;
if (values['no-record']) for (const f of figures) console.log(JSON.stringify({ bench: 'load', ...f }));
else record('load', figures, machine({ postgres: version, nats_server: 'debian nats-server' }), notes);

/** Proportional set size in kB: shared memory (PostgreSQL's shared buffers) counted once across processes. */
function pssKb(pid: number): number {
  try { return Number(/Pss:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0); } catch { return 0; }
}
