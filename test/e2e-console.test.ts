// `pgfleet demo` (what npm start runs, after building the console) in headless Chromium:
// the fleet page, an instance's dashboard, queries, a query, activity, objects, settings, and the Store page show data;
// screenshots go to test/artifacts/.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import postgres from 'postgres';
import { INSTANCE_CHARTS } from '../web/src/charts.ts';
import { formatValue, type ValueUnit } from '../web/src/format.ts';
import { firstAdminFromOutput, launchChromium, newPassword, runPgfleet, signIn, tempDir, waitFor, type PgfleetProcess, type TestBrowser } from './harness/index.ts';

const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url));
const CHARTS_WITH_DATA = ['tps', 'connections', 'tuples', 'waits', 'cache-hit', 'wal', 'checkpoints', 'cpu', 'memory', 'disk-io', 'network', 'process-cpu', 'process-memory'];

const dir = tempDir('pgfleet-demo-');
let demo: PgfleetProcess | undefined;
let browser: TestBrowser | undefined;
/** The admin's password once chosen in the console at the first sign-in. */
const adminPassword = newPassword();
/** GET as the admin, with a session of its own. */
async function get(url: string, path: string): Promise<Response> {
  const s = await signIn(url, 'admin', adminPassword);
  return fetch(`${url}${path}`, { headers: { cookie: s.cookie } });
}
after(async () => { await browser?.close(); await demo?.stop(); dir.remove(); });

function startDemo(): PgfleetProcess {
  return runPgfleet(['demo', '--data-dir', join(dir.path, 'demo'), '--listen', '127.0.0.1:0', '--interval-s', '2']);
}

