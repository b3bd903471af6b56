import { readFileSync } from 'node:fs';
import { Type, type Static } from '@sinclair/typebox';
import { hostname } from 'node:os';
import { Agent, HttpTransport, NatsTransport, NoopTransport, spoolNonce, type TargetConfig, type Transport } from '../agent/index.ts';
import { PRESETS } from '../catalog/index.ts';
import { clusterOfInstanceName } from '../store/inventory.ts';
import { commandPublicKey, DB_ACTIONS, decodeEnvelope, type Envelope } from '../protocol/index.ts';
import { ConfigError, type FieldSpec } from './config.ts';
import { logLine } from './log.ts';

const ID = '^[A-Za-z0-9_-]{1,100}$';

export const AgentConfig = Type.Object({
  id: Type.String({ default: '', description: 'agent id; default agent-<hostname>' }),
  namespace: Type.String({ pattern: ID, default: 'default' }),
  node: Type.String({ default: '' }),
  target: Type.Array(Type.String(), { default: [] }),
  pgbouncer: Type.Array(Type.String(), { default: [] }),
  targets: Type.Optional(Type.Array(Type.Object({ name: Type.String({ pattern: ID }), url: Type.String(), cluster: Type.Optional(Type.String({ pattern: ID })) }, { additionalProperties: false }))),
  instance: Type.String({ default: '' }),
  nats: Type.Array(Type.String({ pattern: '^(nats|tls)://' }), { default: [] }),
  nats_creds: Type.String({ default: '' }),
  nats_nkey_file: Type.String({ default: '' }),
  nats_ca_file: Type.String({ default: '' }),
  server: Type.String({ default: '' }),
  token: Type.String({ default: '' }),
  token_file: Type.String({ default: '' }),
  command_key_file: Type.String({ default: '' }),
  allow_actions: Type.Array(Type.String(), { default: [] }),
  dry_run: Type.Boolean({ default: false }),
  preset: Type.Union(PRESETS.map((p) => Type.Literal(p)), { default: 'standard' }),
  catalog_dir: Type.Array(Type.String(), { default: [] }),
  spool_dir: Type.String({ default: '/var/lib/pgfleet/spool' }),
  spool_max_mb: Type.Number({ minimum: 1, default: 256 }),
  statement_timeout_ms: Type.Integer({ minimum: 100, default: 5000 }),
  lock_timeout_ms: Type.Integer({ minimum: 10, default: 1000 }),
  max_interval_s: Type.Integer({ minimum: 0, default: 0 }),
  heartbeat_s: Type.Integer({ minimum: 1, default: 15 }),
  statements_interval_s: Type.Integer({ minimum: 0, default: 60 }),
  statements_top: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
  activity_sample_ms: Type.Integer({ minimum: 0, default: 1000 }),
  activity_interval_s: Type.Integer({ minimum: 1, default: 15 }),
  settings_interval_s: Type.Integer({ minimum: 0, default: 60 }),
  node_metrics: Type.Boolean({ default: true }),
}, { additionalProperties: false });
export type AgentConfig = Static<typeof AgentConfig>;

