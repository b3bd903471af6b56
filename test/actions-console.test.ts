// Actions in the console (issue 10), in Chromium against a real instance and agent: terminate a
// session, vacuum a table, change a setting, apply the advisor's recommendations (and see what
// moved), schedule a task and read its runs; a viewer sees none of the buttons.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { InprocTransport, type Agent } from '../src/agent/index.ts';
import { commandPublicKey } from '../src/protocol/index.ts';
import { startServer, type RunningServer } from '../src/server/index.ts';
import { InprocCommandChannel } from '../src/server/commands/index.ts';
import {
  adminFetch, askTune, browserSignIn, cookiesFor, launchChromium, newPassword, signIn, startInprocAgent, startTestPostgres, tempDir, waitFor,
  type TestBrowser, type TestPostgres,
} from './harness/index.ts';

const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url));
const dir = tempDir();
let store: TestPostgres;
let target: TestPostgres;
let server: RunningServer;
let agent: Agent;
let browser: TestBrowser;
const channel = new InprocCommandChannel();

before(async () => {
  [store, target] = await Promise.all([startTestPostgres(18), startTestPostgres(16, { track_counts: 'on' })]);
  const pg = postgres(target.url, { max: 1 });
  await pg.unsafe(`create table orders (id bigserial primary key, v int, note text);
    insert into orders (v, note) select g, repeat('n', 20) from generate_series(1, 20000) g; delete from orders where id % 3 = 0;`);
  await pg.end();
  server = await startServer({
    role: 'all', storeUrl: store.url, host: '127.0.0.1', port: 0, retentionDays: 7, commandChannel: channel,
    webDir: fileURLToPath(new URL('../web/dist', import.meta.url)),
  });
  agent = startInprocAgent(server, dir.path, {
    id: 'agent-console', namespace: 'prod', node: 'console-host', targets: [{ name: 'shop-1', cluster: 'shop', url: target.url }],
    activitySampleMs: 500, activityIntervalS: 2, settingsIntervalS: 2,
    transport: new InprocTransport(async (bytes) => { await server.keeper.ingest([{ bytes, source: 'inproc' }]); }, channel.register),
    commandKey: commandPublicKey(await server.commands!.publicKey()),
  });
  await waitFor('the settings of shop-1', async () => ((await (await adminFetch(server, '/api/v1/instances/shop-1/settings')).json()) as { as_of: number | null }).as_of, 60_000);
  await waitFor('the table orders in the objects', async () => {
    const o = await (await adminFetch(server, '/api/v1/instances/shop-1/objects')).json() as { tables?: { relname: string }[] };
    return o.tables?.some((t) => t.relname === 'orders');
  }, 60_000);
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
  await browserSignIn(browser.context, server);
});

after(async () => {
  await browser?.close();
  await agent?.stop();
  await server?.stop();
  await Promise.all([store?.destroy(), target?.destroy()]);
  dir.remove();
});

/** Opens the dialog of the button, checks what it will run, confirms, and waits for the outcome. */
async function confirmAction(page: import('playwright-core').Page, button: import('playwright-core').Locator, statement: RegExp, shot?: string): Promise<string> {
  await button.click();
  const dialog = page.locator('[data-testid="action-dialog"]');
  await dialog.waitFor();
  assert.match(await dialog.locator('[data-testid="action-statement"]').textContent() ?? '', statement);
  if (shot) await page.screenshot({ path: join(ARTIFACTS, `${shot}-confirm.png`) });
  await dialog.locator('[data-testid="action-confirm"]').click();
  await page.locator('[data-testid="action-dialog"][data-state="ok"], [data-testid="action-dialog"][data-state="error"], [data-testid="action-dialog"][data-state="refused"]').waitFor({ timeout: 60_000 });
  const outcome = await dialog.locator('[data-testid="action-outcome"]').textContent() ?? '';
  if (shot) await page.screenshot({ path: join(ARTIFACTS, `${shot}-done.png`) });
  await dialog.locator('[data-testid="action-close"]').click();
  return outcome;
}

