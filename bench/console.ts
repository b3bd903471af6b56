// The console's speed in a real browser (headless Chromium), on simulated data in a real store:
//  1. the fleet page with 200 instances: from the answer of GET /api/v1/instances to every row
//     drawn with its sparklines, and from navigation to that;
//  2. an instance dashboard over 7 days (1-hour buckets from the rollups): from navigation to every
//     chart drawn, the slowest chart request, and the drawing after the last answer.
// Baseline, in the same run: the same API requests made from Node, so the figures separate the
// server's time from the browser's. Prints JSON lines and appends them to bench/RESULTS.md.
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadCatalog } from '../src/catalog/index.ts';
import { FleetSimulator } from '../src/simulate/index.ts';
import { DAY_MS, type Store } from '../src/store/index.ts';
import { Keeper, StoreReceiver, type Routes } from '../src/server/keeper/index.ts';
import { MESSAGE_TYPES, type Envelope } from '../src/protocol/index.ts';
import { startServer } from '../src/server/index.ts';
import { adminHeaders, browserSignIn, launchChromium, startTestPostgres } from '../test/harness/index.ts';
import { machine, record } from './machine.ts';

const { values } = parseArgs({ options: {
  instances: { type: 'string', default: '200' }, days: { type: 'string', default: '7' }, runs: { type: 'string', default: '7' },
  'no-record': { type: 'boolean', default: false },
} });
const INSTANCES = Number(values.instances);
const DAYS = Number(values.days);
const RUNS = Number(values.runs);
const log = (msg: string) => process.stderr.write(`[bench:console] ${msg}\n`);
const webDir = fileURLToPath(new URL('../web/dist', import.meta.url));
if (!existsSync(`${webDir}/index.html`)) throw new Error('the console is not built: run npm run build:web first (npm run bench:console does)');

const pg = await startTestPostgres(18, { shared_buffers: '512MB', max_wal_size: '4GB' });
const server = await startServer({ role: 'api', storeUrl: pg.url, host: '127.0.0.1', port: 0, retentionDays: DAYS + 2, webDir });
const store: Store = server.store;
const now = Date.now();
const catalog = loadCatalog();
const storeOnly: Routes = Object.fromEntries(MESSAGE_TYPES.map((t) => [t, ['store']]));
const keeper = new Keeper(store, { routes: storeOnly, receivers: [new StoreReceiver(store)], maxAgeMs: (DAYS + 2) * DAY_MS });

async function fill(sim: FleetSimulator, from: number, to: number, stepMs = 600_000): Promise<number> {
  let n = 0;
  for (let t = from; t < to; t += stepMs) {
    const batch: Envelope[] = sim.tick(t, Math.min(to, t + stepMs));
    n += batch.length;
    for (let i = 0; i < batch.length; i += 2000) await keeper.ingest(batch.slice(i, i + 2000).map((envelope) => ({ envelope, source: 'bench' })), { isolate: false });
  }
  return n;
}

await store.timeseries.ensurePartitions(now - (DAYS + 1) * DAY_MS, now + DAY_MS);
// The fleet: every instance with the last 40 minutes (its sparklines span 30).
let t0 = performance.now();
const fleetMsgs = await fill(new FleetSimulator(catalog, { agents: INSTANCES, seed: 5, prefix: 'fleet' }), now - 40 * 60_000, now - 5_000, 120_000);
log(`fleet: ${INSTANCES} instances × 40 min, ${fleetMsgs} messages in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
// One instance with DAYS days of the collectors the dashboard reads.
const dashboard = new Set(['pg_stat_database', 'pg_activity', 'pg_wait', 'pg_wal', 'pg_checkpointer', 'pg_replication', 'pg_replication_slots', 'node_cpu', 'node_memory', 'node_disk', 'node_net', 'pg_up']);
t0 = performance.now();
const weekMsgs = await fill(new FleetSimulator(catalog.filter((c) => dashboard.has(c.id)), { agents: 1, seed: 6, prefix: 'week' }), now - DAYS * DAY_MS, now - 5_000);
log(`week: 1 instance × ${DAYS} days, ${weekMsgs} messages in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
t0 = performance.now();
for (const res of ['1m', '1h'] as const) {
  for (let last = -1; ;) {
    const r = await store.rollups.run(res, now);
    if (r.doneTo === last && r.redone === 0) break;
    last = r.doneTo;
  }
}
await store.sql`vacuum analyze`;
log(`rollups in ${((performance.now() - t0) / 1000).toFixed(0)} s`);

const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
const stats = (xs: number[]) => ({ p50_ms: Math.round(q(xs, 0.5)), max_ms: Math.round(Math.max(...xs)) });

// Baseline: the requests from Node.
const apiFleet: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const a = performance.now();
  const body = await (await fetch(`${server.url}/api/v1/instances`, { headers: await adminHeaders(server) })).json() as { instances: unknown[] };
  apiFleet.push(performance.now() - a);
  if (body.instances.length < INSTANCES) throw new Error(`${body.instances.length} instances listed, ${INSTANCES} expected`);
}

