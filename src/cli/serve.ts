import { Type, type Static } from '@sinclair/typebox';
import { sourceUrl } from '../source-url.ts';
import { fileURLToPath } from 'node:url';
import { SERVER_ROLES, startServer } from '../server/index.ts';
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
  { key: 'trust_proxy', flag: 'trust-proxy', env: 'PGFLEET_TRUST_PROXY', type: 'list', description: 'addresses or CIDRs of reverse proxies whose X-Forwarded-For/-Proto to believe (client address for sign-in limits and the audit log; Secure cookies)' },
  { key: 'tls_key', flag: 'tls-key', env: 'PGFLEET_TLS_KEY', type: 'string', description: 'PEM private key of --tls-cert' },
  { key: 'ack_wait_s', flag: 'ack-wait-s', env: 'PGFLEET_ACK_WAIT_S', type: 'number', description: 'seconds before an unacked message is redelivered (when the consumer is created)' },
  { key: 'consumer_stall_s', flag: 'consumer-stall-s', env: 'PGFLEET_CONSUMER_STALL_S', type: 'number', description: 'a consumer that delivers nothing this long while messages wait for it is created again (0: never)' },
  { key: 'catalog_dir', flag: 'catalog-dir', env: 'PGFLEET_CATALOG_DIR', type: 'list', description: 'extra collector folders (for metric metadata)' },
];

/** The first start's message: who the first system administrator is, and the one-time password. */
export function firstAdminNotice(a: { name: string; password: string }, url?: string): string {
  return `\n  First start: a system administrator was created.\n    user:              ${a.name}\n    one-time password: ${a.password}\n` +
    `  Sign in${url ? ` at ${url}/` : ''} and choose a new password; this one works only for that, and is not shown again.\n\n`;
}

export async function runServe(cfg: ServeConfig): Promise<() => Promise<void>> {
  if (Boolean(cfg.tls_cert) !== Boolean(cfg.tls_key)) throw new ConfigError(['--tls-cert and --tls-key go together: give both or neither']);
  const i = cfg.listen.lastIndexOf(':');
  const server = await startServer({
    role: cfg.role, storeUrl: cfg.store, natsServers: cfg.nats, host: cfg.listen.slice(0, i), port: Number(cfg.listen.slice(i + 1)),
    webDir: cfg.web_dir, retentionDays: cfg.retention_days, rollup1mDays: cfg.rollup_1m_days, rollup1hDays: cfg.rollup_1h_days, catalogDirs: cfg.catalog_dir, ackWaitS: cfg.ack_wait_s, consumerStallS: cfg.consumer_stall_s, log: logLine,
    ingestToken: cfg.ingest_token,
    tls: cfg.tls_cert ? { certFile: cfg.tls_cert, keyFile: cfg.tls_key } : undefined,
    ...(cfg.trust_proxy.length ? { trustProxy: cfg.trust_proxy, secureCookies: true } : {}),
  });
  logLine('info', `pgfleet serve (${cfg.role}) started${server.url ? ` at ${server.url}` : ''}`);
  // Shown once, on the terminal (not the log): the password only serves to choose a new one.
  if (server.firstAdmin) process.stdout.write(firstAdminNotice(server.firstAdmin, server.url));
  return server.stop;
}
