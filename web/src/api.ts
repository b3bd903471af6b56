// Typed helpers for the REST API v1 (docs/api.md). The console talks to the server only through these.
import type { PlanDiff, Report as ExplainReport } from '../../src/explain/index.ts';

export const INSTANCE_STATUSES = ['up', 'stale', 'down', 'unknown'] as const;
export type InstanceStatus = (typeof INSTANCE_STATUSES)[number];

/** A point of a series: [ms since epoch, value or null for an empty bucket]. */
export type Point = [number, number | null];

export interface Instance {
  id: string;
  namespace: string;
  cluster: string;
  node: string | null;
  agent: string | null;
  /** 'primary', 'replica' or 'unknown', as discovered by the agent. */
  role: string;
  version: string | null;
  version_num: number | null;
  status: InstanceStatus;
  /** Why the agent reports the instance unreachable (status down). */
  error?: string | null;
  last_seen: number | null;
  started_at: number | null;
  key: {
    tps: number | null;
    connections: number | null;
    cache_hit_ratio: number | null;
    /** The host's CPU busy share, 0–1 (agent on the PostgreSQL host). */
    cpu_busy_ratio?: number | null;
    /** Share of the data directory's filesystem in use, 0–1. */
    disk_used_ratio?: number | null;
    replication_lag_s: number | null;
  };
  spark: { tps: Point[]; connections: Point[] };
}

/** What the agent last reported about one collector of the instance (or of its node). */
export interface CollectorState {
  id: string;
  state: string;
  runs: number;
  failures: number;
  last_error: string | null;
  note: string | null;
}

export interface InstanceDetail {
  instance: Instance;
  databases: string[];
  metrics: string[];
  collectors: CollectorState[];
}

export interface Series {
  labels: Record<string, string>;
  points: Point[];
}

export interface SeriesResult {
  instance: string;
  metric: string;
  kind: 'gauge' | 'counter';
  unit?: string | null;
  fn: 'value' | 'rate';
  from: number;
  to: number;
  step_ms: number;
  series: Series[];
}

/** Payload of the SSE `update` event of GET /api/v1/live. */
export interface LiveUpdate {
  instance?: string;
  /** The agent that sent the data (node data has no instance). */
  agent?: string;
  type: string;
  ts: number;
}

/** An error answer of the API, with its stable code and message. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/** The CSRF value the server set at sign-in: every change from the console carries it in X-CSRF-Token. */
export function csrfToken(): string {
  const m = /(?:^|;\s*)pgfleet_csrf=([^;]*)/.exec(document.cookie);
  return m ? decodeURIComponent(m[1]) : '';
}

/** Fired when the server says the session is gone or the password must change: the console shows the sign-in. */
export const AUTH_EVENT = 'pgfleet:auth';

export async function getJson<T>(path: string, signal?: AbortSignal, post?: { method: 'POST' | 'PUT' | 'PATCH' | 'DELETE'; body?: string }): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, post
      ? { method: post.method, body: post.body, headers: { accept: 'application/json', ...(post.body !== undefined ? { 'content-type': 'application/json' } : {}), 'x-csrf-token': csrfToken() }, signal }
      : { headers: { accept: 'application/json' }, signal });
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new ApiError(0, 'PGFLEET_WEB_NETWORK', `cannot reach the server (${(err as Error).message})`);
  }
  if (!res.ok) {
    let code = 'PGFLEET_WEB_HTTP';
    let message = `${res.status} ${res.statusText}`;
    try {
      const body = (await res.json()) as { code?: string; message?: string };
      if (body.code) code = body.code;
      if (body.message) message = body.message;
    } catch {
      // Not a JSON error body (a proxy's page, for instance): keep the status line.
    }
    if (code === 'PGFLEET_AUTH_REQUIRED' || code === 'PGFLEET_AUTH_PASSWORD_CHANGE') window.dispatchEvent(new Event(AUTH_EVENT));
    throw new ApiError(res.status, code, message);
  }
  return res.status === 204 ? (undefined as T) : (await res.json()) as T;
}

