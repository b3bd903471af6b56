// Anonymization jobs through the server (issue 8, "server jobs"), in Chromium: an admin scans a
// registered instance's database, reads the findings and the dictionary, then starts a masked copy
// with that dictionary and follows it to its report; bad requests get clear 400s; no password is
// stored or shown.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import type { Agent } from '../src/agent/index.ts';
import { startServer, type RunningServer } from '../src/server/index.ts';
import { adminFetch, browserSignIn, launchChromium, startInprocAgent, startTestPostgres, tempDir, waitFor, type TestBrowser, type TestPostgres } from './harness/index.ts';
import { SENSITIVE, seedShop } from './anon-seed.ts';

const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url));
const dir = tempDir();
let store: TestPostgres;
let shop: TestPostgres;
let server: RunningServer;
let agent: Agent;
let browser: TestBrowser;
/** The shop database's URI with a password, as a user would give it. */
let sourceUri: string;

before(async () => {
  [store, shop] = await Promise.all([startTestPostgres(18), startTestPostgres(16)]);
  const admin = postgres(shop.url, { max: 1, onnotice: () => {} });
  await admin.unsafe('create database shop');
  await admin.unsafe('create database shop_masked');
  await admin.unsafe("create role reader login password 'reader-secret-pw' superuser");
  await admin.end();
  const sql = postgres(shop.urlFor('shop'), { max: 1, onnotice: () => {} });
  await seedShop(sql);
  await sql.end();
  sourceUri = shop.urlFor('shop').replace('postgres@', 'reader:reader-secret-pw@');
  server = await startServer({ role: 'all', storeUrl: store.url, host: '127.0.0.1', port: 0, retentionDays: 7, webDir: fileURLToPath(new URL('../web/dist', import.meta.url)) });
  agent = startInprocAgent(server, dir.path, { id: 'agent-anon', namespace: 'prod', node: 'anon-host', targets: [{ name: 'shop-1', cluster: 'shop', url: shop.url }] });
  await waitFor('shop-1 registered', async () => (await adminFetch(server, '/api/v1/instances/shop-1')).status === 200, 60_000);
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
  await browserSignIn(browser.context, server);
});

after(async () => {
  await browser?.close();
  await agent?.stop();
  await server?.stop();
  await Promise.all([store?.destroy(), shop?.destroy()]);
  dir.remove();
});

const post = (body: unknown) => adminFetch(server, '/api/v1/instances/shop-1/anon/jobs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

test('bad job requests are refused with what is wrong, and nothing starts', async () => {
  const cases: [unknown, RegExp][] = [
    [{ kind: 'scan', source: 'mysql://x' }, /source: a postgresql:\/\/ URI, not mysql:/],
    // No part may come from the server's PG* variables (they hold the store's credentials).
    [{ kind: 'scan', source: 'postgresql:///shop' }, /source: the URI must name the host, the user and the database/],
    [{ kind: 'scan', source: sourceUri.replace('/shop', '/nosuchdb') }, /source: nosuchdb is not a database of shop-1/],
    [{ kind: 'scan', source: store.urlFor('pgfleet').replace('postgres@', 'postgres:x@') }, /source: that is the server's own store/],
    [{ kind: 'sync', source: sourceUri, target: shop.urlFor('shop_masked'), dictionary: 'version: 1\ncolumns: []\n', key: 'short' }, /key: .*at least 16/],
    [{ kind: 'sync', source: sourceUri, target: shop.urlFor('shop_masked'), dictionary: 'version: 2\n', key: 'k'.repeat(20) }, /dictionary is not valid/],
    [{ kind: 'sync', source: sourceUri, dictionary: 'version: 1\ncolumns: []\n', key: 'k'.repeat(20) }, /target: /],
  ];
  for (const [body, message] of cases) {
    const res = await post(body);
    const text = await res.text();
    assert.equal(res.status, 400, text);
    assert.match(text, message);
  }
  assert.deepEqual(await (await adminFetch(server, '/api/v1/anon/jobs')).json(), []);
});

test('an admin scans the database, reviews the dictionary, and copies it masked, from the console', async () => {
  const page = await browser.context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${server.url}/anon`);
  await page.locator('[data-testid="anon-page"]').waitFor();
  await page.locator('[data-testid="anon-source"]').fill(sourceUri);
  await page.locator('[data-testid="anon-start"]').click();
  const job = page.locator('[data-testid="anon-job"]');
  await page.locator('[data-testid="anon-job"][data-status="done"]').waitFor({ timeout: 60_000 });
  const findings = await page.locator('[data-testid="anon-findings"] tbody tr').count();
  assert.equal(findings, SENSITIVE.length, 'every seeded sensitive column, nothing else');
  assert.match(await page.locator('[data-testid="anon-dictionary"]').textContent() ?? '', /column: instrument\n\s+rule:\n\s+rule: fake\n\s+kind: card_number/);
  // The source is shown and stored without its password.
  assert.match(await job.locator('h3').textContent() ?? '', /reader:\*\*\*@/);
  assert.doesNotMatch(await page.locator('[data-testid="anon-jobs"]').innerHTML() + await job.innerHTML(), /reader-secret-pw/);
  await page.screenshot({ path: join(ARTIFACTS, 'anon-scan.png'), fullPage: true });

  await page.locator('[data-testid="anon-kind"]').selectOption('sync');
  await page.locator('[data-testid="anon-source"]').fill(sourceUri);
  await page.locator('[data-testid="anon-target"]').fill(shop.urlFor('shop_masked'));
  const scanId = (await (await adminFetch(server, '/api/v1/anon/jobs')).json() as { id: number }[])[0].id;
  await page.locator('[data-testid="anon-use-scan"]').selectOption(String(scanId));
  await waitFor('the scan\'s dictionary in the form', async () => /version: 1/.test(await page.locator('[data-testid="anon-dictionary-input"]').inputValue()));
  await page.locator('[data-testid="anon-key"]').fill('a-key-for-the-console-test-0001');
  await page.locator('[data-testid="anon-start"]').click();
  await page.locator('[data-testid="anon-job"][data-status="done"] [data-testid="anon-copy-report"]').waitFor({ timeout: 120_000 });
  assert.match(await page.locator('[data-testid="anon-copy-report"]').textContent() ?? '', /2300 rows/);
  await page.screenshot({ path: join(ARTIFACTS, 'anon-copy.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();

  const masked = postgres(shop.urlFor('shop_masked'), { max: 1, onnotice: () => {} });
  try {
    const [run] = await masked`select status from pgfleet_anon.run`;
    assert.equal(run.status, 'complete');
    const [c] = await masked`select count(*)::int as n, count(*) filter (where email like '%@mailhost.test')::int as originals from customers`;
    assert.deepEqual(c, { n: 300, originals: 0 });
  } finally {
    await masked.end();
  }
  // History: both jobs, newest first, with what they were; the copy's key is nowhere in it.
  const list = await (await adminFetch(server, '/api/v1/anon/jobs')).json() as { kind: string; status: string; source: string }[];
  assert.deepEqual(list.map((j) => [j.kind, j.status]), [['sync', 'done'], ['scan', 'done']]);
  const audit = await (await adminFetch(server, '/api/v1/audit?limit=20')).text();
  assert.match(audit, /anon\.job/);
  assert.doesNotMatch(audit + JSON.stringify(list), /a-key-for-the-console-test|reader-secret-pw/);
});
