// `pgfleet demo` (what npm start runs, after building the console) in headless Chromium:
// the fleet page, an instance page and the Store page show data; screenshots go to test/artifacts/.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { launchChromium, runPgfleet, tempDir, type PgfleetProcess, type TestBrowser } from './harness/index.ts';

const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url));
const CHARTS_WITH_DATA = ['tps', 'connections', 'cache-hit', 'wal', 'cpu', 'memory', 'disk-io'];

const dir = tempDir('pgfleet-demo-');
let demo: PgfleetProcess | undefined;
let browser: TestBrowser | undefined;
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
  t.diagnostic(`console URL printed ${((Date.now() - started) / 1000).toFixed(1)} s after the demo started`);
  browser = await launchChromium();
  const page = await browser.context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));

  await page.goto(`${url}/`);
  const row = page.locator('[data-testid="fleet-row"][data-instance="demo-1"]');
  await row.waitFor({ timeout: 60_000 });
  await page.waitForFunction(() => /primary/.test(document.querySelector('[data-instance="demo-1"]')?.textContent ?? ''), null, { timeout: 60_000 });
  // TPS (the first number column) shows a number once two samples of xact_commit exist.
  await page.waitForFunction(() => /\d/.test(document.querySelector('[data-instance="demo-1"] td.num .metric')?.textContent ?? ''), null, { timeout: 60_000 });
  await page.waitForFunction(() => (document.querySelector('[data-instance="demo-1"] td.num svg polyline, [data-instance="demo-1"] td.num svg path')) !== null, null, { timeout: 60_000 });
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
  // Data from the first run is there at once: samples older than this run.
  const started = Date.now();
  const res = await fetch(`${url}/api/v1/series?instance=demo-1&metric=pg_up.up&from=now-30m&to=${started}`);
  const body = await res.json() as { series: { points: [number, number | null][] }[] };
  assert.ok(body.series[0]?.points.some((p) => p[1] === 1), 'pg_up samples from the previous run are kept');
});