export const AGENT_FIELDS: FieldSpec[] = [
  { key: 'id', flag: 'id', env: 'PGFLEET_AGENT_ID', type: 'string', description: 'agent id' },
  { key: 'namespace', flag: 'namespace', env: 'PGFLEET_NAMESPACE', type: 'string', description: 'namespace of the instances' },
  { key: 'node', flag: 'node', env: 'PGFLEET_NODE', type: 'string', description: 'host name (default: this host)' },
  { key: 'target', flag: 'target', env: 'PGFLEET_TARGETS', type: 'list', description: 'instance to watch as <name>=<postgres URI>; repeatable' },
  { key: 'pgbouncer', flag: 'pgbouncer', env: 'PGFLEET_PGBOUNCERS', type: 'list', description: 'pgbouncer to watch as <name>=<URI of its admin console, database pgbouncer>; repeatable' },
  { key: 'instance', flag: 'instance', env: 'PGFLEET_INSTANCE', type: 'string', description: 'instance name when the target comes from PG* variables' },
  { key: 'nats', flag: 'nats', env: 'PGFLEET_NATS_URL', type: 'list', description: 'NATS servers: send through JetStream' },
  { key: 'nats_creds', flag: 'nats-creds', env: 'PGFLEET_NATS_CREDS', type: 'string', description: 'NATS credentials file' },
  { key: 'nats_ca_file', flag: 'nats-ca-file', env: 'PGFLEET_NATS_CA_FILE', type: 'string', description: "PEM file of the CA of the NATS servers' certificates: TLS, verified" },
  { key: 'nats_nkey_file', flag: 'nats-nkey-file', env: 'PGFLEET_NATS_NKEY_FILE', type: 'string', description: "file with the agent's NKEY seed (its public key given at enrollment; pgfleet's NATS authorization)" },
  { key: 'server', flag: 'server', env: 'PGFLEET_SERVER_URL', type: 'string', description: 'server URL: send over HTTPS instead of NATS' },
  { key: 'token', flag: 'token', env: 'PGFLEET_TOKEN', type: 'string', description: "the agent's credential (pgfleet enroll) or the server's ingest token, for --server" },
  { key: 'token_file', flag: 'token-file', env: 'PGFLEET_TOKEN_FILE', type: 'string', description: 'file holding it (pgfleet enroll writes <id>.credential): keeps it off the command line' },
  { key: 'command_key_file', flag: 'command-key-file', env: 'PGFLEET_COMMAND_KEY_FILE', type: 'string', description: "the server's command key (PEM; pgfleet enroll writes <id>.command-key.pem): without it the agent runs no commands" },
  { key: 'allow_actions', flag: 'allow-actions', env: 'PGFLEET_ALLOW_ACTIONS', type: 'list', description: `actions this agent runs (default: all but script): ${DB_ACTIONS.join(', ')}` },
  { key: 'dry_run', flag: 'dry-run', type: 'boolean', description: 'collect but send nothing' },
  { key: 'preset', flag: 'preset', env: 'PGFLEET_PRESET', type: 'string', description: 'minimal | standard | exhaustive' },
  { key: 'catalog_dir', flag: 'catalog-dir', env: 'PGFLEET_CATALOG_DIR', type: 'list', description: 'folders of extra collector YAML files' },
  { key: 'spool_dir', flag: 'spool-dir', env: 'PGFLEET_SPOOL_DIR', type: 'string', description: 'on-disk spool' },
  { key: 'spool_max_mb', flag: 'spool-max-mb', env: 'PGFLEET_SPOOL_MAX_MB', type: 'number', description: 'spool size limit (oldest dropped past it)' },
  { key: 'statement_timeout_ms', flag: 'statement-timeout-ms', env: 'PGFLEET_STATEMENT_TIMEOUT_MS', type: 'number', description: 'statement_timeout of every query' },
  { key: 'lock_timeout_ms', flag: 'lock-timeout-ms', env: 'PGFLEET_LOCK_TIMEOUT_MS', type: 'number', description: 'lock_timeout of every query' },
  { key: 'max_interval_s', flag: 'max-interval-s', env: 'PGFLEET_MAX_INTERVAL_S', type: 'number', description: 'cap every collector interval (0: catalog intervals)' },
  { key: 'heartbeat_s', flag: 'heartbeat-s', env: 'PGFLEET_HEARTBEAT_S', type: 'number', description: 'heartbeat interval' },
  { key: 'statements_interval_s', flag: 'statements-interval-s', env: 'PGFLEET_STATEMENTS_INTERVAL_S', type: 'number', description: 'pg_stat_statements snapshot interval (0: off)' },
  { key: 'statements_top', flag: 'statements-top', env: 'PGFLEET_STATEMENTS_TOP', type: 'number', description: 'statements sent per ranking (time, plan time, calls, reads, temp, WAL, rows; at most 500); the rest is summed' },
  { key: 'activity_sample_ms', flag: 'activity-sample-ms', env: 'PGFLEET_ACTIVITY_SAMPLE_MS', type: 'number', description: 'pg_stat_activity sampling period (0: off)' },
  { key: 'activity_interval_s', flag: 'activity-interval-s', env: 'PGFLEET_ACTIVITY_INTERVAL_S', type: 'number', description: 'activity samples are aggregated and sent this often' },
  { key: 'settings_interval_s', flag: 'settings-interval-s', env: 'PGFLEET_SETTINGS_INTERVAL_S', type: 'number', description: 'pg_settings is read this often and its changes sent (0: off)' },
  { key: 'node_metrics', flag: 'node-metrics', env: 'PGFLEET_NODE_METRICS', type: 'boolean', description: 'collect host metrics from /proc' },
];

