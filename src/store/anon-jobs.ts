import type { Sql } from 'postgres';

export const ANON_JOB_KINDS = ['scan', 'sync'] as const;
export type AnonJobKind = (typeof ANON_JOB_KINDS)[number];

/** An anonymization job as stored (domain type); `status` reads `interrupted` for a running job that stopped reporting. */
export interface AnonJobRow {
  id: number;
  kind: AnonJobKind;
  instance: string;
  namespace: string;
  /** Connection URIs without their passwords. */
  source: string;
  target: string | null;
  status: 'running' | 'done' | 'failed' | 'interrupted';
  requestedBy: string;
  startedAt: number;
  updatedAt: number;
  finishedAt: number | null;
  progress: unknown;
  result: unknown;
  error: string | null;
}

/** A running job that has not reported for this long stopped with its process. */
export const ANON_JOB_SILENT_MS = 60_000;

const COLUMNS = 'id, kind, instance, namespace, source, target, status, requested_by, started_at, updated_at, finished_at, progress, result, error';

function rowOf(r: Record<string, unknown>, now: number, withResult: boolean): AnonJobRow {
  const updatedAt = (r.updated_at as Date).getTime();
  const status = r.status === 'running' && now - updatedAt > ANON_JOB_SILENT_MS ? 'interrupted' : r.status as AnonJobRow['status'];
  return {
    id: r.id as number, kind: r.kind as AnonJobKind, instance: r.instance as string, namespace: r.namespace as string, source: r.source as string,
    target: r.target as string | null, status, requestedBy: r.requested_by as string, startedAt: (r.started_at as Date).getTime(), updatedAt,
    finishedAt: r.finished_at ? (r.finished_at as Date).getTime() : null, progress: r.progress, result: withResult ? r.result : null, error: r.error as string | null,
  };
}

export class AnonJobStore {
  constructor(private readonly sql: Sql) {}

  async create(j: { kind: AnonJobKind; instance: string; namespace: string; source: string; target: string | null; requestedBy: string }): Promise<number> {
    const [r] = await this.sql`insert into anon_jobs (kind, instance, namespace, source, target, status, requested_by)
      values (${j.kind}, ${j.instance}, ${j.namespace}, ${j.source}, ${j.target}, 'running', ${j.requestedBy}) returning id`;
    return r.id as number;
  }

  async progress(id: number, progress: unknown): Promise<void> {
    await this.sql`update anon_jobs set progress = ${JSON.stringify(progress)}::text::jsonb, updated_at = now() where id = ${id} and status = 'running'`;
  }

  async finish(id: number, outcome: { result: unknown } | { error: string }, progress?: unknown): Promise<void> {
    const result = 'result' in outcome ? JSON.stringify(outcome.result) : null;
    const error = 'error' in outcome ? outcome.error : null;
    await this.sql`update anon_jobs set status = ${error === null ? 'done' : 'failed'}, result = ${result}::text::jsonb, error = ${error},
      progress = coalesce(${progress === undefined ? null : JSON.stringify(progress)}::text::jsonb, progress), finished_at = now(), updated_at = now() where id = ${id}`;
  }

  /** Newest first; without results (they can be large). */
  async list(namespaces: string[], limit = 100, now = Date.now()): Promise<AnonJobRow[]> {
    const rows = await this.sql.unsafe(`select ${COLUMNS} from anon_jobs where namespace = any($1::text[]) order by started_at desc, id desc limit $2`, [namespaces as never, limit]);
    return rows.map((r) => rowOf(r, now, false));
  }

  async get(id: number, now = Date.now()): Promise<AnonJobRow | undefined> {
    const [r] = await this.sql.unsafe(`select ${COLUMNS} from anon_jobs where id = $1`, [id]);
    return r ? rowOf(r, now, true) : undefined;
  }
}