test('the demo serves the console; fleet and instance pages show data in Chromium', async (t) => {
  assert.ok(existsSync(fileURLToPath(new URL('../web/dist/index.html', import.meta.url))), 'the console is built (npm run build:web)');
  mkdirSync(ARTIFACTS, { recursive: true });
  const started = Date.now();
  demo = startDemo();
  const [, url] = await demo.waitForOutput(/pgfleet console: (http:\/\/\S+?)\/?\s/, 90_000);
  const [, targetUrl] = await demo.waitForOutput(/monitored target: (\S+)/, 90_000);
  t.diagnostic(`console URL printed ${((Date.now() - started) / 1000).toFixed(1)} s after the demo started`);
  browser = await launchChromium();
  const page = await browser.context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  // Every API request the console makes, to check against the OpenAPI document at the end.
  const apiCalls = new Set<string>();
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.pathname.startsWith('/api/')) apiCalls.add(`${r.method()} ${u.pathname}`);
  });

  // The first sign-in: the demo printed the first admin's one-time password; the console asks for a new one.
  const first = firstAdminFromOutput(await demo.waitForOutput(/sign in as: admin \/ \S+/, 30_000).then((m) => m[0]));
  assert.ok(first, 'the demo prints how to sign in');
  await page.goto(`${url}/`);
  await page.locator('[data-testid="signin-form"]').waitFor({ timeout: 30_000 });
  await page.screenshot({ path: join(ARTIFACTS, 'signin.png') });
  await page.fill('[data-testid="signin-name"]', 'admin');
  await page.fill('[data-testid="signin-password"]', 'not-the-password');
  await page.click('[data-testid="signin-submit"]');
  await page.locator('[data-testid="signin-error"]').waitFor({ timeout: 30_000 });
  assert.match(await page.locator('[data-testid="signin-error"]').textContent() ?? '', /wrong user name or password/);
  await page.fill('[data-testid="signin-password"]', first.password);
  await page.click('[data-testid="signin-submit"]');
  await page.locator('[data-testid="signin-next"]').waitFor({ timeout: 30_000 });
  await page.fill('[data-testid="signin-password"]', first.password);
  await page.fill('[data-testid="signin-next"]', adminPassword);
  await page.fill('[data-testid="signin-again"]', adminPassword);
  await page.screenshot({ path: join(ARTIFACTS, 'signin-new-password.png') });
  await page.click('[data-testid="signin-submit"]');
  await page.locator('[data-testid="who"]').waitFor({ timeout: 30_000 });
  assert.match(await page.locator('[data-testid="who"]').textContent() ?? '', /admin/);
  const row = page.locator('[data-testid="fleet-row"][data-instance="demo-1"]');
  await row.waitFor({ timeout: 60_000 });
  await page.waitForFunction(() => /primary/.test(document.querySelector('[data-instance="demo-1"]')?.textContent ?? ''), null, { timeout: 60_000 });
  // TPS (the first number column) shows a number once two samples of xact_commit exist.
  await page.waitForFunction(() => /\d/.test(document.querySelector('[data-instance="demo-1"] td.num .metric')?.textContent ?? ''), null, { timeout: 60_000 });
  await page.waitForFunction(() => (document.querySelector('[data-instance="demo-1"] td.num svg polyline, [data-instance="demo-1"] td.num svg path')) !== null, null, { timeout: 60_000 });
  // The agent runs on the demo's host: its CPU and the data directory's filesystem are in the row.
  await page.waitForFunction(() => ['cpu', 'disk'].every((c) => /\d %$/.test(document.querySelector(`[data-instance="demo-1"] td[data-col="${c}"]`)?.textContent ?? '')), null, { timeout: 60_000 });
  await page.screenshot({ path: join(ARTIFACTS, 'fleet.png'), fullPage: true });
  assert.match(await row.textContent() ?? '', /18\.\d/, 'the row shows the PostgreSQL version');

  await page.goto(`${url}/instances/demo-1`);
  await page.locator('[data-testid="instance-header"]').waitFor({ timeout: 30_000 });
  for (const slug of CHARTS_WITH_DATA) {
    await page.waitForFunction((s) => Number(document.querySelector(`[data-testid="chart-${s}"]`)?.getAttribute('data-points') ?? 0) > 0,
      slug, { timeout: 90_000 }).catch(async (err) => {
      await page.screenshot({ path: join(ARTIFACTS, `instance-missing-${slug}.png`), fullPage: true });
      throw new Error(`chart ${slug} has no data: ${(err as Error).message}`);
    });
  }
  // Reported, not asserted (no timing thresholds in tests): the issue asks for data within 30 s.
  t.diagnostic(`every chart had data ${((Date.now() - started) / 1000).toFixed(1)} s after the demo started`);
  await page.screenshot({ path: join(ARTIFACTS, 'instance.png'), fullPage: true });
  const canvases = await page.locator('[data-testid^="chart-"] canvas').count();
  assert.ok(canvases >= CHARTS_WITH_DATA.length, `${canvases} chart canvases drawn`);
  assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');

  // The Store page, through the top bar: a row per kind of data; the worker's first snapshot is on the chart.
  await page.locator('.topbar a', { hasText: 'Store' }).click();
  await page.locator('[data-testid="store-row"][data-kind="raw"]').waitFor({ timeout: 30_000 });
  const kinds = await page.locator('[data-testid="store-row"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-kind')));
  assert.deepEqual(kinds, ['raw', 'chunks', 'rollups_1m', 'rollups_1h', 'statements', 'activity', 'events', 'dictionary', 'ingest', 'other']);
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="store-chart"]')?.getAttribute('data-points') ?? 0) > 0, null, { timeout: 30_000 });
  assert.match(await page.locator('[data-testid="store-total"]').textContent() ?? '', /\d+(\.\d+)? MiB/);
  await page.screenshot({ path: join(ARTIFACTS, 'store.png'), fullPage: true });
  assert.deepEqual(pageErrors, [], 'no uncaught errors on the Store page');

  // Query analytics: the top statements, a sort, and one statement's page reached from the list.
  await page.goto(`${url}/instances/demo-1/queries`);
  await page.locator('[data-testid="statement-row"]').first().waitFor({ timeout: 90_000 });
  await page.screenshot({ path: join(ARTIFACTS, 'queries.png'), fullPage: true });
  await page.locator('button[data-sort="calls"]').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="statements"]')?.getAttribute('data-sort') === 'calls');
  assert.match(page.url(), /[?&]sort=calls/, 'the sort is in the URL');
  const calls = await page.locator('[data-testid="statement-row"] td[data-col="calls"]').allTextContents();
  assert.ok(calls.length > 0, 'rows after sorting by calls');
  const queryid = await page.locator('[data-testid="statement-row"]').first().getAttribute('data-queryid');
  // Live refreshes may reorder the list (a row moved is detached for a moment, and on a busy machine a
  // click waiting for it to keep still can wait for ever): the link is found by its queryid and clicked
  // as an event, which the console's router handles as a click.
  await page.locator(`[data-testid="statement-row"][data-queryid="${queryid}"] a.query-link`).first().dispatchEvent('click');
  await page.waitForURL(new RegExp(`/instances/demo-1/queries/${queryid}`));
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="chart-q-calls"]')?.getAttribute('data-points') ?? 0) > 0, null, { timeout: 60_000 });
  assert.doesNotMatch(await page.locator('[data-testid="query-text"] pre').textContent() ?? '', /loading/);
  await page.screenshot({ path: join(ARTIFACTS, 'query.png'), fullPage: true });

  // Activity: the wait-event timeline and the statements with the most active time; the key `a` gets there.
  await page.keyboard.press('a');
  await page.waitForURL(/\/instances\/demo-1\/activity/);
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="chart-activity"]')?.getAttribute('data-points') ?? 0) > 0, null, { timeout: 60_000 });
  // The workload keeps sessions busy (pg_sleep, row locks): the snapshot at the window's end lists them.
  await page.locator('[data-testid="session-list-row"]').first().waitFor({ timeout: 60_000 });
  await page.screenshot({ path: join(ARTIFACTS, 'activity.png'), fullPage: true });

  // Objects: the workload's tables and their indexes, sortable; the key `o` gets there.
  await page.keyboard.press('o');
  await page.waitForURL(/\/instances\/demo-1\/objects/);
  await page.locator('[data-testid="tables-row"][data-key="demo.public.accounts"]').waitFor({ timeout: 60_000 });
  await page.locator('[data-testid="indexes-row"]').first().waitFor({ timeout: 60_000 });
  await page.locator('[data-testid="tables"] button[data-sort="n_live_tup"]').click();
  assert.equal(await page.locator('[data-testid="tables"]').getAttribute('data-sort'), 'n_live_tup');
  await page.screenshot({ path: join(ARTIFACTS, 'objects.png'), fullPage: true });

  // Settings: every setting with its unit read out; a change on the target shows up as a change
  // with its value before and after. The key `s` gets there.
  await page.keyboard.press('s');
  await page.waitForURL(/\/instances\/demo-1\/settings/);
  const sharedBuffers = page.locator('[data-testid="settings-row"][data-key="shared_buffers"] td[data-col="value"]');
  await sharedBuffers.waitFor({ timeout: 60_000 });
  assert.equal((await sharedBuffers.textContent())?.trim(), '128 MiB');
  const target = postgres(targetUrl, { max: 1, onnotice: () => {} });
  try {
    await target`alter system set work_mem = '32MB'`;
    await target`select pg_reload_conf()`;
  } finally {
    await target.end({ timeout: 1 });
  }
  const change = page.locator('[data-testid="settings-change"][data-name="work_mem"]');
  await change.waitFor({ timeout: 60_000 });
  assert.match((await change.textContent()) ?? '', /4 MiB→32 MiB/);
  await page.locator('[data-testid="settings-filter"]').fill('work_mem');
  assert.match((await page.locator('[data-testid="settings-row"][data-key="work_mem"] td[data-col="source"]').textContent()) ?? '', /configuration file \(postgresql\.auto\.conf:\d+\)/);
  await page.screenshot({ path: join(ARTIFACTS, 'settings.png'), fullPage: true });

  // The cluster's topology, from the instance header's cluster link: the demo's one primary.
  await page.locator('[data-testid="instance-header"] a', { hasText: 'demo' }).click();
  await page.waitForURL(/\/clusters\/demo\/demo/);
  await page.locator('[data-testid="member"][data-instance="demo-1"][data-role="primary"]').waitFor({ timeout: 30_000 });
  assert.deepEqual(await page.locator('.lane-row[data-instance="demo-1"] .lane-seg').evaluateAll((els) => els.map((e) => e.getAttribute('data-state'))), ['primary']);
  await page.screenshot({ path: join(ARTIFACTS, 'cluster-demo.png'), fullPage: true });
  await page.goBack();
  await page.waitForURL(/\/instances\/demo-1\/settings/);

  // A range change reaches the charts and the URL; the dashboard, in the dark theme.
  await page.locator('[data-testid="tab-dashboard"]').click();
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="chart-tps"]')?.getAttribute('data-points') ?? 0) > 0, null, { timeout: 30_000 });
  await page.locator('button[data-range="6h"]').click();
  await page.waitForFunction(() => {
    const c = document.querySelector('[data-testid="chart-tps"]');
    return c !== null && Number(c.getAttribute('data-to')) - Number(c.getAttribute('data-from')) === 6 * 3600_000 && Number(c.getAttribute('data-points')) > 0;
  }, null, { timeout: 30_000 });
  assert.match(page.url(), /[?&]range=6h/);
  // Compare with a day earlier: the same lines, dashed, in the legend; the choice is in the URL.
  await page.locator('button[data-compare="1d"]').click();
  await page.waitForFunction(() => /\(1d ago\)/.test(document.querySelector('[data-testid="chart-tps"] .u-legend')?.textContent ?? ''), null, { timeout: 30_000 });
  assert.match(page.url(), /[?&]compare=1d/);
  await page.screenshot({ path: join(ARTIFACTS, 'instance-compare.png'), fullPage: true });
  await page.locator('button[data-compare="none"]').click();
  await page.locator('[data-testid="theme-toggle"]').click();
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="chart-tps"]')?.getAttribute('data-points') ?? 0) > 0, null, { timeout: 30_000 });
  await page.screenshot({ path: join(ARTIFACTS, 'instance-dark.png'), fullPage: true });
  await page.locator('[data-testid="theme-toggle"]').click();
  assert.deepEqual(pageErrors, [], 'no uncaught errors on the query and activity pages');

  // The charts show the API's numbers: with the window frozen (live off: one more fetch, then none),
  // each legend's value (the latest point, cursor off the chart) is the latest point of the answer.
  const answers = new Map<string, { results: { metric: string; series: { points: [number, number | null][] }[] }[] }>();
  let frozenAt = Infinity;
  const onResponse = async (r: import('playwright-core').Response) => {
    // Requests of the sliding window are aborted by the frozen window's: only those sent after it count.
    if (!r.url().endsWith('/api/v1/series/query') || r.request().timing().startTime < frozenAt) return;
    const body = JSON.parse(r.request().postData() ?? '{}') as { queries: { metric: string }[] };
    answers.set(body.queries.map((q) => q.metric).join(','), await r.json());
  };
  page.on('response', onResponse);
  // Series requests by the window's end they ask for, and which metrics.
  const seriesRequests: { to: string; metrics: string }[] = [];
  page.on('request', (r) => {
    if (!r.url().endsWith('/api/v1/series/query')) return;
    const body = JSON.parse(r.postData() ?? '{}') as { to: string; queries: { metric: string }[] };
    seriesRequests.push({ to: body.to, metrics: body.queries.map((q) => q.metric).join(',') });
  });
  frozenAt = Date.now();
  await page.locator('[data-testid="live-toggle"]').uncheck();
  const checks: [slug: string, metric: string, seriesIndex: number, unit: ValueUnit][] = [
    ['tps', 'pg_stat_database.xact_commit,pg_stat_database.xact_rollback', 0, 'perSec'],
    ['wal', 'pg_wal.lsn', 0, 'bytesPerSec'],
    ['disk-io', 'node_disk.read_bytes,node_disk.write_bytes', 1, 'bytesPerSec'],
  ];
  for (const [slug, metrics, i, unit] of checks) {
    const body = await waitFor(`the answer for ${slug}`, () => answers.get(metrics), 30_000);
    const points = body.results[i].series[0]?.points ?? [];
    const last = [...points].reverse().find((p) => p[1] !== null)?.[1] ?? null;
    await page.waitForFunction(({ s, k, want }) => document.querySelectorAll(`[data-testid="chart-${s}"] .u-legend .u-series`)[k + 1]?.querySelector('.u-value')?.textContent === want,
      { s: slug, k: i, want: formatValue(last, unit) }, { timeout: 30_000 }).catch(async () => {
      const shown = await page.locator(`[data-testid="chart-${slug}"] .u-legend .u-series`).nth(i + 1).locator('.u-value').textContent();
      throw new Error(`chart ${slug} shows ${shown}, the API's latest point is ${last} (${formatValue(last, unit)})`);
    });
  }
  page.off('response', onResponse);
  // One round trip per chart: the frozen window was asked for once by each chart on the page
  // (a chart whose metrics the instance does not have, such as pg_stat_io without the exhaustive preset, asks nothing).
  const stored = new Set((await (await get(url, '/api/v1/instances/demo-1')).json() as { metrics: string[] }).metrics);
  const asking = INSTANCE_CHARTS.filter((d) => !d.requires || d.requires.some((m) => stored.has(m)));
  assert.equal(await page.locator('[data-testid^="chart-"][data-points]').count(), INSTANCE_CHARTS.length);
  const charts = asking.length;
  const frozenTo = await page.locator('[data-testid="chart-tps"]').getAttribute('data-to');
  const frozen = () => seriesRequests.filter((r) => r.to === frozenTo);
  await waitFor('every chart of the frozen window asked', () => frozen().length >= charts, 30_000).catch((err: Error) => { throw new Error(`${err.message}: ${charts} charts, ${frozen().length} requests for to=${frozenTo}; all: ${seriesRequests.map((r) => r.to).join(' ')}`); });
  await new Promise((r) => setTimeout(r, 3000));
  assert.equal(frozen().length, charts, `${frozen().length} series requests for the frozen window, ${charts} charts: ${frozen().map((r) => r.metrics).join(' | ')}`);

  // The fleet as a Prometheus scrape target.
  const metrics = await get(url, '/metrics?instance=demo-1');
  assert.equal(metrics.status, 200);
  assert.match(await metrics.text(), /^pg_up_up\{instance="demo-1",namespace="demo",cluster="demo"\} 1 \d+$/m);

  // The console uses the public API only: every request it made is an operation of the OpenAPI document.
  const openapi = await (await fetch(`${url}/docs/json`)).json() as { paths: Record<string, Record<string, unknown>> };
  const operations = Object.entries(openapi.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => ({ method: m.toUpperCase(), re: new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}$`) })));
  const outside = [...apiCalls].filter((c) => { const [m, p] = c.split(' '); return !operations.some((o) => o.method === m && o.re.test(p)); });
  assert.deepEqual(outside, [], `requests outside the OpenAPI document (of ${apiCalls.size}: ${[...apiCalls].join(', ')})`);
  t.diagnostic(`${apiCalls.size} distinct API requests, all in the OpenAPI document`);

  const docs = await page.goto(`${url}/docs`);
  assert.equal(docs?.status(), 200);
  await page.locator('.swagger-ui .info').first().waitFor({ timeout: 30_000 });
  await page.screenshot({ path: join(ARTIFACTS, 'swagger.png') });
});

test('Ctrl-C stops the demo cleanly and its data is kept for the next run', async () => {
  assert.ok(demo, 'the first test started the demo');
  demo.child.kill('SIGINT');
  const code = await new Promise<number | null>((r) => demo!.child.once('exit', (c) => r(c)));
  assert.equal(code, 0, `demo exited with ${code}:\n${demo.output().slice(-2000)}`);
  assert.match(demo.output(), /SIGINT: stopping/);

  demo = startDemo();
  const [, url] = await demo.waitForOutput(/pgfleet console: (http:\/\/\S+?)\/?\s/, 90_000);
  const [, targetUrl] = await demo.waitForOutput(/monitored target: (\S+)/, 90_000);
  // The password chosen in the first run is the one: the demo no longer shows a one-time password.
  await demo.waitForOutput(/sign in as admin with the password you chose/, 30_000);
  // Data from the first run is there at once: samples older than this run.
  const started = Date.now();
  const res = await get(url, `/api/v1/series?instance=demo-1&metric=pg_up.up&from=now-30m&to=${started}`);
  const body = await res.json() as { series: { points: [number, number | null][] }[] };
  assert.ok(body.series[0]?.points.some((p) => p[1] === 1), 'pg_up samples from the previous run are kept');
});
