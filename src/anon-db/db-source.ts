// The source database of a copy, read from one snapshot: a coordinator exports it and every worker
// imports it, so all tables are read as of the same instant however many run in parallel. Read
// access only; nothing is installed or written on the source.
import type { ReservedSql, Sql } from 'postgres';
import { anonConnection, COPY_SESSION } from './connect.ts';
import { readColumns } from './catalog.ts';
import { readForeignKeys, readSchema, q, qualified, type CopyTable, type ForeignKey, type SourceSchema } from './schema.ts';
import type { ColumnInfo } from '../anon/index.ts';

export { COPY_SESSION };

export class DbSource {
  private coordinator?: ReservedSql;
  private snapshot?: string;
  readonly sql: Sql;

  constructor(private readonly url: string, private readonly strict = false) {
    this.sql = anonConnection(url, { max: 2, strict, what: 'source' });
  }

  /** Opens the snapshot and reads what the copy needs in it. */
  async open(): Promise<{ schema: SourceSchema; columns: ColumnInfo[]; fks: ForeignKey[]; database: string; systemId: string }> {
    this.coordinator = await this.sql.reserve();
    await this.coordinator.unsafe('begin isolation level repeatable read, read only');
    const [s] = await this.coordinator.unsafe(`select pg_export_snapshot() as id, current_database() as db, (select system_identifier::text from pg_control_system()) as sysid`);
    this.snapshot = s.id as string;
    const sql = this.coordinator as unknown as Sql;
    const schema = await readSchema(sql);
    // As pg_dump does: ACCESS SHARE on every table read, so no TRUNCATE or table rewrite (not
    // MVCC-safe) slips in between the snapshot and a table's COPY; writes go on.
    for (const t of schema.tables) await this.coordinator.unsafe(`lock table only ${qualified(t.schema, t.name)} in access share mode`);
    return { schema, columns: await readColumns(sql), fks: await readForeignKeys(sql), database: s.db as string, systemId: s.sysid as string };
  }

  /**
   * A worker: each table is read on a connection of its own, in the shared snapshot. postgres.js
   * 3.4 can leave a connection's socket paused when a COPY TO stream that hit its high-water mark
   * ends (porsager/postgres#499), and the next query on it then waits for ever; a connection is
   * therefore used for one COPY and closed.
   */
  async worker(): Promise<{ read: (t: CopyTable, where?: string) => Promise<AsyncIterable<Buffer>>; release: () => Promise<void> }> {
    let current: Sql | undefined;
    const close = async (): Promise<void> => { const c = current; current = undefined; await c?.end({ timeout: 0 }).catch(() => {}); };
    return {
      read: async (t, where) => {
        await close();
        current = anonConnection(this.url, { max: 1, strict: this.strict, what: 'source' });
        const c = await current.reserve();
        await c.unsafe('begin isolation level repeatable read, read only');
        await c.unsafe(`set transaction snapshot '${this.snapshot}'`);
        const cols = t.columns.map((x) => q(x.name)).join(', ');
        const stmt = where
          ? `copy (select ${cols} from only ${qualified(t.schema, t.name)} t where ${where}) to stdout`
          : `copy ${qualified(t.schema, t.name)} (${cols}) to stdout`;
        return c.unsafe(stmt).readable() as unknown as Promise<AsyncIterable<Buffer>>;
      },
      release: close,
    };
  }

  private closed = false;

  /** Runs a check in the snapshot's read-only transaction, as one statement (the extended protocol refuses several). */
  async check(statement: string): Promise<void> {
    // A savepoint: a refused check must not abort the transaction that holds the snapshot.
    await this.coordinator!.unsafe('savepoint pgfleet_check');
    try {
      await this.coordinator!.unsafe(statement, [], { simple: false } as never);
      await this.coordinator!.unsafe('release savepoint pgfleet_check');
    } catch (err) {
      await this.coordinator!.unsafe('rollback to savepoint pgfleet_check');
      throw err;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.coordinator) { await this.coordinator.unsafe('commit').catch(() => {}); this.coordinator.release(); }
    await this.sql.end({ timeout: 5 });
  }
}

/**
 * The WHERE condition of each table copied in part: its own condition from the dictionary, and
 * for every foreign key to a table copied in part, only the rows whose referenced row is copied
 * (or whose key is NULL), transitively, so every foreign key of the target holds.
 */
export function subsetFilters(tables: CopyTable[], fks: ForeignKey[], own: (schema: string, table: string) => string | undefined): Map<string, string> {
  const id = (s: string, t: string): string => `${s}.${t}`;
  const memo = new Map<string, string | undefined>();
  const filterOf = (s: string, t: string, depth: number): string | undefined => {
    const k = id(s, t);
    if (memo.has(k)) return memo.get(k);
    if (depth > 8) return undefined;
    const parts: string[] = [];
    const mine = own(s, t);
    if (mine) parts.push(`(${mine})`);
    for (const fk of fks) {
      if (fk.schema !== s || fk.table !== t || (fk.refSchema === s && fk.refTable === t)) continue;
      const parent = filterOf(fk.refSchema, fk.refTable, depth + 1);
      if (!parent) continue;
      const nulls = fk.columns.map((c) => `t.${q(c)} is null`).join(' or ');
      // Inside the sub-select the parent's rows are `t` again, so its condition reads as written.
      parts.push(`(${nulls} or (${fk.columns.map((c) => `t.${q(c)}`).join(', ')}) in (select ${fk.refColumns.map((c) => `t.${q(c)}`).join(', ')} from ${qualified(fk.refSchema, fk.refTable)} t where ${parent}))`);
    }
    const f = parts.length ? parts.join(' and ') : undefined;
    memo.set(k, f);
    return f;
  };
  const out = new Map<string, string>();
  for (const t of tables) { const f = filterOf(t.schema, t.name, 0); if (f) out.set(id(t.schema, t.name), f); }
  return out;
}