/** pgbouncers from --pgbouncer name=uri. */
export function pgbouncersOf(cfg: AgentConfig): { name: string; url: string }[] {
  const problems: string[] = [];
  const out: { name: string; url: string }[] = [];
  for (const t of cfg.pgbouncer) {
    const eq = t.indexOf('=');
    const name = eq > 0 ? t.slice(0, eq) : '';
    const url = t.slice(eq + 1);
    if (!new RegExp(ID).test(name)) problems.push(`--pgbouncer "${t.slice(0, 80)}": expected <name>=<postgres URI of the admin console> with a name of letters, digits, - and _`);
    else if (!/^postgres(ql)?:\/\//.test(url) || !URL.canParse(url)) problems.push(`--pgbouncer ${name}: "${url.slice(0, 80)}" is not a postgres:// or postgresql:// URI`);
    else if (new URL(url).pathname.replace(/^\//, '') !== 'pgbouncer') problems.push(`--pgbouncer ${name}: the URI must name the admin console's database, pgbouncer (…/pgbouncer)`);
    else out.push({ name, url });
  }
  if (problems.length) throw new ConfigError(problems);
  return out;
}

/** Targets from --target name=uri, the config file's `targets`, or PG* variables with --instance. */
export function targetsOf(cfg: AgentConfig, env: NodeJS.ProcessEnv): TargetConfig[] {
  const problems: string[] = [];
  const out: TargetConfig[] = [];
  for (const t of cfg.target) {
    const eq = t.indexOf('=');
    const name = eq > 0 ? t.slice(0, eq) : '';
    if (!new RegExp(ID).test(name)) { problems.push(`--target "${t}": expected <name>=<postgres URI> with a name of letters, digits, - and _`); continue; }
    const url = t.slice(eq + 1);
    if (!/^postgres(ql)?:\/\//.test(url) || !URL.canParse(url)) { problems.push(`--target ${name}: "${url.slice(0, 80)}" is not a postgres:// or postgresql:// URI`); continue; }
    out.push({ name, cluster: clusterOfInstanceName(name), url });
  }
  for (const t of cfg.targets ?? []) out.push({ name: t.name, cluster: t.cluster ?? clusterOfInstanceName(t.name), url: t.url });
  if (out.length === 0 && (env.PGHOST || env.PGPORT || env.PGDATABASE || env.PGUSER)) {
    if (!cfg.instance) problems.push('target from PG* variables: --instance (or PGFLEET_INSTANCE) names it, e.g. --instance main-1');
    else out.push({ name: cfg.instance, cluster: clusterOfInstanceName(cfg.instance), url: '' });
  }
  if (out.length === 0 && problems.length === 0) problems.push('no target: give --target <name>=<postgres URI>, or PG* variables with --instance');
  const names = out.map((t) => t.name);
  for (const n of new Set(names.filter((n, i) => names.indexOf(n) !== i))) problems.push(`target "${n}" is given twice`);
  if (cfg.server && (!/^https?:\/\//.test(cfg.server) || !URL.canParse(cfg.server))) problems.push(`--server: "${cfg.server.slice(0, 80)}" is not an http:// or https:// URL`);
  if ([cfg.nats.length > 0, cfg.server !== '', cfg.dry_run].filter(Boolean).length !== 1) {
    problems.push('say where to send: exactly one of --nats <url>, --server <url>, --dry-run');
  }
  if (problems.length) throw new ConfigError(problems);
  return out;
}

/** One line about a message, for --dry-run. */
export function describeMessage(env: Envelope): string {
  const head = `${new Date(env.ts).toISOString()} #${env.seq} ${env.type} ${env.instance ?? '(node)'}`;
  switch (env.type) {
    case 'metrics': return `${head} ${env.data.collector}: ${env.data.metrics.map((m) => m.points.length === 1 && !m.points[0].l ? `${m.name}=${m.points[0].v}` : `${m.name}×${m.points.length}`).join(' ')}`;
    case 'inventory': return `${head} ${env.data.up ? 'up' : `down (${env.data.error})`} ${env.data.role} ${env.data.version_num}`;
    case 'event': return `${head} ${env.data.severity} ${env.data.kind}: ${env.data.message}`;
    case 'heartbeat': {
      const bad = env.data.collectors.filter((c) => c.state === 'failing' || c.state === 'backoff');
      return `${head} spool ${env.data.spool.messages} msgs; ${bad.length ? bad.map((c) => `${c.id} ${c.state}: ${c.last_error}`).join('; ') : 'every collector ok'}`;
    }
    case 'statements': return `${head} ${env.data.entries.length} statements${env.data.other ? ` + ${env.data.other.entries} others` : ''}, ${env.data.texts?.length ?? 0} new texts${env.data.reset ? ', after a reset' : ''}`;
    case 'activity': return `${head} ${env.data.samples} samples, ${env.data.groups.length} groups`;
    case 'settings': return `${head} ${env.data.full ? 'every setting' : 'changed'}: ${env.data.settings.length}${env.data.removed?.length ? `, ${env.data.removed.length} removed` : ''}${env.data.settings.length <= 5 ? ` (${env.data.settings.map((s) => `${s.name}=${s.setting}${s.unit ?? ''}`).join(', ')})` : ''}`;
    case 'command.result': return `${head} ${env.data.action} ${env.data.id.slice(0, 8)}: ${env.data.status}${env.data.reason ? ` (${env.data.reason})` : env.data.error ? ` (${env.data.error.split('\n')[0]})` : ''}`;
  }
}

export async function runAgent(cfg: AgentConfig, env: NodeJS.ProcessEnv): Promise<() => Promise<void>> {
  const targets = targetsOf(cfg, env);
  const unknownActions = cfg.allow_actions.filter((a) => !(DB_ACTIONS as string[]).includes(a));
  if (unknownActions.length) throw new ConfigError([`--allow-actions: unknown ${unknownActions.join(', ')} (known: ${DB_ACTIONS.join(', ')})`]);
  const node = cfg.node || hostname();
  const id = cfg.id || `agent-${node.replace(/[^A-Za-z0-9_-]/g, '-')}`;
  let transport: Transport;
  if (cfg.dry_run) transport = new NoopTransport((bytes) => process.stdout.write(`${describeMessage(decodeEnvelope(bytes))}\n`));
  else if (cfg.server) transport = new HttpTransport({ url: cfg.server, token: (cfg.token_file ? readFileSync(cfg.token_file, 'utf8').trim() : cfg.token) || undefined });
  else {
    transport = await NatsTransport.connect({
      servers: cfg.nats, credsFile: cfg.nats_creds || undefined, nkeyFile: cfg.nats_nkey_file || undefined, caFile: cfg.nats_ca_file || undefined,
      msgIdNonce: spoolNonce(cfg.spool_dir), name: id,
      // pgfleet's generated authorization lets an agent receive its replies on _INBOX_<id> only; credentials
      // files of one's own keep NATS's usual inboxes.
      ...(cfg.nats_nkey_file ? { inboxPrefix: `_INBOX_${id}` } : {}),
    });
  }
  const agent = new Agent({
    id, namespace: cfg.namespace, node, targets, pgbouncers: pgbouncersOf(cfg), preset: cfg.preset, catalogDirs: cfg.catalog_dir,
    spoolDir: cfg.spool_dir, spoolMaxBytes: cfg.spool_max_mb * 1024 * 1024,
    statementTimeoutMs: cfg.statement_timeout_ms, lockTimeoutMs: cfg.lock_timeout_ms,
    maxIntervalS: cfg.max_interval_s || undefined, heartbeatS: cfg.heartbeat_s, nodeMetrics: cfg.node_metrics,
    statementsIntervalS: cfg.statements_interval_s, statementsTop: cfg.statements_top,
    activitySampleMs: cfg.activity_sample_ms, activityIntervalS: cfg.activity_interval_s, settingsIntervalS: cfg.settings_interval_s,
    transport, log: logLine,
    ...(cfg.command_key_file ? { commandKey: commandPublicKey(readFileSync(cfg.command_key_file, 'utf8')) } : {}),
    ...(cfg.allow_actions.length ? { allowActions: [...cfg.allow_actions, 'cancel_command', 'tasks_sync'] } : {}),
  });
  agent.start();
  logLine('info', `pgfleet agent ${id} watching ${targets.map((t) => t.name).join(', ')} via ${transport.name}; spool ${cfg.spool_dir}`);
  return () => agent.stop(2000);
}
