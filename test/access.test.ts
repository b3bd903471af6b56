// Access control (issue 9): every route of the OpenAPI document is walked without credentials,
// as a viewer of another namespace, and with the right role; every change lands in the audit log;
// password guessing is slowed and locked out; secrets never come back nor reach the logs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createUser } from '@nats-io/nkeys';
import { loadCatalog } from '../src/catalog/index.ts';
import { encodeEnvelope } from '../src/protocol/index.ts';
import { FleetSimulator } from '../src/simulate/index.ts';
import { startServer, type RunningServer } from '../src/server/index.ts';
import { adminHeaders, newPassword, signIn, startTestPostgres, type TestPostgres } from './harness/index.ts';

let pg: TestPostgres;
let server: RunningServer;
const logs: string[] = [];
const INGEST_TOKEN = 'ingest-secret-for-the-access-test';
/** A public NKEY, for the NATS authorization route. */
const KEEPER_NKEY = createUser().getPublicKey();
/** Every secret the test makes or sees after the first admin's: none may reach the logs. */
const secrets: string[] = [INGEST_TOKEN];
let alphaViewer: string; // token of a viewer of namespace alpha
let alphaViewerId: number;
let alphaCluster: string;
let planId: string;
let queryid: string;
let ingestBody: unknown;
let commandId: string;
let taskId: number;
let anonJobId: number;
let agentCredential: string;
const adaPassword = newPassword();

const call = (path: string, init: RequestInit & { token?: string } = {}) => {
  const headers: Record<string, string> = { ...(init.headers as Record<string, string> | undefined) };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
  return fetch(`${server.url}${path}`, { ...init, headers });
};
const admin = async () => (await adminHeaders(server)).authorization.slice(7);

before(async () => {
  pg = await startTestPostgres(18);
  server = await startServer({
    role: 'all', storeUrl: pg.url, host: '127.0.0.1', port: 0, retentionDays: 7, ingestToken: INGEST_TOKEN,
    // The server's log and Fastify's request log, both kept for the secrets scan.
    logger: { level: 'info', stream: { write: (line: string) => { logs.push(line); } } }, log: (level, msg) => logs.push(`${level} ${msg}`),
  });
  const catalog = loadCatalog();
  const now = Date.now();
  for (const [ns, prefix] of [['alpha', 'al'], ['beta', 'be']] as const) {
    const sim = new FleetSimulator(catalog, { agents: 1, seed: 7, prefix, namespace: ns });
    const envs = sim.tick(now - 6 * 60_000, now);
    await server.keeper.ingest(envs.map((e) => ({ bytes: encodeEnvelope(e), source: 'inproc' as const })));
    if (ns === 'alpha') {
      alphaCluster = envs.find((e) => e.type === 'inventory')!.data.cluster as string;
      // One more message of the same agent, for the ingest route's example.
      ingestBody = sim.tick(now, now + 60_000).find((e) => e.type === 'heartbeat');
    }
  }
  // A viewer of alpha, with a password of their own and a token limited to alpha.
  const password = adaPassword;
  secrets.push(password);
  const made = await call('/api/v1/users', { method: 'POST', token: await admin(), body: JSON.stringify({ name: 'ada', password, grants: [{ namespace: 'alpha', role: 'viewer' }] }) });
  assert.equal(made.status, 201, await made.clone().text());
  alphaViewerId = (await made.json() as { user: { id: number } }).user.id;
  const s = await signIn(server.url!, 'ada', password);
  const tok = await call('/api/v1/tokens', { method: 'POST', headers: { cookie: s.cookie, 'x-csrf-token': s.csrf }, body: JSON.stringify({ name: 'ada-ro', scopes: [{ namespace: 'alpha', role: 'viewer' }] }) });
  assert.equal(tok.status, 201, await tok.clone().text());
  alphaViewer = (await tok.json() as { token: string }).token;
  secrets.push(alphaViewer);
  const top = await (await call('/api/v1/instances/al-0/statements', { token: alphaViewer })).json() as { statements: { queryid: string }[] };
  queryid = top.statements[0].queryid;
  const plan = await call('/api/v1/explain/plans', { method: 'POST', token: alphaViewer, body: JSON.stringify({ plan: 'Seq Scan on t  (cost=0.00..1.00 rows=1 width=4)' }) });
  planId = (await plan.json() as { id: string }).id;
  // A saved script, a command and a scheduled task in alpha, and an enrolled agent, for the actions' routes.
  const adm = await admin();
  assert.equal((await call('/api/v1/scripts', { method: 'POST', token: adm, body: JSON.stringify({ name: 'walk', sql: 'select 1', readOnly: true }) })).status, 201);
  const cmd = await call('/api/v1/instances/al-0/actions/reload_conf', { method: 'POST', token: adm, body: JSON.stringify({ params: {} }) });
  assert.equal(cmd.status, 202, await cmd.clone().text());
  commandId = (await cmd.json() as { id: string }).id;
  const anonJob = await call('/api/v1/instances/al-0/anon/jobs', { method: 'POST', token: adm, body: JSON.stringify({ kind: 'scan', source: 'postgresql://reader@127.0.0.1:1/db0', sampleRows: 10 }) });
  assert.equal(anonJob.status, 202, await anonJob.clone().text());
  anonJobId = (await anonJob.json() as { id: number }).id;
  const task = await call('/api/v1/tasks', { method: 'POST', token: adm, body: JSON.stringify(TASK) });
  assert.equal(task.status, 201, await task.clone().text());
  taskId = (await task.json() as { id: number }).id;
  const enrollment = await (await call('/api/v1/enrollment-tokens', { method: 'POST', token: adm, body: JSON.stringify({ namespace: 'alpha' }) })).json() as { token: string };
  secrets.push(enrollment.token);
  agentCredential = (await (await call('/api/v1/agents/enroll', { method: 'POST', body: JSON.stringify({ token: enrollment.token, agent: 'walk-agent' }) })).json() as { credential: string }).credential;
  secrets.push(agentCredential);
});

