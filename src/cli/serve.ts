import { readFileSync } from 'node:fs';
import { Type, type Static } from '@sinclair/typebox';
import { sourceUrl } from '../source-url.ts';
import { fileURLToPath } from 'node:url';
import { SERVER_ROLES, startServer } from '../server/index.ts';
import { LdapDirectory, parseGroupMapping, type GroupMapping } from '../server/auth/index.ts';
import { ConfigError, type FieldSpec } from './config.ts';
import { logLine } from './log.ts';

export const ServeConfig = Type.Object({
  role: Type.Union(SERVER_ROLES.map((r) => Type.Literal(r)), { default: 'all' }),
  store: Type.String({ default: '', description: 'store URI; empty: PG* environment variables' }),
  nats: Type.Array(Type.String({ pattern: '^(nats|tls)://' }), { default: [] }),
  listen: Type.String({ default: '127.0.0.1:8080', pattern: '^.+:\\d{1,5}$' }),
  web_dir: Type.String({ default: fileURLToPath(sourceUrl('../web/dist', import.meta.url, '../')) }),
  retention_days: Type.Integer({ minimum: 1, maximum: 3650, default: 7 }),
  rollup_1m_days: Type.Integer({ minimum: 1, maximum: 3650, default: 30 }),
  rollup_1h_days: Type.Integer({ minimum: 1, maximum: 3650, default: 400 }),
  catalog_dir: Type.Array(Type.String(), { default: [] }),
  ack_wait_s: Type.Integer({ minimum: 1, maximum: 3600, default: 30 }),
  consumer_stall_s: Type.Integer({ minimum: 0, maximum: 86_400, default: 30 }),
  ingest_token: Type.String({ default: '' }),
  tls_cert: Type.String({ default: '' }),
  tls_key: Type.String({ default: '' }),
  trust_proxy: Type.Array(Type.String(), { default: [] }),
  nats_nkey_file: Type.String({ default: '' }),
  nats_ca_file: Type.String({ default: '' }),
  ldap_url: Type.String({ default: '' }),
  ldap_bind_dn: Type.String({ default: '' }),
  ldap_bind_password: Type.String({ default: '' }),
  ldap_user_base: Type.String({ default: '' }),
  ldap_user_filter: Type.String({ default: '(&(objectClass=person)(uid={name}))' }),
  ldap_group_base: Type.String({ default: '' }),
  ldap_group_filter: Type.String({ default: '(|(member={dn})(uniqueMember={dn}))' }),
  ldap_group: Type.Array(Type.String(), { default: [] }),
  ldap_start_tls: Type.Boolean({ default: false }),
  ldap_ca_file: Type.String({ default: '' }),
}, { additionalProperties: false });
export type ServeConfig = Static<typeof ServeConfig>;