export interface Grant { namespace: string; role: 'viewer' | 'operator' | 'admin' }

/** Who is signed in (GET /api/v1/auth/me). */
export interface Me { name: string; via: 'session' | 'token'; isAdmin: boolean; grants: Grant[]; mustChangePassword: boolean }

export function fetchMe(signal?: AbortSignal): Promise<Me> {
  return getJson<Me>('/api/v1/auth/me', signal);
}

export async function login(name: string, password: string): Promise<Me> {
  return (await getJson<{ user: Me }>('/api/v1/auth/login', undefined, { method: 'POST', body: JSON.stringify({ name, password }) })).user;
}

export function logout(): Promise<void> {
  return getJson<void>('/api/v1/auth/logout', undefined, { method: 'POST' });
}

/** Changes the signed-in user's password; the server ends every session of the user. */
export function changePassword(current: string, next: string): Promise<void> {
  return getJson<void>('/api/v1/auth/password', undefined, { method: 'POST', body: JSON.stringify({ current, next }) });
}

/** GET /api/v1/instances: every instance, problems first. */
export async function fetchInstances(signal?: AbortSignal): Promise<Instance[]> {
  const body = await getJson<{ instances: Instance[] }>('/api/v1/instances', signal);
  return body.instances;
}

/** GET /api/v1/instances/{id}. */
export function fetchInstance(id: string, signal?: AbortSignal): Promise<InstanceDetail> {
  return getJson<InstanceDetail>(`/api/v1/instances/${encodeURIComponent(id)}`, signal);
}

/** One line of POST /api/v1/series/query. */
export interface SeriesBatchQuery {
  metric: string;
  fn?: 'value' | 'rate';
  /** undefined: every labelled series; '': all series summed into one; 'a,b': grouped. */
  by?: string;
  agg?: 'sum' | 'avg' | 'max' | 'min';
  match?: string;
  /** Read the window this long before (`1d`, `7d`); the points come back on this window's axis. */
  offset?: string;
}

/** POST /api/v1/series/query: a chart's lines over one window in one request. */
export async function fetchSeriesBatch(
  q: { instance: string; from: number; to: number; maxPoints: number; queries: SeriesBatchQuery[] },
  signal?: AbortSignal,
): Promise<{ results: (SeriesResult & { offset_ms: number })[] }> {
  return getJson('/api/v1/series/query', signal, {
    method: 'POST',
    body: JSON.stringify({ ...q, from: String(Math.round(q.from)), to: String(Math.round(q.to)) }),
  });
}

function withParams(path: string, params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, typeof v === 'number' ? String(Math.round(v)) : String(v));
  return `${path}?${q.toString()}`;
}

/** Orders of the top statements the console offers (the API takes any counter). */
export const STATEMENT_SORTS = ['total_exec_time', 'mean_exec_time', 'calls', 'rows', 'shared_blks_read', 'temp_blks_written', 'wal_bytes'] as const;
export type StatementSort = (typeof STATEMENT_SORTS)[number];

/** One statement of the top list: its deltas summed over the window. */
export interface StatementRow {
  queryid: string;
  datname: string;
  usename: string;
  toplevel: boolean;
  text: string | null;
  counters: Record<string, number>;
  mean_exec_time: number;
  time_share: number;
}

export interface TopStatements {
  instance: string;
  from: number;
  to: number;
  sort: string;
  total: Record<string, number>;
  statements: StatementRow[];
}

/** GET /api/v1/instances/{id}/statements. */
export function fetchStatements(id: string, q: { from: number; to: number; sort: StatementSort; limit: number }, signal?: AbortSignal): Promise<TopStatements> {
  return getJson<TopStatements>(withParams(`/api/v1/instances/${encodeURIComponent(id)}/statements`, q), signal);
}

export interface StatementHistory {
  instance: string;
  queryid: string;
  text: string | null;
  from: number;
  to: number;
  step_ms: number;
  points: { t: number; counters: Record<string, number>; mean_exec_time: number }[];
}