const TASK = { name: 'nightly analyze', scope: 'instance', target: 'al-0', action: 'analyze', params: { database: 'postgres' }, cron: '0 3 * * *' };
/** A valid request of each action. */
const ACTION_EXAMPLES: Record<string, unknown> = {
  cancel_backend: { pid: 1 }, terminate_backend: { pid: 1 }, vacuum: { database: 'postgres' }, analyze: { database: 'postgres' },
  reindex: { database: 'postgres', schema: 'public', index: 'i' }, create_index: { database: 'postgres', schema: 'public', table: 't', columns: ['v'] },
  drop_index: { database: 'postgres', schema: 'public', index: 'i' }, alter_system: { settings: [{ name: 'work_mem', value: '8MB' }] },
  reload_conf: {}, reset_stats: { kind: 'database' }, explain: { database: 'postgres', query: 'select 1' }, script: { database: 'postgres', script: 'walk' },
};

after(async () => {
  await server?.stop();
  await pg?.destroy();
});

/** A request that succeeds for the right role, for every route of the API. A new route fails the walk until it is added here. */
type Who = 'public' | 'agent' | 'user' | 'viewer' | 'operator' | 'admin';
function example(method: string, path: string): { path: string; body?: unknown; who: Who } | undefined {
  const inst = 'al-0';
  const fill = (p: string) => p.replace(':namespace', 'alpha').replace(':cluster', alphaCluster).replace(':queryid', queryid);
  const table: Record<string, { path?: string; body?: unknown; who: Who }> = {
    'GET /api/v1/health': { who: 'public' },
    'POST /api/v1/auth/login': { who: 'public', body: { name: 'nobody', password: 'x' } },
    'POST /api/v1/ingest': { who: 'agent', body: ingestBody },
    'GET /api/v1/catalog': { who: 'user' },
    'POST /api/v1/explain': { who: 'user', body: { plan: 'Seq Scan on t  (cost=0.00..1.00 rows=1 width=4)' } },
    'POST /api/v1/explain/diff': { who: 'user', body: { a: 'Seq Scan on t  (cost=0.00..1.00 rows=1 width=4)', b: 'Seq Scan on t  (cost=0.00..2.00 rows=1 width=4)' } },
    'POST /api/v1/explain/plans': { who: 'user', body: { plan: 'Seq Scan on t  (cost=0.00..1.00 rows=1 width=4)' } },
    'GET /api/v1/explain/plans/:id': { who: 'user', path: `/api/v1/explain/plans/${planId}` },
    'GET /api/v1/auth/me': { who: 'user' },
    'POST /api/v1/auth/logout': { who: 'user' },
    'POST /api/v1/auth/password': { who: 'user', body: { current: 'wrong-password-here', next: newPassword() } },
    'GET /api/v1/namespaces': { who: 'user' },
    'GET /api/v1/tokens': { who: 'user' },
    'POST /api/v1/tokens': { who: 'user', body: { name: 't', scopes: [] } },
    'DELETE /api/v1/tokens/:id': { who: 'user' },
    'GET /api/v1/instances': { who: 'viewer' },
    'GET /api/v1/live': { who: 'viewer' },
    'GET /metrics': { who: 'viewer' },
    'POST /api/v1/advisor': { who: 'viewer', body: { disk: 'ssd', workload: 'oltp', cpus: 4, ram: '16GB', major: 17 } },
    'POST /api/v1/series/query': { who: 'viewer', body: { instance: inst, queries: [{ metric: 'pg_stat_database.xact_commit' }] } },
    'GET /api/v1/series': { who: 'viewer', path: `/api/v1/series?instance=${inst}&metric=pg_stat_database.xact_commit` },
    'GET /api/v1/clusters/:namespace/:cluster/topology': { who: 'viewer' },
    'GET /api/v1/store/size': { who: 'admin' },
    'GET /api/v1/users': { who: 'admin' },
    'POST /api/v1/users': { who: 'admin', body: { name: `u${Math.random().toString(36).slice(2, 8)}` } },
    'PATCH /api/v1/users/:id': { who: 'admin', path: `/api/v1/users/${alphaViewerId}`, body: { displayName: 'Ada' } },
    'PUT /api/v1/users/:id/grants': { who: 'admin', path: `/api/v1/users/${alphaViewerId}/grants`, body: [{ namespace: 'alpha', role: 'viewer' }] },
    'POST /api/v1/users/:id/password': { who: 'admin', path: `/api/v1/users/${alphaViewerId}/password`, body: {} },
    'DELETE /api/v1/users/:id': { who: 'admin' },
    'GET /api/v1/audit': { who: 'admin' },
    'POST /api/v1/enrollment-tokens': { who: 'admin', body: { namespace: 'alpha' } },
    'GET /api/v1/enrollment-tokens': { who: 'viewer' },
    'DELETE /api/v1/enrollment-tokens/:id': { who: 'user' },
    'POST /api/v1/agents/enroll': { who: 'public', body: { token: 'pge_AAAAAAAA_' + 'A'.repeat(43), agent: 'nobody' } },
    'GET /api/v1/agents': { who: 'viewer' },
    'DELETE /api/v1/agents/:id/credential': { who: 'user' },
    'GET /api/v1/nats/authorization': { who: 'admin', path: `/api/v1/nats/authorization?keeperNkey=${KEEPER_NKEY}` },
    'PUT /api/v1/instances/:id/advisor-profile': { who: 'operator', path: `/api/v1/instances/${inst}/advisor-profile`, body: { disk: 'ssd', workload: 'web', cpus: 2, ram: '4GB' } },
    'GET /api/v1/commands': { who: 'viewer' },
    'GET /api/v1/commands/:id': { who: 'user', path: `/api/v1/commands/${commandId}` },
    'POST /api/v1/commands/:id/cancel': { who: 'operator', path: `/api/v1/commands/${commandId}/cancel`, body: {} },
    'GET /api/v1/commands/key': { who: 'user' },
    'GET /api/v1/agent/commands': { who: 'agent', path: '/api/v1/agent/commands?wait=0' },
    'POST /api/v1/instances/:id/anon/jobs': { who: 'operator', path: `/api/v1/instances/${inst}/anon/jobs`, body: { kind: 'scan', source: 'postgresql://reader@127.0.0.1:1/db0', sampleRows: 10 } },
    'GET /api/v1/anon/jobs': { who: 'viewer' },
    'GET /api/v1/anon/jobs/:job': { who: 'user', path: `/api/v1/anon/jobs/${anonJobId}` },
    'GET /api/v1/tasks': { who: 'viewer' },
    'POST /api/v1/tasks': { who: 'operator', body: TASK },
    'PUT /api/v1/tasks/:id': { who: 'operator', path: `/api/v1/tasks/${taskId}`, body: { ...TASK, cron: '0 4 * * *' } },
    'PATCH /api/v1/tasks/:id': { who: 'operator', path: `/api/v1/tasks/${taskId}`, body: { enabled: false } },
    'DELETE /api/v1/tasks/:id': { who: 'operator', path: `/api/v1/tasks/${taskId}` },
    'GET /api/v1/tasks/:id/runs': { who: 'user', path: `/api/v1/tasks/${taskId}/runs` },
    'POST /api/v1/tasks/:id/run': { who: 'operator', path: `/api/v1/tasks/${taskId}/run` },
    'GET /api/v1/scripts': { who: 'user' },
    'POST /api/v1/scripts': { who: 'admin', body: { name: `s${Math.random().toString(36).slice(2, 8)}`, sql: 'select 2' } },
    'DELETE /api/v1/scripts/:id': { who: 'admin' },
  };
  const action = /^POST \/api\/v1\/instances\/:id\/actions\/(\w+)$/.exec(`${method} ${path.replace(/\{(\w+)\}/g, ':$1')}`)?.[1];
  if (action) return { who: 'operator', path: `/api/v1/instances/${inst}/actions/${action}`, body: { params: ACTION_EXAMPLES[action] } };
  const key = `${method} ${path.replace(/\{(\w+)\}/g, ':$1')}`;
  if (key.startsWith('GET /api/v1/instances/:id')) return { who: 'viewer', path: fill(key.slice(4)).replace(':id', inst) };
  const e = table[key];
  if (!e) return undefined;
  return { ...e, path: e.path ?? fill(key.slice(key.indexOf(' ') + 1)) };
}