export const SERVE_FIELDS: FieldSpec[] = [
  { key: 'role', flag: 'role', env: 'PGFLEET_ROLE', type: 'string', description: 'all | api | keeper | worker' },
  { key: 'store', flag: 'store', env: 'PGFLEET_STORE_URL', type: 'string', description: 'PostgreSQL URI of the store' },
  { key: 'nats', flag: 'nats', env: 'PGFLEET_NATS_URL', type: 'list', description: 'NATS servers (comma-separated) for JetStream ingest' },
  { key: 'listen', flag: 'listen', env: 'PGFLEET_LISTEN', type: 'string', description: 'host:port of the API and console' },
  { key: 'web_dir', flag: 'web-dir', env: 'PGFLEET_WEB_DIR', type: 'string', description: 'built console folder' },
  { key: 'retention_days', flag: 'retention-days', env: 'PGFLEET_RETENTION_DAYS', type: 'number', description: 'days of raw samples (recent rows and compacted chunks), query statistics and activity kept' },
  { key: 'rollup_1m_days', flag: 'rollup-1m-days', env: 'PGFLEET_ROLLUP_1M_DAYS', type: 'number', description: 'days of 1-minute rollups kept' },
  { key: 'rollup_1h_days', flag: 'rollup-1h-days', env: 'PGFLEET_ROLLUP_1H_DAYS', type: 'number', description: 'days of 1-hour rollups kept' },
  { key: 'ingest_token', flag: 'ingest-token', env: 'PGFLEET_INGEST_TOKEN', type: 'string', description: 'bearer token agents must send to POST /api/v1/ingest (pgfleet agent --token)' },
  { key: 'tls_cert', flag: 'tls-cert', env: 'PGFLEET_TLS_CERT', type: 'string', description: 'PEM certificate: serve HTTPS (with --tls-key)' },
  { key: 'nats_ca_file', flag: 'nats-ca-file', env: 'PGFLEET_NATS_CA_FILE', type: 'string', description: "PEM file of the CA of the NATS servers' certificates: TLS, verified" },
  { key: 'nats_nkey_file', flag: 'nats-nkey-file', env: 'PGFLEET_NATS_NKEY_FILE', type: 'string', description: "file with the keeper's NKEY seed, for a NATS with pgfleet's generated authorization (GET /api/v1/nats/authorization)" },
  { key: 'trust_proxy', flag: 'trust-proxy', env: 'PGFLEET_TRUST_PROXY', type: 'list', description: 'addresses or CIDRs of reverse proxies whose X-Forwarded-For/-Proto to believe (client address for sign-in limits and the audit log; Secure cookies)' },
  { key: 'ldap_url', flag: 'ldap-url', env: 'PGFLEET_LDAP_URL', type: 'string', description: 'sign-in through LDAP / Active Directory: ldap://host:389 or ldaps://host:636 (comma-separated to try several)' },
  { key: 'ldap_bind_dn', flag: 'ldap-bind-dn', env: 'PGFLEET_LDAP_BIND_DN', type: 'string', description: 'account that searches people and groups (empty: anonymous)' },
  { key: 'ldap_bind_password', flag: 'ldap-bind-password', env: 'PGFLEET_LDAP_BIND_PASSWORD', type: 'string', description: 'its password (prefer the environment variable to the flag)' },
  { key: 'ldap_user_base', flag: 'ldap-user-base', env: 'PGFLEET_LDAP_USER_BASE', type: 'string', description: 'where people are, e.g. ou=people,dc=example,dc=org' },
  { key: 'ldap_user_filter', flag: 'ldap-user-filter', env: 'PGFLEET_LDAP_USER_FILTER', type: 'string', description: 'finds the person by the name typed ({name}); Active Directory: (sAMAccountName={name})' },
  { key: 'ldap_group_base', flag: 'ldap-group-base', env: 'PGFLEET_LDAP_GROUP_BASE', type: 'string', description: 'where groups are (default: the user base)' },
  { key: 'ldap_group_filter', flag: 'ldap-group-filter', env: 'PGFLEET_LDAP_GROUP_FILTER', type: 'string', description: "finds the person's groups ({dn}, {name}); Active Directory nested groups: (member:1.2.840.113556.1.4.1941:={dn})" },
  { key: 'ldap_group', flag: 'ldap-group', env: 'PGFLEET_LDAP_GROUPS', type: 'list', description: 'group (cn or DN) to role: dba=admin@prod, readers=viewer@*, pgfleet-admins=system-admin' },
  { key: 'ldap_start_tls', flag: 'ldap-start-tls', env: 'PGFLEET_LDAP_START_TLS', type: 'boolean', description: 'upgrade ldap:// with StartTLS' },
  { key: 'ldap_ca_file', flag: 'ldap-ca-file', env: 'PGFLEET_LDAP_CA_FILE', type: 'string', description: "PEM file of the CA of the directory's certificate" },
  { key: 'tls_key', flag: 'tls-key', env: 'PGFLEET_TLS_KEY', type: 'string', description: 'PEM private key of --tls-cert' },
  { key: 'ack_wait_s', flag: 'ack-wait-s', env: 'PGFLEET_ACK_WAIT_S', type: 'number', description: 'seconds before an unacked message is redelivered (when the consumer is created)' },
  { key: 'consumer_stall_s', flag: 'consumer-stall-s', env: 'PGFLEET_CONSUMER_STALL_S', type: 'number', description: 'a consumer that delivers nothing this long while messages wait for it is created again (0: never)' },
  { key: 'catalog_dir', flag: 'catalog-dir', env: 'PGFLEET_CATALOG_DIR', type: 'list', description: 'extra collector folders (for metric metadata)' },
];

