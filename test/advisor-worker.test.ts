// The advisor on the worker (issue 7): every instance advised with its profile, the runs kept, the
// latest shown per instance; operators set the profile (disk, workload, overrides), viewers read.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Agent } from '../src/agent/index.ts';
import { startServer, type RunningServer } from '../src/server/index.ts';
import { adminFetch, browserSignIn, launchChromium, newPassword, signIn, startInprocAgent, startTestPostgres, tempDir, waitFor, type TestPostgres } from './harness/index.ts';

const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url));
const dir = tempDir();
let store: TestPostgres;
let target: TestPostgres;
let server: RunningServer;
let agent: Agent;
const json = { 'content-type': 'application/json' };
type AdviceReply = { run: { ts: number; changes: number; restart: number; error: string | null; advice: { recommendations: { name: string; current: string | null; recommended: string }[] } | null } | null; profile: Record<string, unknown>; profileSet: boolean };

before(async () => {
  [store, target] = await Promise.all([startTestPostgres(18), startTestPostgres(16)]);
  server = await startServer({ role: 'all', storeUrl: store.url, host: '127.0.0.1', port: 0, retentionDays: 7, webDir: fileURLToPath(new URL('../web/dist', import.meta.url)) });
  agent = startInprocAgent(server, dir.path, { id: 'agent-adv', namespace: 'prod', node: 'adv-host', targets: [{ name: 'adv-1', cluster: 'adv', url: target.url }] });
  await waitFor('the settings of adv-1', async () => ((await (await adminFetch(server, '/api/v1/instances/adv-1/settings')).json()) as { as_of: number | null }).as_of, 60_000);
});

after(async () => {
  await agent?.stop();
  await server?.stop();
  await Promise.all([store?.destroy(), target?.destroy()]);
  dir.remove();
});

test('the worker advises every instance with its profile; the profile is the operators\', the advice everyone\'s', async () => {
  // Without node metrics the machine is unknown: the run says so instead of guessing.
  const first = await adminFetch(server, '/api/v1/instances/adv-1/advisor-profile', { method: 'PUT', headers: json, body: JSON.stringify({ disk: 'ssd', workload: 'web' }) });
  assert.equal(first.status, 200);
  const noHw = (await first.json() as { run: { error: string | null; advice: unknown } }).run;
  assert.equal(noHw.advice, null);
  assert.match(noHw.error!, /cpus, ram are needed/);

  const set = await adminFetch(server, '/api/v1/instances/adv-1/advisor-profile', { method: 'PUT', headers: json, body: JSON.stringify({ disk: 'ssd', workload: 'web', cpus: 2, ram: '4GB' }) });
  assert.equal(set.status, 200, await set.clone().text());
  const got = await (await adminFetch(server, '/api/v1/instances/adv-1/advice')).json() as AdviceReply;
  assert.equal(got.profileSet, true);
  assert.deepEqual(got.profile, { disk: 'ssd', workload: 'web', cpus: 2, ram: '4GB' });
  const sb = got.run!.advice!.recommendations.find((r) => r.name === 'shared_buffers')!;
  assert.deepEqual([sb.current, sb.recommended], ['128MB', '1GB']);
  assert.ok(got.run!.changes > 0 && got.run!.restart > 0, `${got.run!.changes} changes, ${got.run!.restart} need a restart`);

  // The worker's own run, when due (here: a run 7 h later than the last one).
  // Only the advisor job (runAll would move rollups and retention into the future too).
  const later = Date.now() + 7 * 3600_000;
  await server.worker!.runAdvisor(later);
  const again = await (await adminFetch(server, '/api/v1/instances/adv-1/advice')).json() as AdviceReply;
  assert.equal(again.run!.ts, later, 'the worker ran the advisor with the stored profile');
  assert.equal(again.run!.changes, got.run!.changes);
  await server.worker!.runAdvisor(later + 60_000);
  assert.equal((await (await adminFetch(server, '/api/v1/instances/adv-1/advice')).json() as AdviceReply).run!.ts, later, 'not again before the period is over');

  for (const [ram, message] of [['lots', /ram must be a size/], ['100MB', /RAM must be from 256MB to 64TB/], [5, /RAM must be from 256MB/]] as const) {
    const bad = await adminFetch(server, '/api/v1/instances/adv-1/advisor-profile', { method: 'PUT', headers: json, body: JSON.stringify({ disk: 'ssd', workload: 'web', ram }) });
    assert.equal(bad.status, 400, `ram ${ram}`);
    assert.match((await bad.json() as { message: string }).message, message);
  }
  assert.deepEqual((await (await adminFetch(server, '/api/v1/instances/adv-1/advice')).json() as AdviceReply).profile, { disk: 'ssd', workload: 'web', cpus: 2, ram: '4GB' }, 'a refused profile is not stored');

  // A viewer reads the advice, and may not change the profile.
  const password = newPassword();
  await adminFetch(server, '/api/v1/users', { method: 'POST', headers: json, body: JSON.stringify({ name: 'vic', password, grants: [{ namespace: 'prod', role: 'viewer' }] }) });
  const s = await signIn(server.url!, 'vic', password);
  const asViewer = (path: string, init: RequestInit = {}) => fetch(`${server.url}${path}`, { ...init, headers: { cookie: s.cookie, 'x-csrf-token': s.csrf, ...json } });
  assert.equal((await asViewer('/api/v1/instances/adv-1/advice')).status, 200);
  assert.equal((await asViewer('/api/v1/instances/adv-1/advisor-profile', { method: 'PUT', body: JSON.stringify({ disk: 'hdd', workload: 'dw' }) })).status, 403);

  // The settings page shows the latest advice and links to the Tune page for this instance.
  mkdirSync(ARTIFACTS, { recursive: true });
  const browser = await launchChromium();
  try {
    await browserSignIn(browser.context, server);
    const page = await browser.context.newPage();
    await page.goto(`${server.url}/instances/adv-1/settings`);
    const card = page.locator('[data-testid="advisor-card"]');
    await card.waitFor({ timeout: 30_000 });
    assert.match(await card.textContent() ?? '', new RegExp(`${got.run!.changes} settings? to change`));
    assert.match(await card.textContent() ?? '', /shared_buffers\s*128MB\s*→\s*1GB/);
    await page.screenshot({ path: join(ARTIFACTS, 'settings-advice.png') });
    await card.locator('a[data-testid="advisor-tune-link"]').click();
    await page.locator('[data-testid="tune-row"][data-name="shared_buffers"]').waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('[data-testid="tune-instance"]').inputValue(), 'adv-1', 'the Tune page opens on the instance');
    assert.deepEqual([await page.locator('[data-testid="tune-cpus"]').inputValue(), await page.locator('[data-testid="tune-ram"]').inputValue(), await page.locator('[data-testid="tune-workload"]').inputValue()], ['2', '4GB', 'web'], 'with its profile');
  } finally {
    await browser.close();
  }
});