test('every route: 401 without credentials, nothing of another namespace for its viewer, success with the right role', async () => {
  const doc = await (await call('/docs/json')).json() as { paths: Record<string, Record<string, unknown>> };
  const routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).filter((m) => m !== 'head').map((m) => [m.toUpperCase(), path] as const));
  assert.ok(routes.length >= 30, `${routes.length} routes in the OpenAPI document`);
  const missing = routes.filter(([m, p]) => !example(m, p)).map(([m, p]) => `${m} ${p}`);
  assert.deepEqual(missing, [], 'every route of the API has an example in this test (add one for a new route)');

  // A viewer of beta only: what they get of alpha.
  const betaPassword = newPassword();
  secrets.push(betaPassword);
  await call('/api/v1/users', { method: 'POST', token: await admin(), body: JSON.stringify({ name: 'bea', password: betaPassword, grants: [{ namespace: 'beta', role: 'viewer' }] }) });
  const bea = await signIn(server.url!, 'bea', betaPassword);
  const beaToken = (await (await call('/api/v1/tokens', { method: 'POST', headers: { cookie: bea.cookie, 'x-csrf-token': bea.csrf }, body: JSON.stringify({ name: 'b', scopes: [{ namespace: 'beta', role: 'viewer' }] }) })).json() as { token: string }).token;
  secrets.push(beaToken);

  const token = { user: alphaViewer, viewer: alphaViewer, admin: await admin() } as const;
  const checked: string[] = [];
  for (const [method, path] of routes) {
    const e = example(method, path)!;
    const what = `${method} ${path.replace(/\{(\w+)\}/g, ":$1")}`;
    const init = (t?: string): RequestInit & { token?: string } => ({ method, token: t, ...(e.body !== undefined ? { body: JSON.stringify(e.body) } : {}), signal: AbortSignal.timeout(10_000) });
    const read = async (res: Response) => (path === '/api/v1/live' ? '' : await res.text());

    // 1. Without credentials.
    const anon = await call(e.path, init()).catch((err: Error) => { throw new Error(`${what}: ${err.message}`); });
    const anonBody = await read(anon);
    if (e.who === 'public') assert.ok(anon.status < 500 && anon.status !== 403, `${what} without credentials: ${anon.status}`);
    else assert.equal(anon.status, 401, `${what} without credentials: ${anon.status} ${anonBody.slice(0, 200)}`);

    // 2. As a viewer of another namespace: refused, or an answer without alpha's data.
    if (e.who === 'viewer' || e.who === 'admin' || e.who === 'operator') {
      const other = await call(e.path, init(beaToken));
      if (e.who === 'operator') assert.ok(other.status === 403 || other.status === 404, `${what} as beta's viewer: ${other.status}`);
      else if (path === '/api/v1/live') { assert.equal(other.status, 200); await other.body?.cancel(); } else {
        const body = await other.text();
        assert.ok(other.status === 403 || (other.status === 200 && !/al-0|"alpha"|namespace="alpha"/.test(body)), `${what} as beta's viewer: ${other.status} ${body.slice(0, 300)}`);
        if (e.who === 'admin') assert.equal(other.status, 403, `${what} as beta's viewer`);
      }
    }

    // 3. With the right role.
    if (e.who !== 'public' && e.who !== 'agent') {
      // Operators' routes run as the system administrator (an operator of every namespace); test/actions.test.ts refuses them to viewers.
      const t = e.who === 'admin' || e.who === 'operator' ? token.admin : e.who === 'viewer' ? token.viewer : token.user;
      // Changes that would end the test's own sign-ins or users run on throwaway ones.
      let ok: Response;
      // Tokens are made from a console session (a token cannot make tokens).
      if (what === 'POST /api/v1/auth/logout' || what === 'POST /api/v1/auth/password' || what === 'POST /api/v1/tokens') {
        const pw = newPassword();
        secrets.push(pw);
        const name = `w${Math.random().toString(36).slice(2, 8)}`;
        await call('/api/v1/users', { method: 'POST', token: token.admin, body: JSON.stringify({ name, password: pw }) });
        const s = await signIn(server.url!, name, pw);
        const body = what.endsWith('password') ? { current: pw, next: newPassword() } : e.body;
        ok = await call(e.path, { method, headers: { cookie: s.cookie, 'x-csrf-token': s.csrf }, ...(body ? { body: JSON.stringify(body) } : {}) });
      } else if (what === 'POST /api/v1/users/:id/password') {
        // A reset revokes the user's tokens: on a throwaway user, not the viewer whose token the walk uses.
        const res = await call('/api/v1/users', { method: 'POST', token: token.admin, body: JSON.stringify({ name: 'resettable' }) });
        const made = await res.json() as { user: { id: number }; oneTimePassword: string };
        secrets.push(made.oneTimePassword);
        ok = await call(`/api/v1/users/${made.user.id}/password`, { method, token: token.admin, body: '{}' });
        secrets.push((await ok.clone().json() as { oneTimePassword: string }).oneTimePassword);
      } else if (what === 'DELETE /api/v1/enrollment-tokens/:id' || what === 'DELETE /api/v1/agents/:id/credential') {
        // An enrollment token of alpha (and an agent enrolled with it), revoked by the system administrator.
        const made = await (await call('/api/v1/enrollment-tokens', { method: 'POST', token: token.admin, body: JSON.stringify({ namespace: 'alpha' }) })).json() as { token: string; id: number };
        secrets.push(made.token);
        if (what.includes('enrollment')) ok = await call(`/api/v1/enrollment-tokens/${made.id}`, { method, token: token.admin });
        else {
          const agent = `walker-${Math.random().toString(36).slice(2, 8)}`;
          const enrolled = await (await call('/api/v1/agents/enroll', { method: 'POST', body: JSON.stringify({ token: made.token, agent }) })).json() as { credential: string };
          secrets.push(enrolled.credential);
          ok = await call(`/api/v1/agents/${agent}/credential`, { method, token: token.admin });
        }
      } else if (what === 'DELETE /api/v1/users/:id') {
        const res = await call('/api/v1/users', { method: 'POST', token: token.admin, body: JSON.stringify({ name: 'doomed' }) });
        const made = await res.json() as { user: { id: number }; oneTimePassword: string };
        assert.equal(res.status, 201, JSON.stringify(made));
        secrets.push(made.oneTimePassword);
        ok = await call(`/api/v1/users/${made.user.id}`, { method, token: token.admin });
      } else if (what === 'DELETE /api/v1/tokens/:id') {
        const pw = newPassword();
        secrets.push(pw);
        await call('/api/v1/users', { method: 'POST', token: token.admin, body: JSON.stringify({ name: 'tokenowner', password: pw }) });
        const s = await signIn(server.url!, 'tokenowner', pw);
        const made = await (await call('/api/v1/tokens', { method: 'POST', headers: { cookie: s.cookie, 'x-csrf-token': s.csrf }, body: JSON.stringify({ name: 'doomed', scopes: [] }) })).json() as { token: string; info: { id: number } };
        secrets.push(made.token);
        ok = await call(`/api/v1/tokens/${made.info.id}`, { method, token: token.admin });
      } else if (what === 'DELETE /api/v1/tasks/:id') {
        const made = await (await call('/api/v1/tasks', { method: 'POST', token: token.admin, body: JSON.stringify({ ...TASK, name: 'doomed' }) })).json() as { id: number };
        ok = await call(`/api/v1/tasks/${made.id}`, { method, token: token.admin });
      } else if (what === 'DELETE /api/v1/scripts/:id') {
        const made = await (await call('/api/v1/scripts', { method: 'POST', token: token.admin, body: JSON.stringify({ name: 'doomed', sql: 'select 3' }) })).json() as { id: number };
        ok = await call(`/api/v1/scripts/${made.id}`, { method, token: token.admin });
      } else ok = await call(e.path, init(t));
      if (path === '/api/v1/live') { assert.equal(ok.status, 200); await ok.body?.cancel(); } else {
        const body = await ok.text();
        assert.ok(ok.status >= 200 && ok.status < 300, `${what} with the right role (${e.who}): ${ok.status} ${body.slice(0, 300)}`);
        if (e.who === 'viewer' && what === 'GET /api/v1/instances') assert.match(body, /al-0/);
      }
    } else if (e.who === 'agent') {
      const ok = await call(e.path, { ...init(), headers: { authorization: `Bearer ${what === 'GET /api/v1/agent/commands' ? agentCredential : INGEST_TOKEN}` } });
      assert.equal(ok.status, 200, `${what} with the ingest token: ${ok.status}`);
    }
    checked.push(what);
  }
  assert.equal(checked.length, routes.length);
});