/** The LDAP directory the configuration describes, if any; problems are added to the list. */
function ldapDirectory(cfg: ServeConfig, problems: string[]): LdapDirectory | undefined {
  const given = cfg.ldap_user_base || cfg.ldap_group.length > 0 || cfg.ldap_bind_dn;
  if (!cfg.ldap_url) {
    if (given) problems.push('--ldap-* settings need --ldap-url');
    return undefined;
  }
  if (!/^ldaps?:\/\//.test(cfg.ldap_url)) problems.push(`--ldap-url: expected ldap://host:port or ldaps://host:port, got "${cfg.ldap_url}"`);
  if (!cfg.ldap_user_base) problems.push('--ldap-user-base: where the people are (e.g. ou=people,dc=example,dc=org)');
  if (!cfg.ldap_group.length) problems.push('--ldap-group: at least one group=role@namespace (or group=system-admin), or nobody from the directory gets a role');
  const groups: GroupMapping[] = [];
  for (const g of cfg.ldap_group) { try { groups.push(parseGroupMapping(g)); } catch (err) { problems.push(`--ldap-group ${(err as Error).message}`); } }
  if (problems.length) return undefined;
  return new LdapDirectory({
    url: cfg.ldap_url, bindDn: cfg.ldap_bind_dn || undefined, bindPassword: cfg.ldap_bind_password, userBase: cfg.ldap_user_base, userFilter: cfg.ldap_user_filter,
    groupBase: cfg.ldap_group_base || undefined, groupFilter: cfg.ldap_group_filter, groups, startTls: cfg.ldap_start_tls, caFile: cfg.ldap_ca_file || undefined,
  });
}

/** The first start's message: who the first system administrator is, and the one-time password. */
export function firstAdminNotice(a: { name: string; password: string }, url?: string): string {
  return `\n  First start: a system administrator was created.\n    user:              ${a.name}\n    one-time password: ${a.password}\n` +
    `  Sign in${url ? ` at ${url}/` : ''} and choose a new password; this one works only for that, and is not shown again.\n\n`;
}

export async function runServe(cfg: ServeConfig): Promise<() => Promise<void>> {
  const problems: string[] = [];
  if (Boolean(cfg.tls_cert) !== Boolean(cfg.tls_key)) problems.push('--tls-cert and --tls-key go together: give both or neither');
  const directory = ldapDirectory(cfg, problems);
  if (problems.length) throw new ConfigError(problems);
  const i = cfg.listen.lastIndexOf(':');
  const server = await startServer({
    role: cfg.role, storeUrl: cfg.store, natsServers: cfg.nats, host: cfg.listen.slice(0, i), port: Number(cfg.listen.slice(i + 1)),
    webDir: cfg.web_dir, retentionDays: cfg.retention_days, rollup1mDays: cfg.rollup_1m_days, rollup1hDays: cfg.rollup_1h_days, catalogDirs: cfg.catalog_dir, ackWaitS: cfg.ack_wait_s, consumerStallS: cfg.consumer_stall_s, log: logLine,
    ingestToken: cfg.ingest_token,
    tls: cfg.tls_cert ? { certFile: cfg.tls_cert, keyFile: cfg.tls_key } : undefined,
    ...(cfg.trust_proxy.length ? { trustProxy: cfg.trust_proxy, secureCookies: true } : {}),
    ...(directory ? { directory } : {}),
    ...(cfg.nats_nkey_file ? { natsNkeySeed: readFileSync(cfg.nats_nkey_file, 'utf8').trim() } : {}),
    ...(cfg.nats_ca_file ? { natsCaFile: cfg.nats_ca_file } : {}),
  });
  logLine('info', `pgfleet serve (${cfg.role}) started${server.url ? ` at ${server.url}` : ''}`);
  // Shown once, on the terminal (not the log): the password only serves to choose a new one.
  if (server.firstAdmin) process.stdout.write(firstAdminNotice(server.firstAdmin, server.url));
  return server.stop;
}
