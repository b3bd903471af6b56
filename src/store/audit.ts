import type { Sql, TransactionSql } from 'postgres';

export const AUDIT_RESULTS = ['ok', 'denied', 'failed'] as const;
export type AuditResult = (typeof AUDIT_RESULTS)[number];
export const ACTOR_KINDS = ['user', 'token', 'agent', 'anonymous', 'system'] as const;
export type ActorKind = (typeof ACTOR_KINDS)[number];

/** One entry of the audit log: who did what, from where, to what, and how it ended. */
export interface AuditEntry {
  actor: string;
  actorKind: ActorKind;
  ip?: string | null;
  action: string;
  target?: string | null;
  namespace?: string | null;
  /** What was asked, without secrets. */
  detail?: Record<string, unknown> | null;
  result: AuditResult;
  status?: number | null;
}

export interface AuditRow extends Required<Omit<AuditEntry, 'detail'>> { id: number; ts: number; detail: Record<string, unknown> | null }

export interface AuditFilter { from?: number; to?: number; actor?: string; action?: string; result?: AuditResult; namespace?: string; limit?: number; before?: number }

/** The append-only audit log (a trigger refuses UPDATE, DELETE and TRUNCATE). */
export class AuditStore {
  constructor(private readonly sql: Sql) {}

  /** Appends an entry; with `tx`, in that transaction (it commits with what it records). */
  async append(e: AuditEntry, tx?: TransactionSql): Promise<void> {
    const sql = (tx ?? this.sql) as Sql;
    await sql`
      insert into audit_log (actor, actor_kind, ip, action, target, namespace, detail, result, status)
      values (${e.actor}, ${e.actorKind}, ${e.ip ?? null}, ${e.action}, ${e.target ?? null}, ${e.namespace ?? null},
        ${e.detail ? JSON.stringify(e.detail) : null}::text::jsonb, ${e.result}, ${e.status ?? null})`;
  }

  /** Newest first; `before` (an id) pages further back. `action` matches a prefix (`users.` finds every user change). */
  async list(f: AuditFilter): Promise<AuditRow[]> {
    const rows = await this.sql<Record<string, unknown>[]>`
      select id, ts, actor, actor_kind, ip, action, target, namespace, detail, result, status from audit_log
      where (${f.from ?? null}::bigint is null or ts >= to_timestamp(${f.from ?? null}::bigint / 1000.0))
        and (${f.to ?? null}::bigint is null or ts < to_timestamp(${f.to ?? null}::bigint / 1000.0))
        and (${f.actor ?? null}::text is null or actor = ${f.actor ?? null})
        and (${f.action ?? null}::text is null or starts_with(action, ${f.action ?? null}))
        and (${f.result ?? null}::text is null or result = ${f.result ?? null})
        and (${f.namespace ?? null}::text is null or namespace = ${f.namespace ?? null})
        and (${f.before ?? null}::bigint is null or id < ${f.before ?? null})
      order by id desc limit ${f.limit ?? 100}`;
    return rows.map((r) => ({
      id: Number(r.id), ts: (r.ts as Date).getTime(), actor: r.actor as string, actorKind: r.actor_kind as ActorKind, ip: r.ip as string | null,
      action: r.action as string, target: r.target as string | null, namespace: r.namespace as string | null,
      detail: r.detail as Record<string, unknown> | null, result: r.result as AuditResult, status: r.status as number | null,
    }));
  }
}