test('a console change without the CSRF header is refused; a revoked token stops at once', async () => {
  const pw = newPassword();
  secrets.push(pw);
  const created = await call('/api/v1/users', { method: 'POST', token: await admin(), body: JSON.stringify({ name: 'cy', password: pw }) });
  assert.ok(created.ok, `the user is created: ${created.status} ${await created.text()}`);
  const s = await signIn(server.url!, 'cy', pw);
  assert.equal(s.status, 200, `cy signs in: ${JSON.stringify(s.body)}`);
  const noCsrf = await call('/api/v1/tokens', { method: 'POST', headers: { cookie: s.cookie }, body: JSON.stringify({ name: 'x', scopes: [] }) });
  assert.equal(noCsrf.status, 403, `a change without the CSRF header: ${noCsrf.status} ${await noCsrf.clone().text()}`);
  assert.equal((await noCsrf.json() as { code: string }).code, 'PGFLEET_AUTH_CSRF');
  const made = await (await call('/api/v1/tokens', { method: 'POST', headers: { cookie: s.cookie, 'x-csrf-token': s.csrf }, body: JSON.stringify({ name: 'x', scopes: [] }) })).json() as { token: string; info: { id: number } };
  secrets.push(made.token);
  assert.equal((await call('/api/v1/auth/me', { token: made.token })).status, 200);
  assert.equal((await call(`/api/v1/tokens/${made.info.id}`, { method: 'DELETE', headers: { cookie: s.cookie, 'x-csrf-token': s.csrf } })).status, 204);
  assert.equal((await call('/api/v1/auth/me', { token: made.token })).status, 401);
  // An admin's reset of cy's password revokes cy's tokens (someone else may know the password).
  const kept = await (await call('/api/v1/tokens', { method: 'POST', headers: { cookie: s.cookie, 'x-csrf-token': s.csrf }, body: JSON.stringify({ name: 'kept', scopes: [] }) })).json() as { token: string };
  secrets.push(kept.token);
  assert.equal((await call('/api/v1/auth/me', { token: kept.token })).status, 200);
  const cy = (await (await call('/api/v1/users', { token: await admin() })).json() as { id: number; name: string }[]).find((u) => u.name === 'cy')!;
  const reset = await (await call(`/api/v1/users/${cy.id}/password`, { method: 'POST', token: await admin(), body: '{}' })).json() as { oneTimePassword: string };
  secrets.push(reset.oneTimePassword);
  assert.equal((await call('/api/v1/auth/me', { token: kept.token })).status, 401, 'a reset revokes the tokens');
  // A token never lists its secret, nor its hash.
  const listed = await (await call('/api/v1/tokens?all=true', { token: await admin() })).text();
  // The secret is what follows pgf_<prefix>_ (it may itself hold underscores).
  assert.ok(!listed.includes(made.token.slice(13)) && !/hash/.test(listed), listed);
  // The last active system administrator can be neither demoted, disabled nor deleted.
  const adminId = (await (await call('/api/v1/users', { token: await admin() })).json() as { id: number; name: string }[]).find((u) => u.name === 'admin')!.id;
  for (const [method, body] of [['PATCH', { isAdmin: false }], ['PATCH', { disabled: true }], ['DELETE', undefined]] as const) {
    const r = await call(`/api/v1/users/${adminId}`, { method, token: await admin(), ...(body ? { body: JSON.stringify(body) } : {}) });
    assert.equal(r.status, 409, `${method} ${JSON.stringify(body)}: ${r.status}`);
  }
  // A token cannot reach past its scopes, nor make more than its owner has.
  const s2 = await signIn(server.url!, 'ada', adaPassword);
  const wider = await call('/api/v1/tokens', { method: 'POST', headers: { cookie: s2.cookie, 'x-csrf-token': s2.csrf }, body: JSON.stringify({ name: 'y', scopes: [{ namespace: 'beta', role: 'viewer' }] }) });
  assert.equal(wider.status, 403);
});