test('an operator terminates a session, vacuums a table and changes a setting from the console', async () => {
  const page = await browser.context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));

  // A session that sleeps, shown in the sessions panel; terminated from there.
  const victim = postgres(target.url, { max: 1, connection: { application_name: 'victim' } });
  const sleeping = victim`select pg_sleep(600)`.then(() => undefined, (err: { code?: string }) => err);
  const look = postgres(target.url, { max: 1 });
  const { pid } = await waitFor('the victim session', async () => (await look`select pid from pg_stat_activity where application_name = 'victim' and state = 'active'`)[0]);
  await look.end();
  await page.goto(`${server.url}/instances/shop-1/activity?range=5m`);
  // postgres.js sends 600 as a parameter: the query reads pg_sleep($1).
  const row = page.locator(`[data-testid="session-list"] tr:has-text("victim")`);
  await waitFor('the sleeping session in the panel', async () => {
    if (await row.count()) return true;
    await page.reload();
    return false;
  }, 60_000, 2000);
  const out = await confirmAction(page, row.locator('[data-testid="act-terminate"]'), new RegExp(`pg_terminate_backend\\(${pid}\\)`), 'terminate');
  assert.match(out, /^done/);
  // postgres.js reports the terminated connection as closed (or with the server's 57P01).
  assert.match((await sleeping)?.code ?? '', /^(57P01|CONNECTION_CLOSED)$/, 'the session was terminated');
  await victim.end({ timeout: 1 }).catch(() => {});

  // VACUUM ANALYZE of the table, from the objects page.
  await page.goto(`${server.url}/instances/shop-1/objects`);
  const orders = page.locator('[data-testid="tables"] tr:has-text("orders")');
  await orders.waitFor({ timeout: 30_000 });
  assert.match(await confirmAction(page, orders.locator('[data-testid="act-vacuum"]'), /^VACUUM \(ANALYZE\) public\.orders$/, 'vacuum'), /^done/);
  const check = postgres(target.url, { max: 1 });
  assert.equal((await check`select last_vacuum is not null as v from pg_stat_user_tables where relname = 'orders'`)[0].v, true);

  // work_mem to 8MB, from the settings page.
  await page.goto(`${server.url}/instances/shop-1/settings`);
  await page.locator('[data-testid="settings-filter"]').fill('work_mem');
  const wm = page.locator('[data-testid="settings"] tr:has(code:text-is("work_mem"))');
  await wm.locator('[data-testid="setting-edit"]').click();
  await wm.locator('[data-testid="setting-value"]').fill('8MB');
  assert.match(await confirmAction(page, wm.locator('[data-testid="act-apply"]'), /^ALTER SYSTEM SET work_mem = '8MB';\nSELECT pg_reload_conf\(\)$/, 'setting'), /^done/);
  const fresh = postgres(target.url, { max: 1 });
  assert.equal((await fresh`show work_mem`)[0].work_mem, '8MB');
  await fresh.end();
  await check.end();
  assert.deepEqual(errors, []);
  await page.close();
});

