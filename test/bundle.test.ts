/**
 * The bundled command (npm run build:cli → dist/cli), what agents run in production:
 * it finds the catalog, the migrations and the console beside the sources, and its
 * agent collects from a real server.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runPgfleet, startTestPostgres, tempDir, type TestPostgres , adminToken, firstAdminFromOutput } from './harness/index.ts';

const BUNDLE = fileURLToPath(new URL('../dist/cli/index.js', import.meta.url));
const dir = tempDir();
let pg: TestPostgres | undefined;
after(async () => { await pg?.destroy(); dir.remove(); });

test('the bundle exists (npm test builds it before the tests)', () => {
  assert.ok(existsSync(BUNDLE), `${BUNDLE} is missing: run npm run build:cli`);
});

test('the bundled agent collects from PostgreSQL with the built-in catalog', async () => {
  pg = await startTestPostgres(16);
  const agent = runPgfleet(['agent', '--dry-run', '--target', `b-1=${pg.url}`, '--max-interval-s', '1', '--spool-dir', join(dir.path, 'spool')],
    {}, ['--max-semi-space-size=1', '--optimize-for-size', '--lite-mode', '--single-threaded', BUNDLE]);
  try {
    await agent.waitForOutput(/inventory b-1 up primary 16\d{4}/);
    await agent.waitForOutput(/metrics b-1 pg_stat_database: .*xact_commit/);
  } finally {
    await agent.stop();
  }
});

test('the bundled server applies its migrations and serves the API', async () => {
  const srv = runPgfleet(['serve', '--store', pg!.url, '--listen', '127.0.0.1:0', '--role', 'api'], {}, [BUNDLE]);
  try {
    const [, url] = await srv.waitForOutput(/(http:\/\/127\.0\.0\.1:\d+)/);
    const health = await (await fetch(`${url}/api/v1/health`)).json() as { status: string };
    assert.equal(health.status, 'ok');
    // First start: the first admin's one-time password is printed once (argon2 from the bundle's native package).
    await srv.waitForOutput(/one-time password: \S+/);
    const token = await adminToken(url, firstAdminFromOutput(srv.output()));
    const cat = await (await fetch(`${url}/api/v1/catalog`, { headers: { authorization: `Bearer ${token}` } })).json() as { collectors: unknown[] };
    assert.ok(cat.collectors.length >= 40, `${cat.collectors.length} collectors`);
  } finally {
    await srv.stop();
  }
});