test('password guessing is slowed, then locked out; the right password does not open a locked account', async () => {
  const pw = newPassword();
  secrets.push(pw);
  await call('/api/v1/users', { method: 'POST', token: await admin(), body: JSON.stringify({ name: 'dan', password: pw }) });
  const times: number[] = [];
  const statuses: number[] = [];
  for (let i = 0; i < 6; i++) {
    const t0 = performance.now();
    const r = await signIn(server.url!, 'dan', `wrong-${i}-password`);
    times.push(performance.now() - t0);
    statuses.push(r.status);
  }
  assert.deepEqual(statuses.slice(0, 4), [401, 401, 401, 401], statuses.join());
  assert.equal(statuses[4], 429, `the fifth failure locks: ${statuses.join()}`);
  assert.equal(statuses[5], 429);
  // Slowed: each failure from the address waits longer than the one before (250 ms, doubling).
  assert.ok(times[3] > times[0] + 500, `failures slow down: ${times.map((t) => Math.round(t)).join(', ')} ms`);
  const right = await signIn(server.url!, 'dan', pw);
  assert.equal(right.status, 429, 'locked: the right password is refused too');
  assert.match(String(right.body.message), /locked until/);
  // An unknown name answers the same way, and is limited too.
  const unknown: string[] = [];
  for (let i = 0; i < 6; i++) { const r = await signIn(server.url!, 'nosuchuser', `guess-${i}-password`); unknown.push(`${r.status} ${r.body.code}`); }
  const known = statuses.map((st, i) => `${st} ${i < 4 ? 'PGFLEET_AUTH_FAILED' : 'PGFLEET_AUTH_LOCKED'}`);
  assert.deepEqual(unknown, known, 'an unknown name answers as a user of the store does');
});

