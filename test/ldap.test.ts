// Sign-in through LDAP against a real slapd: the directory checks the password, its groups give the
// roles, and a person taken out of a group loses the role at the next sign-in.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Attribute, Change, Client } from 'ldapts';
import { loadCatalog } from '../src/catalog/index.ts';
import { encodeEnvelope } from '../src/protocol/index.ts';
import { FleetSimulator } from '../src/simulate/index.ts';
import { LdapDirectory, parseGroupMapping } from '../src/server/auth/index.ts';
import { startServer, type RunningServer } from '../src/server/index.ts';
import { adminHeaders, groupDn, LDAP_ADMIN_DN, LDAP_BASE, personDn, runPgfleet, signIn, startTestLdap, startTestPostgres, type TestLdap, type TestPostgres } from './harness/index.ts';

let ldap: TestLdap;
let pg: TestPostgres;
let server: RunningServer;
const ALICE = 'alice-directory-pw';
const BOB = 'bob-directory-pw';

before(async () => {
  [ldap, pg] = await Promise.all([
    startTestLdap(
      [{ uid: 'alice', password: ALICE, name: 'Alice Liddell' }, { uid: 'bob', password: BOB, name: 'Bob Marley' }, { uid: 'carol', password: 'carol-pw', name: 'Carol Nobody' }],
      [{ cn: 'dba', members: ['alice'] }, { cn: 'readers', members: ['alice', 'bob'] }, { cn: 'pgfleet-admins', members: ['bob'] }, { cn: 'unrelated', members: ['carol'] }],
    ),
    startTestPostgres(18),
  ]);
  server = await startServer({
    role: 'all', storeUrl: pg.url, host: '127.0.0.1', port: 0, retentionDays: 7,
    directory: new LdapDirectory({
      url: ldap.url, userBase: `ou=people,${LDAP_BASE}`, groupBase: `ou=groups,${LDAP_BASE}`,
      groups: ['dba=admin@alpha', 'readers=viewer@beta', `${groupDn('pgfleet-admins')}=system-admin`].map(parseGroupMapping),
    }),
  });
  const catalog = loadCatalog();
  const now = Date.now();
  for (const [ns, prefix] of [['alpha', 'al'], ['beta', 'be']] as const) {
    const envs = new FleetSimulator(catalog, { agents: 1, seed: 3, prefix, namespace: ns }).tick(now - 3 * 60_000, now);
    await server.keeper.ingest(envs.map((e) => ({ bytes: encodeEnvelope(e), source: 'inproc' as const })));
  }
});

after(async () => {
  await server?.stop();
  await Promise.all([ldap?.stop(), pg?.destroy()]);
});

const get = (path: string, cookie: string) => fetch(`${server.url}${path}`, { headers: { cookie } });
const me = async (cookie: string) => (await get('/api/v1/auth/me', cookie)).json() as Promise<{ name: string; isAdmin: boolean; grants: { namespace: string; role: string }[] }>;

/** Changes the directory as its manager would. */
async function removeMember(group: string, uid: string): Promise<void> {
  const c = new Client({ url: ldap.url });
  await c.bind(LDAP_ADMIN_DN, ldap.adminPassword);
  await c.modify(groupDn(group), new Change({ operation: 'delete', modification: new Attribute({ type: 'member', values: [personDn(uid)] }) }));
  await c.unbind();
}

test('a person signs in with the directory password; the groups give the roles', async () => {
  const a = await signIn(server.url!, 'alice', ALICE);
  assert.equal(a.status, 200, JSON.stringify(a.body));
  const alice = await me(a.cookie);
  assert.deepEqual([alice.isAdmin, alice.grants], [false, [{ namespace: 'alpha', role: 'admin' }, { namespace: 'beta', role: 'viewer' }]]);
  assert.equal((await get('/api/v1/instances/al-0', a.cookie)).status, 200);
  const b = await signIn(server.url!, 'bob', BOB);
  const bob = await me(b.cookie);
  assert.deepEqual([bob.isAdmin, bob.grants], [true, [{ namespace: 'beta', role: 'viewer' }]]);
  // The directory's users are pgfleet users of source ldap, without a password of pgfleet's.
  const users = await (await fetch(`${server.url}/api/v1/users`, { headers: await adminHeaders(server) })).json() as { name: string; source: string; displayName: string }[];
  assert.deepEqual(users.filter((u) => u.source === 'ldap').map((u) => [u.name, u.displayName]), [['alice', 'Alice Liddell'], ['bob', 'Bob Marley']]);
});

test('a wrong password, an unknown person, an injected filter and a person in no mapped group are refused', async () => {
  assert.equal((await signIn(server.url!, 'alice', 'not-alices-password')).status, 401);
  assert.equal((await signIn(server.url!, 'nobody', 'whatever-password')).status, 401);
  assert.equal((await signIn(server.url!, '*', ALICE)).status, 401);
  assert.equal((await signIn(server.url!, 'al*', ALICE)).status, 401);
  assert.equal((await signIn(server.url!, 'alice)(uid=*', ALICE)).status, 401);
  assert.equal((await signIn(server.url!, 'alice', '')).status, 400, 'an empty password is refused by the schema (an anonymous bind would succeed)');
  const carol = await signIn(server.url!, 'carol', 'carol-pw');
  assert.equal(carol.status, 403);
  assert.equal(carol.body.code, 'PGFLEET_AUTH_NO_ROLE');
});

test('taken out of a group, a person loses its role at the next sign-in; out of every group, its sessions end', async () => {
  const before = await signIn(server.url!, 'alice', ALICE);
  assert.equal((await get('/api/v1/instances/al-0', before.cookie)).status, 200);
  await removeMember('dba', 'alice');
  const after1 = await signIn(server.url!, 'alice', ALICE);
  assert.deepEqual((await me(after1.cookie)).grants, [{ namespace: 'beta', role: 'viewer' }]);
  assert.equal((await get('/api/v1/instances/al-0', after1.cookie)).status, 403, 'no longer admin of alpha');
  assert.equal((await get('/api/v1/instances/be-0', after1.cookie)).status, 200);
  await removeMember('readers', 'alice');
  const after2 = await signIn(server.url!, 'alice', ALICE);
  assert.equal(after2.status, 403);
  assert.equal((await get('/api/v1/instances/be-0', after1.cookie)).status, 401, 'her open sessions ended with her last group');
});

test('with the directory down, its people cannot sign in (503) and local users still can', async () => {
  const local = await adminHeaders(server);
  await ldap.stop();
  const r = await signIn(server.url!, 'bob', BOB);
  assert.equal(r.status, 503);
  assert.equal(r.body.code, 'PGFLEET_AUTH_DIRECTORY');
  assert.equal((await fetch(`${server.url}/api/v1/auth/me`, { headers: local })).status, 200);
});

test('pgfleet serve reports every LDAP setting problem at once and exits 2', async () => {
  const p = runPgfleet(['serve', '--store', 'postgres://127.0.0.1:1/x', '--ldap-url', 'http://dir', '--ldap-group', 'dba=root@prod', '--ldap-group', 'nogroup']);
  const code = await new Promise<number | null>((r) => p.child.once('exit', (c) => r(c)));
  assert.equal(code, 2);
  const out = p.output();
  for (const re of [/--ldap-url: expected ldap:\/\//, /--ldap-user-base/, /dba=root@prod.*viewer, operator or admin/, /"nogroup": expected group=role@namespace/]) assert.match(out, re);
});
