// `pgfleet explain FILE [--json]`, POST /api/v1/explain and the console's EXPLAIN page, as a user runs them: a plan from a real PostgreSQL 18 in, the
// time per node and the hints out; unreadable input is a clear message and exit code 1.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { startServer } from '../src/server/index.ts';
import { launchChromium, runPgfleet, startTestPostgres, tempDir, type TestBrowser, adminFetch, browserSignIn } from './harness/index.ts';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url));
let browser: TestBrowser | undefined;

const dir = tempDir();
after(() => dir.remove());

async function explain(args: string[]): Promise<{ code: number | null; out: string }> {
  const p = runPgfleet(['explain', ...args]);
  const code = await new Promise<number | null>((r) => p.child.once('exit', (c) => r(c)));
  return { code, out: p.output() };
}

let text = '';
let json = '';
let joinText = '';
let joinText2 = '';
let cliReport: unknown;

test('pgfleet explain reads a plan from a file, TEXT or JSON, and prints the time per node and the hints', async () => {
  const pg = await startTestPostgres(18);
  const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`CREATE TABLE orders (id int, status text, pad text);
      INSERT INTO orders SELECT g, CASE WHEN g % 1000 = 0 THEN 'open' ELSE 'done' END, repeat('x', 40) FROM generate_series(1, 100000) g; ANALYZE orders;`);
    const q = "SELECT * FROM orders WHERE status = 'open'";
    const run = async (f: string) => (await sql.begin(async (tx) => { await tx.unsafe('SET LOCAL max_parallel_workers_per_gather = 0'); return tx.unsafe(`EXPLAIN (ANALYZE, BUFFERS, FORMAT ${f}) ${q}`); }))
      .map((r) => { const v = Object.values(r)[0]; return typeof v === 'string' ? v : JSON.stringify(v); }).join('\n');
    text = await run('TEXT');
    json = await run('JSON');
    joinText = (await sql.unsafe("EXPLAIN (ANALYZE, BUFFERS) SELECT count(*) FROM orders o JOIN orders p ON p.id = o.id WHERE o.status = 'open'"))
      .map((r) => Object.values(r)[0] as string).join('\n');
    // The same query planned another way, for the diff.
    joinText2 = (await sql.begin(async (tx) => {
      await tx.unsafe('SET LOCAL enable_hashjoin = off; SET LOCAL max_parallel_workers_per_gather = 0');
      return tx.unsafe("EXPLAIN (ANALYZE, BUFFERS) SELECT count(*) FROM orders o JOIN orders p ON p.id = o.id WHERE o.status = 'open'");
    })).map((r) => Object.values(r)[0] as string).join('\n');
  } finally {
    await sql.end({ timeout: 1 });
    await pg.destroy();
  }
  writeFileSync(join(dir.path, 'plan.txt'), ` QUERY PLAN\n----\n${text.split('\n').map((l) => ` ${l}`).join('\n')}\n(9 rows)\n`);
  writeFileSync(join(dir.path, 'plan.json'), json);

  const human = await explain([join(dir.path, 'plan.txt')]);
  assert.equal(human.code, 0, human.out);
  assert.match(human.out, /Seq Scan on orders\s+rows 100\/\d+ planned × 1 loops/);
  assert.match(human.out, /\[seq_scan_filter\] Seq Scan on orders reads 100000 rows to keep 100: the filter removes 99\.9 %/);
  assert.match(human.out, /an index on orders \(status\)/);

  const machine = await explain([join(dir.path, 'plan.json'), '--json']);
  assert.equal(machine.code, 0, machine.out);
  const a = JSON.parse(machine.out) as { planningTime: number; executionTime: number; root: { nodeType: string; relationName: string; actualRows: number; planRows: number; loops: number; inclusiveTime: number; exclusiveTime: number; children: unknown[] }; hints: { code: string; nodeType: string; message: string; savingMs: number }[] };
  assert.ok(a.planningTime > 0 && a.executionTime > 0);
  assert.deepEqual([a.root.nodeType, a.root.relationName, a.root.actualRows, a.root.loops, a.root.children.length], ['Seq Scan', 'orders', 100, 1, 0]);
  assert.ok(a.root.inclusiveTime > 0 && a.root.exclusiveTime === a.root.inclusiveTime && a.root.inclusiveTime <= a.executionTime);
  assert.equal(a.hints[0].code, 'seq_scan_filter');
  cliReport = a;
  assert.ok(a.hints[0].savingMs > 0 && a.hints[0].savingMs <= a.root.exclusiveTime);
});