test('every change is in the audit log with its actor and result; the log cannot be changed', async () => {
  const before = await (await call('/api/v1/audit?limit=1000', { token: await admin() })).json() as { id: number }[];
  const n0 = before.length;
  const pw = newPassword();
  secrets.push(pw);
  const created = await call('/api/v1/users', { method: 'POST', token: await admin(), body: JSON.stringify({ name: 'eve', password: pw, grants: [{ namespace: 'beta', role: 'operator' }] }) });
  const id = (await created.json() as { user: { id: number } }).user.id;
  await call(`/api/v1/users/${id}`, { method: 'PATCH', token: await admin(), body: JSON.stringify({ disabled: true }) });
  await call(`/api/v1/users/${id}`, { method: 'PATCH', token: alphaViewer, body: JSON.stringify({ disabled: false }) }); // refused: not an admin
  await signIn(server.url!, 'eve', 'not-her-password');
  await call('/api/v1/users', { method: 'POST', body: JSON.stringify({ name: 'mallory' }) }); // refused: no credentials
  const after = await (await call('/api/v1/audit?limit=1000', { token: await admin() })).json() as { id: number; actor: string; action: string; result: string; target: string | null; status: number; detail: Record<string, unknown> | null }[];
  const fresh = after.slice(0, after.length - n0).reverse();
  assert.deepEqual(fresh.map((e) => [e.action, e.result, e.status]), [
    ['users.create', 'ok', 201], ['users.update', 'ok', 200], ['users.update', 'denied', 403], ['login', 'denied', 401], ['users.create', 'denied', 401],
  ]);
  assert.match(fresh[0].actor, /^admin \(token \w+\)$/);
  assert.equal(fresh[0].target, 'eve');
  assert.equal(fresh[2].actor, 'ada (token ' + alphaViewer.split('_')[1] + ')');
  assert.equal(fresh[3].actor, 'eve');
  assert.equal(fresh[4].actor, 'anonymous');
  assert.ok(!JSON.stringify(fresh).includes(pw), 'the password is not in the audit detail');
  assert.equal((fresh[0].detail as { body: { password: string } }).body.password, '(hidden)');
  // Append-only, in the store itself.
  await assert.rejects(server.store.sql`update audit_log set result = 'ok'`, /append-only/);
  await assert.rejects(server.store.sql`delete from audit_log`, /append-only/);
});

test('no password, token or secret reaches the logs or comes back after creation', async () => {
  const users = await (await call('/api/v1/users', { token: await admin() })).text();
  assert.ok(!/password_hash|argon2/.test(users), 'no password hash in GET /api/v1/users');
  // A password change: the audit entry says whose, not what.
  const pw = newPassword();
  const next = newPassword();
  secrets.push(pw, next);
  await call('/api/v1/users', { method: 'POST', token: await admin(), body: JSON.stringify({ name: 'fay', password: pw }) });
  const s = await signIn(server.url!, 'fay', pw);
  assert.equal((await call('/api/v1/auth/password', { method: 'POST', headers: { cookie: s.cookie, 'x-csrf-token': s.csrf }, body: JSON.stringify({ current: pw, next }) })).status, 204);
  const audit = await (await call('/api/v1/audit?limit=1000', { token: await admin() })).text();
  assert.match(audit, /"action":"password.change","target":"fay"/);
  const text = logs.join('\n');
  assert.ok(logs.length > 0);
  for (const x of secrets) {
    assert.ok(!text.includes(x), `a secret is in the server's log: ${x.slice(0, 6)}…`);
    assert.ok(!audit.includes(x), `a secret is in the audit log: ${x.slice(0, 6)}…`);
  }
});
