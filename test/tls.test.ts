// HTTPS: `pgfleet serve --tls-cert/--tls-key` serves the API over TLS, and an agent
// posts its messages to https:// (trusting the certificate through NODE_EXTRA_CA_CERTS); NATS over TLS.
import { test, after } from 'node:test';
import postgres from 'postgres';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runPgfleet, selfSignedCert, startTestNats, startTestPostgres, tempDir, waitFor, type PgfleetProcess, firstAdminFromOutput } from './harness/index.ts';
import { NatsTransport } from '../src/agent/index.ts';
import { startServer } from '../src/server/index.ts';

const cleanup: (() => Promise<void> | void)[] = [];
after(async () => { for (const c of cleanup.reverse()) await c(); });

function getJson(url: string, ca: Buffer): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    request(url, { ca }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    }).on('error', reject).end();
  });
}

test('the API over HTTPS, and an agent sending to it with its ingest token', async () => {
  const dir = tempDir();
  cleanup.push(() => dir.remove());
  const { cert, key } = selfSignedCert(dir.path, 'api');
  const ca = readFileSync(cert);
  const [store, target] = await Promise.all([startTestPostgres(18), startTestPostgres(16)]);
  cleanup.push(() => store.destroy(), () => target.destroy());

  const server: PgfleetProcess = runPgfleet(['serve', '--role', 'all', '--store', store.url, '--listen', '127.0.0.1:0', '--tls-cert', cert, '--tls-key', key, '--ingest-token', 'tok-123']);
  cleanup.push(() => server.stop());
  const [, url] = await server.waitForOutput(/started at (https:\/\/\S+)/);

  const health = await getJson(`${url}/api/v1/health`, ca);
  assert.equal(health.status, 200);
  assert.equal((health.body as { store: string }).store, 'ok');
  await assert.rejects(fetch(`${url}/api/v1/health`), 'a client that does not trust the certificate is refused');

  for (const [auth, re] of [[undefined, /ingest needs a token/], ['Bearer wrong-1', /not valid/]] as const) {
    const r = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${url}/api/v1/ingest`, { method: 'POST', ca, headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) } }, (res) => {
        let text = '';
        res.on('data', (d) => { text += d; });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.end('{}');
    });
    assert.equal(r.status, 401, r.body);
    assert.match(r.body, re);
  }

  const agent = runPgfleet(['agent', '--server', url, '--token', 'tok-123', '--target', `tls-1=${target.url}`, '--spool-dir', join(dir.path, 'spool'), '--max-interval-s', '1'],
    { NODE_EXTRA_CA_CERTS: cert });
  cleanup.push(() => agent.stop());
  // Over HTTPS, reading needs a sign-in too; the session cookie is Secure and httpOnly.
  assert.equal((await getJson(`${url}/api/v1/instances`, ca)).status, 401);
  const first = firstAdminFromOutput(await server.waitForOutput(/one-time password: \S+/).then(() => server.output()));
  const login = await new Promise<{ status: number; cookies: string[] }>((resolve, reject) => {
    const req = request(`${url}/api/v1/auth/login`, { method: 'POST', ca, headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, cookies: res.headers['set-cookie'] ?? [] }));
    });
    req.on('error', reject);
    req.end(JSON.stringify({ name: first!.name, password: first!.password }));
  });
  assert.equal(login.status, 200);
  const session = login.cookies.find((c) => c.startsWith('pgfleet_session='));
  assert.match(session ?? '', /; HttpOnly;.*SameSite=Strict.*; Secure$/);
  const sql = postgres(store.url, { max: 1, onnotice: () => {} });
  cleanup.push(() => sql.end());
  await waitFor('tls-1 to appear through HTTPS ingest', async () =>
    (await sql`select 1 from instances where name = 'tls-1' and up`).length > 0, 60_000);
});

test('--tls-cert without --tls-key is refused with a clear message', async () => {
  const p = runPgfleet(['serve', '--store', 'postgres://127.0.0.1:1/x', '--tls-cert', 'cert.pem']);
  const code = await new Promise<number | null>((r) => p.child.once('exit', (c) => r(c)));
  assert.equal(code, 2);
  assert.match(p.output(), /--tls-cert and --tls-key go together/);
});

test('NATS over TLS: the keeper and an agent verify the servers\' certificate with --nats-ca-file; a client that does not trust it is refused', async () => {
  const dir = tempDir();
  cleanup.push(() => dir.remove());
  // nats.js checks the name as well as the address it connects to: both are in the certificate.
  const { cert, key } = selfSignedCert(dir.path, 'nats', 'IP:127.0.0.1,DNS:localhost');
  const nats = await startTestNats({ config: `tls { cert_file: ${JSON.stringify(cert)}, key_file: ${JSON.stringify(key)} }\n` });
  cleanup.push(() => nats.destroy());
  const url = `tls://127.0.0.1:${nats.port}`;
  const [store, target] = await Promise.all([startTestPostgres(18), startTestPostgres(16)]);
  cleanup.push(() => store.destroy(), () => target.destroy());
  const keeper = await startServer({ role: 'keeper', storeUrl: store.url, natsServers: [url], natsCaFile: cert, host: '127.0.0.1', port: 0, retentionDays: 7 });
  cleanup.push(() => keeper.stop());
  const agent = runPgfleet(['agent', '--nats', url, '--nats-ca-file', cert, '--target', `natstls-1=${target.url}`, '--spool-dir', join(dir.path, 'spool'), '--max-interval-s', '1', '--no-node-metrics']);
  cleanup.push(() => agent.stop());
  const sql = postgres(store.url, { max: 1, onnotice: () => {} });
  cleanup.push(() => sql.end());
  await waitFor('natstls-1 stored through NATS over TLS', async () => (await sql`select 1 from instances where name = 'natstls-1' and up`).length > 0, 60_000);
  // Without the CA the certificate is not trusted: nothing is sent.
  const untrusting = await NatsTransport.connect({ servers: url, timeoutMs: 2000 });
  cleanup.push(() => untrusting.close());
  await assert.rejects(untrusting.send(new Uint8Array([1]), { agent: 'x', namespace: 'default', type: 'metrics', seq: 1 }), /not reachable/);
});