test('pgfleet explain on input that is not a plan: exit 1 and a message with the line and column', async () => {
  writeFileSync(join(dir.path, 'garbage.txt'), 'Seq Scan on t  (cost=0.00..1.00 rows=1 width=4)\nhello there\n');
  const bad = await explain([join(dir.path, 'garbage.txt')]);
  assert.equal(bad.code, 1);
  assert.match(bad.out, /garbage\.txt is not a plan EXPLAIN printed: line 2, column 1: expected .*got "hello there"/);
  const missing = await explain([join(dir.path, 'nope.txt')]);
  assert.equal(missing.code, 1);
  assert.match(missing.out, /cannot read .*nope\.txt/);
  const two = await explain(['a', 'b']);
  assert.equal(two.code, 2);
  assert.match(two.out, /one file at most, got 2/);
});

test('POST /api/v1/explain answers what the CLI prints; a body that is not a plan is a 400 with the line and column', async () => {
  const store = await startTestPostgres(18);
  const server = await startServer({ role: 'api', storeUrl: store.url, host: '127.0.0.1', port: 0, retentionDays: 7, webDir: fileURLToPath(new URL('../web/dist', import.meta.url)) });
  try {
    const post = (body: unknown) => adminFetch(server, `/api/v1/explain`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const fromJson = await post({ plan: json });
    assert.equal(fromJson.status, 200);
    assert.deepEqual(await fromJson.json(), cliReport);
    const fromText = await (await post({ plan: text })).json() as { root: { nodeType: string; actualRows: number }; hints: { code: string }[] };
    assert.deepEqual([fromText.root.nodeType, fromText.root.actualRows, fromText.hints[0].code], ['Seq Scan', 100, 'seq_scan_filter']);
    const bad = await post({ plan: 'Seq Scan on t  (cost=0.00..1.00 rows=1 width=4)\n  ->  nonsense here' });
    assert.equal(bad.status, 400);
    assert.match((await bad.json() as { message: string }).message, /^plan: line 2, column \d+: expected a plan node/);
    assert.equal((await post({ nope: 1 })).status, 400);

    // Saved plans: a link inside the installation gives back the text and the same analysis.
    const save = (body: unknown) => adminFetch(server, `/api/v1/explain/plans`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const created = await save({ plan: json, query: "SELECT * FROM orders WHERE status = 'open'" });
    assert.equal(created.status, 201);
    const { id, title } = await created.json() as { id: string; title: string };
    assert.match(id, /^[A-Za-z0-9_-]{22}$/);
    assert.match(title, /^Seq Scan on orders \(\d+(\.\d+)? ms\)$/);
    const back = await (await adminFetch(server, `/api/v1/explain/plans/${id}`)).json() as { plan: string; query: string; report: unknown };
    assert.deepEqual([back.plan, back.query, back.report], [json, "SELECT * FROM orders WHERE status = 'open'", cliReport]);
    assert.equal((await save({ plan: 'not a plan' })).status, 400);
    const stored = postgres(store.url, { max: 1, onnotice: () => {} });
    assert.deepEqual((await stored`select id from explain_plans`).map((r) => r.id), [id], 'a refused plan is not saved');
    await stored.end({ timeout: 1 });
    // Plans are not listed: only who has a link opens one.
    assert.equal((await adminFetch(server, `/api/v1/explain/plans`)).status, 404);
    assert.equal((await adminFetch(server, `/api/v1/explain/plans/nope`)).status, 404);

    // The console's page: paste, analyse, the hints, the icicle graph, the tree with the costliest path marked.
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launchChromium();
    await browserSignIn(browser.context, server);
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}/explain`);
    await page.locator('[data-testid="plan-input"]').fill(joinText);
    await page.locator('[data-testid="analyze"]').click();
    await page.locator('[data-testid="plan-node"]').first().waitFor({ timeout: 30_000 });
    const api = await (await post({ plan: joinText })).json() as { root: unknown; hints: { code: string }[] };
    const count = (n: { children: unknown[] }): number => 1 + n.children.reduce<number>((s, c) => s + count(c as { children: unknown[] }), 0);
    assert.equal(await page.locator('[data-testid="plan-node"]').count(), count(api.root as { children: unknown[] }));
    assert.equal(await page.locator('[data-testid="plan-node"]').first().getAttribute('data-hot'), 'true');
    assert.ok(await page.locator('[data-testid="icicle-block"]').count() >= 2);
    assert.deepEqual(await page.locator('[data-testid="hints"] li').evaluateAll((li) => li.map((x) => x.getAttribute('data-code'))), api.hints.map((h) => h.code));
    // The grid: every node's own blocks; a click shows all the node printed.
    const apiRoot = api.root as { exclusiveBuffers: { sharedHit: number; sharedRead: number }; props: Record<string, string> };
    const firstRow = page.locator('[data-testid="plan-node"]').first();
    assert.deepEqual([await firstRow.locator('[data-testid="own-hit"]').getAttribute('data-value'), await firstRow.locator('[data-testid="own-read"]').getAttribute('data-value')],
      [String(apiRoot.exclusiveBuffers.sharedHit), String(apiRoot.exclusiveBuffers.sharedRead)]);
    await page.locator('[data-testid="plan-node"]', { hasText: 'Hash Join' }).first().click();
    await page.locator('[data-testid="node-detail"]').getByText('Hash Cond').waitFor({ timeout: 10_000 });
    // Time by table and by node type, as the API sums them.
    const sums = await (await post({ plan: joinText })).json() as { byTable: { key: string }[]; byNodeType: { key: string }[] };
    assert.deepEqual(await page.locator('[data-testid="by-table"] tbody tr td:first-child').allTextContents(), sums.byTable.map((g) => g.key));
    assert.deepEqual(await page.locator('[data-testid="by-node-type"] tbody tr td:first-child').allTextContents(), sums.byNodeType.map((g) => g.key));
    await page.screenshot({ path: join(ARTIFACTS, 'explain.png'), fullPage: true });
    // Save and link, with the query: the link opens the same plan, query and analysis.
    await page.locator('summary', { hasText: 'The query' }).click();
    await page.locator('[data-testid="query-input"]').fill("SELECT count(*) FROM orders o JOIN orders p ON p.id = o.id WHERE o.status = 'open'");
    await page.locator('[data-testid="save-plan"]').click();
    await page.waitForURL(/\/explain\/[A-Za-z0-9_-]{22}$/);
    const link = page.url();
    // This browser remembers what it saved; the server lists nothing.
    await page.locator('[data-testid="saved-plans"] summary').getByText(/^1 plan saved from this browser/).waitFor({ timeout: 10_000 });
    await page.goto(link);
    await page.locator('[data-testid="plan-node"]').first().waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('[data-testid="plan-node"]').count(), count(api.root as { children: unknown[] }));
    assert.equal(await page.locator('[data-testid="plan-input"]').inputValue(), joinText);
    assert.equal(await page.locator('[data-testid="query-input"]').inputValue(), "SELECT count(*) FROM orders o JOIN orders p ON p.id = o.id WHERE o.status = 'open'");
    // Upload: a plan file (psql's framing around it) is read and analysed.
    await page.locator('[data-testid="plan-file"]').setInputFiles(join(dir.path, 'plan.txt'));
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="plan-node"]').length === 1, undefined, { timeout: 30_000 });
    assert.match(await page.locator('[data-testid="plan-node"]').textContent() ?? '', /Seq Scan on orders/);
    assert.equal(await page.locator('[data-testid="hints"] li').first().getAttribute('data-code'), 'seq_scan_filter');
    // A plan that ends before its summary: analysed, with a warning that it may be cut short.
    await page.locator('[data-testid="plan-input"]').fill(joinText.split('\n').filter((l) => !/^(Planning|Execution) Time/.test(l)).join('\n'));
    await page.locator('[data-testid="analyze"]').click();
    await page.locator('[data-testid="plan-warning"]').getByText(/may be cut short/).waitFor({ timeout: 10_000 });
    // Two plans of the query side by side.
    const diffRes = await adminFetch(server, `/api/v1/explain/diff`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ a: joinText, b: joinText2 }) });
    const diff = await diffRes.json() as { rows: { status: string }[]; executionMs: [number, number] };
    assert.ok(diff.rows.some((r) => r.status !== 'same') && diff.executionMs.every((x) => x > 0), JSON.stringify(diff).slice(0, 300));
    const badDiff = await adminFetch(server, `/api/v1/explain/diff`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ a: joinText, b: 'nope' }) });
    assert.equal(badDiff.status, 400);
    assert.match((await badDiff.json() as { message: string }).message, /^b: line 1, column 1/);
    await page.locator('summary', { hasText: 'Compare with another plan' }).click();
    await page.locator('[data-testid="plan-input-b"]').fill(joinText2);
    await page.locator('[data-testid="compare"]').click();
    await page.locator('[data-testid="diff-row"]').first().waitFor({ timeout: 30_000 });
    assert.deepEqual(await page.locator('[data-testid="diff-row"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-status'))), diff.rows.map((r) => r.status));
    await page.screenshot({ path: join(ARTIFACTS, 'explain-diff.png'), fullPage: true });
    await page.locator('[data-testid="plan-input"]').fill('this is not a plan');
    await page.locator('[data-testid="analyze"]').click();
    await page.getByText(/line 1, column 1: expected a plan node/).waitFor({ timeout: 10_000 });
    // Cut inside the tree: an error that says so, not a smaller plan.
    const cut = joinText.split('\n');
    const hashAt = cut.findIndex((l) => /->\s+(Parallel )?Hash\s+\(/.test(l));
    assert.ok(hashAt > 0, joinText);
    await page.locator('[data-testid="plan-input"]').fill(cut.slice(0, hashAt + 1).join('\n'));
    await page.locator('[data-testid="analyze"]').click();
    await page.getByText(/Hash has no child plans, but it always has 1: the plan is cut short/).waitFor({ timeout: 10_000 });
    assert.deepEqual(errors, []);
  } finally {
    await browser?.close();
    await server.stop();
    await store.destroy();
  }
});
