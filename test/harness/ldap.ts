// slapd (OpenLDAP, Debian's package) on a free port with a throwaway directory: people and groups
// under dc=example,dc=org, for LDAP sign-in tests.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../src/pg-embedded/index.ts';
import { waitPort } from './nats.ts';
import { tempDir } from './tmp.ts';

const SLAPD = '/usr/sbin/slapd';
const SLAPADD = '/usr/sbin/slapadd';
export const LDAP_BASE = 'dc=example,dc=org';
export const LDAP_ADMIN_DN = `cn=admin,${LDAP_BASE}`;

export interface TestLdap {
  url: string;
  /** The directory manager's password (binds as LDAP_ADMIN_DN, may change anything). */
  adminPassword: string;
  stop(): Promise<void>;
}

export interface LdapPerson { uid: string; password: string; name: string }
export interface LdapGroup { cn: string; members: string[] }

/** The DN of a person of the test directory. */
export const personDn = (uid: string) => `uid=${uid},ou=people,${LDAP_BASE}`;
export const groupDn = (cn: string) => `cn=${cn},ou=groups,${LDAP_BASE}`;

/** Starts slapd with people and groups (groupOfNames, members by DN). */
export async function startTestLdap(people: LdapPerson[], groups: LdapGroup[]): Promise<TestLdap> {
  if (!existsSync(SLAPD)) throw new Error('slapd is not installed (Debian: apt-get install -y slapd; .ci/run does it)');
  const dir = tempDir('pgfleet-ldap-');
  const data = join(dir.path, 'data');
  mkdirSync(data);
  const adminPassword = 'directory-manager-secret';
  const conf = join(dir.path, 'slapd.conf');
  writeFileSync(conf, [
    ...['core', 'cosine', 'inetorgperson', 'nis'].map((s) => `include /etc/ldap/schema/${s}.schema`),
    'modulepath /usr/lib/ldap', 'moduleload back_mdb', `pidfile ${join(dir.path, 'slapd.pid')}`,
    // People may check their own password; only the manager reads passwords; everyone else reads the rest.
    'access to attrs=userPassword by self write by anonymous auth by * none',
    'access to * by * read',
    'database mdb', `suffix "${LDAP_BASE}"`, `rootdn "${LDAP_ADMIN_DN}"`, `rootpw ${adminPassword}`, `directory ${data}`, 'maxsize 10485760', '',
  ].join('\n'));
  const ldif = [
    `dn: ${LDAP_BASE}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example`,
    `dn: ou=people,${LDAP_BASE}\nobjectClass: organizationalUnit\nou: people`,
    `dn: ou=groups,${LDAP_BASE}\nobjectClass: organizationalUnit\nou: groups`,
    ...people.map((p) => `dn: ${personDn(p.uid)}\nobjectClass: inetOrgPerson\nuid: ${p.uid}\ncn: ${p.name}\nsn: ${p.name.split(' ').pop()}\ndisplayName: ${p.name}\nuserPassword: ${p.password}`),
    // groupOfNames needs a member: the manager stands in, so a group can lose all its people.
    ...groups.map((g) => `dn: ${groupDn(g.cn)}\nobjectClass: groupOfNames\ncn: ${g.cn}\nmember: ${LDAP_ADMIN_DN}\n${g.members.map((m) => `member: ${personDn(m)}`).join('\n')}`),
  ].join('\n\n');
  writeFileSync(join(dir.path, 'data.ldif'), `${ldif}\n`);
  execFileSync(SLAPADD, ['-f', conf, '-l', join(dir.path, 'data.ldif')], { stdio: 'pipe' });
  const port = await freePort();
  // -d 0: stay in the foreground (no fork), so the harness owns the process.
  const child: ChildProcess = spawn(SLAPD, ['-f', conf, '-h', `ldap://127.0.0.1:${port}/`, '-d', '0'], { stdio: 'ignore' });
  const exit = new Promise<void>((r) => child.on('exit', () => r()));
  await waitPort(port);
  return {
    url: `ldap://127.0.0.1:${port}`,
    adminPassword,
    stop: async () => {
      child.kill('SIGTERM');
      await exit;
      dir.remove();
    },
  };
}