const browser = await launchChromium();
await browserSignIn(browser.context, server);
const page = await browser.context.newPage();
const fleetRender: number[] = [];
const fleetTotal: number[] = [];
for (let i = 0; i < RUNS; i++) {
  await page.goto('about:blank');
  await page.goto(`${server.url}/`);
  // In the page: when the last row has its sparklines, against when the answer arrived.
  // In the page (a string: the bench runs through tsx, whose helpers do not exist in the page):
  // when the last row has its sparklines, against when the answer arrived.
  const m = await page.evaluate(`new Promise((resolve) => {
    const check = () => {
      const rows = document.querySelectorAll('[data-testid="fleet-row"]').length;
      const sparks = document.querySelectorAll('[data-testid="fleet-row"] td.num svg').length;
      if (rows >= ${INSTANCES} && sparks >= ${INSTANCES}) {
        const done = performance.now();
        const api = performance.getEntriesByType('resource').find((e) => e.name.endsWith('/api/v1/instances'));
        resolve({ afterData: done - api.responseEnd, total: done });
      } else requestAnimationFrame(check);
    };
    check();
  })`) as { afterData: number; total: number };
  fleetRender.push(m.afterData);
  fleetTotal.push(m.total);
}

const dashTotal: number[] = [];
const dashAfterData: number[] = [];
const dashSlowest: number[] = [];
let charts = 0;
let requests = 0;
for (let i = 0; i < RUNS; i++) {
  await page.goto('about:blank');
  await page.goto(`${server.url}/instances/week-0?range=7d`);
  const m = await page.evaluate(`new Promise((resolve) => {
    const check = () => {
      const cards = [...document.querySelectorAll('[data-testid^="chart-"]')];
      const settled = cards.length > 0 && cards.every((c) => c.getAttribute('data-state') !== 'loading'
        && (c.getAttribute('data-state') !== 'ready' || Number(c.getAttribute('data-points')) > 0));
      if (!settled) { requestAnimationFrame(check); return; }
      const done = performance.now();
      const calls = performance.getEntriesByType('resource').filter((e) => e.name.includes('/api/v1/series/query'));
      resolve({
        total: done, afterData: done - Math.max(...calls.map((c) => c.responseEnd)), slowest: Math.max(...calls.map((c) => c.duration)),
        drawn: document.querySelectorAll('[data-testid^="chart-"][data-state="ready"]').length, requests: calls.length,
      });
    };
    check();
  })`) as { total: number; afterData: number; slowest: number; drawn: number; requests: number };
  dashTotal.push(m.total);
  dashAfterData.push(m.afterData);
  dashSlowest.push(m.slowest);
  charts = m.drawn;
  requests = m.requests;
}
await browser.close();

// Baseline for the dashboard: its slowest chart's request from Node (the 7-day WAL rate, 1-hour buckets).
const apiDash: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const a = performance.now();
  const res = await fetch(`${server.url}/api/v1/series/query`, { method: 'POST', headers: { 'content-type': 'application/json', ...await adminHeaders(server) }, body: JSON.stringify({
    instance: 'week-0', from: `now-${DAYS}d`, to: 'now', maxPoints: 500,
    queries: [{ metric: 'pg_stat_database.xact_commit', fn: 'rate', by: '' }, { metric: 'pg_stat_database.xact_rollback', fn: 'rate', by: '' }],
  }) });
  await res.json();
  apiDash.push(performance.now() - a);
}

const figures = [
  { figure: 'fleet_page', instances: INSTANCES, runs: RUNS, render_after_data: stats(fleetRender), navigation_to_drawn: stats(fleetTotal), api_from_node: stats(apiFleet), goal_render_after_data_ms: 1000 },
  { figure: 'dashboard_7d', days: DAYS, runs: RUNS, charts_drawn: charts, requests, navigation_to_drawn: stats(dashTotal), render_after_last_answer: stats(dashAfterData), slowest_chart_request: stats(dashSlowest), api_from_node_tps_chart: stats(apiDash), goal_ms: 1000 },
];
const [{ version }] = await store.sql`select current_setting('server_version') as version`;
if (!values['no-record']) {
  record('console', figures, machine({ postgres: String(version), browser: 'Debian chromium, headless' }),
    `Headless Chromium (1440×900) against one \`pgfleet serve --role api\` in the bench process, store on PostgreSQL ${version}. Fleet: ${INSTANCES} simulated instances (src/simulate, preset standard) with 40 minutes of data; "render after data" is from the end of the GET /api/v1/instances answer to every row drawn with its sparklines (requestAnimationFrame polling in the page). Dashboard: one instance with ${DAYS} days of the collectors the dashboard reads, rolled up; "navigation to drawn" is from navigation start to every chart drawn or showing why it is empty; each chart is one POST /api/v1/series/query. Baseline: the same API requests from Node. ${RUNS} runs each.`);
} else {
  for (const f of figures) process.stdout.write(`${JSON.stringify({ bench: 'console', ...f })}\n`);
}
await server.stop();
await pg.destroy();