test('the advisor\'s recommendations are applied from /tune, and the change is listed with its values before and after', async () => {
  const page = await browser.context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await askTune(page, server.url!, { instance: 'shop-1', cpus: '2', ram: '4GB' });
  const cct = page.locator('[data-testid="tune-row"][data-name="checkpoint_completion_target"], [data-testid="tune-row"][data-name="random_page_cost"]').first();
  await cct.waitFor({ timeout: 30_000 });
  const name = await cct.getAttribute('data-name');
  const recommended = (await cct.locator('td').nth(2).textContent())!;
  assert.match(await confirmAction(page, cct.locator('[data-testid="tune-apply"]'), new RegExp(`^ALTER SYSTEM SET ${name} = '${recommended.replace('.', '\\.')}'`), 'tune-apply'), /^done/);
  const pg = postgres(target.url, { max: 1 });
  const [{ setting }] = await pg`select setting from pg_settings where name = ${name!}`;
  await pg.end();
  assert.equal(Number(setting), Number(recommended), `${name} is live`);
  const applied = page.locator('[data-testid="applied-change"]').first();
  await applied.waitFor({ timeout: 30_000 });
  assert.match(await applied.textContent() ?? '', new RegExp(`${name} .+ → ${recommended.replace('.', '\\.')}`));
  await page.screenshot({ path: join(ARTIFACTS, 'tune-applied.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('a task is scheduled on the tasks page, runs, and its runs are listed; a viewer sees no action button', async () => {
  const page = await browser.context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${server.url}/tasks`);
  await page.locator('[data-testid="new-task"] summary').click();
  await page.locator('[data-testid="task-name"]').fill('analyze orders every 2 s');
  await page.locator('[data-testid="task-target"]').selectOption('shop-1');
  await page.locator('[data-testid="task-action"]').selectOption({ label: 'ANALYZE' });
  await page.locator('[data-testid="task-params"]').fill(JSON.stringify({ database: 'postgres', tables: [{ schema: 'public', table: 'orders' }] }));
  await page.locator('[data-testid="task-cron"]').fill('*/2 * * * * *');
  await page.locator('[data-testid="task-create"]').click();
  const task = page.locator('[data-testid="tasks"] tr:has-text("analyze orders every 2 s")');
  await task.waitFor({ timeout: 15_000 });
  await waitFor('three runs of the task', async () => {
    const tasks = await (await adminFetch(server, '/api/v1/tasks')).json() as { id: number; name: string }[];
    const id = tasks.find((t) => t.name === 'analyze orders every 2 s')!.id;
    const runs = await (await adminFetch(server, `/api/v1/tasks/${id}/runs`)).json() as { state: string }[];
    return runs.filter((r) => r.state === 'ok').length >= 3;
  }, 30_000);
  await task.locator('[data-testid="task-history"]').click();
  const runs = page.locator('[data-testid="task-runs"] tbody tr:has-text("analyze")');
  await runs.first().waitFor({ timeout: 10_000 });
  assert.ok(await runs.count() >= 3, `${await runs.count()} runs listed`);
  assert.match(await runs.first().textContent() ?? '', /analyze.*done/);
  await task.locator('[data-testid="task-toggle"]').click();
  await page.locator('[data-testid="tasks"] tr:has-text("analyze orders every 2 s") .tag:text("disabled")').waitFor({ timeout: 10_000 });
  await page.screenshot({ path: join(ARTIFACTS, 'tasks.png'), fullPage: true });
  assert.match(await page.locator('[data-testid="commands"]').textContent() ?? '', /terminate_backend.*vacuum|vacuum.*terminate_backend/s);

  // A viewer of the namespace: the pages, without a button that acts.
  const password = newPassword();
  assert.equal((await adminFetch(server, '/api/v1/users', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'vera', password, grants: [{ namespace: 'prod', role: 'viewer' }] }) })).status, 201);
  const s = await signIn(server.url!, 'vera', password);
  const viewer = await launchChromium();
  await viewer.context.addCookies(cookiesFor(server.url!, s.cookie));
  const vp = await viewer.context.newPage();
  await vp.goto(`${server.url}/instances/shop-1/objects`);
  await vp.locator('[data-testid="tables"] tr:has-text("orders")').waitFor({ timeout: 30_000 });
  assert.equal(await vp.locator('button.act').count(), 0, 'no action button for a viewer on the objects page');
  await vp.goto(`${server.url}/tasks`);
  await vp.locator('[data-testid="tasks"] tr:has-text("analyze orders")').waitFor({ timeout: 15_000 });
  assert.equal(await vp.locator('[data-testid="task-run"], [data-testid="task-delete"], [data-testid="new-task"]').count(), 0, 'a viewer cannot schedule or run tasks');
  await viewer.close();
  assert.deepEqual(errors, []);
  await page.close();
});
