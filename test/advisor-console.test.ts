// The advisor through the API and the console, against an instance whose agent sends its settings:
// POST /api/v1/advisor reads the instance's current values and major; the /tune page shows what
// would change, with the reasons, and the SQL to apply it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Agent } from '../src/agent/index.ts';
import { startServer, type RunningServer } from '../src/server/index.ts';
import { launchChromium, startInprocAgent, startTestPostgres, tempDir, waitFor, type TestBrowser, type TestPostgres, adminFetch, askTune, browserSignIn } from './harness/index.ts';

const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url));
const dir = tempDir();
let store: TestPostgres | undefined;
let target: TestPostgres | undefined;
let server: RunningServer | undefined;
let agent: Agent | undefined;
let browser: TestBrowser | undefined;
after(async () => {
  await browser?.close();
  await agent?.stop();
  await server?.stop();
  await Promise.all([store?.destroy(), target?.destroy()]);
  dir.remove();
});

test('POST /api/v1/advisor and the /tune page compare recommendations with an instance\'s settings', async () => {
  [store, target] = await Promise.all([startTestPostgres(18), startTestPostgres(16)]);
  server = await startServer({ role: 'all', storeUrl: store.url, host: '127.0.0.1', port: 0, retentionDays: 7, webDir: fileURLToPath(new URL('../web/dist', import.meta.url)) });
  agent = startInprocAgent(server, dir.path, { id: 'agent-tune', namespace: 'prod', node: 'tune-host', targets: [{ name: 'tune-1', cluster: 'tune', url: target.url }] });
  await waitFor('the settings of tune-1', async () => ((await (await adminFetch(server!, `/api/v1/instances/tune-1/settings`)).json()) as { as_of: number | null }).as_of, 60_000);

  const post = (body: unknown) => adminFetch(server!, `/api/v1/advisor`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const res = await post({ cpus: 2, ram: '4GB', disk: 'ssd', workload: 'web', instance: 'tune-1' });
  assert.equal(res.status, 200);
  const body = await res.json() as { advice: { profile: { major: number }; recommendations: { name: string; current: string | null; recommended: string }[] }; sql: string; conf: string; patroni: string };
  assert.equal(body.advice.profile.major, 16, 'the major comes from the instance');
  const sb = body.advice.recommendations.find((r) => r.name === 'shared_buffers')!;
  assert.deepEqual([sb.current, sb.recommended], ['128MB', '1GB']);
  assert.equal(body.advice.recommendations.find((r) => r.name === 'checkpoint_timeout')!.current, '5min', 'pg_settings units shown as the advisor writes them');
  assert.match(body.sql, /^ALTER SYSTEM SET shared_buffers = '1GB';$/m);
  assert.match(body.sql, /^-- ALTER SYSTEM SET shared_buffers = '128MB';$/m);
  assert.match(body.patroni, /^    shared_buffers: 1GB$/m);
  const bad = await post({ cpus: 2, ram: 'lots', disk: 'ssd', workload: 'web', major: 16 });
  assert.equal(bad.status, 400);
  assert.match((await bad.json() as { message: string }).message, /ram must be a size such as 16GB or 512MB, got "lots"/);
  assert.equal((await post({ cpus: 2, ram: '4GB', disk: 'ssd', workload: 'web' })).status, 400, 'no major and no instance');
  assert.equal((await post({ cpus: 2, ram: '4GB', disk: 'ssd', workload: 'web', instance: 'nope' })).status, 404);

  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
  await browserSignIn(browser.context, server!);
  const page = await browser.context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await askTune(page, server.url!, { instance: 'tune-1', cpus: '2', ram: '4GB', workload: 'web' });
  const row = page.locator('[data-testid="tune-row"][data-name="shared_buffers"]');
  await row.waitFor({ timeout: 30_000 });
  assert.deepEqual((await row.locator('td').allTextContents()).slice(0, 3), ['shared_buffers', '128MB', '1GB']);
  assert.match(await row.textContent() ?? '', /restart.*RAM\/4/);
  // Only what differs from the instance is listed by default; all of it on request.
  const differing = body.advice.recommendations.filter((r) => r.current !== r.recommended).length;
  assert.equal(await page.locator('[data-testid="tune-row"]').count(), differing);
  assert.match(await page.locator('[data-testid="tune-output"]').textContent() ?? '', /ALTER SYSTEM SET shared_buffers = '1GB';/);
  await page.screenshot({ path: join(ARTIFACTS, 'tune.png'), fullPage: true });
  await page.locator('[data-testid="tune-only-changes"]').uncheck();
  assert.equal(await page.locator('[data-testid="tune-row"]').count(), body.advice.recommendations.length);
  await page.locator('[data-testid="tune-ram"]').fill('lots');
  await page.locator('[data-testid="tune-run"]').click();
  await page.getByText(/ram must be a size/).waitFor({ timeout: 10_000 });
  assert.deepEqual(errors, []);
});