/** GET /api/v1/instances/{id}/statements/{queryid}: one statement's counters per bucket. */
export function fetchStatement(id: string, queryid: string, q: { from: number; to: number; maxPoints: number }, signal?: AbortSignal): Promise<StatementHistory> {
  return getJson<StatementHistory>(withParams(`/api/v1/instances/${encodeURIComponent(id)}/statements/${encodeURIComponent(queryid)}`, q), signal);
}

/** How the wait-event timeline can group sessions. */
export const ACTIVITY_GROUPS = ['wait_event_type', 'wait_event', 'state', 'queryid', 'datname', 'usename', 'backend_type'] as const;
export type ActivityGroup = (typeof ACTIVITY_GROUPS)[number];

export interface ActivityTimeline {
  instance: string;
  by: ActivityGroup;
  from: number;
  to: number;
  step_ms: number;
  groups: { key: string; points: { t: number; sessions: number }[] }[];
}

/** GET /api/v1/instances/{id}/activity: average sessions per bucket and group. */
export function fetchActivity(id: string, q: { from: number; to: number; by: ActivityGroup; active: boolean; maxPoints: number }, signal?: AbortSignal): Promise<ActivityTimeline> {
  return getJson<ActivityTimeline>(withParams(`/api/v1/instances/${encodeURIComponent(id)}/activity`, q), signal);
}

export interface ActivityTop {
  instance: string;
  from: number;
  to: number;
  statements: { queryid: string; active_ms: number; text: string | null; waits: Record<string, number> }[];
}

/** GET /api/v1/instances/{id}/activity/top: statements with the most sampled active time. */
export function fetchActivityTop(id: string, q: { from: number; to: number; limit: number }, signal?: AbortSignal): Promise<ActivityTop> {
  return getJson<ActivityTop>(withParams(`/api/v1/instances/${encodeURIComponent(id)}/activity/top`, q), signal);
}

/** A non-idle session of a sessions snapshot (docs/protocol.md#activity). */
export interface Session {
  pid: number;
  leader_pid?: number;
  backend_type: string;
  state: string;
  usename?: string;
  datname?: string;
  application_name?: string;
  client_addr?: string;
  wait_event_type?: string;
  wait_event?: string;
  backend_start?: number;
  xact_start?: number;
  query_start?: number;
  state_change?: number;
  queryid?: string;
  query?: string;
  blocked_by?: number[];
}

export interface Sessions {
  instance: string;
  at: number;
  ts: number | null;
  sessions: Session[];
}

/** GET /api/v1/instances/{id}/sessions: the newest snapshot at or before `at`. */
export function fetchSessions(id: string, at: number, signal?: AbortSignal): Promise<Sessions> {
  return getJson<Sessions>(withParams(`/api/v1/instances/${encodeURIComponent(id)}/sessions`, { at }), signal);
}

export interface TableObject {
  datname: string;
  schemaname: string;
  relname: string;
  ts: number;
  total_bytes: number | null;
  heap_bytes: number | null;
  indexes_bytes: number | null;
  toast_bytes: number | null;
  n_live_tup: number | null;
  n_dead_tup: number | null;
  dead_ratio: number | null;
  last_vacuum: number | null;
  last_autovacuum: number | null;
  last_analyze: number | null;
  frozenxid_age: number | null;
  autovacuum_enabled: boolean | null;
  seq_scan: number | null;
  idx_scan: number | null;
  n_tup_ins: number | null;
  n_tup_upd: number | null;
  n_tup_del: number | null;
  bloat_bytes: number | null;
  bloat_ratio: number | null;
  growth_per_day: number | null;
}

export interface IndexObject {
  datname: string;
  schemaname: string;
  relname: string;
  indexrelname: string;
  ts: number;
  bytes: number | null;
  idx_scan: number | null;
  last_idx_scan: number | null;
}

