// Typed helpers for the REST API v1 (docs/api.md). The console talks to the server only through these.

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
    replication_lag_s: number | null;
  };
  spark: { tps: Point[]; connections: Point[] };
}

export interface InstanceDetail {
  instance: Instance;
  databases: string[];
  metrics: string[];
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

export interface SeriesQuery {
  instance: string;
  metric: string;
  from: number;
  to: number;
  maxPoints: number;
  fn?: 'value' | 'rate';
  /** undefined: every labelled series; '': all series summed into one; 'a,b': grouped. */
  by?: string;
  agg?: 'sum' | 'avg' | 'max' | 'min';
  match?: string;
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

async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, { headers: { accept: 'application/json' }, signal });
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
    throw new ApiError(res.status, code, message);
  }
  return (await res.json()) as T;
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

/** GET /api/v1/series: one metric of one instance over a time range. */
export function fetchSeries(q: SeriesQuery, signal?: AbortSignal): Promise<SeriesResult> {
  const params = new URLSearchParams({
    instance: q.instance,
    metric: q.metric,
    from: String(Math.round(q.from)),
    to: String(Math.round(q.to)),
    maxPoints: String(q.maxPoints),
  });
  if (q.fn) params.set('fn', q.fn);
  if (q.by !== undefined) params.set('by', q.by);
  if (q.agg) params.set('agg', q.agg);
  if (q.match) params.set('match', q.match);
  return getJson<SeriesResult>(`/api/v1/series?${params.toString()}`, signal);
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
