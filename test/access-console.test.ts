// The console's Access page in Chromium: users with one-time passwords, API tokens shown once, enrollment
// tokens, the audit log filtered; a viewer sees only their own tokens and their namespaces' agents.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../src/server/index.ts';
import { adminFetch, browserSignIn, cookiesFor, launchChromium, newPassword, signIn, startTestPostgres, type TestBrowser, type TestPostgres } from './harness/index.ts';

const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url));
let pg: TestPostgres;
let server: RunningServer;
let browser: TestBrowser;

before(async () => {
  pg = await startTestPostgres(18);
  server = await startServer({ role: 'api', storeUrl: pg.url, host: '127.0.0.1', port: 0, retentionDays: 7, webDir: fileURLToPath(new URL('../web/dist', import.meta.url)) });
  browser = await launchChromium();
  mkdirSync(ARTIFACTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await pg?.destroy();
});

test('an admin manages users, tokens and enrollment on the Access page; the audit log shows each change', async () => {
  await browserSignIn(browser.context, server);
  const page = await browser.context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${server.url}/access`);
  await page.locator('[data-testid="access-users"]').waitFor({ timeout: 30_000 });

  await page.fill('[data-testid="user-name"]', 'grace');
  await page.fill('[data-testid="user-grants"]', 'prod=viewer, staging=operator');
  await page.click('[data-testid="user-create"]');
  await page.locator('[data-testid="shown-once"]').waitFor({ timeout: 30_000 });
  const otp = (await page.locator('[data-testid="shown-once"] code').textContent())!.trim();
  await page.locator('[data-testid="user-row"][data-user="grace"]').waitFor();
  assert.match(await page.locator('[data-testid="user-row"][data-user="grace"]').textContent() ?? '', /prod=viewer, staging=operator.*must choose a password/);
  await page.screenshot({ path: join(ARTIFACTS, 'access-users.png'), fullPage: true });
  // The one-time password works once, to choose a new one.
  const s = await signIn(server.url!, 'grace', otp);
  assert.equal(s.status, 200);
  assert.equal((s.body.user as { mustChangePassword: boolean }).mustChangePassword, true);

  await page.click('[data-testid="tab-tokens"]');
  await page.fill('[data-testid="token-name"]', 'prometheus');
  await page.fill('[data-testid="token-scopes"]', '*=viewer');
  await page.click('[data-testid="token-create"]');
  await page.locator('[data-testid="shown-once"]').waitFor({ timeout: 30_000 });
  const token = (await page.locator('[data-testid="shown-once"] code').textContent())!.trim();
  assert.match(token, /^pgf_\w{8}_[\w-]{43}$/);
  assert.equal((await fetch(`${server.url}/api/v1/auth/me`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
  await page.locator('[data-testid="token-row"]').first().waitFor();
  assert.ok(!(await page.locator('table.grid').textContent())!.includes(token.slice(13)), 'the list never shows the secret');

  await page.click('[data-testid="tab-agents"]');
  await page.fill('[data-testid="enroll-namespace"]', 'prod');
  await page.click('[data-testid="enroll-create"]');
  await page.locator('[data-testid="shown-once"]').waitFor({ timeout: 30_000 });
  assert.match((await page.locator('[data-testid="shown-once"] code').textContent())!, /^pge_/);
  await page.screenshot({ path: join(ARTIFACTS, 'access-agents.png'), fullPage: true });

  await page.click('[data-testid="tab-audit"]');
  await page.locator('[data-testid="audit-row"]').first().waitFor({ timeout: 30_000 });
  await page.fill('[data-testid="audit-action"]', 'users.');
  await page.click('[data-testid="audit-filter"]');
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="audit-row"] code')].every((c) => c.textContent?.startsWith('users.')), null, { timeout: 30_000 });
  const rows = await page.locator('[data-testid="audit-row"]').allTextContents();
  assert.ok(rows.some((r) => /users\.create.*grace.*ok \(201\)/.test(r)), rows.join('\n'));
  await page.fill('[data-testid="audit-action"]', '');
  await page.click('[data-testid="audit-filter"]');
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="audit-row"] code')].some((c) => c.textContent === 'tokens.create'), null, { timeout: 30_000 });
  await page.screenshot({ path: join(ARTIFACTS, 'access-audit.png'), fullPage: true });
  assert.deepEqual(errors, []);
});

test('a viewer sees only their own tokens and the agents tab; the admin routes answer 403', async () => {
  const pw = newPassword();
  await adminFetch(server, '/api/v1/users', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'vic', password: pw, grants: [{ namespace: 'prod', role: 'viewer' }] }) });
  const s = await signIn(server.url!, 'vic', pw);
  // The same browser, now signed in as the viewer.
  await browser.context.clearCookies();
  const viewerPage = await browser.context.newPage();
  await browser.context.addCookies(cookiesFor(server.url!, s.cookie));
  await viewerPage.goto(`${server.url}/access`);
  await viewerPage.locator('[data-testid="access-tokens"]').waitFor({ timeout: 30_000 });
  assert.deepEqual(await viewerPage.locator('.tabs button').allTextContents(), ['tokens', 'agents']);
  assert.equal((await fetch(`${server.url}/api/v1/users`, { headers: { cookie: s.cookie } })).status, 403);
  await viewerPage.close();
});