export interface DatabaseObjects {
  datname: string;
  indexes: number | null;
  invalid_count: number | null;
  invalid_bytes: number | null;
  unused_count: number | null;
  unused_bytes: number | null;
  total_bloat_bytes: number | null;
  tables_estimated: number | null;
  tables_without_stats: number | null;
}

export interface Objects {
  instance: string;
  tables: TableObject[];
  indexes: IndexObject[];
  databases: DatabaseObjects[];
}

/** GET /api/v1/instances/{id}/objects: tables, indexes and per-database index and bloat figures. */
export function fetchObjects(id: string, signal?: AbortSignal): Promise<Objects> {
  return getJson<Objects>(`/api/v1/instances/${encodeURIComponent(id)}/objects`, signal);
}

/** The URL of the live stream (Server-Sent Events). */
export const LIVE_URL = '/api/v1/live';

/** Kinds of data the store reports its size for (GET /api/v1/store/size). */
export const STORE_KINDS = ['raw', 'chunks', 'rollups_1m', 'rollups_1h', 'statements', 'activity', 'events', 'dictionary', 'ingest', 'other'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

/** One kind of data in the store: bytes, retention, growth per day and forecast. */
export interface StoreKindSize {
  kind: StoreKind;
  tables: string[];
  bytes: number;
  partitions: number | null;
  oldest: number | null;
  days_held: number | null;
  retention_days: number | null;
  window_days: number | null;
  growth_per_day: number | null;
  forecast_30d: number | null;
  steady_state: number | null;
}

export interface StoreSize {
  measured_at: number;
  total: { bytes: number; growth_per_day: number | null; forecast_30d: number | null; steady_state: number | null };
  kinds: StoreKindSize[];
  retention_from: number | null;
  growth: { window_days: number; snapshots: number; reason: string | null };
  disk: { free_bytes: number; days_until_full: number | null; full_at: number | null; reason: string | null } | null;
  history: { ts: number[]; total: number[]; kinds: Record<StoreKind, (number | null)[]> };
}

/** GET /api/v1/store/size with `days` of snapshot history. */
export function fetchStoreSize(days: number, signal?: AbortSignal): Promise<StoreSize> {
  return getJson<StoreSize>(`/api/v1/store/size?days=${days}`, signal);
}

/** One setting as pg_settings showed it (GET /api/v1/instances/{id}/settings). */
export interface Setting {
  name: string;
  setting: string;
  unit?: string;
  vartype: string;
  context: string;
  category?: string;
  source: string;
  sourcefile?: string;
  sourceline?: number;
  pending_restart: boolean;
  boot_val?: string;
  reset_val?: string;
}

export interface Settings {
  instance: string;
  at: number;
  as_of: number | null;
  complete: boolean;
  conf_load_time: number | null;
  pending_restart: number;
  settings: Setting[];
}

export interface SettingChange {
  ts: number;
  name: string;
  before: Setting | null;
  after: Setting | null;
}

export interface SettingsChanges {
  instance: string;
  from: number;
  to: number;
  complete: boolean;
  changes: SettingChange[];
  difference: Omit<SettingChange, 'ts'>[];
}

/** Every setting of an instance at a moment (`at` in ms; omitted: now). */
export function fetchSettings(id: string, at: number | undefined, signal?: AbortSignal): Promise<Settings> {
  return getJson<Settings>(`/api/v1/instances/${encodeURIComponent(id)}/settings${at === undefined ? '' : `?at=${Math.round(at)}`}`, signal);
}

/** The changes of an instance's settings in (from, to], and the difference between the two moments. */
export function fetchSettingsChanges(id: string, from: number, to: number, signal?: AbortSignal): Promise<SettingsChanges> {
  return getJson<SettingsChanges>(`/api/v1/instances/${encodeURIComponent(id)}/settings/changes?from=${Math.round(from)}&to=${Math.round(to)}`, signal);
}

export type LaneState = 'primary' | 'replica' | 'down' | 'unknown';

/** A member of a cluster (GET /api/v1/clusters/{namespace}/{cluster}/topology). */
export interface TopologyMember {
  instance: string;
  role: string;
  up: boolean | null;
  last_seen: number | null;
  version: string | null;
  node: string | null;
  upstream: string | null;
  receiver: { name: string | null; primary_slot_name: string | null; connected: number | null; last_msg_age_s: number | null; replay_lag_bytes: number | null; last_replay_age_s: number | null } | null;
  lane: { from: number; to: number; state: LaneState }[];
}

export interface ReplicationLink {
  primary: string;
  standby: string | null;
  application_name: string;
  client_addr: string;
  state: string;
  ts: number;
  write_lag_s: number | null;
  flush_lag_s: number | null;
  replay_lag_s: number | null;
  sent_lag_bytes: number | null;
  write_lag_bytes: number | null;
  flush_lag_bytes: number | null;
  replay_lag_bytes: number | null;
  is_sync: number | null;
  sync_priority: number | null;
  reply_age_s: number | null;
}

export interface SlotInfo {
  instance: string;
  slot_name: string;
  slot_type: string;
  active: boolean;
  ts: number;
  retained_bytes: number | null;
  safe_wal_size_bytes: number | null;
  wal_status: number | null;
  xmin_age: number | null;
  catalog_xmin_age: number | null;
}

export interface Topology {
  namespace: string;
  cluster: string;
  from: number;
  to: number;
  members: TopologyMember[];
  replication: ReplicationLink[];
  slots: SlotInfo[];
  events: { ts: number; instance: string; kind: string; severity: string; message: string }[];
}

/** A cluster's members, streams, slots and role changes in [from, to]. */
export function fetchTopology(namespace: string, cluster: string, from: number, to: number, signal?: AbortSignal): Promise<Topology> {
  return getJson<Topology>(`/api/v1/clusters/${encodeURIComponent(namespace)}/${encodeURIComponent(cluster)}/topology?from=${Math.round(from)}&to=${Math.round(to)}`, signal);
}

// The explain module is pure and its report is the API's answer: its types are used as they are.
export type { ReportNode as ExplainNode, Report as ExplainReport, DiffRow as PlanDiffRow, PlanDiff } from '../../src/explain/index.ts';

/** POST /api/v1/explain: the plan's time per node and its hints. */
export function analyzeExplain(plan: string, signal?: AbortSignal): Promise<ExplainReport> {
  return getJson<ExplainReport>('/api/v1/explain', signal, { method: 'POST', body: JSON.stringify({ plan }) });
}

export interface SavedPlan { id: string; created_at: number; title: string; query: string | null; plan: string; report: ExplainReport }

/** Saves a plan (and the query, when given) for a link inside the installation. */
export function savePlan(plan: string, query?: string): Promise<Omit<SavedPlan, 'plan'>> {
  return getJson('/api/v1/explain/plans', undefined, { method: 'POST', body: JSON.stringify({ plan, ...(query ? { query } : {}) }) });
}

/** A saved plan with its analysis. */
export function fetchSavedPlan(id: string, signal?: AbortSignal): Promise<SavedPlan> {
  return getJson<SavedPlan>(`/api/v1/explain/plans/${encodeURIComponent(id)}`, signal);
}


/** POST /api/v1/explain/diff: two plans node by node. */
export function diffExplain(a: string, b: string, signal?: AbortSignal): Promise<PlanDiff> {
  return getJson('/api/v1/explain/diff', signal, { method: 'POST', body: JSON.stringify({ a, b }) });
}

// The advisor is pure and its advice is the API's answer: its types are used as they are.
export type { Advice, Recommendation as AdviceRecommendation } from '../../src/advisor/index.ts';

export interface AdvisorRequest {
  cpus?: number; ram?: string; disk: string; workload: string; major?: number; connections?: number; dataSize?: string;
  replication?: boolean; allowDurabilityRisk?: boolean; instance?: string;
}

/** POST /api/v1/advisor: recommendations, and the same as postgresql.conf lines, SQL and Patroni configuration. */
export function fetchAdvice(body: AdvisorRequest, signal?: AbortSignal): Promise<{ advice: import('../../src/advisor/index.ts').Advice; conf: string; sql: string; patroni: string }> {
  return getJson('/api/v1/advisor', signal, { method: 'POST', body: JSON.stringify(body) });
}

// Access: users, tokens, agents, the audit log (docs/access.md).

export interface User {
  id: number; name: string; displayName: string | null; source: 'local' | 'ldap'; isAdmin: boolean; disabled: boolean;
  mustChangePassword: boolean; locked: boolean; createdAt: number; lastLoginAt: number | null; grants: Grant[];
}
export interface ApiToken {
  id: number; prefix: string; name: string; owner: string; scopes: Grant[]; systemAdmin: boolean;
  createdAt: number; expiresAt: number; revokedAt: number | null; lastUsedAt: number | null;
}
export interface EnrollmentTokenInfo { id: number; prefix: string; namespace: string; createdBy: string; createdAt: number; expiresAt: number; usesLeft: number | null; revokedAt: number | null }
export interface EnrolledAgent { agent: string; namespace: string; nkey: string | null; enrolledAt: number; revokedAt: number | null }
export interface AuditEntry {
  id: number; ts: number; actor: string; actorKind: string; ip: string | null; action: string; target: string | null;
  namespace: string | null; detail: Record<string, unknown> | null; result: 'ok' | 'denied' | 'failed'; status: number | null;
}

const send = <T>(method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown) =>
  getJson<T>(path, undefined, { method, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });

export const fetchUsers = (signal?: AbortSignal) => getJson<User[]>('/api/v1/users', signal);
export const createUser = (u: { name: string; isAdmin: boolean; grants: Grant[] }) => send<{ user: User; oneTimePassword?: string }>('POST', '/api/v1/users', u);
export const updateUser = (id: number, p: { disabled?: boolean; isAdmin?: boolean }) => send<User>('PATCH', `/api/v1/users/${id}`, p);
export const setGrants = (id: number, grants: Grant[]) => send<User>('PUT', `/api/v1/users/${id}/grants`, grants);
export const resetPassword = (id: number) => send<{ oneTimePassword?: string }>('POST', `/api/v1/users/${id}/password`, {});
export const fetchTokens = (signal?: AbortSignal) => getJson<ApiToken[]>('/api/v1/tokens', signal);
export const createToken = (t: { name: string; scopes: Grant[]; expiresInDays: number }) => send<{ token: string; info: ApiToken }>('POST', '/api/v1/tokens', t);
export const revokeToken = (id: number) => send<void>('DELETE', `/api/v1/tokens/${id}`);
export const fetchNamespaces = (signal?: AbortSignal) => getJson<{ name: string; role: string }[]>('/api/v1/namespaces', signal);
export const fetchEnrollmentTokens = (signal?: AbortSignal) => getJson<EnrollmentTokenInfo[]>('/api/v1/enrollment-tokens', signal);
export const createEnrollmentToken = (namespace: string, expiresInHours: number) => send<{ token: string; id: number; expiresAt: number }>('POST', '/api/v1/enrollment-tokens', { namespace, expiresInHours });
export const revokeEnrollmentToken = (id: number) => send<void>('DELETE', `/api/v1/enrollment-tokens/${id}`);
export const fetchAgents = (signal?: AbortSignal) => getJson<EnrolledAgent[]>('/api/v1/agents', signal);
export const revokeAgent = (agent: string) => send<void>('DELETE', `/api/v1/agents/${encodeURIComponent(agent)}/credential`);
export function fetchAudit(q: { actor?: string; action?: string; result?: string; before?: number; limit: number }, signal?: AbortSignal): Promise<AuditEntry[]> {
  const p = new URLSearchParams({ limit: String(q.limit) });
  for (const k of ['actor', 'action', 'result'] as const) if (q[k]) p.set(k, q[k]!);
  if (q.before) p.set('before', String(q.before));
  return getJson<AuditEntry[]>(`/api/v1/audit?${p}`, signal);
}
